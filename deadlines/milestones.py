"""The milestones of a joint task (部门联合抽查), per participating department: what the office's
dashboard tabulates (department × milestone) to show who is late.

A registry, so that the apps after deadlines add theirs from ``ready()`` (inspections: results
entered; publication: results published) and the table grows a column; sampling never imports
this module. Contract of a ``Milestone``:

* ``key`` ``"<app>.<name>"``; ``label`` the column's heading; ``order`` left to right.
* ``state(facts, department)`` → ``MilestoneState`` for one participating department of the
  task: ``done`` (with the date), ``open`` or ``late`` (with the due date and whose action it
  is), ``waiting`` (an earlier step is not done) or ``none`` (nothing to do). ``facts`` is the
  task's ``JointTaskFacts``: the task, its completed draw, filing and decision and the active
  due items about them, loaded once per task and read in the viewer's scope; a provider may
  keep what it loads for the task's other departments in ``facts.cache``.

How a joint task works today (sampling): the office that owns the joint plan draws the task
once, for every participating department (each department's inspectors in the teams, as many as
the task requires of it), and files the draw with itself — acknowledged at once (``JOINT_SELF_
REASON``). So drawing, filing and acknowledging are the office's actions, the same in every
department's row (the draw's cell says what it took of each department); what a department
does itself today is decide the recusals of its own inspectors (曲阳 §16: the unit's leader).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from sampling.models import Draw, Filing, FilingDecision, RecusalRequest, SamplingTask
from sampling.selectors.pool import task_requirements
from sampling.services.plans import batch_period
from tenancy.models import Organization
from tenancy.registry import Registry

from . import builtin
from .models import DueItem
from .services import assumed_warning, local_date

DONE, OPEN, LATE, WAITING, NONE = "done", "open", "late", "waiting", "none"


@dataclass(frozen=True)
class MilestoneState:
    state: str
    on: dt.date | None = None  # done: the day it was done; open/late: the due day
    by: str = ""  # whose action it is (an organization's name), when someone's
    note: str = ""
    warning: str = ""  # the due day was counted over a year nobody entered
    url: str = ""

    @property
    def late(self) -> bool:
        return self.state == LATE


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str | Promise
    state: Callable[[JointTaskFacts, Organization], MilestoneState]
    order: int = 100


MILESTONES: Registry[Milestone] = Registry(
    "joint-task milestones", doc="The steps of a joint task tabulated per participating department."
)


class JointTaskFacts:
    """One joint task's draw, filing, decision and due items, read once for all its departments."""

    def __init__(self, task: SamplingTask, today: dt.date | None = None) -> None:
        self.task = task
        self.today = today or timezone.localdate()
        self.cache: dict[str, Any] = {}

    @cached_property
    def draw(self) -> Draw | None:
        return Draw.objects.filter(task=self.task, status=Draw.Status.COMPLETED).first()

    @cached_property
    def filing(self) -> Filing | None:
        """The draw's standing filing (the latest: a returned one is answered by a new one)."""
        if self.draw is None:
            return None
        return (
            Filing.objects.filter(draw=self.draw, kind=Filing.Kind.DRAW).select_related("organization", "office")
            .order_by("-submitted_at", "-id").first()
        )

    @cached_property
    def decision(self) -> FilingDecision | None:
        return FilingDecision.objects.filter(filing=self.filing).first() if self.filing else None

    @cached_property
    def owner(self) -> Organization:
        return self.task.organization

    @cached_property
    def requirements(self) -> dict[int, int]:
        """Inspectors each department puts in every team (the task's requirements)."""
        try:
            return dict(task_requirements(self.task))
        except ValidationError:  # malformed requirements: the task page says so; the cell says nothing
            return {}

    @cached_property
    def _items(self) -> dict[tuple[str, str, str], DueItem]:
        targets: list[tuple[str, str]] = [("sampling.samplingplan", str(self.task.plan_id))]
        if self.draw is not None:
            targets.append(("sampling.draw", str(self.draw.pk)))
            targets += [("sampling.recusalrequest", str(r.pk)) for r in self.recusals]
        if self.filing is not None:
            targets.append(("sampling.filing", str(self.filing.pk)))
        items = DueItem.objects.filter(state__in=DueItem.ACTIVE).select_related("organization")
        found: dict[tuple[str, str, str], DueItem] = {}
        for kind in {t for t, _id in targets}:
            ids = [i for t, i in targets if t == kind]
            for item in items.filter(target_type=kind, target_id__in=ids):
                found[(item.rule, item.target_type, item.target_id)] = item
        return found

    def item(self, rule: str, target_type: str, target_id: Any) -> DueItem | None:
        return self._items.get((rule, target_type, str(target_id)))

    @cached_property
    def recusals(self) -> list[RecusalRequest]:
        if self.draw is None:
            return []
        return list(RecusalRequest.objects.filter(draw=self.draw).select_related("inspector").order_by("created_at", "id"))

    def from_item(self, item: DueItem, note: str = "", url: str = "") -> MilestoneState:
        late = item.state == DueItem.State.OVERDUE or item.due_on < self.today
        return MilestoneState(
            LATE if late else OPEN, on=item.due_on, by=item.organization.short_name or item.organization.name,
            note=note, warning=assumed_warning(item.assumed_years), url=url or item.target_url,
        )


