"""What inventory plugs into tenancy's registries, and (below, as they come) the extension points
it offers the apps after it.

``register_with_tenancy()`` (called from ``InventoryConfig.ready``) registers the 一单两库 links
(``tenancy.navigation.NAV``) and the dashboard's counts (``tenancy.dashboard.DASHBOARD_CARDS``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tenancy import dashboard, navigation
from tenancy.context import Actor
from tenancy.navigation import NavEntry, NavSection

SECTION = "inventory.registers"


def works_on_registers(actor: Actor) -> bool:
    """Departments and offices keep or read the item list and the inspector roster."""
    return actor.is_member and (actor.is_department or actor.is_office)


def register_with_tenancy() -> None:
    from . import selectors  # noqa: PLC0415  (called from ready(): the models are loaded)

    for entry in (
        NavSection(key=SECTION, label=_("一单两库"), order=20),
        NavEntry(key="inventory.items", label=_("抽查事项清单"), url_name="inventory:item_list", section=SECTION,
                 order=10, visible=works_on_registers),
        NavEntry(key="inventory.joint_items", label=_("联合抽查事项清单"), url_name="inventory:joint_list",
                 section=SECTION, order=20, visible=works_on_registers),
        # The entity registry is region-wide reference data: every member reads it (a platform too).
        NavEntry(key="inventory.entities", label=_("检查对象名录库"), url_name="inventory:entity_list", section=SECTION,
                 order=30, visible=navigation.members),
        NavEntry(key="inventory.inspectors", label=_("执法检查人员名录库"), url_name="inventory:inspector_list",
                 section=SECTION, order=40, visible=works_on_registers),
        NavEntry(key="inventory.imports", label=_("导入记录"), url_name="inventory:import_list", section=SECTION,
                 order=50, visible=works_on_registers),
    ):
        navigation.NAV.register(entry)
    dashboard.DASHBOARD_CARDS.register(dashboard.DashboardCards(key="inventory", provider=selectors.dashboard_cards, order=10))
