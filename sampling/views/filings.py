"""Filing (备案) pages: the inbox/list, detail, submit/resubmit, the office's decision, the PDF,
its HTML preview and the record download. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sampling import pdf
from sampling.forms.filings import FilingAttachForm, FilingDecisionForm, FilingFilterForm, FilingSubmitForm
from sampling.models import Draw, Filing
from sampling.policies import (
    FILERS,
    FILING_DECIDERS,
    can_attach_to_filing,
    can_decide_filing,
    can_file,
    can_read_filed_record,
    can_resubmit_filing,
)
from sampling.selectors import filings as selectors
from sampling.services import filings as services
from tenancy import timelimits
from tenancy.context import OrgKind
from tenancy.permissions import member_required
from tenancy.uploads import attachment_response

KINDS = (OrgKind.DEPARTMENT, OrgKind.OFFICE)


def _get_filing(request: HttpRequest, pk: int) -> Filing:
    return get_object_or_404(selectors.filing_queryset(actor=request.actor), pk=pk)


def _form_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: field errors where they belong."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@member_required(kinds=KINDS)
@require_GET
def filing_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    departments = selectors.filing_departments(actor=actor)
    form = FilingFilterForm(request.GET or None, departments=departments)
    filters = form.filters() if request.GET else {"tab": "pending"}
    page = Paginator(selectors.filing_list(actor=actor, **filters), 30).get_page(request.GET.get("page"))
    rows = []
    for f in page:
        state = selectors.filing_state(f)
        rows.append({"filing": f, "state": state, "label": selectors.STATE_LABELS[state], "badge": selectors.STATE_BADGES[state]})
    counts = selectors.filing_tab_counts(actor=actor)
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("tab", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "tab": filters["tab"],
        "counts": counts,
        "tabs": [(key, label, counts[key]) for key, label in FilingFilterForm.TAB_CHOICES],
        "query": params.urlencode(),
        "awaiting": selectors.draws_awaiting_filing(actor=actor)[:50] if actor.is_department or actor.is_office else [],
        "returned": selectors.returned_unanswered(actor=actor)[:50],
        "may_submit": can_file(actor),
    }
    return render(request, "sampling/filing_list.html", context)


def _pdf_pending(filing: Filing) -> bool:
    """A long sheet's PDF comes from a worker: until it is attached the page shows it pending."""
    return not filing.pdf and selectors.pdf_rendered_in_background(filing)


def _detail_context(
    request: HttpRequest,
    filing: Filing,
    decision_form: FilingDecisionForm | None = None,
    attach_form: FilingAttachForm | None = None,
) -> dict:
    actor = request.actor
    sheet = selectors.filing_sheet(actor=actor, filing=filing, limit=selectors.PAGE_ROWS)
    may_decide = can_decide_filing(actor, filing) and sheet["state"] in (selectors.State.PENDING, selectors.State.OVERDUE)
    may_resubmit = (
        sheet["state"] == selectors.State.RETURNED
        and can_resubmit_filing(actor, filing)
        and not Filing.objects.filter(previous=filing).exists()
    )
    may_attach = can_attach_to_filing(actor, filing)
    attachments = selectors.filing_attachments(actor=actor, filing=filing)
    return {
        **sheet,
        "decision": filing.decision if sheet["state"] in (selectors.State.ACKNOWLEDGED, selectors.State.RETURNED) else None,
        "resubmission": Filing.objects.filter(previous=filing).first(),
        "decision_form": decision_form or (FilingDecisionForm() if may_decide else None),
        "attach_form": attach_form or (FilingAttachForm() if may_attach else None),
        "may_decide": may_decide,
        "may_resubmit": may_resubmit,
        "may_attach": may_attach,
        "filing_attachments": [a for a in attachments if a.decision_id is None],
        "decision_attachments": [a for a in attachments if a.decision_id is not None],
        "pdf_pending": _pdf_pending(filing),
        "state_label": selectors.STATE_LABELS[sheet["state"]],
        "badge": selectors.STATE_BADGES[sheet["state"]],
    }


