"""Task services: created from plans in force, validated (team, window, items), joint visibility."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_scopes import scopes_disabled

from sampling.models import PlanParticipant, SamplingPlan, SamplingTask
from sampling.services.plans import task_cancel, task_create, task_preview, task_set_ready, task_update
from tenancy.scoping import actor_scope

from .test_plans_world import item, plan, registry

pytestmark = pytest.mark.django_db


def setup_plan(world, org="A1", status="approved", **extra):
    o = world.orgs[org]
    items = [item(o), item(o)]
    p = plan(o, status=status, **extra)
    with scopes_disabled():
        p.items.set(items)
    return p, items


def task_data(p, items, **extra):
    values = {
        "batch_no": 2, "name": "2026年第二季度", "items": items,
        "team_requirements": [{"department": p.organization_id, "count": 2}],
        "window_start": dt.date(2026, 4, 1), "window_end": dt.date(2026, 6, 30), "reserve_size": 2,
    }
    values.update(extra)
    return values


def create(world, p, items, org="A1", role="planner", **extra):
    actor = world.actor(org, role)
    with actor_scope(actor):
        return task_create(actor=actor, plan=p, data=task_data(p, items, **extra))


def test_task_from_an_approved_plan_gets_a_default_uid(world):
    p, items = setup_plan(world)
    t = create(world, p, items[:1])
    assert (t.status, t.uid, t.batch_no, t.plan_id) == ("draft", "T-A1-2026-2", 2, p.pk)
    with scopes_disabled():
        assert list(t.items.all()) == items[:1]
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        t = task_set_ready(actor=actor, task=t)
    assert t.status == "ready" and t.get_status_display() == "待抽取"
    # The uid is public and unique everywhere.
    with pytest.raises(ValidationError) as exc:
        create(world, p, items[:1])
    assert exc.value.message_dict["uid"] == ["任务编号“T-A1-2026-2”已被使用，请换一个"]


def test_only_plans_in_force_get_tasks(world):
    p, items = setup_plan(world, status="draft")
    with pytest.raises(ValidationError) as exc:
        create(world, p, items)
    assert exc.value.messages == ["只有已批准或已公开的计划可以创建抽查任务"]


def test_validation_team_window_items_batch(world):
    p, items = setup_plan(world)
    foreign = item(world.orgs["A1"])  # not in the plan
    with pytest.raises(ValidationError) as exc:
        create(world, p, [foreign], batch_no=5, name=" ",
               team_requirements=[{"department": p.organization_id, "count": 1}],
               window_start=dt.date(2026, 7, 1), window_end=dt.date(2026, 6, 1))
    errors = exc.value.message_dict
    assert errors["items"] == ["任务的抽查事项须为年度计划中的事项"]
    assert errors["batch_no"] == ["批次应在 1–4 之间"]
    assert errors["name"] == ["请填写任务名称"]
    assert "不少于 2 名" in errors["team_requirements"][0]
    assert errors["window_end"] == ["检查截止日期不能早于开始日期"]
    with pytest.raises(ValidationError) as exc:
        create(world, p, items, team_requirements=[{"department": world.orgs["A2"].pk, "count": 2}])
    assert exc.value.message_dict["team_requirements"] == ["部门抽查任务的检查组只能由本部门人员组成"]
    with pytest.raises(ValidationError) as exc:
        create(world, p, items, strata=[{"stratum": "A", "ratio": "0"}])
    assert "比例" in exc.value.message_dict["strata"][0]


def test_the_window_lies_inside_the_plan_year(world):
    p, items = setup_plan(world, year=2027)
    with pytest.raises(ValidationError) as exc:
        create(world, p, items, window_start=dt.date(2025, 4, 1), window_end=dt.date(2028, 1, 5))
    errors = exc.value.message_dict
    assert errors["window_start"] == ["检查开始日期应在计划年度内（2027-01-01 至 2027-12-31），现为 2025-04-01"]
    assert errors["window_end"] == ["检查截止日期应在计划年度内（2027-01-01 至 2027-12-31），现为 2028-01-05"]
    with pytest.raises(ValidationError) as exc:
        create(world, p, items, window_start=dt.date(2027, 7, 1), window_end=dt.date(2027, 6, 30))
    assert exc.value.message_dict == {"window_end": ["检查截止日期不能早于开始日期"]}
    t = create(world, p, items, window_start=dt.date(2027, 1, 1), window_end=dt.date(2027, 12, 31))
    assert (t.window_start, t.window_end) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    actor = world.actor("A1", "planner")
    with actor_scope(actor), pytest.raises(ValidationError) as exc:
        task_update(actor=actor, task=t, data=task_data(p, items, uid=t.uid, window_end=dt.date(2026, 12, 31),
                                                         window_start=None))
    assert "window_end" in exc.value.message_dict


def test_roles(world):
    p, items = setup_plan(world)
    with pytest.raises(PermissionDenied):
        create(world, p, items, role="inspector")
    t = create(world, p, items)
    actor = world.actor("A1", "viewer")
    with actor_scope(actor), pytest.raises(PermissionDenied):
        task_set_ready(actor=actor, task=t)


def test_update_and_cancel(world):
    p, items = setup_plan(world)
    t = create(world, p, items[:1])
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        t = task_update(actor=actor, task=t, data=task_data(p, items, uid=t.uid, name="改名", reserve_size=3))
        assert (t.name, t.reserve_size, t.items.count()) == ("改名", 3, 2)
        with pytest.raises(ValidationError):
            task_cancel(actor=actor, task=t, reason="")
        t = task_cancel(actor=actor, task=t, reason="并入联合抽查")
        assert t.status == "cancelled"
        with pytest.raises(ValidationError):
            task_update(actor=actor, task=t, data=task_data(p, items, uid=t.uid))


def test_joint_task_team_per_department_and_visibility(world):
    a1, a2 = world.orgs["A1"], world.orgs["A2"]
    p, items = setup_plan(world, org="AO", kind="joint", participants=[a1, a2])
    i1, i2 = item(a1), item(a2)
    with scopes_disabled():
        p.items.set([i1, i2])
    with pytest.raises(ValidationError) as exc:
        create(world, p, [i1, i2], org="AO", team_requirements=[{"department": a1.pk, "count": 2}])
    assert exc.value.message_dict["team_requirements"] == ["联合抽查任务须为每个参与部门各填写一项人员要求"]
    t = create(world, p, [i1, i2], org="AO",
               team_requirements=[{"department": a1.pk, "count": 1}, {"department": a2.pk, "count": 1}])
    assert t.uid == "T-AO-2026-2"
    # Each participant sees the joint task; a department outside it does not; nor can it change it.
    for org in ("A1", "A2"):
        with actor_scope(world.actor(org)):
            assert SamplingTask.objects.filter(pk=t.pk).exists()
    with actor_scope(world.actor("B1")):
        assert not SamplingTask.objects.filter(pk=t.pk).exists()
    actor = world.actor("A1", "planner")
    with actor_scope(actor), pytest.raises(PermissionDenied):
        task_set_ready(actor=actor, task=t)


def test_task_preview_uses_task_overrides(world):
    a1 = world.orgs["A1"]
    registry(a1, {"A": 40, "B": 20})
    p, items = setup_plan(world)
    t = create(world, p, items, strata=[{"stratum": "A", "count": 5}])
    actor = world.actor("A1")
    with actor_scope(actor):
        pv = task_preview(actor=actor, task=t)
    rows = {r["stratum"]: r for r in pv["strata"]}
    assert (rows["A-低风险"]["eligible"], rows["A-低风险"]["quota"]) == (40, 5)
    assert (rows["B-一般风险"]["eligible"], rows["B-一般风险"]["quota"]) == (20, 1)
    assert pv["selected_total"] == 6 and pv["eligible"] == 60


def test_non_participant_of_the_same_county_does_not_see_the_joint_plan(world):
    a1 = world.orgs["A1"]
    p, items = setup_plan(world, org="AO", kind="joint", participants=[a1])
    t = create(world, p, items, org="AO", team_requirements=[{"department": a1.pk, "count": 2}])
    with actor_scope(world.actor("A1")):
        assert SamplingPlan.objects.filter(pk=p.pk).exists() and SamplingTask.objects.filter(pk=t.pk).exists()
    with actor_scope(world.actor("A2")):
        assert not SamplingPlan.objects.filter(pk=p.pk).exists()
        assert not SamplingTask.objects.filter(pk=t.pk).exists()
        assert not PlanParticipant.objects.filter(plan_id=p.pk).exists()