def _name(org: Organization) -> str:
    return org.short_name or org.name


# --------------------------------------------------------------------------------------------
# The milestones sampling's data holds today


def drawn(facts: JointTaskFacts, department: Organization) -> MilestoneState:
    """抽取: the office draws the task once; each department's cell says how many of its
    inspectors each team takes. Due by the end of the task's batch (阳城县文旅局方案: 每季度1次)."""
    need = facts.requirements.get(department.pk, 0)
    note = _("每组本部门 %(n)s 人") % {"n": need} if need else _("本部门不派员")
    draw = facts.draw
    if draw is not None and draw.drawn_at is not None:
        return MilestoneState(
            DONE, on=local_date(draw.drawn_at), by=_name(facts.owner), note=note,
            url=reverse("sampling:draw_detail", kwargs={"pk": draw.pk}),
        )
    task = facts.task
    url = reverse("sampling:task_detail", kwargs={"pk": task.pk})
    _label, _start, end = batch_period(task.plan, task.batch_no)
    end = end or task.window_end
    item = facts.item(builtin.BATCH, "sampling.samplingplan", task.plan_id)
    if item is not None and end is not None and local_date(item.anchor) == end:
        return facts.from_item(item, note=note, url=url)
    if end is None:
        return MilestoneState(OPEN, by=_name(facts.owner), note=note, url=url)
    return MilestoneState(LATE if end < facts.today else OPEN, on=end, by=_name(facts.owner), note=note, url=url)


def _returned(facts: JointTaskFacts) -> bool:
    return facts.decision is not None and facts.decision.decision == FilingDecision.Decision.RETURNED


def filed(facts: JointTaskFacts, department: Organization) -> MilestoneState:
    """报送备案: the draw filed within 2 working days (阳城县发改局方案), by whoever drew it."""
    draw = facts.draw
    if draw is None:
        return MilestoneState(WAITING)
    filing = facts.filing
    if filing is not None and not _returned(facts):
        return MilestoneState(
            DONE, on=local_date(filing.submitted_at), by=_name(filing.organization),
            url=reverse("sampling:filing_detail", kwargs={"pk": filing.pk}),
        )
    note = _("已退回，待重新报送") if filing is not None else ""
    item = facts.item(builtin.FILING, "sampling.draw", draw.pk)
    if item is not None:
        return facts.from_item(item, note=note)
    return MilestoneState(OPEN, by=_name(draw.organization), note=note)


def acknowledged(facts: JointTaskFacts, department: Organization) -> MilestoneState:
    """确认备案: the office acknowledges the filing (a joint draw filed with itself: at once)."""
    filing = facts.filing
    if filing is None or _returned(facts):
        return MilestoneState(WAITING)
    url = reverse("sampling:filing_detail", kwargs={"pk": filing.pk})
    decision = facts.decision
    if decision is not None:
        note = _("本办组织，报送即确认") if filing.office_id == filing.organization_id else ""
        return MilestoneState(DONE, on=local_date(decision.created_at), by=_name(filing.office), note=note, url=url)
    item = facts.item(builtin.FILING_ACK, "sampling.filing", filing.pk)
    if item is not None:
        return facts.from_item(item, url=url)
    return MilestoneState(OPEN, by=_name(filing.office), url=url)


def recusals_decided(facts: JointTaskFacts, department: Organization) -> MilestoneState:
    """回避审批: the department's leader decides the recusals of its own inspectors (曲阳 §16)."""
    if facts.draw is None:
        return MilestoneState(WAITING)
    mine = [r for r in facts.recusals if r.inspector.organization_id == department.pk]
    if not mine:
        return MilestoneState(NONE, note=_("无回避申请"))
    pending = [r for r in mine if r.status == RecusalRequest.Status.PENDING]
    if not pending:
        last = max(r.decided_at or r.updated_at for r in mine)
        return MilestoneState(DONE, on=local_date(last), by=_name(department), note=_("%(n)s 件已审批") % {"n": len(mine)})
    states = [
        facts.from_item(item, note=_("%(n)s 件待审批") % {"n": len(pending)})
        for item in (facts.item(builtin.RECUSAL, "sampling.recusalrequest", r.pk) for r in pending)
        if item is not None
    ]
    if not states:
        return MilestoneState(OPEN, by=_name(department), note=_("%(n)s 件待审批") % {"n": len(pending)})
    # The most pressing request stands for the department: a late one, else the earliest due.
    return min(states, key=lambda s: (not s.late, s.on or dt.date.max))


BUILTIN: tuple[Milestone, ...] = (
    # A context of their own: as a column of the table they read "drawn", "filed", not as buttons.
    Milestone(key="sampling.drawn", label=pgettext_lazy("joint-task milestone", "抽取"), state=drawn, order=10),
    Milestone(key="sampling.recusals", label=pgettext_lazy("joint-task milestone", "回避审批"), state=recusals_decided,
              order=15),
    Milestone(key="sampling.filed", label=pgettext_lazy("joint-task milestone", "报送备案"), state=filed, order=20),
    Milestone(key="sampling.acknowledged", label=pgettext_lazy("joint-task milestone", "确认备案"), state=acknowledged,
              order=30),
)
