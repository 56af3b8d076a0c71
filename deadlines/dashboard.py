"""What the dashboard panels show (selectors): a user's own due items this week and late, a
leader's organization's, an office's region's late items by organization, and the office's joint
tasks as department × milestone. Every read goes through the scoped managers of the viewer.

"Whose action" is the item's owner and roles (or the one user it names): a user's own items are
those of the organization they act for with a role they hold, those assigned to them, and those
about themselves (their own certificate, when the inspector record is linked to their account).
An item whose rule names the people who act (``Rule.assignees``: a visit's inspectors) is theirs
alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Inspector
from sampling.models import PlanParticipant, SamplingPlan, SamplingTask
from tenancy.context import Actor, OrgKind, Role
from tenancy.i18n import join_clauses, join_list
from tenancy.models import ROLE_LABELS, Organization

from .calendar import current_calendar
from .milestones import LATE, MILESTONES, JointTaskFacts, Milestone, MilestoneState
from .models import DueItem, Unit
from .rules import RULES
from .scan import named_assignees
from .selectors import rule_label
from .services import assumed_warning, describe_period

# Rows a panel lists per group; the counts are always complete and the due list has the rest.
PANEL_ROWS = 10
JOINT_TASKS = 8


def week_end(today: dt.date) -> dt.date:
    """The last working day of this working week: of the week of the next working day from
    ``today`` (today included), so on a Saturday "this week" is the coming one. Adjusted
    working days count (a Saturday worked before a holiday ends its week)."""
    calendar = current_calendar()
    day = today if calendar.is_workday(today) else calendar.add_workdays(today, 1).date
    sunday = day + dt.timedelta(days=6 - day.weekday())
    last = day
    probe = day
    while probe <= sunday:
        if calendar.is_workday(probe):
            last = probe
        probe += dt.timedelta(days=1)
    return last


def is_late(item: DueItem, today: dt.date) -> bool:
    """Overdue, or past its due day before the scan has marked it."""
    return item.state == DueItem.State.OVERDUE or item.due_on < today


@dataclass
class DueRow:
    item: DueItem
    rule: str
    limit: str
    warning: str
    whose: str
    late: bool
    days: int  # days left (open) or days past the due day (late)


def whose_action(item: DueItem, *, personal: bool = False, with_org: bool = False) -> str:
    """Who acts: the user named, the holder (their own certificate) or the owner's roles."""
    if item.assignee_id is not None:
        who = str(item.assignee)
    elif personal:
        who = _("本人")
    else:
        who = join_list(ROLE_LABELS[r] for r in Role.ALL if r in item.roles)
    if with_org:
        org = item.organization.short_name or item.organization.name
        return _("%(org)s · %(who)s") % {"org": org, "who": who}
    return who


def limit_text(item: DueItem) -> str:
    """The time limit as counted: "抽取完成后 2 个工作日", "执法证到期日 前 30 日"."""
    limit = _("当日") if item.unit == Unit.DAYS_BEFORE and item.period == 0 else describe_period(item.period, item.unit)
    counted_from = RULES.get(item.rule).counted_from if item.rule in RULES else ""
    return _("%(from)s %(limit)s") % {"from": counted_from, "limit": limit} if counted_from else limit


def _row(item: DueItem, today: dt.date, *, personal: bool = False, with_org: bool = False) -> DueRow:
    late = is_late(item, today)
    return DueRow(
        item=item, rule=rule_label(item.rule), limit=limit_text(item),
        warning=assumed_warning(item.assumed_years),
        whose=whose_action(item, personal=personal, with_org=with_org), late=late,
        days=(today - item.due_on).days if late else (item.due_on - today).days,
    )


def _personal_targets(actor: Actor) -> set[tuple[str, str]]:
    """Objects that are the user themself: the inspector records linked to their account."""
    if actor.user_id is None:
        return set()
    ids = Inspector.objects.filter(organization_id=actor.organization_id, user_id=actor.user_id).values_list("pk", flat=True)
    return {("inventory.inspector", str(pk)) for pk in ids}


def _active() -> Any:
    return DueItem.objects.filter(state__in=DueItem.ACTIVE).select_related("organization", "assignee")


@dataclass
class MinePanel:
    week_end: dt.date
    week: list[DueRow] = field(default_factory=list)
    late: list[DueRow] = field(default_factory=list)
    week_count: int = 0
    late_count: int = 0


