"""What inventory plugs into tenancy's registries, and the extension points it offers the apps
after it.

``register_with_tenancy()`` (called from ``InventoryConfig.ready``) registers the 一单两库 links
(``tenancy.navigation.NAV``), the dashboard's counts (``tenancy.dashboard.DASHBOARD_CARDS``) and
inventory's own sections of an entity's history.

Extension points, filled by later apps from their ``AppConfig.ready()``:

* ``ITEM_USAGE``: ``ItemUsage(key, uses, order)``. ``uses(item)`` answers whether something of
  the registering app uses the ``CheckItem`` so that an edit must make a new version (DESIGN.md
  §4): a short label of what uses it (``"抽查任务"``), or ``None``. It counts unscoped (a use by
  a joint task the department cannot list still freezes the item) and costs a query or two.
* ``ENTITY_HISTORY``: ``EntityHistorySection(key, title, selector, template, order)``, one card
  of the entity page. ``selector(actor=actor, entity=entity)`` returns the rows the actor may see
  (through the scoped managers, bounded); ``template`` renders them as a table, with ``rows``,
  ``entity`` and ``actor`` in its context, its empty state included. Sections are shown by
  ``(order, key)``: inventory's registry entries at 10 and declared conflicts at 50.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tenancy import dashboard, navigation
from tenancy.context import Actor
from tenancy.navigation import NavEntry, NavSection
from tenancy.registry import Registry

if TYPE_CHECKING:
    from .models import CheckItem, MarketEntity

SECTION = "inventory.registers"


def register_with_tenancy() -> None:
    from . import policies, selectors  # noqa: PLC0415  (called from ready(): the models are loaded)
    from .selectors import entities as entity_selectors  # noqa: PLC0415

    for entry in (
        NavSection(key=SECTION, label=_("一单两库"), order=20),
        NavEntry(key="inventory.items", label=_("抽查事项清单"), url_name="inventory:item_list", section=SECTION,
                 order=10, visible=policies.can_read_registers),
        NavEntry(key="inventory.joint_items", label=_("联合抽查事项清单"), url_name="inventory:joint_list",
                 section=SECTION, order=20, visible=policies.can_read_registers),
        NavEntry(key="inventory.entities", label=_("检查对象名录库"), url_name="inventory:entity_list", section=SECTION,
                 order=30, visible=policies.can_read_entities),
        NavEntry(key="inventory.inspectors", label=_("执法检查人员名录库"), url_name="inventory:inspector_list",
                 section=SECTION, order=40, visible=policies.can_read_registers),
        NavEntry(key="inventory.imports", label=_("导入记录"), url_name="inventory:import_list", section=SECTION,
                 order=50, visible=policies.can_read_registers),
    ):
        navigation.NAV.register(entry)
    dashboard.DASHBOARD_CARDS.register(dashboard.DashboardCards(key="inventory", provider=selectors.dashboard_cards, order=10))
    ENTITY_HISTORY.register(EntityHistorySection(
        key="inventory.registries", title=_("所在名录库"), selector=entity_selectors.entity_registry_entries,
        template="inventory/_history_entries.html", order=10,
    ))
    ENTITY_HISTORY.register(EntityHistorySection(
        key="inventory.conflicts", title=_("利害关系申报"), selector=entity_selectors.entity_conflicts,
        template="inventory/_history_conflicts.html", order=50,
    ))


# --------------------------------------------------------------------------- item usage


@dataclass(frozen=True)
class ItemUsage:
    key: str
    uses: Callable[[CheckItem], str | Promise | None]
    order: int = 100


ITEM_USAGE: Registry[ItemUsage] = Registry(
    "check item usage", doc="What uses a check item so that an edit makes a new version; uses(item) -> label or None."
)


def checkitem_use(item: CheckItem) -> str | Promise | None:
    """What uses ``item`` (the first registered use found), or ``None`` when nothing does."""
    for provider in ITEM_USAGE:
        found = provider.uses(item)
        if found:
            return found
    return None


# --------------------------------------------------------------------------- entity history


@dataclass(frozen=True)
class EntityHistorySection:
    key: str
    title: str | Promise
    selector: Callable[..., Sequence[Any]]
    template: str
    order: int = 100


ENTITY_HISTORY: Registry[EntityHistorySection] = Registry(
    "entity history", doc="Cards of an entity's page: selector(actor=, entity=) -> rows, rendered by template."
)


def history_sections(*, actor: Actor, entity: MarketEntity) -> list[dict[str, Any]]:
    """Every registered section for ``entity`` as ``actor`` sees it, in order: key, testid, title,
    template and rows."""
    return [
        {
            "key": section.key,
            "testid": "history-" + section.key.replace(".", "-"),
            "title": section.title,
            "template": section.template,
            "rows": section.selector(actor=actor, entity=entity),
        }
        for section in ENTITY_HISTORY
    ]
