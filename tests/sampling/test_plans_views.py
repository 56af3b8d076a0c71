"""Plan and task pages: forms keep what was typed, the preview renders its numbers, the workflow
buttons follow roles, other departments' plans are 404, joint plans reach their participants."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from sampling.models import SamplingPlan, SamplingTask
from tests.factories import draw_selecting

from .test_plans_world import item, plan, registry, task

pytestmark = pytest.mark.django_db


THIS_YEAR = timezone.localdate().year


def form_data(items, **extra):
    data = {
        "year": str(THIS_YEAR), "name": "2026年度文化市场双随机抽查计划", "doc_no": "阳文旅〔2026〕1号",
        "items": [str(i.pk) for i in items], "frequency": "quarterly", "strata_mode": "risk",
        "ratio_A": "3", "ratio_B": "5", "ratio_C": "10", "ratio_D": "20",
        "focus_complaints": "3", "annual_cap": "2", "coverage_target": "20",
        "exclude_inactive": "on", "exclude_higher_plan": "on", "exclude_inspected_by_plan": "on",
        "industry_prefixes": "8710, 52",
    }
    data.update(extra)
    return data


def test_create_plan_through_the_form_and_see_the_preview(world, login):
    a1 = world.orgs["A1"]
    registry(a1, {"A": 100, "B": 50, "C": 20, "D": 10})
    it = item(a1, name="网吧经营检查")
    client = login(world.user("A1", "planner"))
    page = client.get(reverse("sampling:plan_create")).content.decode()
    assert "网吧经营检查" in page and 'name="participants"' not in page
    response = client.post(reverse("sampling:plan_create"), form_data([it], industry_prefixes=""))
    with scopes_disabled():
        p = SamplingPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("sampling:plan_detail", args=[p.pk])
    assert p.strata == [{"stratum": "A", "ratio": "0.03"}, {"stratum": "B", "ratio": "0.05"},
                        {"stratum": "C", "ratio": "0.1"}, {"stratum": "D", "ratio": "0.2"}]
    assert p.coverage_target == Decimal("0.2") and p.batches == 4
    body = client.get(response["Location"]).content.decode()
    assert 'data-testid="preview-eligible">180<' in body
    assert 'data-testid="preview-draws">39<' in body
    assert 'data-testid="preview-coverage">21.7%<' in body
    assert 'data-testid="plan-submit"' in body and 'data-testid="plan-approve"' not in body


def test_form_errors_keep_what_was_typed(world, login):
    it = item(world.orgs["A1"])
    client = login(world.user("A1", "planner"))
    response = client.post(reverse("sampling:plan_create"),
                           form_data([it], name="保留的名称", ratio_A="", count_A="", ratio_B="5", count_B="7",
                                     region_codes="1405"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="保留的名称"' in body
    assert "请填写比例或数量" in body and "比例和数量只能填写一项" in body
    assert "行政区划代码应为 6 位数字" in body
    with scopes_disabled():
        assert not SamplingPlan.objects.exists()


def _field(body: str, name: str) -> str:
    """The markup of one field (or stratum row) of a rendered form."""
    return body.split(f'data-testid="{name}"')[1].split("</fieldset>" if name.startswith("stratum-") else '<div class="field')[0]


def test_plan_form_errors_stand_beside_their_fields(world, login):
    it = item(world.orgs["A1"])
    client = login(world.user("A1", "planner"))
    response = client.post(reverse("sampling:plan_create"), form_data(
        [it], year="2019", ratio_A="150", industry_prefixes="abc, F52"))
    body = response.content.decode()
    assert response.status_code == 200
    year = _field(body, "field-year")
    assert f"年度应为今年（{THIS_YEAR}）或明年（{THIS_YEAR + 1}）" in year and 'value="2019"' in year
    # 150 %: one error, not a second one saying the ratio is missing.
    row = _field(body, "stratum-A")
    assert "比例不能超过 100%（现为 150%）" in row and 'value="150"' in row and "请填写比例或数量" not in body
    prefixes = _field(body, "field-industry_prefixes")
    assert "行业代码前缀“ABC”不符合 GB/T 4754" in prefixes and 'value="abc, F52"' in prefixes
    with scopes_disabled():
        assert not SamplingPlan.objects.exists()


def test_a_strata_row_holds_ratio_and_count_side_by_side(world, login):
    body = login(world.user("A1", "planner")).get(reverse("sampling:plan_create")).content.decode()
    for key in "ABCD":
        row = _field(body, f"stratum-{key}")
        assert f'name="ratio_{key}"' in row and f'name="count_{key}"' in row, key
    assert 'name="ratio_ALL"' in _field(body, "stratum-ALL") and 'name="count_ALL"' in _field(body, "stratum-ALL")


def test_task_form_refuses_a_window_outside_the_plan_year(world, login):
    a1 = world.orgs["A1"]
    p = plan(a1, status="approved", year=THIS_YEAR + 1)
    it = item(a1)
    with scopes_disabled():
        p.items.set([it])
    client = login(world.user("A1", "planner"))
    response = client.post(reverse("sampling:task_create", args=[p.pk]), {
        "batch_no": "1", "name": "第一季度", "items": [str(it.pk)], f"team_{a1.pk}": "1", "reserve_size": "2",
        "window_start": f"{THIS_YEAR - 1}-04-01", "window_end": f"{THIS_YEAR + 1}-03-31",
    })
    body = response.content.decode()
    start = _field(body, "field-window_start")
    assert f"检查开始日期应在计划年度内（{THIS_YEAR + 1}-01-01 至 {THIS_YEAR + 1}-12-31）" in start
    assert f'value="{THIS_YEAR - 1}-04-01"' in start
    assert "不少于 2 名" in body  # reported together with the form's other errors
    with scopes_disabled():
        assert not SamplingTask.objects.exists()


def test_adjust_form_shows_the_year_but_keeps_it(world, login):
    a1 = world.orgs["A1"]
    it = item(a1)
    p = plan(a1, status="published", year=THIS_YEAR)
    with scopes_disabled():
        p.items.set([it])
    client = login(world.user("A1", "planner"))
    page = client.get(reverse("sampling:plan_adjust", args=[p.pk])).content.decode()
    year = _field(page, "field-year")
    assert "disabled" in year and f'value="{THIS_YEAR}"' in year and "调整计划沿用原计划的年度" in year
    # A posted year is ignored: the adjustment stays in its plan's year.
    client.post(reverse("sampling:plan_adjust", args=[p.pk]),
                form_data([it], year=str(THIS_YEAR + 1), adjustment_reason="提高D类比例"))
    with scopes_disabled():
        assert SamplingPlan.objects.get(previous=p).year == THIS_YEAR


def test_plan_page_after_a_batch_adds_the_drawn_to_the_year(world, login):
    a1 = world.orgs["A1"]
    live = registry(a1, {"A": 100, "B": 50, "C": 20, "D": 10})
    p = plan(a1, status="approved")
    by_risk = {r: [e for e in live if e.risk_class == r] for r in "ABCD"}
    draw_selecting(p, by_risk["A"][:3] + by_risk["B"][:3] + by_risk["C"][:2] + by_risk["D"][:2])
    body = login(world.user("A1", "planner")).get(reverse("sampling:plan_detail", args=[p.pk])).content.decode()
    assert 'data-testid="preview-draws">39<' in body
    assert '<span data-testid="preview-draws-split">已抽取 10 + 其余批次 29</span>' in body
    assert 'data-testid="preview-done">10<' in body and 'data-testid="preview-total">39<' in body
    assert 'data-testid="preview-coverage">21.7%<' in body and "按 180 户计" in body


def test_approval_buttons_and_roles(world, login):
    p = plan(world.orgs["A1"], status="submitted")
    with scopes_disabled():
        p.items.set([item(world.orgs["A1"])])
    planner = login(world.user("A1", "planner"))
    assert planner.post(reverse("sampling:plan_approve", args=[p.pk])).status_code == 403
    leader_page = login(world.user("A1", "leader")).get(reverse("sampling:plan_detail", args=[p.pk])).content.decode()
    decide = leader_page.split('data-testid="plan-decide-form"')[1].split("</form>")[0]
    assert 'name="opinion"' in decide and 'data-testid="plan-approve"' in decide and 'data-testid="plan-return"' in decide
    assert f'formaction="{reverse("sampling:plan_return", args=[p.pk])}"' in decide
    from django.test import Client

    leader = Client()
    leader.force_login(world.user("A1", "leader"), backend="django.contrib.auth.backends.ModelBackend")
    # 退回 needs an opinion: the page comes back with the error under the field.
    empty = leader.post(reverse("sampling:plan_return", args=[p.pk]), {"opinion": " "})
    assert empty.status_code == 400
    field = empty.content.decode().split('data-testid="plan-decide-form"')[1].split("</form>")[0]
    assert "退回时请填写审批意见（退回原因）" in field
    p.refresh_from_db()
    assert p.status == "submitted"
    leader.post(reverse("sampling:plan_return", args=[p.pk]), {"opinion": "请补充D类对象"})
    p.refresh_from_db()
    assert p.status == "draft"
    body = leader.get(reverse("sampling:plan_detail", args=[p.pk])).content.decode()
    assert "已被 A1leader 退回：请补充D类对象" in body and 'data-testid="plan-returned"' in body
    history = body.split('data-testid="plan-reviews"')[1].split("</table>")[0]
    assert history.count('data-testid="plan-review"') == 1 and "退回修改" in history and "请补充D类对象" in history


def test_approve_with_an_opinion_shows_the_review_history(world, login):
    p = plan(world.orgs["A1"], status="draft")
    with scopes_disabled():
        p.items.set([item(world.orgs["A1"])])
    planner = login(world.user("A1", "planner"))
    planner.post(reverse("sampling:plan_submit", args=[p.pk]))
    leader = login(world.user("A1", "leader"))
    too_long = "同意" * 260
    kept = leader.post(reverse("sampling:plan_approve", args=[p.pk]), {"opinion": too_long})
    assert kept.status_code == 400 and too_long in kept.content.decode()  # what was typed stays
    assert "审批意见不能超过 500 个字（现 520 个）" in kept.content.decode()
    response = leader.post(reverse("sampling:plan_approve", args=[p.pk]), {"opinion": "同意，注意D类对象全覆盖。"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == "approved"
    body = leader.get(reverse("sampling:plan_detail", args=[p.pk])).content.decode()
    rows = body.split('data-testid="plan-reviews"')[1].split("</table>")[0].split('data-testid="plan-review"')[1:]
    assert ["提交审批" in rows[0], "批准" in rows[1], "同意，注意D类对象全覆盖。" in rows[1]] == [True, True, True]
    assert 'data-testid="plan-decide-form"' not in body and 'data-testid="plan-returned"' not in body


def test_a_return_reason_is_read_from_the_review_not_the_audit_log(world, login):
    """The plan page shows the plan's own review; the audit log is no source of reasons."""
    from django.utils import timezone

    from sampling.models import PlanReview

    p = plan(world.orgs["A1"], status="draft")
    with scopes_disabled():
        PlanReview.objects.create(plan=p, decision="returned", opinion="只在审批记录中的意见", by=world.user("A1", "leader"),
                                  at=timezone.now(), organization=p.organization, region=p.region)
    body = login(world.user("A1", "planner")).get(reverse("sampling:plan_detail", args=[p.pk])).content.decode()
    assert 'data-testid="plan-returned"' in body and "只在审批记录中的意见" in body


