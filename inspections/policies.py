"""Who may do what with an inspection: pure predicates over (actor, object), registered with
``tenancy.policies.policy``. Services ``ensure`` them; pages, the API and the leak matrix ask the
same functions.

Scoping decides what is found (the owner's organization and the offices above it, the
departments of a joint plan); these rules narrow it inside a department:

* the team's inspectors hold an object grant on each inspection they are on
  (``tenancy.grants``, ``TEAM_PERMISSION``, given when the inspection is made and moved with
  each team change): an inspector sees and fills only those;
* the planners, administrators, leaders and viewers of a department taking part see that
  department's inspections; its planners, administrators and leaders confirm the targets
  dispatched to it (比对和确认); its leader approves or returns its part of a result;
* an office reads the joint inspections of its region (and its own), and writes none;
* on a joint visit (one row owned by the office), a department writes only its own part and the
  visit's shared fields (``VISIT_FIELDS``), never the ownership, the team or the review state.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tenancy.context import Actor, Role
from tenancy.grants import has_grant
from tenancy.policies import acts_for, holds, policy

from .models import Dispatch, Handling, Inspection, InspectionPart

TEAM_PERMISSION = "inspections.change_inspection"
# Who in a department reads its inspections (the inspectors read theirs through grants).
DEPARTMENT_READERS = (Role.PLANNER, Role.ADMIN, Role.LEADER, Role.VIEWER)
# Who in a department confirms the targets dispatched to it and manages follow-up.
DEPARTMENT_STAFF = (Role.PLANNER, Role.ADMIN, Role.LEADER)
# The fields of a visit the team fills (any participating department's inspectors on a joint visit).
VISIT_FIELDS = (
    "method", "started_on", "ended_on", "results", "result_reason", "signature", "signature_refused", "refusal_reason",
)
EDITABLE_STATES = (Inspection.Status.PENDING, Inspection.Status.TODO, Inspection.Status.DRAFT, Inspection.Status.RETURNED)
SUBMITTABLE_STATES = EDITABLE_STATES  # an unconfirmed one: submission_errors says so


def parts_of(inspection: Inspection) -> list[InspectionPart]:
    """The visit's parts, whoever asks: a fact of the (already visible) visit, read past the
    reader's scope (the prefetched parts when a list loaded them)."""
    prefetched = getattr(inspection, "_prefetched_objects_cache", {}).get("parts")
    if prefetched is not None:
        return list(prefetched)
    return list(InspectionPart._base_manager.filter(inspection_id=inspection.pk))


def departments_of(inspection: Inspection) -> set[int]:
    """The departments with a part in the visit."""
    return {p.organization_id for p in parts_of(inspection)}


def takes_part(actor: Actor, inspection: Inspection) -> bool:
    """The actor acts for a department with a part in the visit."""
    return actor.is_member and actor.is_department and actor.organization_id in departments_of(inspection)


def visit_writes(actor: Actor, inspection: Inspection) -> frozenset[str]:
    """What a department with a part of a joint visit (owned by the office) writes in the visit
    itself: its shared fields, never the team, the ownership or the review state. The write
    guard asks it (``tenancy.joint.JOINT_WRITES``, registered by ``extensions``); which state
    allows filling them is ``can_edit_visit``."""
    return frozenset(VISIT_FIELDS) if takes_part(actor, inspection) else frozenset()


def on_team(actor: Actor, inspection: Inspection) -> bool:
    """The actor is an inspector holding the team's grant on this inspection."""
    return holds(actor, Role.INSPECTOR) and has_grant(actor, TEAM_PERMISSION, inspection)


def _department_reader(actor: Actor, inspection: Inspection) -> bool:
    return takes_part(actor, inspection) and holds(actor, *DEPARTMENT_READERS)


def _office_reads(actor: Actor, inspection: Inspection) -> bool:
    if not (actor.is_member and actor.is_office):
        return False
    if acts_for(actor, inspection.organization_id):
        return True
    return inspection.organization_id in actor.visible_org_ids and inspection.plan.kind == "joint"


