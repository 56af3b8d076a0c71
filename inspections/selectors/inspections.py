"""Which inspections an actor reads, an inspector's own list by due date, and one inspection.

Scoping finds the rows (the owner, the offices above it, a joint plan's departments); these add
the rule of ``inspections.policies`` inside it: a department's planners, administrators,
leaders and viewers read the visits their department takes part in, an office its own and its
region's joint ones, an inspector only those whose team grant they hold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from deadlines.models import DueItem
from inspections import due, policies
from inspections.models import Inspection, InspectionPart
from tenancy.context import Actor, Role
from tenancy.grants import objects_granted
from tenancy.policies import holds

# The pool and records of a draw are megabytes: never loaded with an inspection.
DRAW_BLOBS = ("draw__pool_blob", "draw__excluded_blob", "draw__inspector_pool", "draw__conflicts")


def reads_department(actor: Actor) -> bool:
    return actor.is_member and actor.is_department and holds(actor, *policies.DEPARTMENT_READERS)


def visible_inspections(actor: Actor) -> QuerySet[Inspection]:
    """Every version the actor reads (``policies.can_view`` as one query)."""
    rows = Inspection.objects.all()
    if reads_department(actor):
        return rows.filter(pk__in=InspectionPart.objects.filter(organization_id=actor.organization_id).values("inspection_id"))
    if actor.is_member and actor.is_office:
        return rows.filter(Q(organization_id=actor.organization_id) | Q(plan__kind="joint"))
    if actor.is_member and actor.is_department and holds(actor, Role.INSPECTOR):
        return objects_granted(actor, policies.TEAM_PERMISSION, rows)
    if actor.is_member and actor.is_platform:
        return rows.filter(organization_id__in=actor.visible_org_ids)
    return rows.none()


def current_or_pending(rows: QuerySet[Inspection]) -> QuerySet[Inspection]:
    """The current version of each visit, and a correction still being filled or reviewed."""
    return rows.filter(
        Q(is_current=True) | Q(previous__isnull=False, status__in=(*Inspection.OPEN_STATES, Inspection.Status.SUBMITTED))
    )


def inspection_list(
    *, actor: Actor, task: int | None = None, draw: int | None = None, status: str | None = None,
    entity_code: str | None = None, updated_since: dt.datetime | None = None, current: bool = True,
) -> QuerySet[Inspection]:
    """The inspections the actor reads, filtered (the API's filters), with what lists show."""
    rows = visible_inspections(actor)
    if current:
        rows = rows.filter(is_current=True)
    if task is not None:
        rows = rows.filter(task_id=task)
    if draw is not None:
        rows = rows.filter(draw_id=draw)
    if status:
        rows = rows.filter(status=status)
    if entity_code:
        rows = rows.filter(entity__code=entity_code)
    if updated_since is not None:
        rows = rows.filter(updated_at__gte=updated_since)
    return (
        rows.select_related("entity", "task", "draw").defer(*DRAW_BLOBS)
        .prefetch_related("results", Prefetch("parts", queryset=InspectionPart.objects.prefetch_related("items")))
    )


def inspection_get(*, actor: Actor, pk: int) -> Inspection:
    """One inspection the actor may read, else 404 (not found and not allowed look the same)."""
    inspection = (
        Inspection.objects.select_related("entity", "task", "draw", "plan", "signature").defer(*DRAW_BLOBS)
        .prefetch_related("results", Prefetch("parts", queryset=InspectionPart.objects.prefetch_related("items")))
        .filter(pk=pk).first()
    )
    if inspection is None or not policies.can_view(actor, inspection):
        raise Http404
    return inspection


@dataclass
class MyInspection:
    """A row of "我的检查": the visit, the firm, what to check, and by when."""

    inspection: Inspection
    name: str
    code: str
    address: str
    items: list[str] = field(default_factory=list)
    due_on: dt.date | None = None
    late: bool = False


# 我的检查's order: what the inspector can act on first — a returned result, a draft, a visit to
# make — then what waits for the department's 比对和确认, then what waits for others.
STATE_RANK = {
    Inspection.Status.RETURNED: 0, Inspection.Status.DRAFT: 1, Inspection.Status.TODO: 2,
    Inspection.Status.PENDING: 3, Inspection.Status.SUBMITTED: 4, Inspection.Status.APPROVED: 5,
    Inspection.Status.REPLACED: 6,
}
# How far ahead the dashboard's "soon due" looks.
SOON_DAYS = 7


def my_inspections(*, actor: Actor, today: dt.date | None = None, open_only: bool = True) -> list[MyInspection]:
    """An inspector's inspections (those whose team grant they hold), the actionable states
    first (``STATE_RANK``), then soonest due: the result's due day once the visit ended (5
    working days, 曲阳 §20), else the window's end."""
    from django.utils import timezone  # noqa: PLC0415

    today = today or timezone.localdate()
    rows = objects_granted(actor, policies.TEAM_PERMISSION, Inspection.objects.all()) if actor.user_id else Inspection.objects.none()
    rows = current_or_pending(rows)
    if open_only:
        rows = rows.filter(status__in=Inspection.OPEN_STATES)
    rows = list(
        rows.select_related("entity", "draw").defer(*DRAW_BLOBS)
        .prefetch_related(Prefetch("parts", queryset=InspectionPart.objects.prefetch_related("items")))
    )
    part_ids = [str(p.pk) for i in rows for p in i.parts.all() if p.organization_id == actor.organization_id]
    due_of: dict[str, Any] = {
        target: (due_on, state)
        for target, due_on, state in DueItem.objects.filter(
            rule=due.RESULT, target_type="inspections.inspectionpart", target_id__in=part_ids, state__in=DueItem.ACTIVE,
        ).values_list("target_id", "due_on", "state")
    }
    found: list[MyInspection] = []
    for inspection in rows:
        mine = [p for p in inspection.parts.all() if p.organization_id == actor.organization_id]
        items = [item.name for part in (mine or inspection.parts.all()) for item in part.items.all()]
        due_on, state = next((due_of[str(p.pk)] for p in mine if str(p.pk) in due_of), (inspection.window_end, ""))
        found.append(MyInspection(
            inspection=inspection, name=inspection.entity.name, code=inspection.entity.code,
            address=inspection.entity.address, items=list(dict.fromkeys(items)), due_on=due_on,
            late=state == DueItem.State.OVERDUE or (due_on is not None and due_on < today),
        ))
    found.sort(key=lambda r: (
        STATE_RANK.get(r.inspection.status, 9), r.due_on is None, r.due_on or dt.date.max, r.name, r.inspection.pk,
    ))
    return found


def soon_due(row: MyInspection, today: dt.date) -> bool:
    """Due within ``SOON_DAYS`` days from today and not late yet."""
    return not row.late and row.due_on is not None and row.due_on < today + dt.timedelta(days=SOON_DAYS)


@dataclass
class MySummary:
    """The dashboard's 我的检查: the open inspections counted by state, the late and soon due ones,
    and the first few of the list."""

    counts: dict[str, int]
    total: int
    late: int
    soon: int
    first: list[MyInspection]


def my_summary(*, actor: Actor, today: dt.date | None = None, first: int = 5) -> MySummary:
    """An inspector's open inspections at a glance, in 我的检查's order (``my_inspections``)."""
    from django.utils import timezone  # noqa: PLC0415

    today = today or timezone.localdate()
    rows = my_inspections(actor=actor, today=today)
    counts: dict[str, int] = dict.fromkeys(Inspection.OPEN_STATES, 0)
    for r in rows:
        counts[r.inspection.status] = counts.get(r.inspection.status, 0) + 1
    return MySummary(
        counts=counts, total=len(rows), late=sum(r.late for r in rows), soon=sum(soon_due(r, today) for r in rows),
        first=rows[:first],
    )


def works_as_inspector(actor: Actor) -> bool:
    """A department's member holding the inspector role: 我的检查 is theirs."""
    return actor.is_member and actor.is_department and actor.has_role(Role.INSPECTOR)


def inspector_only(actor: Actor) -> bool:
    """An inspector and nothing more (a viewer besides at most): the registry's counts, plans and
    filings are not their work (``tenancy.dashboard.LEADS``' ``replaces_cards``)."""
    return works_as_inspector(actor) and actor.roles <= {Role.INSPECTOR, Role.VIEWER}


def dashboard_lead(*, actor: Actor) -> dict[str, Any] | None:
    """The dashboard's 我的检查 for an inspector (``tenancy.dashboard.LEADS``), else None."""
    if not works_as_inspector(actor):
        return None
    from django.utils import timezone  # noqa: PLC0415

    today = timezone.localdate()
    summary = my_summary(actor=actor, today=today)
    return {
        "summary": summary, "today": today, "soon_days": SOON_DAYS,
        "rows": [{"row": r, "soon": soon_due(r, today)} for r in summary.first],
    }
