"""What inspections plugs into the registries of the apps before it (called from
``InspectionsConfig.ready``):

* the events it emits (``tenancy.events.declare``) and its handlers of sampling's: a completed
  draw makes its inspections, a substitution changes the team, a replacement moves the
  inspection (``services.creation``);
* its time limits as rules of the deadlines engine (``deadlines.rules.RULES``, with the engine's
  handler subscribed to the events they listen to) and its joint-task milestones
  (``deadlines.milestones.MILESTONES``): ``inspections.due``;
* the firm's ledger, "检查记录", on the entity page (``inventory.extensions.ENTITY_HISTORY``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tenancy import events

from . import due
from . import events as inspection_events


def register() -> None:
    from deadlines.milestones import MILESTONES  # noqa: PLC0415  (ready(): models loaded)
    from deadlines.rules import RULES  # noqa: PLC0415
    from deadlines.services import handle_event  # noqa: PLC0415
    from inventory.extensions import ENTITY_HISTORY, EntityHistorySection  # noqa: PLC0415

    from .selectors.ledger import entity_inspections  # noqa: PLC0415
    from .services import creation  # noqa: PLC0415

    events.declare("inspections", inspection_events.EVENTS)
    events.subscribe(key="inspections.create", events=["sampling.draw.completed"], handler=creation.on_draw_completed)
    events.subscribe(key="inspections.team", events=["sampling.substitution.created"], handler=creation.on_substitution)
    events.subscribe(key="inspections.replace", events=["sampling.replacement.created"], handler=creation.on_replacement)
    for rule in due.RULES:
        RULES.register(rule)
    events.subscribe(key="inspections.due", events=due.listened_events(), handler=handle_event)
    for milestone in due.MILESTONES:
        MILESTONES.register(milestone)
    ENTITY_HISTORY.register(EntityHistorySection(
        key="inspections.inspections", title=_("检查记录"), selector=entity_inspections,
        template="inspections/_entity_inspections.html", order=40,
    ))
