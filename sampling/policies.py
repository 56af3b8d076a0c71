"""Who may do what in sampling: pure predicates over the actor (and one object), registered with
``tenancy.policies.policy``. Services ``ensure`` them; views, templates (``{% allowed %}``), the
API, the sidebar and the leak matrix ask the same functions.

* Plans and tasks belong to their owner: a department, or the leading-group office for a joint
  plan. Its planners and administrators write them; its leader approves or returns a plan; the
  writers or the leader publish a plan and cancel a task. Participants of a joint plan read it.
* The ceremony (commit, draw, abandon, every ready task of a plan at once) is run by the owner's
  planners and administrators; a joint task's, by the office that owns it.
* The filing record of a draw (inspectors included) is read by the owner, the departments of a
  joint plan and the office of the draw's region; everyone else reads the public record.
* Recusals: an inspector asks for their own place on a team, a planner or administrator of the
  draw's owner or of the inspector's department for any member; the leader of the inspector's
  own department decides (曲阳 §16: 经所在单位主管负责人批准). The leader of the draw's owner
  replaces a target from the reserve.
* Filings: the administrators, planners and leader of the draw's owner file it, add files to a
  filing and answer a return; the office it is addressed to (its administrators, planners and
  leader) acknowledges or returns it. The full record as filed is read by those two only.

Joint plans: the office owns the plan and every row of its draws; the departments taking part
see them (``joined_plans``, the participation ``sampling.plan`` of ``tenancy.joint``) and write
only what ``JOINT_FIELDS`` grants, through the write guard:

* a selection's ``team``: the leader of a department taking part, when a recusal of one of its
  inspectors is approved and the substitute takes the place (曲阳 §16: 经所在单位主管负责人批准);
* a recusal request's decision (``status``, ``decided_by``, ``decided_at``, ``decision_note``): the
  leader of the inspector's own department (``can_decide_recusal``).

Everything else of a joint draw (the draw, its replacements, its filing) is the office's.

Scoping decides what is found (another tenant's row is a 404); these rules decide, for a visible
row, whether the actor may act on it (403). How a rule is phrased depends only on fields of the
object and the actor, except the joint plans a department takes part in (one indexed query).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from sampling.models import PlanParticipant
from tenancy.context import Actor, Role
from tenancy.policies import WRITERS, acts_for, holds, policy

# Who files a draw with the office and answers a return; who in an office decides a filing.
FILERS = (Role.ADMIN, Role.LEADER, Role.PLANNER)
FILING_DECIDERS = (Role.ADMIN, Role.LEADER, Role.PLANNER)
# Who may open the recusal form (what each may ask is ``can_ask_recusal_for``).
RECUSAL_ASKERS = (Role.INSPECTOR, Role.PLANNER, Role.ADMIN)


# --------------------------------------------------------------------------- reading


@policy("sampling.work_on_plans", _("只有行政监管部门和双随机办可以使用抽查计划。"))
def works_on_plans(actor: Actor) -> bool:
    """Departments draft and draw; offices write joint plans, approve them and take filings."""
    return actor.is_member and (actor.is_department or actor.is_office)


@policy("sampling.work_in_department", _("回避申请只在执法人员所在部门内提出和审批。"))
def works_in_department(actor: Actor) -> bool:
    """Recusals are asked and decided inside the inspectors' own department."""
    return actor.is_member and actor.is_department


def joined_plans(actor: Actor) -> QuerySet | None:
    """The joint plans the actor's department takes part in (a query the visibility rule embeds;
    the participants table is read unscoped here, inside the rule), or None for other kinds."""
    if not actor.is_department:
        return None
    return PlanParticipant._base_manager.filter(department_id=actor.organization_id).values("plan_id")


def takes_part_in(actor: Actor, plan_id: int) -> bool:
    """The actor acts for a department taking part in the joint plan ``plan_id``."""
    joined = joined_plans(actor) if actor.is_member else None
    return joined is not None and joined.filter(plan_id=plan_id).exists()


@policy("sampling.read_filing_record", _("抽取记录（含执法人员）只有组织单位、联合抽查参与部门和本地区双随机办可以查看。"))
def can_read_filing_record(actor: Actor, draw: Any) -> bool:
    """The draw record with inspectors (DRAW.md §6): the owner, the office of the draw's region,
    the departments of a joint plan. The others read the public record."""
    if not actor.is_member:
        return False
    if acts_for(actor, draw.organization_id):
        return True
    if actor.is_office and draw.region_id in actor.visible_region_ids:
        return True
    return takes_part_in(actor, draw.plan_id)


# --------------------------------------------------------------------------- plans and tasks


@policy("sampling.write_plans", _("只有计划编制人员可以编制抽查计划"))
def can_write_plans(actor: Actor) -> bool:
    """Draft plans and tasks: the planners and administrators of a department or an office."""
    return works_on_plans(actor) and holds(actor, *WRITERS)


@policy("sampling.edit_plan", _("只有计划所属单位可以修改该计划"))
def can_edit_plan(actor: Actor, plan: Any) -> bool:
    """Edit, submit, adjust a plan and write its tasks: the owner's planners and administrators
    (a joint plan's participants read it, the office changes it)."""
    return acts_for(actor, plan.organization_id) and holds(actor, *WRITERS)


@policy("sampling.decide_plan", _("只有计划所属单位的分管领导可以审批该计划"))
def can_decide_plan(actor: Actor, plan: Any) -> bool:
    """Approve or return a submitted plan: the owner's leader."""
    return acts_for(actor, plan.organization_id) and holds(actor, Role.LEADER)


