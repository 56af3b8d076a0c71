"""Leak-matrix entries for the 一单两库 pages and API routes (inventory/urls.py, inventory/api/)."""

from __future__ import annotations

from tests.factories import (
    make_conflict,
    make_entity,
    make_entry,
    make_inspector,
    make_item,
    make_joint_item,
    make_point,
)

from .registry import Case

FACTORIES = {
    "inv_item": make_item,
    "inv_point": make_point,
    "inv_joint_item": make_joint_item,
    "inv_entity": make_entity,
    "inv_entry": make_entry,
    "inv_inspector": make_inspector,
    "inv_conflict": make_conflict,
}

OFFICE_OWN = {"A1": "AO", "AO": "AO"}

CASES = {
    # check items
    "inventory:item_list": Case(factory="inv_item", kind="list"),
    "inventory:item_export": Case(factory="inv_item", kind="list", query="format=csv"),
    "inventory:item_detail": Case(factory="inv_item"),
    "inventory:item_edit": Case(factory="inv_item"),
    "inventory:item_retire": Case(factory="inv_item"),
    "inventory:point_add": Case(factory="inv_item", method="post", data={"project": "新检查项目", "answer_kind": "status"}),
    "inventory:point_edit": Case(factory="inv_point"),
    "inventory:point_delete": Case(factory="inv_point", method="post"),
    "inventory:point_move": Case(factory="inv_point", method="post", data={"direction": "down"}),
    # joint items: the office's list, read by the departments of its region
    "inventory:joint_list": Case(factory="inv_joint_item", kind="list", own=OFFICE_OWN),
    "inventory:joint_edit": Case(factory="inv_joint_item", own=OFFICE_OWN),
    # target registry: entities are shared by the region, only other regions leak
    "inventory:entity_list": Case(factory="inv_entity", kind="list", shared=True),
    "inventory:entity_export": Case(factory="inv_entity", kind="list", shared=True, query="format=csv"),
    "inventory:entity_detail": Case(factory="inv_entity", shared=True),
    "inventory:entity_edit": Case(factory="inv_entity", shared=True),
    "inventory:entity_join": Case(factory="inv_entity", shared=True, method="post"),
    # inspectors
    "inventory:inspector_list": Case(factory="inv_inspector", kind="list"),
    "inventory:inspector_export": Case(factory="inv_inspector", kind="list", query="format=csv"),
    "inventory:inspector_detail": Case(factory="inv_inspector"),
    "inventory:inspector_edit": Case(factory="inv_inspector"),
    "inventory:conflict_add": Case(factory="inv_inspector"),
    "inventory:conflict_withdraw": Case(factory="inv_conflict", method="post"),
    # API
    "api:checkitem-list": Case(factory="inv_item", kind="list"),
    "api:checkitem-detail": Case(factory="inv_item"),
    "api:entity-list": Case(factory="inv_entity", kind="list", shared=True),
    "api:entity-detail": Case(factory="inv_entity", shared=True, kwargs=lambda e: {"code": e.code}),
    "api:inspector-list": Case(factory="inv_inspector", kind="list"),
    "api:inspector-detail": Case(factory="inv_inspector"),
    "api:registryentry-list": Case(factory="inv_entry", kind="list"),
    "api:registryentry-detail": Case(factory="inv_entry"),
}

PUBLIC = {
    "inventory:item_create": "creates a row in the actor's own organization; no foreign data shown",
    "inventory:joint_create": "creates a row in the actor's own office; choices limited to its region",
    "inventory:entity_create": "creates a row in the actor's own region; no foreign data shown",
    "inventory:entity_bulk": "acts only on the actor's own registry entries (ids of others are ignored; tested)",
    "inventory:inspector_create": "creates a row in the actor's own organization",
    "api:entity-bulk-upsert": "writes only in the actor's own region through the importer's service; returns counts, no rows",
}
