"""What inspections plugs into the registries of the apps before it (called from
``InspectionsConfig.ready``):

* the events it emits (``tenancy.events.declare``) and its handlers of sampling's: a completed
  draw makes its inspections, a substitution changes the team, a replacement moves the
  inspection (``services.creation``);
* its time limits as rules of the deadlines engine (``deadlines.rules.RULES``, with the engine's
  handler subscribed to the events they listen to) and its joint-task milestones
  (``deadlines.milestones.MILESTONES``): ``inspections.due`` (检查, 审核) and ``selectors.milestones``
  (比对确认, 后续处置, 逾期事项);
* the firm's ledger, "检查记录", on the entity page (``inventory.extensions.ENTITY_HISTORY``).
* what a department with a part of a joint visit writes in the visit (``tenancy.joint.JOINT_WRITES``:
  the shared fields, ``policies.visit_writes``); the write guard decides, as for sampling's rows.

``register_integration()`` plugs into sampling's own extension points and the dashboard:

* the annual cap (曲阳 §17: 同一年度内对同一企业的抽查次数不超过2次) counted from real
  inspections (``selectors.ledger.inspected_times``) in place of sampling's count of selections
  (``sampling.extensions.DRAW_EXCLUSIONS``, ``replaces="sampling.annual_cap"``);
* the task page's cards (``sampling.extensions.TASK_SECTIONS``): the task's progress
  (``selectors.progress``) and, for an office, the joint visits its targets could be (综合查一次,
  ``selectors.ledger.joint_visit_offers``);
* an office's dashboard panel (``tenancy.dashboard.PANELS``, ``inspections:panel_visits``): every
  such offer in its region, and how often its firms were inspected this year;
* an inspector's 我的检查 first on the dashboard (``tenancy.dashboard.LEADS``,
  ``selectors.inspections.dashboard_lead``), in place of the counts for an inspector and nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from tenancy import events, joint
from tenancy.context import Actor

from . import due
from . import events as inspection_events

if TYPE_CHECKING:
    from sampling.models import SamplingPlan


def register() -> None:
    from deadlines.milestones import MILESTONES  # noqa: PLC0415  (ready(): models loaded)
    from deadlines.rules import RULES  # noqa: PLC0415
    from deadlines.services import handle_event  # noqa: PLC0415
    from inventory.extensions import ENTITY_HISTORY, EntityHistorySection  # noqa: PLC0415

    from .policies import visit_writes  # noqa: PLC0415
    from .selectors import milestones  # noqa: PLC0415
    from .selectors.ledger import entity_inspections  # noqa: PLC0415
    from .services import creation  # noqa: PLC0415

    events.declare("inspections", inspection_events.EVENTS)
    joint.JOINT_WRITES.register(joint.JointWrite(key="inspections.inspection", fields=visit_writes))
    events.subscribe(key="inspections.create", events=["sampling.draw.completed"], handler=creation.on_draw_completed)
    events.subscribe(key="inspections.team", events=["sampling.substitution.created"], handler=creation.on_substitution)
    events.subscribe(key="inspections.replace", events=["sampling.replacement.created"], handler=creation.on_replacement)
    for rule in due.RULES:
        RULES.register(rule)
    events.subscribe(key="inspections.due", events=due.listened_events(), handler=handle_event)
    for milestone in (*due.MILESTONES, *milestones.MILESTONES):
        MILESTONES.register(milestone)
    ENTITY_HISTORY.register(EntityHistorySection(
        key="inspections.inspections", title=_("检查记录"), selector=entity_inspections,
        template="inspections/_entity_inspections.html", order=40,
    ))


# The reason written into the draw record: the count is of inspections, not of draws.
REASON_INSPECTED = gettext_noop("本年度已检查%(n)s次")


def register_integration() -> None:
    from sampling.extensions import DRAW_EXCLUSIONS, TASK_SECTIONS, DrawExclusion, TaskSection  # noqa: PLC0415
    from tenancy.dashboard import LEADS, PANELS, DashboardLead, DashboardPanel  # noqa: PLC0415

    from .selectors import inspections, sections  # noqa: PLC0415  (ready(): models loaded)

    DRAW_EXCLUSIONS.register(DrawExclusion(
        key="inspections.annual_cap", excluded=inspected_times_excluded, order=10, replaces="sampling.annual_cap",
    ))
    TASK_SECTIONS.register(TaskSection(
        key="inspections.progress", title=_("检查进度"), selector=sections.task_progress_section,
        template="inspections/sections/task_progress.html", order=10,
    ))
    TASK_SECTIONS.register(TaskSection(
        key="inspections.joint_visits", title=_("综合查一次"), selector=sections.task_joint_visits_section,
        template="inspections/sections/task_joint_visits.html", order=20,
    ))
    PANELS.register(DashboardPanel(
        key="inspections.visits", title=_("综合查一次"), url_name="inspections:panel_visits", visible=_office, order=45,
    ))
    LEADS.register(DashboardLead(
        key="inspections.mine", template="inspections/dashboard_mine.html", provider=inspections.dashboard_lead,
        replaces_cards=inspections.inspector_only, order=10,
    ))


def _office(actor: Actor) -> bool:
    return actor.is_member and actor.is_office


def inspected_times_excluded(*, actor: Actor, plan: SamplingPlan, year: int) -> list[tuple[str, list[int]]]:
    """The annual cap from real inspections: a firm inspected ``plan.annual_cap`` times in
    ``year`` by any department of the region is left out, with its own count as the reason."""
    from .selectors.ledger import inspected_times  # noqa: PLC0415

    if plan.annual_cap <= 0:
        return []
    by_times: dict[int, list[int]] = {}
    for entity_id, n in inspected_times(actor=actor, year=year, at_least=plan.annual_cap).items():
        by_times.setdefault(n, []).append(entity_id)
    return [(REASON_INSPECTED % {"n": n}, sorted(by_times[n])) for n in sorted(by_times, reverse=True)]
