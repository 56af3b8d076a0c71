"""Leak-matrix entries for the 一单两库 pages and API routes (inventory/urls.py, inventory/api.py).

The factories double as test helpers for tests/inventory/.
"""

from __future__ import annotations

import itertools

from django_scopes import scopes_disabled

from inventory.codes import make_uscc
from inventory.models import (
    CheckItem,
    CheckPoint,
    ConflictOfInterest,
    Inspector,
    JointCheckItem,
    MarketEntity,
    RegistryEntry,
)

from .registry import Case, marker

_seq = itertools.count(1)


def _org(world, org_key):
    return world.orgs[org_key]


def make_item(world, org_key: str, *, name: str | None = None, points: int = 2) -> CheckItem:
    org = _org(world, org_key)
    n = next(_seq)
    with scopes_disabled():
        item = CheckItem.objects.create(
            organization=org, region=org.region, code=f"SX-{n:05d}", name=name or f"{marker(org_key)} 事项{n}",
            legal_basis="《旅行社条例》第二十七条",
        )
        for i in range(1, points + 1):
            CheckPoint.objects.create(
                organization=org, region=org.region, item=item, order=i, project=f"检查项目{i}", content=f"内容{i}"
            )
    return item


def make_point(world, org_key: str) -> CheckPoint:
    item = make_item(world, org_key, points=1)
    with scopes_disabled():
        point = item.points.get()
        point.project = marker(org_key)
        point.save()
    return point


def make_joint_item(world, org_key: str) -> JointCheckItem:
    org = _org(world, org_key)
    county = org_key[0]
    with scopes_disabled():
        return JointCheckItem.objects.create(
            organization=org, region=org.region, field="文化旅游", name=f"{marker(org_key)} 旅游市场联合检查",
            target="旅行社", initiator=world.orgs[f"{county}1"],
        )


def uscc_for(org, n: int) -> str:
    return make_uscc("91", org.region.code, f"{n:09d}")


def make_entity(world, org_key: str, *, name: str | None = None, **fields) -> MarketEntity:
    """An entity of the organization's region, in the organization's registry."""
    org = _org(world, org_key)
    n = next(_seq)
    with scopes_disabled():
        entity = MarketEntity.objects.create(
            organization=org, region=org.region, code=fields.pop("code", None) or uscc_for(org, n),
            name=name or f"{marker(org_key)} 阳城县某旅行社有限公司{n}", **fields,
        )
        if org.kind == "department":
            RegistryEntry.objects.create(organization=org, region=org.region, entity=entity)
    return entity


def make_entry(world, org_key: str) -> RegistryEntry:
    entity = make_entity(world, org_key)
    with scopes_disabled():
        return RegistryEntry.objects.get(entity=entity)


def make_inspector(world, org_key: str, **fields) -> Inspector:
    org = _org(world, org_key)
    n = next(_seq)
    with scopes_disabled():
        return Inspector.objects.create(
            organization=org, region=org.region, name=fields.pop("name", f"{marker(org_key)}张{n}"),
            cert_no=fields.pop("cert_no", f"14052200{n:05d}"), phone=fields.pop("phone", "13800000000"), **fields,
        )


def make_conflict(world, org_key: str) -> ConflictOfInterest:
    inspector = make_inspector(world, org_key)
    entity = make_entity(world, org_key)
    org = _org(world, org_key)
    with scopes_disabled():
        return ConflictOfInterest.objects.create(
            organization=org, region=org.region, inspector=inspector, entity=entity, reason="近亲属任该公司股东"
        )


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