def test_other_departments_plans_are_404(world, login):
    p = plan(world.orgs["A2"])
    client = login(world.user("A1", "leader"))
    assert client.get(reverse("sampling:plan_detail", args=[p.pk])).status_code == 404
    assert client.post(reverse("sampling:plan_approve", args=[p.pk])).status_code == 404
    assert client.get(reverse("sampling:plan_detail", args=[999999])).status_code == 404


def test_office_writes_joint_plans_and_participants_see_them(world, login):
    a1, a2 = world.orgs["A1"], world.orgs["A2"]
    i1, i2 = item(a1, name="部门一事项"), item(a2, name="部门二事项")
    client = login(world.user("AO", "planner"))
    page = client.get(reverse("sampling:plan_create")).content.decode()
    assert 'name="participants"' in page and "部门一事项" in page and "部门二事项" in page
    response = client.post(reverse("sampling:plan_create"), form_data(
        [i1, i2], participants=[str(a1.pk), str(a2.pk)], name="联合抽查计划"))
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        p = SamplingPlan.objects.get()
        p.status = "approved"
        p.save()
    assert p.kind == "joint"
    t = task(p, name="联合抽查第一批", team_requirements=[{"department": a1.pk, "count": 1}, {"department": a2.pk, "count": 1}])
    with scopes_disabled():
        t.items.set([i1, i2])
    # The participant sees the joint plan, its own items, and the task with its part.
    a1_client = login(world.user("A1", "viewer"))
    body = a1_client.get(reverse("sampling:plan_detail", args=[p.pk])).content.decode()
    assert "联合抽查计划" in body and "部门一事项" in body and "部门二事项" not in body
    body = a1_client.get(reverse("sampling:task_detail", args=[t.pk])).content.decode()
    assert 'data-testid="my-part"' in body and "本部门派出 1 名" in body
    assert "联合抽查第一批" in a1_client.get(reverse("sampling:task_list")).content.decode()
    # A department of another county does not.
    b1_client = login(world.user("B1", "viewer"))
    assert b1_client.get(reverse("sampling:plan_detail", args=[p.pk])).status_code == 404
    assert b1_client.get(reverse("sampling:task_detail", args=[t.pk])).status_code == 404