@member_required(kinds=KINDS)
@require_GET
def filing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.GET.get("part") == "pdf":
        # What the pending PDF button polls: the button alone — not the sheet of thousands of
        # rows, nor the filed record; the page it sits on was pending, so no PDF means pending.
        filing = get_object_or_404(selectors.filing_queryset(actor=request.actor).defer("record"), pk=pk)
        return render(request, "sampling/filing_pdf_slot.html", {"filing": filing, "pdf_pending": not filing.pdf})
    filing = _get_filing(request, pk)
    return render(request, "sampling/filing_detail.html", _detail_context(request, filing))


@member_required(*FILING_DECIDERS, kinds=(OrgKind.OFFICE,))
@require_POST
def filing_decide(request: HttpRequest, pk: int) -> HttpResponse:
    filing = _get_filing(request, pk)
    if filing.office_id != request.actor.organization_id:
        # A filing the office can see (a sub-office's) but which was not sent to it.
        raise PermissionDenied("not the addressee")
    form = FilingDecisionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            row = services.filing_decide(
                actor=request.actor, filing=filing, decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"], attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已办理：%(d)s") % {"d": row.get_decision_display()})
            return redirect("sampling:filing_detail", pk=filing.pk)
    # The form sits above the long tables and its action ends in #filing-decide: the page
    # opens at the form with its errors, not at the top.
    return render(request, "sampling/filing_detail.html", _detail_context(request, filing, decision_form=form), status=400)


@member_required(*FILERS, kinds=KINDS)
@require_POST
def filing_attach(request: HttpRequest, pk: int) -> HttpResponse:
    """补充附件: the filer adds files (the signed 备案表, scanned) to a filing it sent."""
    filing = _get_filing(request, pk)
    if filing.organization_id != request.actor.organization_id:
        raise PermissionDenied("not the filer")  # an office or a joint participant sees it, did not file it
    form = FilingAttachForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            added = services.filing_attach(actor=request.actor, filing=filing, attachments=form.cleaned_data["attachments"])
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已上传 %(n)d 个附件。") % {"n": len(added)})
            return redirect(reverse("sampling:filing_detail", args=[filing.pk]) + "#filing-attachments")
    return render(request, "sampling/filing_detail.html", _detail_context(request, filing, attach_form=form), status=400)


@member_required(kinds=KINDS)
@require_GET
def filing_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """An attachment of a filing or of its decision, for whoever sees the filing (404 otherwise)."""
    attachment = get_object_or_404(selectors.filing_attachment_queryset(actor=request.actor), pk=pk)
    return attachment_response(attachment)


def _submit_page(request: HttpRequest, *, draw: Draw, previous: Filing | None, form: FilingSubmitForm, status: int = 200) -> HttpResponse:
    days = settings.FILING_DEADLINE_DAYS
    # The limit in force for this organization (working days by default) and this draw's date.
    deadline_text = timelimits.describe(
        services.FILING_TIME_LIMIT, actor=request.actor, default=_("抽取后 %(n)s 日内") % {"n": days}
    )
    deadline_at = services.filing_deadline(actor=request.actor, draw=draw, start=draw.drawn_at) if draw.drawn_at else None
    office = None
    try:
        office = services.filing_office_for(region=draw.region)
    except ValidationError as exc:
        form.add_error(None, exc.messages)
    return render(
        request,
        "sampling/filing_submit.html",
        {"draw": draw, "previous": previous, "form": form, "office": office, "deadline_days": days,
         "deadline_text": deadline_text, "deadline_at": deadline_at},
        status=status,
    )


