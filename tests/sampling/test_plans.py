"""Plan services: creation rules, approval workflow and permissions, versioning, the preview."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from sampling.models import PlanReview, SamplingPlan
from sampling.services.plans import (
    plan_adjust,
    plan_approve,
    plan_create,
    plan_preview,
    plan_publish,
    plan_return,
    plan_submit,
    plan_update,
)
from tenancy.models import AuditEntry
from tenancy.scoping import actor_scope
from tests.factories import draw_selecting

from .test_plans_world import item, plan, registry

pytestmark = pytest.mark.django_db


THIS_YEAR = timezone.localdate().year


def data(items, **extra):
    values = {
        "year": THIS_YEAR, "name": "2026年度双随机抽查计划", "doc_no": "阳文旅发〔2026〕3号", "items": items,
        "frequency": "quarterly", "strata_mode": "risk",
        "strata": [{"stratum": "A", "ratio": "0.03"}, {"stratum": "B", "ratio": "0.05"},
                   {"stratum": "C", "ratio": "0.10"}, {"stratum": "D", "ratio": "0.20"}],
        "coverage_target": Decimal("0.2"), "annual_cap": 2,
    }
    values.update(extra)
    return values


def create(world, org="A1", role="planner", **extra):
    actor = world.actor(org, role)
    items = extra.pop("items", None) or [item(world.orgs[org])]
    with actor_scope(actor):
        return plan_create(actor=actor, data=data(items, **extra))


def items_of(p):
    with scopes_disabled():
        return list(p.items.all())


def act(world, org, role, fn, **kwargs):
    actor = world.actor(org, role)
    with actor_scope(actor):
        return fn(actor=actor, **kwargs)


def test_planner_creates_a_draft_department_plan(world):
    p = create(world)
    assert (p.kind, p.status, p.version, p.batches) == ("department", "draft", 1, 4)
    assert p.organization_id == world.orgs["A1"].pk and p.created_by_id == world.user("A1", "planner").pk
    with scopes_disabled():
        entry = AuditEntry.objects.get(target_type="sampling.samplingplan", target_id=str(p.pk))
        assert entry.action == "create" and entry.changes["items"][1] == list(p.items.values_list("pk", flat=True))


def test_creation_errors_are_field_errors_in_chinese(world):
    a2_item = item(world.orgs["A2"])
    with pytest.raises(ValidationError) as exc:
        create(world, items=[a2_item], name="", strata=[{"stratum": "A", "ratio": "1.5"}],
               coverage_target=Decimal("0"), frequency="custom", batches=0)
    errors = exc.value.message_dict
    assert errors["name"] == ["请填写计划名称"]
    assert errors["items"] == ["所选事项须为本单位的抽查事项"]
    assert "比例应为大于 0、不超过 1 的小数" in errors["strata"][0]
    assert "年度覆盖率目标" in errors["coverage_target"][0]
    assert errors["batches"] == ["批次数应为 1–52 的整数"]


def test_a_new_plan_is_for_this_year_or_next(world):
    for year in (2019, THIS_YEAR - 1, THIS_YEAR + 2):
        with pytest.raises(ValidationError) as exc:
            create(world, year=year)
        assert exc.value.message_dict["year"] == [
            f"年度应为今年（{THIS_YEAR}）或明年（{THIS_YEAR + 1}）；以往年度的计划不能新编"
        ], year
    assert create(world, year=THIS_YEAR + 1).year == THIS_YEAR + 1
    with pytest.raises(ValidationError) as exc:
        create(world, year="2026")
    assert exc.value.message_dict["year"] == ["请填写年度（4 位数字，如 2026）"]


def test_an_adjustment_keeps_its_plans_year(world):
    p = plan(world.orgs["A1"], year=THIS_YEAR - 1, status="published")  # last year's plan, still adjustable
    with scopes_disabled():
        p.items.set([item(world.orgs["A1"])])
    with pytest.raises(ValidationError) as exc:
        act(world, "A1", "planner", plan_adjust, plan=p, reason="改年度", data=data(items_of(p), year=THIS_YEAR))
    assert exc.value.message_dict["year"] == [f"调整计划不能改变年度：原计划为 {THIS_YEAR - 1} 年度"]
    new = act(world, "A1", "planner", plan_adjust, plan=p, reason="提高D类比例",
              data=data(items_of(p), year=THIS_YEAR - 1))
    assert new.year == THIS_YEAR - 1 and new.version == 2


def test_industry_prefixes_follow_gb_t_4754(world):
    with pytest.raises(ValidationError) as exc:
        create(world, scope={"industry_prefixes": ["abc", "F52", "U1", "8710"]})
    assert exc.value.message_dict["scope"] == [
        "行业代码前缀“ABC、U1”不符合 GB/T 4754：应为门类字母 A–T（可加 2–4 位数字，如 F、F52、F5211）或 2–4 位数字（如 52、8710）"
    ]
    p = create(world, scope={"industry_prefixes": ["f52", " 8710 ", "52"]})
    # Stored in the entities' form, the section letter first; "52" and "F52" are one prefix.
    assert p.scope["industry_prefixes"] == ["F52", "R8710"]
    with pytest.raises(ValidationError):
        create(world, scope={"industry_prefixes": ["A52"]})  # 52 is in section F, not A


def test_retired_and_old_items_are_refused(world):
    old = item(world.orgs["A1"], is_current=False, code="OLD")
    with pytest.raises(ValidationError) as exc:
        create(world, items=[old])
    assert exc.value.message_dict["items"] == ["只能选择现行有效的抽查事项"]


def test_roles_and_kinds(world):
    with pytest.raises(PermissionDenied):
        create(world, role="inspector")
    with pytest.raises(PermissionDenied):
        create(world, role="leader")
    # A department cannot write a joint plan.
    with pytest.raises(ValidationError) as exc:
        create(world, kind="joint")
    assert exc.value.message_dict["kind"] == ["部门联合抽查计划由双随机办编制"]


def test_office_creates_joint_plans_with_participants_items(world):
    i1, i2, ib = item(world.orgs["A1"]), item(world.orgs["A2"]), item(world.orgs["B1"])
    p = create(world, org="AO", items=[i1, i2], participants=[world.orgs["A1"], world.orgs["A2"]])
    assert p.kind == "joint"
    with scopes_disabled():
        parts = {pp.department_id: list(pp.items.all()) for pp in p.participants.all()}
    assert parts == {world.orgs["A1"].pk: [i1], world.orgs["A2"].pk: [i2]}
    # Each participant needs its own items; one participant is not a joint plan; other counties refused.
    with pytest.raises(ValidationError) as exc:
        create(world, org="AO", items=[i1], participants=[world.orgs["A1"], world.orgs["A2"]])
    assert "缺：A2" in exc.value.message_dict["items"][0]
    with pytest.raises(ValidationError) as exc:
        create(world, org="AO", items=[i1], participants=[world.orgs["A1"]])
    assert exc.value.message_dict["participants"] == ["部门联合抽查至少需要两个参与部门"]
    with pytest.raises(ValidationError) as exc:
        create(world, org="AO", items=[i1, ib], participants=[world.orgs["A1"], world.orgs["B1"]])
    assert "参与部门须为本辖区的行政监管部门" in exc.value.message_dict["participants"]


def test_workflow_submit_return_approve_publish(world):
    p = create(world)
    act(world, "A1", "planner", plan_submit, plan=p)
    # A planner cannot approve; a leader can return with a reason, then approve.
    with pytest.raises(PermissionDenied):
        act(world, "A1", "planner", plan_approve, plan=p)
    with pytest.raises(ValidationError) as exc:
        act(world, "A1", "leader", plan_return, plan=p, opinion=" ")
    assert exc.value.message_dict == {"opinion": ["退回时请填写审批意见（退回原因）"]}
    p = act(world, "A1", "leader", plan_return, plan=p, opinion="覆盖率偏低，请调整D类比例")
    assert p.status == "draft"
    p = act(world, "A1", "planner", plan_update, plan=p, data=data(items_of(p), name="修改后的计划"))
    act(world, "A1", "planner", plan_submit, plan=p)
    p = act(world, "A1", "leader", plan_approve, plan=p, opinion="同意。请按季度组织实施。")
    assert p.status == "approved" and p.approved_by_id == world.user("A1", "leader").pk and p.approved_at
    # Another department's leader never reaches it (its scope) and may not act on it.
    with pytest.raises(PermissionDenied):
        act(world, "A2", "leader", plan_publish, plan=p)
    p = act(world, "A1", "planner", plan_publish, plan=p)
    assert p.status == "published" and p.published_at
    with scopes_disabled():
        actions = list(AuditEntry.objects.filter(target_id=str(p.pk), target_type="sampling.samplingplan")
                       .order_by("id").values_list("action", "note"))
    assert [a for a, _ in actions] == ["create", "submit", "return", "update", "submit", "approve", "publish"]
    # The approval steps are the plan's own history, with the leader's opinions.
    leader, planner = world.user("A1", "leader"), world.user("A1", "planner")
    with scopes_disabled():
        reviews = list(PlanReview.objects.filter(plan=p).order_by("at", "id").values_list("decision", "opinion", "by_id"))
    assert reviews == [
        ("submitted", "", planner.pk), ("returned", "覆盖率偏低，请调整D类比例", leader.pk),
        ("submitted", "", planner.pk), ("approved", "同意。请按季度组织实施。", leader.pk),
    ]


def test_reviews_are_append_only_and_opinions_checked(world):
    p = create(world)
    act(world, "A1", "planner", plan_submit, plan=p)
    with pytest.raises(ValidationError) as exc:
        act(world, "A1", "leader", plan_approve, plan=p, opinion="同\x0b意")
    assert "控制字符（U+000B）" in exc.value.message_dict["opinion"][0]
    with pytest.raises(ValidationError) as exc:
        act(world, "A1", "leader", plan_return, plan=p, opinion="改" * 501)
    assert exc.value.message_dict["opinion"] == ["审批意见不能超过 500 个字（现 501 个）"]
    p.refresh_from_db()
    assert p.status == "submitted"  # nothing happened
    act(world, "A1", "leader", plan_approve, plan=p, opinion="第一行\n第二行")
    with scopes_disabled():
        review = PlanReview.objects.get(plan=p, decision="approved")
        assert review.opinion == "第一行\n第二行" and review.organization_id == p.organization_id
        review.opinion = "改写"
        with pytest.raises(ValidationError):
            review.save()
        with pytest.raises(ValidationError):
            review.delete()
    # A participant of nothing, another department, sees no review of it.
    with actor_scope(world.actor("A2")):
        assert not PlanReview.objects.filter(plan_id=p.pk).exists()


def test_migration_copies_review_steps_out_of_the_audit_log(world):
    """Sampling 0009: plans returned before the table existed keep their reasons."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("sampling.migrations.0009_plan_review_history")
    p = create(world)
    act(world, "A1", "planner", plan_submit, plan=p)
    act(world, "A1", "leader", plan_return, plan=p, opinion="请补充D类对象")
    with scopes_disabled():
        expected = list(PlanReview.objects.filter(plan=p).order_by("at", "id").values_list("decision", "opinion", "by_id", "at"))
        # As before the table existed: the steps only in the audit log.
        PlanReview.objects.filter(plan=p)._raw_delete(PlanReview.objects.db)
        migration.copy_reviews_from_audit_log(apps, None)
        copied = list(PlanReview.objects.filter(plan=p).order_by("at", "id").values_list("decision", "opinion", "by_id", "at"))
        tenants = set(PlanReview.objects.filter(plan=p).values_list("organization_id", "region_id"))
    assert [c[:3] for c in copied] == [e[:3] for e in expected] == [
        ("submitted", "", world.user("A1", "planner").pk), ("returned", "请补充D类对象", world.user("A1", "leader").pk),
    ]
    assert tenants == {(p.organization_id, p.region_id)}