def test_department_cannot_post_a_joint_plan(world, login):
    it = item(world.orgs["A1"])
    client = login(world.user("A1", "planner"))
    client.post(reverse("sampling:plan_create"), form_data([it], participants=[str(world.orgs["A2"].pk)]))
    with scopes_disabled():
        assert SamplingPlan.objects.get().kind == "department"


def test_task_create_form_and_detail_pool(world, login):
    a1 = world.orgs["A1"]
    registry(a1, {"A": 40, "D": 10})
    p = plan(a1, status="approved")
    it = item(a1)
    with scopes_disabled():
        p.items.set([it])
    client = login(world.user("A1", "planner"))
    page = client.get(reverse("sampling:task_create", args=[p.pk])).content.decode()
    assert "2026年第一季度" in page and "2026-03-31" in page, page[page.find("id_name"):][:300]
    bad = client.post(reverse("sampling:task_create", args=[p.pk]), {
        "batch_no": "1", "name": "第一季度", "items": [str(it.pk)], f"team_{a1.pk}": "1", "reserve_size": "2",
        "window_start": "2026-06-01", "window_end": "2026-05-01",
    })
    body = bad.content.decode()
    assert "检查截止日期不能早于开始日期" in body and 'value="第一季度"' in body
    ok = client.post(reverse("sampling:task_create", args=[p.pk]), {
        "batch_no": "1", "name": "第一季度", "items": [str(it.pk)], f"team_{a1.pk}": "2", "reserve_size": "2",
        "window_start": "2026-04-01", "window_end": "2026-05-01", "ready": "on",
    })
    with scopes_disabled():
        t = SamplingTask.objects.get()
    assert ok.status_code == 302 and t.status == "ready" and t.uid == "T-A1-2026-1"
    assert t.team_requirements == [{"department": a1.pk, "count": 2}]
    body = client.get(reverse("sampling:task_detail", args=[t.pk])).content.decode()
    assert 'data-testid="task-eligible">50<' in body
    assert 'data-testid="task-quota">4<' in body  # A: ceil(40×3%)=2, D: ceil(10×20%)=2
    assert "T-A1-2026-1" in body


