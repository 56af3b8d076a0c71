"""inventory's extension points: what uses a check item (ITEM_USAGE) and the sections of an
entity's history (ENTITY_HISTORY), filled by later apps; inventory itself never imports them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.template import engines
from django.urls import reverse

from inventory import extensions
from inventory.extensions import ENTITY_HISTORY, ITEM_USAGE, EntityHistorySection, ItemUsage
from inventory.services import items as item_services
from tenancy.scoping import actor_scope
from tests.factories import make_conflict, make_entity, make_item

LATER_APPS = ("sampling", "deadlines", "inspections", "publication")
INVENTORY = Path(__file__).resolve().parents[2] / "inventory"


def test_sampling_registers_its_item_usage_and_its_history_section():
    assert "sampling.plans_and_tasks" in ITEM_USAGE
    keys = ENTITY_HISTORY.keys()
    # The page's order: the registries, the draws, the declared conflicts.
    assert keys.index("inventory.registries") < keys.index("sampling.draws") < keys.index("inventory.conflicts")


def test_inventory_imports_no_later_app():
    offending = []
    for path in INVENTORY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offending += [f"{path.relative_to(INVENTORY)}: {n}" for n in names if n.split(".")[0] in LATER_APPS]
    assert offending == []


@pytest.mark.django_db
def test_a_registered_usage_makes_an_edit_a_new_version(world):
    item = make_item(world, "A1")
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        assert extensions.checkitem_use(item) is None and not item_services.checkitem_in_use(item)
        ITEM_USAGE.register(ItemUsage(key="tests.inspections", uses=lambda i: "检查记录" if i.pk == item.pk else None))
        try:
            assert extensions.checkitem_use(item) == "检查记录"
            new = item_services.checkitem_update(actor=actor, item=item, data={"name": "改名后的事项"}, reason="修订")
        finally:
            ITEM_USAGE.unregister("tests.inspections")
    assert new.pk != item.pk and new.version == 2 and new.name == "改名后的事项"


@pytest.mark.django_db
def test_a_registered_section_shows_on_the_entity_page_with_the_actors_rows(world, login):
    entity = make_entity(world, "A1", name="历史对象")
    make_conflict(world, "A1")
    seen: list[str] = []

    def ledger(*, actor, entity):
        seen.append(actor.organization_name)
        return [f"{entity.name}·台账一", f"{entity.name}·台账二"]

    template = engines["django"].from_string(
        '<ul data-testid="ledger">{% for r in rows %}<li>{{ r }}</li>{% empty %}<li>无</li>{% endfor %}</ul>'
    )
    ENTITY_HISTORY.register(EntityHistorySection(key="tests.ledger", title="检查台账", selector=ledger, template=template, order=40))
    try:
        body = login(world.user("A1", "viewer")).get(reverse("inventory:entity_detail", args=[entity.pk])).content.decode()
    finally:
        ENTITY_HISTORY.unregister("tests.ledger")
    assert seen == ["测试单位A1"]
    ledger_html = body.split('data-testid="history-tests-ledger"')[1].split("</div>")[0]
    assert "<h2>检查台账</h2>" in ledger_html and "<li>历史对象·台账一</li><li>历史对象·台账二</li>" in ledger_html
    # Between sampling's draws (30) and inventory's conflicts (50).
    assert body.index("history-sampling-draws") < body.index("history-tests-ledger") < body.index("history-inventory-conflicts")
