"""The time limits of inspections, as rules of the deadlines engine (``deadlines.rules``), and the
joint-task milestones they add (``deadlines.milestones``): registered from ``ready()``.

* ``inspections.confirm``: the targets dispatched to a department are checked and confirmed
  within 1 working day (曲阳 §17) — one item per dispatch (a draw's targets for one department).
* ``inspections.result``: results entered within 5 working days after the inspection ends
  (曲阳 §20) — one item per department's part of the visit, counted from the end date the team
  records (from a return, for a returned result), closed when the result is submitted. Whose
  action: the inspectors on that part (``_result_assignees``, read when reminding: the team as
  it stands), escalated to their department's leader as every item is.
* ``inspections.handling``: a follow-up measure done by its own due date (责令改正's deadline).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from deadlines.milestones import DONE, LATE, NONE, OPEN, WAITING, JointTaskFacts, Milestone, MilestoneState
from deadlines.models import DueItem, Unit
from deadlines.rules import CLOSE, Rule
from deadlines.rules import OPEN as OPEN_ITEM
from deadlines.scan import members_with
from deadlines.services import local_date
from tenancy.context import Role
from tenancy.i18n import fixed_label, stored_format
from tenancy.models import Organization, User

from .models import Dispatch, Handling, Inspection, InspectionPart, Review
from .services.teams import team_accounts

CONFIRM = "inspections.confirm"
RESULT = "inspections.result"
HANDLING = "inspections.handling"

STAFF = (Role.PLANNER, Role.ADMIN, Role.LEADER)


# --------------------------------------------------------------------------------------------
# Confirmation of dispatched targets (曲阳 §17)


REOPENED = "inspections.dispatch.reopened"


def _dispatch_anchor(dispatch: Dispatch, event: str, obj: Any) -> dt.datetime:
    # A target dispatched again (a replacement's) counts from then, not from the draw.
    return dispatch.updated_at if event == REOPENED else dispatch.dispatched_at


def _describe_dispatch(dispatch: Dispatch) -> tuple[str, str, dict[str, Any]]:
    # How many wait: all of the draw's targets at first, a replacement's new one when dispatched again.
    waiting = InspectionPart.objects.filter(
        inspection__draw_id=dispatch.draw_id, organization_id=dispatch.organization_id, confirmed_at__isnull=True,
    ).exclude(inspection__status=Inspection.Status.REPLACED).count()
    text = stored_format(pgettext_lazy("stored format", "%(task)s：%(n)s 户待比对确认"), {
        "task": dispatch.task.name, "n": waiting or dispatch.count,
    })
    return text, "inspections:list", {}


# --------------------------------------------------------------------------------------------
# Results entered (曲阳 §20)


def _result_subject(event: str, obj: Any, data: Mapping[str, Any]) -> list[InspectionPart]:
    return list(InspectionPart.objects.filter(inspection=obj).select_related("inspection", "inspection__entity"))


def _result_due(part: InspectionPart) -> bool:
    inspection = part.inspection
    return inspection.ended_on is not None and inspection.status in (
        Inspection.Status.TODO, Inspection.Status.DRAFT, Inspection.Status.RETURNED, Inspection.Status.PENDING,
    )


def _result_anchor(part: InspectionPart, event: str, obj: Any) -> dt.datetime | dt.date | None:
    inspection = part.inspection
    if inspection.status == Inspection.Status.RETURNED:
        returned = Review.objects.filter(inspection=inspection, action=Review.Action.RETURNED).order_by("-at").first()
        if returned is not None:
            return returned.at
    return inspection.ended_on


def _result_assignees(items: Sequence[DueItem]) -> dict[int, list[User]]:
    """Who enters each item's result: the accounts of the inspectors on its part (for a joint
    visit, each department's own inspectors on its own part) still members of that department
    with the inspector role. A part none of whose inspectors has an account is filled in by its
    department's staff (``services.teams``): they are reminded instead."""
    parts = dict(InspectionPart.objects.filter(pk__in=[int(i.target_id) for i in items]).values_list("pk", "inspectors"))
    inspector_ids = {int(i) for ids in parts.values() for i in ids}
    accounts = team_accounts({item.organization_id for item in items}, inspector_ids)
    staff: dict[int, list[User]] = {}  # per department, read once in the call
    found: dict[int, list[User]] = {}
    for item in items:
        team = [accounts.get((item.organization_id, int(i))) for i in parts.get(int(item.target_id), [])]
        # In the part's order of inspectors, each account once.
        users = list({user.pk: user for user in team if user is not None}.values())
        if not users and item.organization_id not in staff:
            staff[item.organization_id] = members_with(item.organization_id, STAFF)
        found[item.pk] = users or staff[item.organization_id]
    return found


