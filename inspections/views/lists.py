"""The inspections list: "我的检查" for an inspector (the inspections they are on, by due date,
phone first), a department's inspections for its planners, administrators, leaders and viewers,
and the joint ones of its region for an office — with filters by task, status and name or code."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from inspections import policies
from inspections.models import Inspection, InspectionPart
from sampling.models import SamplingTask
from tenancy.context import Actor, Role
from tenancy.grants import objects_granted
from tenancy.permissions import member_required
from tenancy.policies import holds

from .common import DRAW_BLOBS
from .presenters import STATUS_BADGE, map_url

PAGE_SIZE = 50
# The list's status filter: the open ones (what is still to do) first.
OPEN = "open"
STATUS_FILTERS = [(OPEN, _("未完成")), *[(s.value, s.label) for s in Inspection.Status], ("all", _("全部"))]


def reads_department(actor: Actor) -> bool:
    return actor.is_member and actor.is_department and holds(actor, *policies.DEPARTMENT_READERS)


def visible_inspections(actor: Actor) -> QuerySet[Inspection]:
    """The inspections the actor's list holds: a department's staff its department's, an office
    its own and its region's joint ones, an inspector those they are on (their grants)."""
    rows = Inspection.objects.all()
    if reads_department(actor):
        return rows.filter(parts__organization_id=actor.organization_id)
    if actor.is_office:
        return rows.filter(Q(organization_id=actor.organization_id) | Q(plan__kind="joint"))
    if actor.is_department and holds(actor, Role.INSPECTOR):
        return objects_granted(actor, policies.TEAM_PERMISSION, rows)
    return rows.none()


@member_required()
def inspection_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    staff = reads_department(actor) or actor.is_office
    status = request.GET.get("status", OPEN)
    status = status if status in dict(STATUS_FILTERS) else OPEN
    q = request.GET.get("q", "").strip()[:60]
    task_id = request.GET.get("task", "")
    # The current version of each visit, and a correction still being filled or reviewed.
    rows = visible_inspections(actor).filter(
        Q(is_current=True) | Q(previous__isnull=False, status__in=(*Inspection.OPEN_STATES, Inspection.Status.SUBMITTED))
    )
    tasks = _tasks(rows) if staff else []
    if status == OPEN:
        rows = rows.filter(status__in=Inspection.OPEN_STATES)
    elif status != "all":
        rows = rows.filter(status=status)
    if task_id.isdigit():
        rows = rows.filter(task_id=int(task_id))
    if q:
        rows = rows.filter(Q(entity__name__icontains=q) | Q(entity__code__iexact=q))
    rows = (
        rows.distinct().select_related("entity", "task", "draw").defer(*DRAW_BLOBS)
        .prefetch_related(Prefetch("parts", queryset=InspectionPart.objects.prefetch_related("items")))
        .order_by("window_end", "entity__name", "pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inspections/list.html", {
        "page": page, "rows": [_row(i) for i in page], "staff": staff, "status": status, "q": q,
        "task": int(task_id) if task_id.isdigit() else None, "tasks": tasks, "statuses": STATUS_FILTERS,
        "title": _("检查实施") if staff else _("我的检查"),
        "query": "&".join(f"{k}={v}" for k, v in (("status", status), ("q", q), ("task", task_id)) if v),
    })


def _tasks(rows: QuerySet[Inspection]) -> list[SamplingTask]:
    ids = rows.order_by().values("task_id").distinct()
    return list(SamplingTask.objects.filter(pk__in=ids).order_by("-created_at")[:200])


def _row(inspection: Inspection) -> dict[str, Any]:
    items = [item.name for part in inspection.parts.all() for item in part.items.all()]
    return {
        "inspection": inspection, "entity": inspection.entity, "map_url": map_url(inspection.entity.address),
        "items": list(dict.fromkeys(items)), "badge": STATUS_BADGE.get(inspection.status, ""),
    }
