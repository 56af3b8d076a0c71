"""Leak-matrix entries for what inspections adds to other apps' pages through its own URLs: the
office's dashboard panel of joint visits (综合查一次) and this year's inspections per firm.

The object: a firm of ``org_key``'s registry, also in the registry of the county's other
department, drawn by both (one inspection each, no window: they overlap) — an offer for the
county's office, its name carrying ``marker(org_key)``. The panel is an office's: a department
is refused; the office of county A reads A1's and A2's offers, never county B's.
"""

from __future__ import annotations

from django_scopes import scopes_disabled

from inventory.models import MarketEntity, RegistryEntry
from tenancy.context import OrgKind
from tests.factories import draw_selecting, make_approved_plan, make_entity

from .registry import Case


def make_joint_visit_offer(world, org_key: str) -> MarketEntity:
    org = world.orgs[org_key]
    if org.kind != OrgKind.DEPARTMENT:
        raise ValueError("a joint visit is offered for two departments' inspections")
    other = next(k for k, o in world.orgs.items() if k != org_key and o.kind == OrgKind.DEPARTMENT and o.region_id == org.region_id)
    entity = make_entity(world, org_key)
    with scopes_disabled():
        RegistryEntry.objects.create(organization=world.orgs[other], region=org.region, entity=entity)
    for key in (org_key, other):
        draw_selecting(make_approved_plan(world, key), [entity])
    return entity


FACTORIES = {"joint_visit_offer": make_joint_visit_offer}

CASES = {
    "inspections:panel_visits": Case(factory="joint_visit_offer", kind="list"),
}