def test_approved_plans_are_not_edited_in_place(world):
    p = create(world)
    act(world, "A1", "planner", plan_submit, plan=p)
    p = act(world, "A1", "leader", plan_approve, plan=p)
    with pytest.raises(ValidationError) as exc:
        act(world, "A1", "planner", plan_update, plan=p, data=data(items_of(p)))
    assert "调整计划" in exc.value.messages[0]


def test_adjustment_makes_a_new_version_and_supersedes_on_approval(world):
    p = create(world)
    act(world, "A1", "planner", plan_submit, plan=p)
    act(world, "A1", "leader", plan_approve, plan=p)
    p = act(world, "A1", "planner", plan_publish, plan=p)
    with pytest.raises(ValidationError) as exc:
        act(world, "A1", "planner", plan_adjust, plan=p, reason="")
    assert exc.value.message_dict == {"reason": ["请填写调整原因"]}
    new = act(world, "A1", "planner", plan_adjust, plan=p, reason="新增网吧专项",
              data=data(items_of(p), coverage_target=Decimal("0.25")))
    assert (new.version, new.previous_id, new.status, new.adjustment_reason) == (2, p.pk, "draft", "新增网吧专项")
    assert new.coverage_target == Decimal("0.25") and items_of(new) == items_of(p)
    p.refresh_from_db()
    assert p.status == "published"  # in force until the adjustment is approved
    with pytest.raises(ValidationError):
        act(world, "A1", "planner", plan_adjust, plan=p, reason="再调一次")
    act(world, "A1", "planner", plan_submit, plan=new)
    act(world, "A1", "leader", plan_approve, plan=new)
    p.refresh_from_db()
    assert p.status == "superseded" and str(new) == "2026年度双随机抽查计划（第2版）"