@member_required(*FILERS, kinds=KINDS)
@require_http_methods(["GET", "POST"])
def filing_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """报送备案 for a draw (pk = the draw): a confirmation page, then the submission."""
    draw = get_object_or_404(Draw.objects.select_related("task", "region"), pk=pk)
    form = FilingSubmitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            filing = services.filing_submit(
                actor=request.actor, draw=draw, note=form.cleaned_data["note"], attachments=form.cleaned_data["attachments"]
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已报送%(office)s备案。") % {"office": filing.office.name})
            return redirect("sampling:filing_detail", pk=filing.pk)
        return _submit_page(request, draw=draw, previous=None, form=form, status=400)
    return _submit_page(request, draw=draw, previous=None, form=form, status=400 if request.method == "POST" else 200)


@member_required(*FILERS, kinds=KINDS)
@require_http_methods(["GET", "POST"])
def filing_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    """重新报送 a returned filing (pk = the returned filing)."""
    previous = _get_filing(request, pk)
    form = FilingSubmitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            filing = services.filing_resubmit(
                actor=request.actor, filing=previous, note=form.cleaned_data["note"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已重新报送备案。"))
            return redirect("sampling:filing_detail", pk=filing.pk)
        return _submit_page(request, draw=previous.draw, previous=previous, form=form, status=400)
    return _submit_page(request, draw=previous.draw, previous=previous, form=form, status=400 if request.method == "POST" else 200)


def _attachment(name: str) -> str:
    # RFC 6266: an ASCII fallback plus the UTF-8 Chinese name.
    return f"attachment; filename=\"{name.encode('ascii', 'ignore').decode() or 'filing'}\"; filename*=UTF-8''{quote(name)}"


@member_required(kinds=KINDS)
@require_GET
def filing_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    filing = _get_filing(request, pk)
    content = selectors.filing_pdf_get(actor=request.actor, filing=filing)
    if content is None:
        # A long sheet a worker renders: ask again (a lost job is then redone), come back later.
        services.filing_pdf_request(actor=request.actor, filing=filing)
        messages.info(request, _("备案表（PDF）正在后台生成，生成后本页将出现下载按钮。"))
        return redirect("sampling:filing_detail", pk=filing.pk)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = _attachment(f"抽取结果备案表-{filing.draw.task_uid}-{filing.pk}.pdf")
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@member_required(kinds=KINDS)
@require_GET
def filing_annex(request: HttpRequest, pk: int) -> HttpResponse:
    """The 备案表's annex: every target and reserve, when the sheet lists only the first ones."""
    filing = _get_filing(request, pk)
    handle = selectors.filing_annex_file(actor=request.actor, filing=filing)
    if handle is None:
        raise Http404("no annex")
    return FileResponse(
        handle, as_attachment=True, filename=f"抽取结果名单-{filing.draw.task_uid}-{filing.pk}.xlsx", content_type=XLSX
    )


@member_required(kinds=KINDS)
@require_GET
def filing_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The 抽取结果备案表 as HTML, from the template the PDF uses."""
    filing = _get_filing(request, pk)
    return HttpResponse(pdf.filing_form_html(selectors.filing_sheet(actor=request.actor, filing=filing)))


@member_required(kinds=KINDS)
@require_GET
def filing_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The record as filed: ``?variant=filing`` (full, office and filer only) or ``public``."""
    filing = _get_filing(request, pk)
    allowed = can_read_filed_record(request.actor, filing)
    variant = request.GET.get("variant") or ("filing" if allowed else "public")
    if variant not in ("filing", "public"):
        variant = "public"
    if variant == "filing" and not allowed:
        raise PermissionDenied("filing variant")
    # Streamed: the pool (a million entries) is written from the draw's frozen pool as it goes.
    chunks = selectors.filing_record_chunks(actor=request.actor, filing=filing, variant=variant)
    response = StreamingHttpResponse(chunks, content_type="application/json; charset=utf-8")
    suffix = "备案记录" if variant == "filing" else "公开记录"
    response["Content-Disposition"] = _attachment(f"{filing.draw.task_uid}-{suffix}.json")
    return response
