"""The demo: an approved plan and a ready task per department, the 阳城县 joint plan; idempotent."""

from __future__ import annotations

import io

import pytest
from django_scopes import scopes_disabled

from sampling import demo
from sampling.models import SamplingPlan, SamplingTask
from sampling.selectors.pool import task_pool
from tenancy.actors import actor_for
from tenancy.demo import seed_organizations
from tenancy.scoping import actor_scope

from .test_plans_world import item, registry

pytestmark = pytest.mark.django_db


def test_demo_seed_is_ready_to_draw_and_idempotent():
    with scopes_disabled():
        orgs, _accounts = seed_organizations("Demo-Pass-2026")
    wlj, sjj, office = orgs["140522-WLJ"], orgs["140522-SJJ"], orgs["140522-SSJB"]
    for org in (wlj, sjj):
        item(org, code=f"{org.code}-01")
        item(org, code=f"{org.code}-02")
        item(org, code=f"{org.code}-03")
    registry(wlj, {"A": 30, "B": 20, "C": 10, "D": 5})
    registry(sjj, {"A": 10, "D": 5})
    departments = [o for o in orgs.values() if o.kind == "department"]
    out = io.StringIO()
    with scopes_disabled():
        demo.seed(orgs=orgs, entities=10, stdout=out)
        demo.seed(orgs=orgs, entities=10, stdout=out)
        plans = list(SamplingPlan.objects.all())
        tasks = list(SamplingTask.objects.all())
        assert len(plans) == len(departments) + 1 and len(tasks) == len(departments) + 1
        assert {p.status for p in plans} == {"approved"}
        assert {t.status for t in tasks} == {"ready"}
        dept_plan = SamplingPlan.objects.get(organization=wlj)
        assert dept_plan.strata == [{"stratum": "A", "ratio": "0.03"}, {"stratum": "B", "ratio": "0.05"},
                                    {"stratum": "C", "ratio": "0.10"}, {"stratum": "D", "ratio": "0.20"}]
        assert (dept_plan.batches, dept_plan.approved_by.username) == (4, "yc_wl_leader")
        assert dept_plan.items.count() == 3
        wl_task = SamplingTask.objects.get(organization=wlj)
        assert wl_task.team_requirements == [{"department": wlj.pk, "count": 2}]
        joint = SamplingPlan.objects.get(organization=office)
        assert joint.kind == "joint" and joint.items.count() == 4
        assert sorted(joint.participants.values_list("department__code", flat=True)) == ["140522-SJJ", "140522-WLJ"]
        joint_task = SamplingTask.objects.get(plan=joint)
        assert sorted(e["count"] for e in joint_task.team_requirements) == [1, 1]
    assert "2 ready tasks" not in out.getvalue().splitlines()[-1] and "0 plans and 0 ready tasks" in out.getvalue()
    # The joint task's pool: the union of both registries, seen by the office.
    actor = actor_for(None, office, roles=frozenset({"planner"}))
    with actor_scope(actor):
        pool = task_pool(actor=actor, task=joint_task)
    assert pool.eligible == 80 and pool.counts["A-低风险"] == 40
    assert joint_task.uid.startswith("140522-SSJB-")
