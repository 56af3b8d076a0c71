"""The sidebar entries of inspections (``tenancy.navigation.NAV``), registered from
``InspectionsConfig.ready``: "我的检查" at the top for whoever holds the inspector role (their own
inspections, phone first), and under 检查实施 the department's and office's list and the
follow-up for those who read them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tenancy import navigation
from tenancy.context import Actor, Role
from tenancy.navigation import NavEntry, NavSection
from tenancy.policies import holds

from .policies import DEPARTMENT_READERS as _READERS

SECTION = "inspections.inspections"


def inspects(actor: Actor) -> bool:
    """A department's member holding the inspector role: their own inspections first."""
    return actor.is_member and actor.is_department and holds(actor, Role.INSPECTOR)


def reads_inspections(actor: Actor) -> bool:
    """A department's staff and viewers, and the offices (their region's joint inspections)."""
    return actor.is_member and ((actor.is_department and holds(actor, *_READERS)) or actor.is_office)


ENTRIES = (
    NavEntry(key="inspections.mine", label=_("我的检查"), url_name="inspections:mine", order=20, visible=inspects),
    NavSection(key=SECTION, label=_("检查实施"), order=35),
    NavEntry(key="inspections.list", label=_("检查"), url_name="inspections:list", section=SECTION, order=10,
             visible=reads_inspections),
    NavEntry(key="inspections.handlings", label=_("后续处置"), url_name="inspections:handling_list", section=SECTION,
             order=20, visible=reads_inspections),
    NavEntry(key="inspections.combined", label=_("综合查一次"), url_name="inspections:combined_list", section=SECTION,
             order=30, visible=reads_inspections),
)


def register() -> None:
    for entry in ENTRIES:
        navigation.NAV.register(entry)