def test_preview_numbers_for_a_known_registry(world):
    a1 = world.orgs["A1"]
    registry(a1, {"A": 100, "B": 50, "C": 20, "D": 10})
    p = plan(a1)  # quarterly, 3/5/10/20 %, no overlap between batches
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        pv = plan_preview(actor=actor, plan=p)
    rows = {r["stratum"]: r for r in pv["strata"]}
    # ceil(n × r) on what earlier batches left: A 100→3,97→3,94→3,91→3 …
    assert rows["A-低风险"]["batches"] == [3, 3, 3, 3]
    assert rows["B-一般风险"]["batches"] == [3, 3, 3, 3]
    assert rows["C-较高风险"]["batches"] == [2, 2, 2, 2]
    assert rows["D-高风险"]["batches"] == [2, 2, 2, 1]
    assert [b["total"] for b in pv["batches"]] == [10, 10, 10, 9]
    assert pv["eligible"] == 180 and pv["draws_total"] == 39
    assert pv["coverage_pct"] == pytest.approx(39 / 180 * 100)
    assert pv["coverage_ok"] is True and pv["warnings"] == []
    assert rows["D-高风险"]["per_entity"] == pytest.approx(0.7)


def test_preview_warns_below_floor_and_below_target(world):
    a1 = world.orgs["A1"]
    registry(a1, {"A": 100})
    p = plan(a1, strata=[{"stratum": "A", "ratio": "0.02"}], batches=2, frequency="semiannual")
    actor = world.actor("A1")
    with actor_scope(actor):
        pv = plan_preview(actor=actor, plan=p)
    assert pv["strata"][0]["below_floor"] is True
    assert pv["coverage_pct"] == pytest.approx(4.0) and pv["coverage_ok"] is False
    assert any("低于 3%" in w for w in pv["warnings"]) and any("低于目标 20%" in w for w in pv["warnings"])


