"""Import pages: history, upload, preview with every error, mode choice, progress, rejected rows."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tenancy.context import Actor
from tenancy.forms import Form
from tenancy.i18n import join_clauses, translate_stored
from tenancy.permissions import member_required

from . import importing, policies
from .models import ImportJob
from .views import requires
from .xlsx import rejected_response, template_response

ERRORS_PER_PAGE = 50


def _kinds(actor: Actor) -> list[tuple[str, str]]:
    return [(k, label) for k, label in ImportJob.Kind.choices if policies.can_import_kind(actor, k)]


class UploadForm(Form):
    kind = forms.ChoiceField(label=gettext_lazy("导入类型"))
    file = forms.FileField(
        label=gettext_lazy("文件"),
        help_text=gettext_lazy("Excel（.xlsx）或 CSV（UTF-8 或 GBK 编码）；表头上方可以有标题行，列的顺序不限。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt", "data-testid": "import-file"}),
    )

    def __init__(self, *args: object, actor: Actor, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kinds(actor)
        self.fields["kind"].widget.attrs["data-testid"] = "import-kind"

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(_("文件过大：上限为 %(mb)s MB") % {"mb": round(limit / 2**20, 1)})
        return upload


class ConfirmForm(Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("导入方式"), choices=ImportJob.Mode.choices, widget=forms.RadioSelect, initial=ImportJob.Mode.ALL
    )


def _job_or_404(request: HttpRequest, pk: int, *, own: bool = False) -> ImportJob:
    try:
        return importing.import_job_get(actor=request.actor, pk=pk, own=own)
    except ImportJob.DoesNotExist:
        raise Http404


@member_required()
def import_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(importing.import_job_list(actor=request.actor), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/import_list.html",
        {"page": page, "kinds": _kinds(request.actor), "can_import": policies.can_import(request.actor)},
    )


@member_required()
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in ImportJob.Kind.values:
        raise Http404
    return template_response(kind)


@requires(policies.can_import)
def import_upload(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, actor=actor)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = importing.import_preview(  # the upload as a file: read as a stream, not whole
                    actor=actor, kind=form.cleaned_data["kind"], data=upload, filename=upload.name
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                if job.rejected_count:
                    messages.warning(request, _("已校验：%(n)s 行中有 %(e)s 行有错误，请查看") % {"n": job.total_rows, "e": job.rejected_count})
                else:
                    messages.success(request, _("已校验：%(n)s 行全部有效，请确认导入") % {"n": job.total_rows})
                return redirect("inventory:import_detail", pk=job.pk)
    else:
        initial_kind = request.GET.get("kind")
        form = UploadForm(actor=actor, initial={"kind": initial_kind} if initial_kind else None)
    return render(request, "inventory/import_upload.html", {"form": form, "kinds": _kinds(actor)})


@member_required()
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    errors = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    actor = request.actor
    can_confirm = (
        job.status in (ImportJob.Status.PREVIEWED, ImportJob.Status.FAILED) and policies.can_confirm_import(actor, job)
    )
    return render(
        request,
        "inventory/import_detail.html",
        {
            "job": job,
            "errors": errors,
            "error_columns": _count_by_column(job.errors),
            "confirm_form": ConfirmForm(initial={"mode": ImportJob.Mode.VALID if job.rejected_count else ImportJob.Mode.ALL}),
            "can_confirm": can_confirm,
            "can_upload": policies.can_import(actor) and policies.can_import_kind(actor, job.kind),
            "running": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
        },
    )


def _count_by_column(errors: list[dict]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for e in errors:
        counts[e.get("column") or "—"] = counts.get(e.get("column") or "—", 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


@require_POST
@requires(policies.can_import)
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk, own=True)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择导入方式"))
        return redirect("inventory:import_detail", pk=job.pk)
    try:
        job = importing.import_confirm(actor=request.actor, job=job, mode=form.cleaned_data["mode"])
    except ValidationError as exc:
        messages.error(request, join_clauses(exc.messages))
    else:
        if job.status == ImportJob.Status.DONE:
            messages.success(request, translate_stored(job.message))
        elif job.status == ImportJob.Status.QUEUED:
            messages.info(request, _("文件较大，已转入后台导入，本页会显示进度"))
        else:
            messages.error(request, translate_stored(job.message))
    return redirect("inventory:import_detail", pk=job.pk)


@member_required()
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    running = job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
    response = render(request, "inventory/import_progress.html", {"job": job, "running": running})
    if not running and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # finished: reload the page to show the result
    return response


@member_required()
def import_rejected(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    try:
        return rejected_response(job)
    except (importing.ImportRefused, FileNotFoundError, OSError):
        raise Http404
