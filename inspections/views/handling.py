"""Follow-up (后续处置) pages: the list of measures, a new measure on a problem result, a measure
with its history, its progress and its closing. Thin: parse, call one service, answer."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inspections import policies
from inspections.forms.handling import HandlingCloseForm, HandlingForm, HandlingUpdateForm
from inspections.models import Handling, HandlingStep
from inspections.selectors.inspections import visible_inspections
from inspections.services import handling as svc
from inspections.services.handling import MOVES
from tenancy.permissions import member_required

from .common import inspection_or_404, post_only
from .presenters import HANDLING_BADGE

STATUS_FILTERS = [
    ("active", gettext_lazy("未办结")), *[(s.value, s.label) for s in Handling.Status], ("all", gettext_lazy("全部")),
]


def _errors_into(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _handling_or_404(request: HttpRequest, pk: int) -> Handling:
    row = Handling.objects.select_related("inspection", "inspection__entity", "organization", "transfer_to").filter(pk=pk).first()
    if row is None or not policies.readable(request.actor, row):
        raise Http404("no such handling")
    return row


@member_required()
def handling_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    status = request.GET.get("status", "active")
    status = status if status in dict(STATUS_FILTERS) else "active"
    measure = request.GET.get("measure", "")
    measure = measure if measure in Handling.Measure.values else ""
    rows = Handling.objects.filter(Q(inspection__in=visible_inspections(actor).values("pk")) | Q(organization_id=actor.organization_id))
    if status == "active":
        rows = rows.filter(status__in=Handling.ACTIVE_STATES)
    elif status != "all":
        rows = rows.filter(status=status)
    if measure:
        rows = rows.filter(measure=measure)
    rows = rows.select_related("entity", "organization", "inspection").order_by("due_on", "pk")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for row in page:
        row.badge = HANDLING_BADGE.get(row.status, "")
    return render(request, "inspections/handling_list.html", {
        "page": page, "status": status, "statuses": STATUS_FILTERS, "measure": measure,
        "measures": Handling.Measure.choices,
        "query": urlencode([(k, v) for k, v in (("status", status), ("measure", measure)) if v]),
    })


@member_required()
def handling_add(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = inspection_or_404(request, pk)
    actor = request.actor
    if not policies.can_add_handling(actor, inspection):
        raise PermissionDenied(_("该检查当前不能登记后续处置。"))
    form = HandlingForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            row = svc.handling_add(actor=actor, inspection=inspection, measure=form.cleaned_data["measure"], **form.values())
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("已登记后续处置：%(measure)s。") % {"measure": row.get_measure_display()})
            return redirect("inspections:handling_detail", pk=row.pk)
    return render(request, "inspections/handling_form.html", {
        "inspection": inspection, "form": form, "results": list(inspection.results.all()),
    }, status=400 if form.errors else 200)


def _detail(request: HttpRequest, row: Handling, *, update: HandlingUpdateForm | None = None,
            close: HandlingCloseForm | None = None, status: int = 200) -> HttpResponse:
    actor = request.actor
    can_change = policies.can_change_handling(actor, row)
    can_close = policies.can_close_handling(actor, row)
    if can_change and update is None:
        update = HandlingUpdateForm(handling=row, moves=MOVES.get(row.status, ()))
    if can_close and close is None:
        close = HandlingCloseForm(handling=row)
    row.badge = HANDLING_BADGE.get(row.status, "")
    return render(request, "inspections/handling_detail.html", {
        "handling": row, "inspection": row.inspection,
        "steps": list(HandlingStep.objects.filter(handling=row).select_related("by").order_by("at", "pk")),
        "update_form": update if can_change else None, "close_form": close if can_close else None,
    }, status=status)


@member_required()
def handling_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _handling_or_404(request, pk))


@member_required()
@post_only("inspections:handling_detail")
def handling_update(request: HttpRequest, pk: int) -> HttpResponse:
    row = _handling_or_404(request, pk)
    if not policies.can_change_handling(request.actor, row):
        raise PermissionDenied(_("您不能更新该后续处置。"))
    form = HandlingUpdateForm(request.POST, handling=row, moves=MOVES.get(row.status, ()))
    if form.is_valid():
        try:
            svc.handling_update(
                actor=request.actor, handling=row, revision=form.cleaned_data["revision"],
                status=form.cleaned_data["status"], note=form.cleaned_data["note"], **form.values(),
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("已更新。"))
            return redirect("inspections:handling_detail", pk=row.pk)
    return _detail(request, row, update=form, status=400)


@member_required()
@post_only("inspections:handling_detail")
def handling_close(request: HttpRequest, pk: int) -> HttpResponse:
    row = _handling_or_404(request, pk)
    if not policies.can_close_handling(request.actor, row):
        raise PermissionDenied(_("您不能办结该后续处置。"))
    form = HandlingCloseForm(request.POST, handling=row)
    if form.is_valid():
        try:
            svc.handling_close(
                actor=request.actor, handling=row, outcome=form.cleaned_data["outcome"],
                # Left empty: what the measure holds already stands.
                recheck_result=form.cleaned_data.get("recheck_result") or None,
                case_no=form.cleaned_data.get("case_no") or None, recheck_on=form.cleaned_data.get("recheck_on") or None,
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("已办结。"))
            return redirect("inspections:handling_detail", pk=row.pk)
    return _detail(request, row, close=form, status=400)
