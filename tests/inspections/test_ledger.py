"""The firm's ledger: the entity page's "检查记录" lists its inspections as the reader may see
them (a department its own and its joint visits; another department of the county none of them)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.inspections.conftest import drawn
from tests.inspections.support import confirm_all, fill, first, submit

pytestmark = pytest.mark.django_db


def test_the_entity_page_lists_the_firms_inspections_to_those_who_may_see_them(world, client, login):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    fill(d, inspection, results=["01"])
    submit(d, inspection)
    url = reverse("inventory:entity_detail", kwargs={"pk": inspection.entity_id})
    page = login(world.user("A1", "planner")).get(url).content.decode()
    assert 'data-testid="entity-inspections"' in page and "检查记录" in page
    assert d.draw.task.name in page and "未发现问题" in page and "已提交" in page
    assert reverse("inspections:detail", kwargs={"pk": inspection.pk}) in page
    client.logout()
    other = login(world.user("A2", "planner")).get(url).content.decode()
    assert "暂无您可查看的检查记录。" in other and d.draw.task.name not in other


def test_real_inspections_are_counted_across_departments_and_overlapping_visits_offered_as_one(world):
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from inspections.models import Inspection
    from inspections.selectors.ledger import inspected_times, joint_visit_offers
    from inventory.models import RegistryEntry
    from tenancy.scoping import actor_scope
    from tests import factories

    d = drawn(world, "A1", entities=12, inspectors=4)
    with scopes_disabled():
        visits = list(Inspection.objects.filter(draw=d.draw).select_related("entity").order_by("pk"))
        both = [v.entity for v in visits[:2]]
        a2 = world.orgs["A2"]
        RegistryEntry.objects.bulk_create(RegistryEntry(organization=a2, region=a2.region, entity=e) for e in both)
    plan = factories.make_approved_plan(world, "A2")
    factories.draw_selecting(plan, both)
    year = timezone.localdate().year
    with actor_scope(world.actor("A2", "planner")) as a2_planner:
        times = inspected_times(actor=a2_planner, year=year)
        assert Inspection.objects.filter(draw=d.draw).count() == 0  # A1's own rows stay unseen
    assert {e.pk: times[e.pk] for e in both} == {both[0].pk: 2, both[1].pk: 2}
    assert all(times[v.entity_id] == 1 for v in visits[2:])
    with actor_scope(world.actor("AO", "leader")) as office:
        offers = joint_visit_offers(actor=office)
    assert sorted(o.entity.pk for o in offers) == sorted(e.pk for e in both)
    assert all(o.departments == sorted([world.orgs["A1"].pk, a2.pk]) for o in offers)
    with actor_scope(world.actor("A1", "planner")) as department:
        assert joint_visit_offers(actor=department) == []
