"""Import pages: history, upload, preview with every error, mode choice, progress, rejected rows.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory import policies
from inventory.forms.imports import ConfirmForm, UploadForm, kind_choices
from inventory.importer import reading
from inventory.models import ImportJob
from inventory.selectors import imports as import_selectors
from inventory.services import imports as import_services
from inventory.views import requires
from inventory.xlsx import rejected_response, template_response
from tenancy.i18n import join_clauses, translate_stored
from tenancy.permissions import member_required

ERRORS_PER_PAGE = 50


def _job_or_404(request: HttpRequest, pk: int, *, own: bool = False) -> ImportJob:
    try:
        return import_selectors.import_job_get(actor=request.actor, pk=pk, own=own)
    except ImportJob.DoesNotExist:
        raise Http404


@member_required()
def import_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(import_selectors.import_job_list(actor=request.actor), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/import_list.html",
        {"page": page, "kinds": kind_choices(request.actor), "can_import": policies.can_import(request.actor)},
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
                job = import_services.import_preview(  # the upload as a file: read as a stream, not whole
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
    return render(request, "inventory/import_upload.html", {"form": form, "kinds": kind_choices(actor)})


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
        job = import_services.import_confirm(actor=request.actor, job=job, mode=form.cleaned_data["mode"])
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
    except (reading.ImportRefused, FileNotFoundError, OSError):
        raise Http404
