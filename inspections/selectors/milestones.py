"""The office's joint-task milestones inspections adds beside 检查 and 审核 (``inspections.due``):
比对确认, 后续处置 (the problems found and how many are handled) and 逾期事项, per participating
department, from ``selectors.progress.department_progress`` (issue 12 §8: drawn, confirmed,
inspected, problems found, handled, overdue on the office's joint-task milestones).

Registered in ``deadlines.milestones.MILESTONES`` from ``ready()``; read in the viewer's scope,
once per task (``facts.cache``) for all its departments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from deadlines.milestones import DONE, LATE, NONE, OPEN, WAITING, JointTaskFacts, Milestone, MilestoneState
from deadlines.models import DueItem
from deadlines.services import local_date
from inspections import due
from inspections.models import Dispatch, Handling, Inspection, InspectionPart
from tenancy.models import Organization

from .progress import DepartmentProgress, department_progress

CACHE_KEY = "inspections.department_progress"


@dataclass
class _TaskFacts:
    progress: dict[int, DepartmentProgress] = field(default_factory=dict)
    last_confirmed: dict[int, Any] = field(default_factory=dict)  # department → its last confirmation
    last_closed: dict[int, Any] = field(default_factory=dict)  # department → its last closed measure
    confirm_items: dict[int, DueItem] = field(default_factory=dict)  # department → its dispatch's item
    handling_items: dict[int, list[DueItem]] = field(default_factory=dict)  # department → its measures' items


def _facts(facts: JointTaskFacts) -> _TaskFacts:
    cached = facts.cache.get(CACHE_KEY)
    if cached is None:
        cached = facts.cache[CACHE_KEY] = _load(facts) if facts.draw is not None else _TaskFacts()
    return cached


def _load(facts: JointTaskFacts) -> _TaskFacts:
    task = facts.task
    visits = Inspection.objects.filter(task=task, is_current=True).exclude(status=Inspection.Status.REPLACED)
    loaded = _TaskFacts(progress=department_progress(task=task, today=facts.today))
    loaded.last_confirmed = dict(
        InspectionPart.objects.filter(inspection__in=visits).values("organization_id").order_by("organization_id")
        .annotate(last=Max("confirmed_at")).values_list("organization_id", "last")
    )
    handlings = Handling.objects.filter(inspection__in=visits)
    loaded.last_closed = dict(
        handlings.values("organization_id").order_by("organization_id").annotate(last=Max("closed_at"))
        .values_list("organization_id", "last")
    )
    active = DueItem.objects.filter(state__in=DueItem.ACTIVE).select_related("organization")
    dispatches = [str(pk) for pk in Dispatch.objects.filter(task=task).values_list("pk", flat=True)]
    for item in active.filter(rule=due.CONFIRM, target_type="inspections.dispatch", target_id__in=dispatches):
        loaded.confirm_items[item.organization_id] = item
    measures = [str(pk) for pk in handlings.values_list("pk", flat=True)]
    if measures:
        items = active.filter(rule=due.HANDLING, target_type="inspections.handling", target_id__in=measures)
        for item in items.order_by("due_on", "pk"):
            loaded.handling_items.setdefault(item.organization_id, []).append(item)
    return loaded


def _name(department: Organization) -> str:
    return department.short_name or department.name


def _day(value: Any) -> dt.date | None:
    return local_date(value) if value else None


def _late(facts: JointTaskFacts, item: DueItem) -> bool:
    return item.state == DueItem.State.OVERDUE or item.due_on < facts.today


def _with_visits(state: Callable[..., MilestoneState]) -> Callable[[JointTaskFacts, Organization], MilestoneState]:
    """A milestone of a department's visits: waiting while the task is not drawn, nothing when
    the draw gave the department no visit; else ``state(facts, department, loaded, progress)``."""

    @wraps(state)
    def milestone(facts: JointTaskFacts, department: Organization) -> MilestoneState:
        if facts.draw is None:
            return MilestoneState(WAITING)
        loaded = _facts(facts)
        progress = loaded.progress.get(department.pk)
        if progress is None or not progress.drawn:
            return MilestoneState(NONE, note=_("本部门无检查"))
        return state(facts, department, loaded, progress)

    return milestone


@_with_visits
def confirmed(
    facts: JointTaskFacts, department: Organization, loaded: _TaskFacts, progress: DepartmentProgress,
) -> MilestoneState:
    """比对确认: the department's dispatched targets checked and confirmed (1 working day, 曲阳 §17)."""
    note = _("%(done)s/%(total)s 户") % {"done": progress.confirmed, "total": progress.drawn}
    url = reverse("sampling:task_detail", kwargs={"pk": facts.task.pk})
    if progress.confirmed >= progress.drawn:
        return MilestoneState(DONE, on=_day(loaded.last_confirmed.get(department.pk)), by=_name(department), note=note, url=url)
    item = loaded.confirm_items.get(department.pk)
    if item is not None:
        return facts.from_item(item, note=note, url=url)
    return MilestoneState(OPEN, by=_name(department), note=note, url=url)


@_with_visits
def followed_up(
    facts: JointTaskFacts, department: Organization, loaded: _TaskFacts, progress: DepartmentProgress,
) -> MilestoneState:
    """后续处置: the problems found on the department's visits and how many are handled (every
    measure closed); late when a measure the department handles is past its day."""
    url = reverse("sampling:task_detail", kwargs={"pk": facts.task.pk})
    if not progress.problems:
        if progress.inspected >= progress.drawn:
            return MilestoneState(NONE, note=_("未发现问题"))
        return MilestoneState(WAITING, note=_("发现问题 0 户"))
    items = loaded.handling_items.get(department.pk, [])
    late = [item for item in items if _late(facts, item)]
    note = _("发现问题 %(problems)s 户，已办结 %(handled)s 户") % {"problems": progress.problems, "handled": progress.handled}
    if late:
        note += _("，%(n)s 项处置逾期") % {"n": len(late)}
        return facts.from_item(late[0], note=note, url=url)
    if progress.handled >= progress.problems:
        return MilestoneState(DONE, on=_day(loaded.last_closed.get(department.pk)), by=_name(department), note=note, url=url)
    if items:
        return facts.from_item(items[0], note=note, url=url)
    return MilestoneState(OPEN, by=_name(department), note=note, url=url)


@_with_visits
def overdue(
    facts: JointTaskFacts, department: Organization, loaded: _TaskFacts, progress: DepartmentProgress,
) -> MilestoneState:
    """逾期事项: how many of the department's due items of the task are past their day —
    confirmation, its part's result, the measures it handles."""
    if not progress.overdue:
        return MilestoneState(NONE, note=_("检查环节无逾期"))
    return MilestoneState(
        LATE, on=progress.first_overdue, by=_name(department),
        note=_("检查环节 %(n)s 项已逾期") % {"n": progress.overdue}, url=reverse("deadlines:due_list"),
    )


MILESTONES: tuple[Milestone, ...] = (
    Milestone(key="inspections.confirmed", label=pgettext_lazy("joint-task milestone", "比对确认"), state=confirmed, order=35),
    Milestone(key="inspections.followed_up", label=pgettext_lazy("joint-task milestone", "后续处置"), state=followed_up,
              order=60),
    Milestone(key="inspections.overdue", label=pgettext_lazy("joint-task milestone", "逾期事项"), state=overdue, order=70),
)
