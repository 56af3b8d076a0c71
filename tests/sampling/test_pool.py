"""The pool builder: base set, scope filters, strata, focus stratum, exclusions with exact counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from sampling import hashrank
from sampling.models import HigherPlanCoverage, SamplingPlan
from sampling.pool import FOCUS_LABEL, REASON_BY_PLAN, REASON_HIGHER, REASON_INACTIVE, RISK_LABELS
from sampling.selectors.pool import plan_pool, plan_pool_counts, task_pool, task_pool_counts
from tenancy.scoping import actor_scope
from tests.factories import draw_selecting

from .test_plans_world import entity, plan, register, registry, task

pytestmark = pytest.mark.django_db

RISK = ["A-低风险", "B-一般风险", "C-较高风险", "D-高风险"]


def assert_counts_match(pool, counts) -> None:
    """The previews' counts (counted by the database) are the pool's, stratum by stratum and
    reason by reason."""
    assert counts.counts == pool.counts and counts.excluded_counts == pool.excluded_counts
    assert counts.strata == pool.strata
    assert (counts.eligible, counts.excluded, counts.total) == (pool.eligible, len(pool.excluded), pool.total)


def test_stratum_labels():
    assert [RISK_LABELS[c] for c in "ABCD"] == RISK  # the strata as draw records name them


def test_risk_strata_counts_and_candidates(world):
    a1 = world.orgs["A1"]
    made = registry(a1, {"A": 5, "B": 3, "C": 2, "D": 1})
    p = plan(a1)
    with actor_scope(world.actor("A1", "planner")):
        pool = plan_pool(actor=world.actor("A1", "planner"), plan=p)
    assert pool.counts == dict(zip(RISK, [5, 3, 2, 1], strict=True))
    assert [s.stratum for s in pool.strata] == RISK
    assert [s.ratio for s in pool.strata] == ["0.03", "0.05", "0.10", "0.20"]
    assert len(pool.candidates) == 11 and pool.excluded == [] and pool.excluded_counts == {}
    assert sorted(c.key for c in pool.candidates) == sorted(e.code for e in made)
    assert {c.stratum for c in pool.candidates if c.key.startswith("TA1C")} == {"C-较高风险"}
    # Another department's registry in the same county is not in the base set.
    registry(world.orgs["A2"], {"A": 4})
    with actor_scope(world.actor("A1", "planner")):
        assert plan_pool(actor=world.actor("A1", "planner"), plan=p).eligible == 11


def test_retired_entries_are_not_in_the_base_set(world):
    a1 = world.orgs["A1"]
    registry(a1, {"A": 2})
    register(a1, [entity(a1, "GONE1")], status="retired")
    with actor_scope(world.actor("A1")):
        assert plan_pool(actor=world.actor("A1"), plan=plan(a1)).eligible == 2


def test_single_stratum_and_counts_mode(world):
    a1 = world.orgs["A1"]
    registry(a1, {"A": 2, "D": 3})
    p = plan(a1, strata_mode="single", strata=[{"stratum": "全部", "count": 2}])
    with actor_scope(world.actor("A1")):
        pool = plan_pool(actor=world.actor("A1"), plan=p)
    assert pool.counts == {"全部": 5}
    assert pool.strata == [hashrank.Stratum("全部", count=2)]


def test_focus_stratum_takes_abnormal_dishonest_and_complaint_heavy(world):
    a1 = world.orgs["A1"]
    registry(a1, {"A": 4})
    register(a1, [
        entity(a1, "F1", risk="A", on_abnormal_list=True),
        entity(a1, "F2", risk="D", on_dishonest_list=True),
        entity(a1, "F3", risk="B", complaint_count=3),
        entity(a1, "N1", risk="B", complaint_count=2),  # below focus_complaints=3
    ])
    p = plan(a1, focus_ratio="0.5", focus_complaints=3)
    with actor_scope(world.actor("A1")):
        pool = plan_pool(actor=world.actor("A1"), plan=p)
        assert_counts_match(pool, plan_pool_counts(actor=world.actor("A1"), plan=p))
    assert pool.counts[FOCUS_LABEL] == 3
    assert pool.counts["A-低风险"] == 4 and pool.counts["B-一般风险"] == 1 and pool.counts["D-高风险"] == 0
    assert pool.strata[-1] == hashrank.Stratum(FOCUS_LABEL, ratio="0.5")  # CJK sorts after ASCII
    assert {c.key for c in pool.candidates if c.stratum == FOCUS_LABEL} == {"F1", "F2", "F3"}


def test_exclusions_in_order_with_exact_counts(world):
    a1 = world.orgs["A1"]
    actor = world.actor("A1", "planner")
    live = registry(a1, {"A": 10})
    dead = [entity(a1, "DEREG1", status="deregistered"), entity(a1, "REVOK1", status="revoked")]
    register(a1, dead)
    p = plan(a1, status="approved")
    # Drawn by this plan already: 3 (one of them also higher-covered since, counted as higher).
    draw_selecting(p, [live[1], live[2], live[3]])
    # A reserve row does not count.
    draw_selecting(p, [live[5]], reserve=True)
    with scopes_disabled():
        # Covered by a higher plan: 2 live entities and one deregistered (which counts as inactive: first rule).
        for e in [live[0], live[1], dead[0]]:
            HigherPlanCoverage.objects.create(organization=a1, region=a1.region, plan=p, entity=e, source="省局计划")
    with actor_scope(actor):
        pool = plan_pool(actor=actor, plan=p)
        assert_counts_match(pool, plan_pool_counts(actor=actor, plan=p))
    assert pool.excluded_counts == {REASON_INACTIVE: 2, REASON_HIGHER: 2, REASON_BY_PLAN: 2}
    assert {(x.key, x.reason) for x in pool.excluded} >= {("DEREG1", REASON_INACTIVE), (live[3].code, REASON_BY_PLAN)}
    assert pool.eligible == 6 and pool.total == 12


def test_exclusion_rules_can_be_switched_off(world):
    a1 = world.orgs["A1"]
    live = registry(a1, {"A": 3})
    register(a1, [entity(a1, "DEREG1", status="deregistered")])
    p = plan(a1, exclude_inactive=False, exclude_inspected_by_plan=False, annual_cap=0, status="approved")
    draw_selecting(p, live[:2])
    with actor_scope(world.actor("A1")):
        pool = plan_pool(actor=world.actor("A1"), plan=p)
    assert pool.eligible == 4 and pool.excluded == []


def test_earlier_versions_draws_count_as_this_plan(world):
    a1 = world.orgs["A1"]
    live = registry(a1, {"B": 4})
    v1 = plan(a1, status="approved")
    draw_selecting(v1, live[:1])
    v2 = plan(a1, previous=v1, version=2, status="approved")
    with scopes_disabled():
        SamplingPlan.objects.filter(pk=v1.pk).update(status="superseded")
    with actor_scope(world.actor("A1")):
        assert plan_pool(actor=world.actor("A1"), plan=v2).excluded_counts == {REASON_BY_PLAN: 1}


def test_annual_cap_counts_draws_of_other_plans_in_the_region(world):
    a1, ao = world.orgs["A1"], world.orgs["AO"]
    live = registry(a1, {"A": 5})
    mine = plan(a1, exclude_inspected_by_plan=True, annual_cap=2)
    other1 = plan(a1, name="其他计划一", status="approved")
    joint = plan(ao, kind="joint", name="联合计划", participants=[a1], status="approved")
    last_year = plan(a1, name="去年计划", year=2025, status="approved")
    draw_selecting(other1, [live[0], live[1]])
    draw_selecting(joint, [live[0], live[2]])
    draw_selecting(last_year, [live[1], live[1 + 2]])  # another year: not counted
    with actor_scope(world.actor("A1")):
        pool = plan_pool(actor=world.actor("A1"), plan=mine)
    assert pool.excluded_counts == {"本年度已被抽查2次": 1}
    assert [x.key for x in pool.excluded] == [live[0].code]
    # A cap of 1 also excludes the ones drawn once.
    mine.annual_cap = 1
    with actor_scope(world.actor("A1")):
        pool = plan_pool(actor=world.actor("A1"), plan=mine)
        assert_counts_match(pool, plan_pool_counts(actor=world.actor("A1"), plan=mine))
    assert pool.excluded_counts == {"本年度已被抽查2次": 1, "本年度已被抽查1次": 2}


def test_annual_cap_counts_another_departments_draws_without_showing_them(world):
    """曲阳 §17: at most 2 inspections a year by anyone — A2's draws count for A1's pool, and
    A1 still cannot read A2's selections; another county's draws do not count."""
    from sampling.models import DrawSelection

    a1, a2, b1 = world.orgs["A1"], world.orgs["A2"], world.orgs["B1"]
    live = registry(a1, {"A": 3})
    register(a2, live)
    mine = plan(a1, annual_cap=2)
    draw_selecting(plan(a2, name="甲", status="approved"), [live[0], live[1]])
    draw_selecting(plan(a2, name="乙", status="approved"), [live[0]])
    # Another county's draw of its own entity, under the same code, does not count either.
    twin = entity(b1, live[1].code)
    register(b1, [twin])
    draw_selecting(plan(b1, name="外县", status="approved"), [twin])
    with actor_scope(world.actor("A1")):
        pool = plan_pool(actor=world.actor("A1"), plan=mine)
        assert not DrawSelection.objects.filter(organization=a2).exists()
    assert pool.excluded_counts == {"本年度已被抽查2次": 1}
    assert [x.key for x in pool.excluded] == [live[0].code]


def test_joint_plan_is_the_union_of_participants_registries(world):
    a1, a2, ao = world.orgs["A1"], world.orgs["A2"], world.orgs["AO"]
    shared = entity(a1, "SHARED1", risk="C")
    register(a1, [shared, entity(a1, "ONLY1", risk="A")])
    register(a2, [shared, entity(a1, "ONLY2", risk="D")])
    registry(world.orgs["B1"], {"A": 3})  # another county
    p = plan(ao, kind="joint", participants=[a1, a2])
    with actor_scope(world.actor("AO")):
        pool = plan_pool(actor=world.actor("AO"), plan=p)
    assert sorted(c.key for c in pool.candidates) == ["ONLY1", "ONLY2", "SHARED1"]
    assert pool.counts == {"A-低风险": 1, "B-一般风险": 0, "C-较高风险": 1, "D-高风险": 1}
    # A participant reads through its own scope: its part of the pool.
    with actor_scope(world.actor("A1")):
        part = plan_pool(actor=world.actor("A1"), plan=p)
        assert_counts_match(part, plan_pool_counts(actor=world.actor("A1"), plan=p))
    with actor_scope(world.actor("AO")):
        assert_counts_match(pool, plan_pool_counts(actor=world.actor("AO"), plan=p))  # SHARED1 once
    assert sorted(c.key for c in part.candidates) == ["ONLY1", "SHARED1"]


def test_scope_filters_and_task_overrides(world):
    a1 = world.orgs["A1"]
    register(a1, [entity(a1, "E1", entity_type="enterprise", industry_code="8710")], tags=["网吧"])
    register(a1, [entity(a1, "E2", entity_type="individual", industry_code="8720")], tags=["网吧", "娱乐场所"])
    register(a1, [entity(a1, "E3", entity_type="individual", industry_code="5211")], tags=["娱乐场所"])
    register(world.orgs["A2"], [entity(a1, "E4", entity_type="individual", industry_code="8710")], tags=["网吧"])
    actor = world.actor("A1")

    def keys(**scope):
        with actor_scope(actor):
            return sorted(c.key for c in plan_pool(actor=actor, plan=plan(a1, scope=scope)).candidates)

    assert keys() == ["E1", "E2", "E3"]
    assert keys(entity_types=["individual"]) == ["E2", "E3"]
    assert keys(industry_prefixes=["87"]) == ["E1", "E2"]
    assert keys(industry_prefixes=["871", "52"]) == ["E1", "E3"]
    assert keys(tags=["网吧"]) == ["E1", "E2"]
    assert keys(tags=["网吧", "娱乐场所"]) == ["E1", "E2", "E3"]
    assert keys(region_codes=["140522"]) == ["E1", "E2", "E3"]
    assert keys(region_codes=["130634"]) == []
    assert keys(entity_types=["individual"], tags=["网吧"]) == ["E2"]
    # A task's non-empty keys replace the plan's; its strata replace the plan's.
    p = plan(a1, scope={"entity_types": ["individual"], "tags": ["网吧"]})
    t = task(p, scope={"tags": ["娱乐场所"]}, strata=[{"stratum": "B", "count": 1}])
    with actor_scope(actor):
        pool = task_pool(actor=actor, task=t)
        assert_counts_match(pool, task_pool_counts(actor=actor, task=t))
    assert sorted(c.key for c in pool.candidates) == ["E2", "E3"]
    assert hashrank.Stratum("B-一般风险", count=1) in pool.strata
    assert hashrank.Stratum("A-低风险", ratio="0.03") in pool.strata  # missing entries: defaults


def test_pool_is_a_fixed_number_of_queries(world):
    a1 = world.orgs["A1"]
    p = plan(a1)
    registry(a1, {"A": 5})
    actor = world.actor("A1")
    with actor_scope(actor), CaptureQueriesContext(connection) as small:
        plan_pool(actor=actor, plan=p)
    registry(a1, {"B": 60}, prefix="MORE")
    with actor_scope(actor), CaptureQueriesContext(connection) as big:
        pool = plan_pool(actor=actor, plan=p)
    assert pool.eligible == 65
    assert len(big.captured_queries) == len(small.captured_queries) <= 6


def test_pool_result_feeds_the_engine(world):
    a1 = world.orgs["A1"]
    registry(a1, {"A": 40, "D": 10})
    with actor_scope(world.actor("A1")):
        pool = plan_pool(actor=world.actor("A1"), plan=plan(a1))
    sel = hashrank.select(b"\x01" * 32, pool.candidates, pool.strata, 1)
    assert [(a.stratum, a.eligible, a.selected) for a in sel.allocation] == [
        ("A-低风险", 40, 2), ("B-一般风险", 0, 0), ("C-较高风险", 0, 0), ("D-高风险", 10, 2)
    ]
    assert len(hashrank.pool_hash(pool.candidates)) == 64


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database's grouping is PostgreSQL's")
def test_grouping_in_the_database_equals_grouping_here(world, monkeypatch):
    """On PostgreSQL each group's codes come back joined (string_agg); elsewhere rows are grouped
    in Python. Both must give the same pool, with every rule at work."""
    from sampling.selectors import pool as pool_module

    a1, a2 = world.orgs["A1"], world.orgs["A2"]
    live = registry(a1, {"A": 6, "B": 5, "C": 4, "D": 3})
    register(a1, [entity(a1, "DEREG1", status="deregistered"), entity(a1, "F1", risk="A", on_abnormal_list=True)])
    register(a2, live[:4])
    p = plan(a1, focus_ratio="0.5", annual_cap=1, status="approved")
    with scopes_disabled():
        HigherPlanCoverage.objects.create(organization=a1, region=a1.region, plan=p, entity=live[5], source="省局计划")
    draw_selecting(p, [live[0], live[1]])
    draw_selecting(plan(a2, name="乙", status="approved"), [live[2]])
    original = pool_module._buckets
    results = []
    for in_database in (True, False):
        monkeypatch.setattr(pool_module, "_buckets", lambda qs, in_database, flag=in_database: original(qs, in_database=flag))
        with actor_scope(world.actor("A1")):
            results.append(plan_pool(actor=world.actor("A1"), plan=p))
    fast, plain = results
    assert fast.groups == plain.groups and fast.excluded == plain.excluded and fast.total == plain.total
    assert fast.canonical == plain.canonical
    assert fast.excluded_counts == {REASON_INACTIVE: 1, REASON_HIGHER: 1, REASON_BY_PLAN: 2, "本年度已被抽查1次": 1}
    assert fast.counts[FOCUS_LABEL] == 1


def test_industry_prefixes_match_codes_with_or_without_their_section_letter(world):
    """Entities store "F5211"; rows written before the letter was added may hold "5211". A
    plan's "52", "F52" or "F" selects both; "F53" and "G" select neither."""
    a1 = world.orgs["A1"]
    register(a1, [entity(a1, "IND1", industry_code="F5211"), entity(a1, "IND2", industry_code="5212"),
                  entity(a1, "IND3", industry_code="G5320"), entity(a1, "IND4", industry_code="")])
    actor = world.actor("A1", "planner")
    for prefixes, expected in [
        (["F52"], {"IND1", "IND2"}), (["F"], {"IND1", "IND2"}), (["F5211"], {"IND1"}),
        (["G"], {"IND3"}), (["F53"], set()), (["F5212", "G53"], {"IND2", "IND3"}),
    ]:
        with actor_scope(actor):
            pool = plan_pool(actor=actor, plan=plan(a1, scope={"industry_prefixes": prefixes}))
        assert {c.key for c in pool.candidates} == expected, prefixes