def test_preview_with_overlap_and_done_batches(world):
    a1 = world.orgs["A1"]
    live = registry(a1, {"D": 10})
    p = plan(a1, strata=[{"stratum": "D", "ratio": "0.5"}], exclude_inspected_by_plan=False, annual_cap=0, batches=2,
             frequency="semiannual")
    actor = world.actor("A1")
    with actor_scope(actor):
        pv = plan_preview(actor=actor, plan=p)
    d = pv["strata"][3]
    assert d["batches"] == [5, 5] and d["per_entity"] == 1.0
    assert d["coverage_pct"] == pytest.approx(75.0)  # 1 − (1 − 0.5)²
    # One batch done under the default rules: 5 drawn, the remaining batch draws from the rest.
    p2 = plan(a1, name="另一计划", strata=[{"stratum": "D", "ratio": "0.5"}], batches=2, frequency="semiannual", annual_cap=0,
              status="approved")
    draw_selecting(p2, live[:5])
    with actor_scope(actor):
        pv = plan_preview(actor=actor, plan=p2)
    assert (pv["done_batches"], pv["drawn_before"], pv["eligible"]) == (1, 5, 5)
    assert [b["no"] for b in pv["batches"]] == [2] and pv["strata"][3]["batches"] == [3]
    assert pv["coverage_pct"] == pytest.approx(80.0)


