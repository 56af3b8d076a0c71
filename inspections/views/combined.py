"""综合查一次 pages: the office accepts an offer (which inspections, the agreed day, a note), the
list of combined visits (an office's, a department's, an inspector's), one combined visit with
its cancellation, and its one record (一企一表: HTML preview and PDF). Thin: parse, call one
service or selector, answer."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from inspections import policies
from inspections.documents import combined as documents
from inspections.documents.render import document_html, document_pdf
from inspections.forms.combined import AcceptForm, CancelForm
from inspections.selectors import combined as sel
from inspections.selectors.ledger import joint_visit_offers
from inspections.services import combined as svc
from inspections.views.common import post_only
from inventory.models import MarketEntity
from tenancy.context import OrgKind
from tenancy.permissions import member_required
from tenancy.policies import ensure

PAGE_SIZE = 50


def _choice(inspection) -> tuple[int, str]:
    owner = inspection.organization.label
    window = f"{inspection.window_start or '—'} ~ {inspection.window_end or '—'}"
    return inspection.pk, f"{owner} — {inspection.task.name}（{window}）"


@member_required(kinds=(OrgKind.OFFICE,))
def combined_accept(request: HttpRequest, entity: int) -> HttpResponse:
    """An offer of the firm ``entity`` (two or more departments' inspections in overlapping
    windows), accepted as one visit on an agreed day."""
    actor = request.actor
    ensure(policies.can_combine, actor)
    firm = MarketEntity.objects.filter(pk=entity).first()
    if firm is None:
        raise Http404("no firm")
    offer = next(iter(joint_visit_offers(actor=actor, entity_id=entity)), None)
    if offer is None and request.method != "POST":
        raise Http404("no offer")
    inspections = offer.inspections if offer is not None else []
    today = timezone.localdate()
    suggested = svc.first_day(offer.start, offer.end, today=today) if offer is not None else None
    form = AcceptForm(
        request.POST or None, choices=[_choice(i) for i in inspections],
        initial={"inspections": [i.pk for i in inspections], "visit_on": suggested},
    )
    status = 200
    if request.method == "POST":
        if offer is None:
            form.add_error(None, _("该检查对象已没有可以合并上门的检查（可能已被安排，或检查已开始），请返回刷新。"))
        elif form.is_valid():
            try:
                combined = svc.combined_visit_accept(
                    actor=actor, inspections=form.cleaned_data["inspections"], visit_on=form.cleaned_data["visit_on"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                for key, errors in exc.message_dict.items():
                    form.add_error(key if key in form.fields else None, errors)
            else:
                messages.success(request, _("已安排综合查一次：%(entity)s，%(date)s 各部门检查组一同上门。")
                                 % {"entity": firm.name, "date": combined.visit_on.isoformat()})
                return redirect("inspections:combined_detail", pk=combined.pk)
        status = 400
    return render(request, "inspections/combined/accept.html", {
        "entity": firm, "offer": offer, "form": form,
    }, status=status)


@member_required()
@require_GET
def combined_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    state = request.GET.get("state", "active")
    state = state if state in sel.STATES else "active"
    page = Paginator(sel.combined_visit_list(actor=actor, state=state), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inspections/combined/list.html", {
        "page": page, "views": sel.combined_views(actor=actor, rows=list(page)), "state": state,
        "states": [("active", _("已安排")), ("cancelled", _("已取消")), ("all", _("全部"))],
        "office": actor.is_member and actor.is_office,
    })


@member_required()
@require_GET
def combined_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    view = sel.combined_view(actor=actor, combined=sel.combined_visit_get(actor=actor, pk=pk))
    return render(request, "inspections/combined/detail.html", {"view": view, "c": view.combined, "cancel_form": CancelForm()})


@member_required()
@post_only("inspections:combined_detail")
def combined_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    combined = sel.combined_visit_get(actor=actor, pk=pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            svc.combined_visit_cancel(actor=actor, combined=combined, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            messages.success(request, _("已取消该综合查一次，各部门的检查照常进行。"))
            return redirect("inspections:combined_detail", pk=combined.pk)
    view = sel.combined_view(actor=actor, combined=sel.combined_visit_get(actor=actor, pk=pk))
    return render(request, "inspections/combined/detail.html", {"view": view, "c": view.combined, "cancel_form": form},
                  status=400)


@member_required()
@require_GET
def combined_record(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    combined = sel.combined_visit_get(actor=actor, pk=pk)
    return HttpResponse(document_html("combined", documents.combined_record(actor=actor, combined=combined)))


@member_required()
@require_GET
def combined_record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    combined = sel.combined_visit_get(actor=actor, pk=pk)
    record = documents.combined_record(actor=actor, combined=combined)
    response = HttpResponse(document_pdf("combined", record), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=documents.filename(record))
    return response