def _platform_reads(actor: Actor, inspection: Inspection) -> bool:
    # The provincial platform syncs every result of its province, read-only.
    return actor.is_member and actor.is_platform and inspection.organization_id in actor.visible_org_ids


@policy("inspections.view", _("只有检查组成员、参与部门的工作人员和双随机办可以查看该检查。"))
def can_view(actor: Actor, inspection: Inspection) -> bool:
    return (
        _department_reader(actor, inspection) or _office_reads(actor, inspection) or on_team(actor, inspection)
        or _platform_reads(actor, inspection)
    )


@policy("inspections.confirm", _("只有派发部门的计划编制人员、管理员或分管领导可以比对确认检查对象。"))
def can_confirm(actor: Actor, part: InspectionPart) -> bool:
    return acts_for(actor, part.organization_id) and holds(actor, *DEPARTMENT_STAFF) and part.confirmed_at is None


@policy("inspections.confirm_dispatch", _("只有派发部门的计划编制人员、管理员或分管领导可以比对确认检查对象。"))
def can_confirm_dispatch(actor: Actor, dispatch: Dispatch) -> bool:
    return acts_for(actor, dispatch.organization_id) and holds(actor, *DEPARTMENT_STAFF) and dispatch.confirmed_at is None


@policy("inspections.fill_part", _("只有本部门在检查组中的执法人员可以填写本部门的检查情况，且检查尚未提交。"))
def can_fill_part(actor: Actor, part: InspectionPart) -> bool:
    inspection = part.inspection
    return (
        acts_for(actor, part.organization_id) and inspection.status in EDITABLE_STATES
        and on_team(actor, inspection)
    )


@policy("inspections.edit_visit", _("只有检查组成员可以填写检查结果，且检查尚未提交。"))
def can_edit_visit(actor: Actor, inspection: Inspection) -> bool:
    return inspection.status in EDITABLE_STATES and takes_part(actor, inspection) and on_team(actor, inspection)


@policy("inspections.submit", _("只有检查组成员可以提交检查结果。"))
def can_submit(actor: Actor, inspection: Inspection) -> bool:
    return inspection.status in SUBMITTABLE_STATES and takes_part(actor, inspection) and on_team(actor, inspection)


@policy("inspections.review", _("只有参与部门的分管领导可以审核本部门的检查结果。"))
def can_review(actor: Actor, inspection: Inspection) -> bool:
    if inspection.status != Inspection.Status.SUBMITTED or not takes_part(actor, inspection):
        return False
    if not holds(actor, Role.LEADER):
        return False
    mine = [p for p in parts_of(inspection) if p.organization_id == actor.organization_id]
    return any(p.approved_at is None for p in mine)


def has_pending_correction(inspection: Inspection) -> bool:
    return Inspection._base_manager.filter(previous_id=inspection.pk).exists()


@policy("inspections.correct", _("只有检查组成员或参与部门的分管领导、计划编制人员可以更正已通过的检查结果。"))
def can_correct(actor: Actor, inspection: Inspection) -> bool:
    if inspection.status != Inspection.Status.APPROVED or not inspection.is_current:
        return False
    if not takes_part(actor, inspection) or has_pending_correction(inspection):
        return False
    return holds(actor, Role.LEADER, Role.PLANNER) or on_team(actor, inspection)


@policy("inspections.add_handling", _("只有参与部门的工作人员或检查组成员可以登记后续处置，且检查结果已提交。"))
def can_add_handling(actor: Actor, inspection: Inspection) -> bool:
    if inspection.status not in (Inspection.Status.SUBMITTED, Inspection.Status.APPROVED) or not inspection.is_current:
        return False
    return takes_part(actor, inspection) and (holds(actor, *DEPARTMENT_STAFF) or on_team(actor, inspection))


@policy("inspections.change_handling", _("只有处置部门的工作人员或检查组成员可以更新后续处置。"))
def can_change_handling(actor: Actor, handling: Handling) -> bool:
    if handling.status == Handling.Status.CLOSED or not acts_for(actor, handling.organization_id):
        return False
    return holds(actor, *DEPARTMENT_STAFF) or on_team(actor, handling.inspection)


