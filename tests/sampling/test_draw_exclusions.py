"""DRAW_EXCLUSIONS: the pool asks the registered exclusion rules (sampling's annual cap, and what a
later app adds) after its own, each entity with the first reason that applies."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from inventory.models import MarketEntity, RegistryEntry
from sampling.extensions import DRAW_EXCLUSIONS, DrawExclusion
from sampling.pool import REASON_INACTIVE, cap_exclusions
from sampling.selectors.pool import task_pool, task_pool_counts
from tenancy.context import Role
from tenancy.scoping import actor_scope
from tests.factories import make_ready_task

pytestmark = pytest.mark.django_db


def test_cap_exclusions_group_entities_by_their_own_count():
    assert cap_exclusions({7: 2, 8: 3, 9: 1, 10: 2}, 2) == [("本年度已被抽查3次", [8]), ("本年度已被抽查2次", [7, 10])]
    assert cap_exclusions({}, 2) == []


def test_sampling_registers_its_annual_cap():
    assert "sampling.annual_cap" in DRAW_EXCLUSIONS
    assert DRAW_EXCLUSIONS.get("sampling.annual_cap").order < 100


@pytest.fixture
def visited_rule():
    """A later app's rule: the entities it names are left out as 已现场检查."""
    named: list[int] = []

    def excluded(*, actor, plan, year):
        return [("本年度已现场检查", list(named))]

    DRAW_EXCLUSIONS.register(DrawExclusion(key="tests.visited", excluded=excluded, order=200))
    yield named
    DRAW_EXCLUSIONS.unregister("tests.visited")


def test_a_registered_rule_leaves_its_entities_out_with_its_reason(world, visited_rule):
    task = make_ready_task(world, "A1", entities=12, inspectors=3)
    with scopes_disabled():
        ids = list(RegistryEntry.objects.filter(organization=world.orgs["A1"], tags__isnull=True)
                   .order_by("entity_id").values_list("entity_id", flat=True))
        entities = {e.pk: e for e in MarketEntity.objects.filter(pk__in=ids)}
        first, second = [i for i in ids if i in entities][:2]
        # The pool's own rules come first: a deregistered entity keeps that reason.
        MarketEntity.objects.filter(pk=second).update(status=MarketEntity.Status.DEREGISTERED)
    actor = world.actor("A1", Role.PLANNER)
    with actor_scope(actor):
        before = task_pool(actor=actor, task=task)
    visited_rule.extend([first, second])
    with actor_scope(actor):
        pool = task_pool(actor=actor, task=task)
        counts = task_pool_counts(actor=actor, task=task)
    reasons = {e.key: e.reason for e in pool.excluded}
    assert reasons[entities[first].code] == "本年度已现场检查"
    assert reasons[entities[second].code] == REASON_INACTIVE
    assert pool.eligible == before.eligible - 1 and entities[first].code not in pool
    assert counts.excluded_counts["本年度已现场检查"] == 1 and counts.eligible == pool.eligible