@policy("sampling.publish_plan", _("没有公开抽查计划的权限"))
def can_publish_plan(actor: Actor, plan: Any) -> bool:
    return acts_for(actor, plan.organization_id) and holds(actor, *WRITERS, Role.LEADER)


@policy("sampling.cancel_task", _("没有取消抽查任务的权限"))
def can_cancel_task(actor: Actor, task: Any) -> bool:
    return acts_for(actor, task.organization_id) and holds(actor, *WRITERS, Role.LEADER)


# --------------------------------------------------------------------------- the draw


@policy("sampling.run_ceremony", _("只有任务所属单位的计划编制人员或管理员可以进行抽取。"))
def can_run_ceremony(actor: Actor, obj: Any) -> bool:
    """Commit, draw or abandon (a task, a draw, every ready task of a plan): the owner's planners
    and administrators; a joint task's, the office's."""
    return acts_for(actor, obj.organization_id) and holds(actor, *WRITERS)


# --------------------------------------------------------------------------- recusals and replacements


@dataclass(frozen=True)
class TeamPlace:
    """An inspector's place on the teams of a draw: what a recusal request is about."""

    draw: Any
    inspector: Any


@policy("sampling.ask_recusals", _("只有执法检查人员和计划编制人员可以申请回避。"))
def can_ask_recusals(actor: Actor) -> bool:
    """Whether the recusal form is offered at all (what may be asked: ``can_ask_recusal_for``)."""
    return holds(actor, *RECUSAL_ASKERS)


@policy("sampling.ask_recusal_for", _("只有检查组成员本人或计划编制人员可以申请回避。"))
def can_ask_recusal_for(actor: Actor, place: TeamPlace) -> bool:
    """An inspector for their own place; a planner or administrator of the draw's owner or of the
    inspector's department for any member."""
    own = actor.user_id is not None and place.inspector.user_id == actor.user_id and holds(actor, Role.INSPECTOR)
    planner = holds(actor, *WRITERS) and actor.is_member and actor.organization_id in (
        place.draw.organization_id, place.inspector.organization_id
    )
    return own or planner


@policy("sampling.decide_recusal", _("只有该执法人员所在单位的分管领导可以审批。"))
def can_decide_recusal(actor: Actor, request: Any) -> bool:
    """曲阳 §16: approved by the leader of the inspector's own unit (on a joint draw too, whose
    rows the office owns: see ``JOINT_WRITES``)."""
    return acts_for(actor, request.inspector.organization_id) and holds(actor, Role.LEADER)


@policy("sampling.replace_target", _("只有抽取所属单位的分管领导可以批准对象递补。"))
def can_replace_target(actor: Actor, draw: Any) -> bool:
    """A deregistered or unreachable target replaced from the reserve: the draw's owner's leader."""
    return acts_for(actor, draw.organization_id) and holds(actor, Role.LEADER)


# --------------------------------------------------------------------------- filings


@policy("sampling.file_draws", _("只有管理员、计划编制人员或分管领导可以报送备案。"))
def can_file(actor: Actor) -> bool:
    return holds(actor, *FILERS)


@policy("sampling.file_draw", _("只有组织本次抽取的单位可以报送备案。"))
def can_file_draw(actor: Actor, draw: Any) -> bool:
    """File a completed draw or one of its events: the filers of the draw's owner."""
    return can_file(actor) and acts_for(actor, draw.organization_id)


@policy("sampling.attach_to_filing", _("只有报送单位可以为备案补充附件。"))
def can_attach_to_filing(actor: Actor, filing: Any) -> bool:
    return can_file(actor) and acts_for(actor, filing.organization_id)


@policy("sampling.resubmit_filing", _("只有原报送单位可以重新报送。"))
def can_resubmit_filing(actor: Actor, filing: Any) -> bool:
    return can_file(actor) and acts_for(actor, filing.organization_id)


@policy("sampling.decide_filings", _("只有双随机办的管理员、计划编制人员或分管领导可以办理备案。"))
def can_decide_filings(actor: Actor) -> bool:
    return actor.is_member and actor.is_office and holds(actor, *FILING_DECIDERS)


@policy("sampling.decide_filing", _("该备案不是报送给本单位的。"))
def can_decide_filing(actor: Actor, filing: Any) -> bool:
    """Acknowledge or return a filing: the office it is addressed to."""
    return can_decide_filings(actor) and filing.office_id == actor.organization_id


@policy("sampling.read_filed_record", _("备案记录（含执法人员）只有报送单位和备案机关可以查看。"))
def can_read_filed_record(actor: Actor, filing: Any) -> bool:
    """The full record as filed (inspectors included): the office it went to and the filer."""
    return actor.is_member and actor.organization_id in (filing.office_id, filing.organization_id)


# --------------------------------------------------------------------------- joint writes


DECISION_FIELDS = frozenset({"status", "decided_by", "decided_at", "decision_note"})


def selection_fields(actor: Actor, selection: Any) -> frozenset[str]:
    """A joint draw's selection: its team, for the leader of a department taking part (the
    substitute of an inspector whose recusal that leader approved takes the place)."""
    if holds(actor, Role.LEADER) and takes_part_in(actor, selection.plan_id):
        return frozenset({"team"})
    return frozenset()


def recusal_fields(actor: Actor, request: Any) -> frozenset[str]:
    """A recusal request another organization filed: its decision, for the inspector's leader."""
    return DECISION_FIELDS if can_decide_recusal(actor, request) else frozenset()


# Model label -> the fields of its rows a participant (not the owner) may write.
JOINT_FIELDS = {
    "sampling.drawselection": selection_fields,
    "sampling.recusalrequest": recusal_fields,
}