def _describe_result(part: InspectionPart) -> tuple[str, str, dict[str, Any]]:
    inspection = part.inspection
    text = stored_format(pgettext_lazy("stored format", "%(entity)s（%(uid)s）检查结果录入"), {
        "entity": inspection.entity.name, "uid": inspection.draw.task_uid,
    })
    return text, "inspections:detail", {"pk": inspection.pk}


# --------------------------------------------------------------------------------------------
# Follow-up measures


def _describe_handling(handling: Handling) -> tuple[str, str, dict[str, Any]]:
    text = stored_format(pgettext_lazy("stored format", "%(entity)s：%(measure)s"), {
        "entity": handling.entity.name, "measure": fixed_label(Handling.Measure, handling.measure),
    })
    return text, "inspections:handling_detail", {"pk": handling.pk}


RULES: tuple[Rule, ...] = (
    Rule(
        key=CONFIRM,
        label=gettext_lazy("派发检查对象比对确认"),
        target_type="inspections.dispatch",
        period=1,
        unit=Unit.WORKDAYS,
        source=gettext_noop("曲阳县联合抽查实施细则第十七条：被检查对象随机抽取后派发到各单位，由各单位专业管理人员在1个工作日内完成比对和确认"),
        events={
            "inspections.dispatch.created": (OPEN_ITEM,), REOPENED: (OPEN_ITEM,),
            "inspections.dispatch.confirmed": (CLOSE,),
        },
        should_open=lambda dispatch: dispatch.confirmed_at is None,
        anchor=_dispatch_anchor,
        responsible=lambda dispatch: dispatch.organization_id,
        roles=STAFF,
        describe=_describe_dispatch,
        counted_from=gettext_lazy("派发后"),
        order=110,
    ),
    Rule(
        key=RESULT,
        label=gettext_lazy("录入检查结果"),
        target_type="inspections.inspectionpart",
        period=5,
        unit=Unit.WORKDAYS,
        source=gettext_noop("曲阳县联合抽查实施细则第二十条：执法检查人员应当自完成抽查工作后5个工作日内将抽查结果录入"),
        events={
            "inspections.inspection.saved": (OPEN_ITEM,),
            "inspections.inspection.returned": (OPEN_ITEM,),
            "inspections.inspection.submitted": (CLOSE,),
            "inspections.inspection.replaced": (CLOSE,),
        },
        subject=_result_subject,
        should_open=_result_due,
        anchor=_result_anchor,
        responsible=lambda part: part.organization_id,
        roles=(Role.INSPECTOR,),
        assignees=_result_assignees,
        describe=_describe_result,
        counted_from=gettext_lazy("检查结束后"),
        order=120,
    ),
    Rule(
        key=HANDLING,
        label=gettext_lazy("后续处置到期"),
        target_type="inspections.handling",
        period=0,
        unit=Unit.DAYS_BEFORE,
        source=gettext_noop("曲阳县联合抽查实施细则第二十二条：对检查中发现的违法行为落实下一步调查与处理（期限为登记的处置期限或整改期限）"),
        events={
            "inspections.handling.added": (OPEN_ITEM,),
            "inspections.handling.updated": (OPEN_ITEM,),
            "inspections.handling.closed": (CLOSE,),
        },
        should_open=lambda handling: handling.due_on is not None and handling.status != Handling.Status.CLOSED,
        anchor=lambda handling, event, obj: handling.due_on,
        responsible=lambda handling: handling.organization_id,
        roles=STAFF,
        describe=_describe_handling,
        counted_from=gettext_lazy("处置期限"),
        order=130,
    ),
)