def test_preview_after_a_batch_counts_the_drawn_in_every_annual_figure(world):
    """After one batch the year's draws were shown without it (29) beside a coverage computed
    with it (39 of 180): every 全年 figure is now drawn + expected, and the coverage is its share."""
    a1 = world.orgs["A1"]
    live = registry(a1, {"A": 100, "B": 50, "C": 20, "D": 10})
    p = plan(a1, status="approved")  # quarterly, 3/5/10/20 %, no overlap between batches
    by_risk = {r: [e for e in live if e.risk_class == r] for r in "ABCD"}
    draw_selecting(p, by_risk["A"][:3] + by_risk["B"][:3] + by_risk["C"][:2] + by_risk["D"][:2])  # batch 1
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        pv = plan_preview(actor=actor, plan=p)
    rows = {r["stratum"]: r for r in pv["strata"]}
    assert (pv["done_batches"], pv["done_total"], pv["eligible"], pv["base"]) == (1, 10, 170, 180)
    assert rows["A-低风险"]["batches"] == [3, 3, 3] and rows["D-高风险"]["batches"] == [2, 2, 1]
    assert [b["total"] for b in pv["batches"]] == [10, 10, 9]
    # The year: 10 drawn + 29 expected = 39, the very figure of an undrawn plan (see above).
    assert (pv["draws_total"], pv["remaining_total"]) == (39, 29)
    assert pv["coverage_pct"] == pytest.approx(39 / 180 * 100)
    assert pv["per_entity"] == pytest.approx(39 / 180)
    assert (rows["A-低风险"]["done"], rows["A-低风险"]["total"], rows["A-低风险"]["base"]) == (3, 12, 100)
    assert rows["A-低风险"]["coverage_pct"] == pytest.approx(12.0)
    assert (rows["D-高风险"]["total"], rows["D-高风险"]["coverage_pct"]) == (7, pytest.approx(70.0))
    assert sum(r["total"] for r in pv["strata"]) == pv["draws_total"]


def test_preview_with_overlap_counts_drawn_batches_as_chances(world):
    a1 = world.orgs["A1"]
    live = registry(a1, {"D": 10})
    p = plan(a1, strata=[{"stratum": "D", "ratio": "0.5"}], exclude_inspected_by_plan=False, annual_cap=0, batches=2,
             frequency="semiannual", status="approved")
    draw_selecting(p, live[:5])
    actor = world.actor("A1")
    with actor_scope(actor):
        pv = plan_preview(actor=actor, plan=p)
    d = pv["strata"][3]
    # The same year as before any draw: 5 + 5 draws, 1 − (1 − 0.5)² of the 10 reached.
    assert (d["done"], d["batches"], d["total"], d["base"]) == (5, [5], 10, 10)
    assert d["coverage_pct"] == pytest.approx(75.0) and pv["draws_total"] == 10 and d["per_entity"] == 1.0


def test_joint_visibility_of_plans(world):
    i1, i2 = item(world.orgs["A1"]), item(world.orgs["A2"])
    p = create(world, org="AO", items=[i1, i2], participants=[world.orgs["A1"], world.orgs["A2"]])
    create(world, org="A2")
    with actor_scope(world.actor("A1")):
        assert list(SamplingPlan.objects.values_list("pk", flat=True)) == [p.pk]
        assert p.participants.count() == 2
    with actor_scope(world.actor("B1")):
        assert not SamplingPlan.objects.exists()