@policy("inspections.close_handling", _("只有处置部门的计划编制人员、管理员或分管领导可以办结后续处置。"))
def can_close_handling(actor: Actor, handling: Handling) -> bool:
    return (
        handling.status != Handling.Status.CLOSED and acts_for(actor, handling.organization_id)
        and holds(actor, *DEPARTMENT_STAFF)
    )


@policy("inspections.manage_result_codes", _("只有平台管理员可以维护检查结果代码。"))
def can_manage_result_codes(actor: Actor) -> bool:
    return actor.is_member and actor.is_platform and holds(actor, Role.ADMIN)


def visit_field_writable(actor: Actor, inspection: Inspection, field: str) -> bool:
    """Whether ``field`` of the visit is one the team writes (``VISIT_FIELDS``) and the actor may."""
    return field in VISIT_FIELDS and can_edit_visit(actor, inspection)


def readable(actor: Actor, obj: Any) -> bool:
    """Whether ``actor`` may read ``obj`` (an inspection, or a row hanging on one)."""
    inspection = obj if isinstance(obj, Inspection) else obj.inspection
    return can_view(actor, inspection)


# --------------------------------------------------------------------------------------------
# 综合查一次 (CombinedVisit): one visit of a firm for several departments' inspections
#
# Only the leading-group office arranges and cancels one. It coordinates the region's joint
# inspections (双随机办) and it alone reads every department's inspection of the firm; a
# department's leader sees only their own department's, so could neither check the offer's
# conditions nor agree a day for the other team without reading what it may not. A department
# that cannot keep the day asks the office, which cancels with the reason.

# Who in an office arranges and cancels combined visits.
COMBINED_STAFF = (Role.PLANNER, Role.ADMIN, Role.LEADER)


def _combined_members(combined: Any) -> list[Inspection]:
    """The inspections of a combined visit (a fact of the visible visit, read past the reader's
    scope as ``parts_of`` reads parts: the other department's row is only asked who may see it)."""
    cached = getattr(combined, "_member_inspections", None)
    if cached is None:
        cached = list(Inspection._base_manager.filter(combined_memberships__combined_visit_id=combined.pk).select_related("plan"))
        combined._member_inspections = cached
    return cached


def coordinates(actor: Actor, combined: Any) -> bool:
    """The actor is a member of an office that sees the combined visit's owner (the owner, or an
    office above it): it reads every department's part of the visit, as it arranged it."""
    return actor.is_member and actor.is_office and combined.organization_id in actor.visible_org_ids


@policy("inspections.combine", _("只有双随机办的计划编制人员、管理员或分管领导可以安排综合查一次。"))
def can_combine(actor: Actor) -> bool:
    return actor.is_member and actor.is_office and holds(actor, *COMBINED_STAFF)


@policy("inspections.view_combined", _("只有双随机办和参与该综合查一次的部门可以查看。"))
def can_view_combined(actor: Actor, combined: Any) -> bool:
    """The office (and the offices above it); in a department, whoever may see one of its
    inspections (the staff of the department, the inspectors on a team). What they see of the
    other department's inspection is its department, team names and the agreed day."""
    if coordinates(actor, combined):
        return True
    return any(can_view(actor, inspection) for inspection in _combined_members(combined))


@policy("inspections.cancel_combined", _("只有安排该综合查一次的双随机办可以取消，且尚未取消。"))
def can_cancel_combined(actor: Actor, combined: Any) -> bool:
    return combined.cancelled_at is None and acts_for(actor, combined.organization_id) and holds(actor, *COMBINED_STAFF)


def reads_combined_part(actor: Actor, combined: Any, inspection: Inspection) -> bool:
    """Whether the combined visit's record shows ``inspection``'s part in full to ``actor``: the
    office that coordinates it, and whoever may see that inspection anyway."""
    return coordinates(actor, combined) or can_view(actor, inspection)
