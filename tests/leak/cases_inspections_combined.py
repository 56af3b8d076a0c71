"""Leak-matrix entries for 综合查一次 (inspections/urls.py ``combined_*`` and the API's
``combined-visits``).

The object: a combined visit the county's office arranged for a firm of ``org_key``'s registry,
also in the county's other department's, drawn by both (``make_joint_visit_offer``), its note
carrying ``marker(org_key)``. Both departments of a county take part in every such visit (a
county has two), so only another county's visits are foreign (``shared``): A1 and the county
office A read A1's, never county B's. The acceptance page is an office's, pointed at a firm with
an open offer: county A's office is refused county B's firm (404), a department the page (403).
"""

from __future__ import annotations

from django.utils import timezone
from django_scopes import scopes_disabled

from inspections.models import CombinedVisit, Inspection
from inspections.services import combined as combined_services
from inventory.models import MarketEntity
from tenancy.context import OrgKind, Role
from tenancy.scoping import actor_scope
from tests.factories import marker

from .cases_inspections_integration import make_joint_visit_offer
from .registry import Case


def _department(world, org_key: str) -> str:
    return f"{org_key[0]}1" if world.orgs[org_key].kind == OrgKind.OFFICE else org_key


def _cache(world) -> dict:
    # Two draws per object: one per (kind, organization) and world, as make_inspection does.
    return world.__dict__.setdefault("_combined", {})


def make_open_offer(world, org_key: str) -> MarketEntity:
    """A firm with an open offer (not combined) in ``org_key``'s county."""
    cache = _cache(world)
    if ("offer", org_key) not in cache:
        cache[("offer", org_key)] = make_joint_visit_offer(world, _department(world, org_key))
    return cache[("offer", org_key)]


def make_combined_visit(world, org_key: str) -> CombinedVisit:
    """A combined visit of the county office of ``org_key`` for a new offer's two inspections."""
    cache = _cache(world)
    if ("combined", org_key) in cache:
        return cache[("combined", org_key)]
    entity = make_joint_visit_offer(world, _department(world, org_key))
    office = f"{org_key[0]}O"
    with scopes_disabled():
        ids = list(Inspection.objects.filter(entity=entity, is_current=True).values_list("pk", flat=True))
    actor = world.actor(office, Role.PLANNER)
    today = timezone.localdate()
    with actor_scope(actor):
        combined = combined_services.combined_visit_accept(
            actor=actor, inspections=ids, visit_on=combined_services.first_day(None, None, today=today),
            note=f"{marker(org_key)} 上午九点在企业门口集合",
        )
    cache[("combined", org_key)] = combined
    return combined


FACTORIES = {"combined_visit": make_combined_visit, "combined_offer": make_open_offer}

CASES = {
    "inspections:combined_list": Case(factory="combined_visit", kind="list", shared=True, query="state=all"),
    "inspections:combined_accept": Case(factory="combined_offer", kwargs=lambda e: {"entity": e.pk}),
    "inspections:combined_detail": Case(factory="combined_visit", shared=True),
    "inspections:combined_cancel": Case(factory="combined_visit", shared=True, method="post", data={"reason": "企业停业整顿"}),
    "inspections:combined_record": Case(factory="combined_visit", shared=True),
    "inspections:combined_record_pdf": Case(factory="combined_visit", shared=True),
    "api:combinedvisit-list": Case(factory="combined_visit", kind="list", shared=True, query="state=all"),
    "api:combinedvisit-detail": Case(factory="combined_visit", shared=True),
}
