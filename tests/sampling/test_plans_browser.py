"""Plan pages in a real browser, desktop and 390×844: the leader's decision with its opinion and
the review history, the plan form's errors beside their fields, the preview after a batch."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from tests.browser.support import log_in, shot
from tests.factories import draw_selecting
from tests.world import PASSWORD, build_world

from .test_plans_world import item, plan, registry

pytestmark = pytest.mark.browser

SIZES = ((1280, 900, ""), (390, 844, "-phone"))


@pytest.fixture
def live_world(transactional_db):
    return build_world()


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1


def test_leader_returns_then_approves_with_an_opinion(page, live_world):
    a1 = live_world.orgs["A1"]
    live = registry(a1, {"A": 100, "B": 50, "C": 20, "D": 10})
    p = plan(a1, status="submitted", year=timezone.localdate().year)
    with scopes_disabled():
        p.items.set([item(a1, name="网吧经营检查")])
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "a1_leader", PASSWORD)
    url = f"{page.base}/sampling/plans/{p.pk}/"
    page.goto(url)
    page.get_by_test_id("plan-return").click()  # no opinion: refused beside the field
    page.wait_for_selector("[data-testid=plan-decide-form] .errorlist")
    assert "退回时请填写审批意见" in page.get_by_test_id("plan-decide-form").inner_text()
    page.fill("#id_opinion", "D类对象比例偏低，请调整至25%。")
    page.get_by_test_id("plan-return").click()
    page.wait_for_selector("[data-testid=plan-returned]")
    with scopes_disabled():
        p.refresh_from_db()
        p.status = "submitted"  # the planner resubmits (its own test covers that page)
        p.save()
    page.goto(url)
    page.fill("#id_opinion", "同意。")
    page.get_by_test_id("plan-approve").click()
    page.wait_for_selector("[data-testid=plan-status]:has-text('已批准')")
    history = page.get_by_test_id("plan-reviews").inner_text()
    assert "D类对象比例偏低，请调整至25%。" in history and "同意。" in history
    by_risk = {r: [e for e in live if e.risk_class == r] for r in "ABCD"}
    draw_selecting(p, by_risk["A"][:3] + by_risk["B"][:3] + by_risk["C"][:2] + by_risk["D"][:2])
    for width, height, suffix in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(url)
        assert page.get_by_test_id("preview-draws").inner_text() == "39"
        _no_sideways_scroll(page)
        shot(page, f"plan-reviewed{suffix}")


def test_plan_form_errors_stand_beside_their_fields(page, live_world):
    item(live_world.orgs["A1"], name="网吧经营检查")
    log_in(page, "a1_planner", PASSWORD)
    for width, height, suffix in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{page.base}/sampling/plans/new/")
        page.fill("#id_year", "2019")
        page.fill("#id_ratio_A", "150")
        page.fill("#id_industry_prefixes", "abc")
        page.locator("input[name=items]").first.check()
        page.get_by_test_id("plan-save").click()
        page.wait_for_selector("[data-testid=field-year] .errorlist")
        assert page.input_value("#id_year") == "2019" and page.input_value("#id_ratio_A") == "150"
        assert "比例不能超过 100%" in page.get_by_test_id("stratum-A").inner_text()
        assert "请填写比例或数量" not in page.content()
        assert "GB/T 4754" in page.get_by_test_id("field-industry_prefixes").inner_text()
        _no_sideways_scroll(page)
        shot(page, f"plan-form-errors{suffix}")