def listened_events() -> list[str]:
    return sorted({event for rule in RULES for event in rule.events})


# --------------------------------------------------------------------------------------------
# Joint-task milestones: inspected and approved, per participating department


def _department_counts(facts: JointTaskFacts) -> dict[int, dict[str, Any]]:
    """Per department: its parts of the task's current inspections — how many, how many submitted
    or approved, how many approved, and the last day of each."""
    cached = facts.cache.get("inspections.counts")
    if cached is not None:
        return cached
    counts: dict[int, dict[str, Any]] = {}
    if facts.draw is not None:
        rows = InspectionPart.objects.filter(
            inspection__draw=facts.draw, inspection__is_current=True,
        ).exclude(inspection__status=Inspection.Status.REPLACED).values_list(
            "organization_id", "inspection__status", "inspection__submitted_at", "inspection__approved_at",
        )
        for org, status, submitted_at, approved_at in rows:
            row = counts.setdefault(org, {"total": 0, "inspected": 0, "approved": 0, "last_inspected": None, "last_approved": None})
            row["total"] += 1
            if status in (Inspection.Status.SUBMITTED, Inspection.Status.APPROVED):
                row["inspected"] += 1
                if submitted_at and (row["last_inspected"] is None or submitted_at > row["last_inspected"]):
                    row["last_inspected"] = submitted_at
            if status == Inspection.Status.APPROVED:
                row["approved"] += 1
                if approved_at and (row["last_approved"] is None or approved_at > row["last_approved"]):
                    row["last_approved"] = approved_at
    facts.cache["inspections.counts"] = counts
    return counts


def _milestone(facts: JointTaskFacts, department: Organization, done_key: str, last_key: str) -> MilestoneState:
    if facts.draw is None:
        return MilestoneState(WAITING)
    row = _department_counts(facts).get(department.pk)
    if not row or not row["total"]:
        return MilestoneState(NONE, note=_("本部门无检查"))
    done, total = row[done_key], row["total"]
    note = _("%(done)s/%(total)s 户") % {"done": done, "total": total}
    url = reverse("sampling:task_detail", kwargs={"pk": facts.task.pk})
    name = department.short_name or department.name
    if done >= total:
        return MilestoneState(DONE, on=local_date(row[last_key]) if row[last_key] else None, by=name, note=note, url=url)
    end = facts.task.window_end
    if end is None:
        return MilestoneState(OPEN, by=name, note=note, url=url)
    today = facts.today or timezone.localdate()
    return MilestoneState(LATE if end < today else OPEN, on=end, by=name, note=note, url=url)


def inspected(facts: JointTaskFacts, department: Organization) -> MilestoneState:
    """检查: the department's part of every visit submitted, by the end of the task's window."""
    return _milestone(facts, department, "inspected", "last_inspected")


def approved(facts: JointTaskFacts, department: Organization) -> MilestoneState:
    """审核: every result of the department's visits approved by its leader."""
    return _milestone(facts, department, "approved", "last_approved")


MILESTONES: tuple[Milestone, ...] = (
    Milestone(key="inspections.inspected", label=pgettext_lazy("joint-task milestone", "检查"), state=inspected, order=40),
    Milestone(key="inspections.approved", label=pgettext_lazy("joint-task milestone", "审核"), state=approved, order=50),
)
