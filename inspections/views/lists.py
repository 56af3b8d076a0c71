"""The inspections list: "我的检查" for an inspector (the inspections they are on, by due date,
phone first), a department's inspections for its planners, administrators, leaders and viewers,
and the joint ones of its region for an office — with filters by task, status and name or code;
above a department's list, the draws dispatched to it still to be checked and confirmed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, npgettext
from django.utils.translation import gettext_lazy as _

from inspections import policies
from inspections.forms.fill import ConfirmForm
from inspections.models import Dispatch, Inspection, InspectionPart
from inspections.selectors import inspections as sel
from inspections.selectors.combined import agreed_dates
from inspections.services import inspections as svc
from sampling.models import SamplingTask
from tenancy.context import Actor, Role
from tenancy.i18n import join_clauses
from tenancy.permissions import member_required

from .common import post_only
from .presenters import STATUS_BADGE, map_url

PAGE_SIZE = 50
S = Inspection.Status
STAFF_RANK = (S.RETURNED, S.DRAFT, S.TODO, S.SUBMITTED, S.PENDING, S.APPROVED, S.REPLACED)
REVIEW_RANK = (S.SUBMITTED, S.RETURNED, S.DRAFT, S.TODO, S.PENDING, S.APPROVED, S.REPLACED)
# 我的检查's date filters (the dashboard's counts link to them).
DUE_FILTERS = ("late", "soon")
# The list's status filter: the open ones (what is still to do) first.
OPEN = "open"
STATUS_FILTERS = [(OPEN, _("未完成")), *[(s.value, s.label) for s in Inspection.Status], ("all", _("全部"))]


@member_required()
def inspection_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    status = request.GET.get("status", OPEN)
    status = status if status in dict(STATUS_FILTERS) else OPEN
    if not (sel.reads_department(actor) or actor.is_office):
        return _mine(request, status)
    mine_too = actor.is_department and actor.has_role(Role.INSPECTOR)
    q = request.GET.get("q", "").strip()[:60]
    task = _id(request.GET.get("task", ""))
    rows = sel.current_or_pending(sel.visible_inspections(actor))
    tasks = _tasks(rows)
    if status == OPEN:
        rows = rows.filter(status__in=Inspection.OPEN_STATES)
    elif status != "all":
        rows = rows.filter(status=status)
    if task is not None:
        rows = rows.filter(task_id=task)
    if q:
        rows = rows.filter(Q(entity__name__icontains=q) | Q(entity__code__iexact=q))
    # What the reader acts on first: a leader the results awaiting review, everyone the
    # returned ones and the drafts before the visits still to make and those still unconfirmed.
    rank = [*REVIEW_RANK] if actor.has_role(Role.LEADER) else [*STAFF_RANK]
    rows = (
        rows.select_related("entity", "task", "draw").defer(*sel.DRAW_BLOBS)
        .prefetch_related(Prefetch("parts", queryset=InspectionPart.objects.prefetch_related("items")))
        .annotate(state_rank=Case(*[When(status=s, then=Value(i)) for i, s in enumerate(rank)],
                                  default=Value(len(rank)), output_field=IntegerField()))
        .order_by("state_rank", "window_end", "entity__name", "pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    agreed = agreed_dates(page)  # 综合查一次: the day the teams visit together
    listed = [
        _row(i, items=list(dict.fromkeys(item.name for part in i.parts.all() for item in part.items.all())),
             due_on=i.window_end, late=False, address=i.entity.address, combined_on=agreed.get(i.pk))
        for i in page
    ]
    return render(request, "inspections/list.html", {
        "dispatches": _dispatches(actor), "mine_too": mine_too, "to_review": _to_review(actor),
        "page": page, "rows": listed, "staff": True, "status": status, "q": q,
        "task": task, "tasks": tasks, "statuses": STATUS_FILTERS,
        "title": _("检查实施"),
        "query": urlencode([(k, v) for k, v in (("status", status), ("q", q), ("task", task)) if v]),
    })


@member_required(Role.INSPECTOR)
def my_inspection_list(request: HttpRequest) -> HttpResponse:
    """我的检查 for anyone holding the inspector role (an inspector who also reads the department's
    list finds their own here)."""
    status = request.GET.get("status", OPEN)
    return _mine(request, status if status in dict(STATUS_FILTERS) else OPEN)


def _mine(request: HttpRequest, status: str) -> HttpResponse:
    """我的检查: the inspections the inspector is on, soonest due first (the result's due day once
    the visit ended, else the window's end)."""
    today = timezone.localdate()
    found = sel.my_inspections(actor=request.actor, today=today, open_only=status == OPEN)
    if status not in (OPEN, "all"):
        found = [r for r in found if r.inspection.status == status]
    due = request.GET.get("due", "")
    due = due if due in DUE_FILTERS else ""
    if due == "late":
        found = [r for r in found if r.late]
    elif due == "soon":
        found = [r for r in found if sel.soon_due(r, today)]
    agreed = agreed_dates(r.inspection for r in found)  # 综合查一次: the day the teams visit together
    rows = [_row(r.inspection, items=r.items, due_on=r.due_on, late=r.late, address=r.address,
                 combined_on=agreed.get(r.inspection.pk)) for r in found]
    return render(request, "inspections/list.html", {
        "rows": rows, "staff": False, "status": status, "statuses": STATUS_FILTERS, "title": _("我的检查"),
        "due": due, "due_label": _due_label(due),
    })


def _due_label(due: str) -> str:
    if due == "late":
        return gettext("已逾期")
    if due == "soon":
        # The list's filter label, its own context (the dashboard's count label is a template plural).
        return npgettext("due filter", "%(n)s 日内到期", "%(n)s 日内到期", sel.SOON_DAYS) % {"n": sel.SOON_DAYS}
    return ""


def _dispatches(actor: Actor) -> list[Dispatch]:
    """The targets dispatched to the actor's department still to be checked and confirmed, each
    with how many of them still wait (``waiting``: some may have been confirmed one by one)."""
    if not actor.is_department:
        return []
    rows = Dispatch.objects.filter(organization_id=actor.organization_id, confirmed_at__isnull=True).select_related("task")
    shown = [d for d in rows.order_by("dispatched_at", "pk")[:20] if policies.can_confirm_dispatch(actor, d)]
    waiting = dict(
        InspectionPart.objects.filter(
            organization_id=actor.organization_id, confirmed_at__isnull=True,
            inspection__draw_id__in=[d.draw_id for d in shown],
        ).exclude(inspection__status=S.REPLACED)
        .values("inspection__draw_id").annotate(n=Count("pk")).values_list("inspection__draw_id", "n")
    ) if shown else {}
    for d in shown:
        d.waiting = waiting.get(d.draw_id, 0)  # type: ignore[attr-defined]
    return shown


def _to_review(actor: Actor) -> int:
    """How many results wait for the actor's review (a department's leader), for the list's link."""
    if not (actor.is_department and actor.has_role(Role.LEADER)):
        return 0
    rows = sel.visible_inspections(actor).filter(status=S.SUBMITTED).filter(
        parts__organization_id=actor.organization_id, parts__approved_at__isnull=True,
    )
    return rows.values("pk").distinct().count()


@member_required()
@post_only("inspections:list", keep=())
def dispatch_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """比对和确认: the department confirms every target of a draw dispatched to it at once."""
    dispatch = get_object_or_404(Dispatch, pk=pk)
    form = ConfirmForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        count = svc.dispatch_confirm(actor=request.actor, dispatch=dispatch, note=note)
    except ValidationError as exc:
        messages.error(request, join_clauses(exc.messages))
    else:
        messages.success(request, gettext("已比对确认“%(task)s”派发的检查对象（%(n)s 户可以开始检查）。")
                         % {"task": dispatch.task.name, "n": count})
    return redirect(reverse("inspections:list") + f"?task={dispatch.task_id}")


def _id(value: str) -> int | None:
    """A row id from the query string, or None (not a number, or past any id there is)."""
    value = value.strip()
    return int(value) if value.isdigit() and len(value) <= 18 else None


def _tasks(rows: QuerySet[Inspection]) -> list[SamplingTask]:
    ids = rows.order_by().values("task_id").distinct()
    return list(SamplingTask.objects.filter(pk__in=ids).order_by("-created_at")[:200])


def _row(inspection: Inspection, *, items: list[str], due_on: dt.date | None, late: bool, address: str,
         combined_on: dt.date | None) -> dict[str, Any]:
    """A row of either list (the department's, 我的检查)."""
    return {
        "inspection": inspection, "entity": inspection.entity, "map_url": map_url(address), "items": items,
        "badge": STATUS_BADGE.get(inspection.status, ""), "due_on": due_on, "late": late, "combined_on": combined_on,
    }