def my_due(*, actor: Actor, today: dt.date | None = None) -> MinePanel:
    """本周待办 and 已逾期: the actor's own items (see the module's docstring) due by the end of
    this working week, and those past their day."""
    today = today or timezone.localdate()
    end = week_end(today)
    panel = MinePanel(week_end=end)
    personal = _personal_targets(actor)
    items = list(_active().filter(organization_id=actor.organization_id, due_on__lte=end).order_by("due_on", "id"))
    # Items whose rule names the people who act (the inspectors on a visit's team): theirs only.
    named = {pk: {u.pk for u in users} for pk, users in named_assignees(items).items()}
    for item in items:
        own = (item.target_type, item.target_id) in personal
        if item.assignee_id:
            mine = item.assignee_id == actor.user_id
        elif item.pk in named:
            mine = actor.user_id in named[item.pk]
        else:
            mine = own or bool(set(item.roles) & actor.roles)
        if not mine:
            continue
        row = _row(item, today, personal=own and not item.assignee_id)
        if row.late:
            panel.late_count += 1
            if len(panel.late) < PANEL_ROWS:
                panel.late.append(row)
        else:
            panel.week_count += 1
            if len(panel.week) < PANEL_ROWS:
                panel.week.append(row)
    # Most late first: the longest past its day leads.
    panel.late.sort(key=lambda r: (r.item.due_on, r.item.pk))
    return panel


@dataclass
class Group:
    key: str
    label: str
    rows: list[DueRow]
    count: int
    organization: Organization | None = None


def _late_q(today: dt.date) -> Q:
    return Q(state=DueItem.State.OVERDUE) | Q(due_on__lt=today)


def organization_due(*, actor: Actor, today: dt.date | None = None) -> list[Group]:
    """A leader's organization's active items, every role's: late, then open (the first rows of
    each, and how many in all)."""
    today = today or timezone.localdate()
    own = _active().filter(organization_id=actor.organization_id).order_by("due_on", "id")
    late_q = _late_q(today)
    counts = own.aggregate(late=Count("id", filter=late_q), all=Count("id"))
    return [
        Group(key="late", label=_("已逾期"), rows=[_row(i, today) for i in own.filter(late_q)[:PANEL_ROWS]],
              count=counts["late"]),
        Group(key="open", label=_("待办"), rows=[_row(i, today) for i in own.exclude(late_q)[:PANEL_ROWS]],
              count=counts["all"] - counts["late"]),
    ]


def region_late(*, actor: Actor, today: dt.date | None = None) -> list[Group]:
    """An office's view: every late item it sees (its region's organizations, itself included,
    and those reported to it), grouped by the organization whose action it is: how many, and
    the first rows of each (one query each way, however many organizations a city has)."""
    today = today or timezone.localdate()
    late = _active().filter(_late_q(today))
    counts = dict(late.order_by().values_list("organization_id").annotate(n=Count("id")))
    first = late.annotate(
        place=Window(RowNumber(), partition_by=[F("organization_id")], order_by=[F("due_on").asc(), F("id").asc()])
    ).filter(place__lte=PANEL_ROWS).order_by("due_on", "id")
    groups: dict[int, Group] = {}
    for item in first:
        org = item.organization
        group = groups.get(org.pk)
        if group is None:
            group = groups[org.pk] = Group(key=org.code, label=org.name, rows=[], count=counts.get(org.pk, 0),
                                           organization=org)
        group.rows.append(_row(item, today))
    # Departments first (most late first), the office's own and those above it after them.
    return sorted(groups.values(), key=lambda g: (g.organization.kind != OrgKind.DEPARTMENT, -g.count, g.key))


@dataclass
class DepartmentRow:
    department: Organization
    cells: list[tuple[Milestone, MilestoneState]]


@dataclass
class JointTaskRow:
    task: SamplingTask
    milestones: list[Milestone]
    rows: list[DepartmentRow]
    late: list[tuple[str, str]]  # (whose action, milestone) of each late cell, once each

    @property
    def late_text(self) -> str:
        return join_clauses(_("%(who)s（%(what)s）") % {"who": who, "what": what} for who, what in self.late)


def joint_tasks(*, actor: Actor, today: dt.date | None = None) -> tuple[list[JointTaskRow], int]:
    """The joint tasks of the office's joint plans under way (ready or drawn), each as a table of
    its participating departments × the registered milestones; and how many there are in all."""
    today = today or timezone.localdate()
    tasks = (
        SamplingTask.objects.filter(
            organization_id=actor.organization_id, plan__kind=SamplingPlan.Kind.JOINT,
            status__in=(SamplingTask.Status.READY, SamplingTask.Status.DRAWN),
        )
        .exclude(plan__status__in=(SamplingPlan.Status.DRAFT, SamplingPlan.Status.SUBMITTED))
        .select_related("plan", "organization")
        .order_by("window_end", "id")
    )
    total = tasks.count()
    milestones = list(MILESTONES)
    result: list[JointTaskRow] = []
    for task in tasks[:JOINT_TASKS]:
        facts = JointTaskFacts(task, today)
        departments = [
            p.department for p in PlanParticipant.objects.filter(plan_id=task.plan_id).select_related("department")
            .order_by("department__code")
        ]
        rows = [DepartmentRow(department=d, cells=[(m, m.state(facts, d)) for m in milestones]) for d in departments]
        late: list[tuple[str, str]] = []
        for row in rows:
            for milestone, cell in row.cells:
                pair = (cell.by or (row.department.short_name or row.department.name), str(milestone.label))
                if cell.state == LATE and pair not in late:
                    late.append(pair)
        result.append(JointTaskRow(task=task, milestones=milestones, rows=rows, late=late))
    return result, total