def test_team_below_two_is_refused_in_the_form(world, login):
    a1 = world.orgs["A1"]
    p = plan(a1, status="approved")
    it = item(a1)
    with scopes_disabled():
        p.items.set([it])
    client = login(world.user("A1", "planner"))
    body = client.post(reverse("sampling:task_create", args=[p.pk]), {
        "batch_no": "1", "name": "第一季度", "items": [str(it.pk)], f"team_{a1.pk}": "1", "reserve_size": "2",
    }).content.decode()
    assert "不少于 2 名" in body


def test_api_lists_and_details(world, login):
    p = plan(world.orgs["A1"], name="接口计划")
    t = task(p, name="接口任务")
    plan(world.orgs["A2"], name="别人的计划")
    client = login(world.user("A1", "viewer"))
    data = client.get(reverse("api:plan-list")).json()
    assert [r["name"] for r in data["results"]] == ["接口计划"]
    detail = client.get(reverse("api:task-detail", args=[t.pk])).json()
    assert (detail["uid"], detail["plan"], detail["year"]) == (t.uid, p.pk, 2026)
    assert client.get(reverse("api:plan-list") + "?year=2025").json()["results"] == []


def test_adjust_through_the_page_requires_a_reason_and_links_versions(world, login):
    a1 = world.orgs["A1"]
    it = item(a1)
    p = plan(a1, status="published")
    with scopes_disabled():
        p.items.set([it])
    client = login(world.user("A1", "planner"))
    page = client.get(reverse("sampling:plan_adjust", args=[p.pk])).content.decode()
    assert 'name="adjustment_reason"' in page and "原第1版在新版本批准前继续有效" in page
    missing = client.post(reverse("sampling:plan_adjust", args=[p.pk]), form_data([it], adjustment_reason=""))
    assert missing.status_code == 200 and 'data-testid="field-adjustment_reason"' in missing.content.decode()
    with scopes_disabled():
        assert not SamplingPlan.objects.filter(previous=p).exists()
    assert '<div class="field has-error" data-testid="field-adjustment_reason">' in missing.content.decode()
    response = client.post(reverse("sampling:plan_adjust", args=[p.pk]),
                           form_data([it], ratio_D="25", adjustment_reason="D类对象增多，提高比例"))
    with scopes_disabled():
        new = SamplingPlan.objects.get(previous=p)
    assert response["Location"] == reverse("sampling:plan_detail", args=[new.pk])
    assert new.adjustment_reason == "D类对象增多，提高比例" and {"stratum": "D", "ratio": "0.25"} in new.strata
    body = client.get(response["Location"]).content.decode()
    assert 'data-testid="plan-versions"' in body and "D类对象增多，提高比例" in body


def test_dashboard_cards(world, login):
    from django.utils import timezone

    year = timezone.localdate().year
    plan(world.orgs["A1"], status="approved", year=year)
    plan(world.orgs["A1"], status="submitted", year=year, name="待批")
    body = login(world.user("A1", "leader")).get(reverse("dashboard")).content.decode()
    assert 'data-testid="card-plans"' in body and 'data-testid="card-plans-pending"' in body
    assert 'data-testid="card-tasks-ready"' in body
