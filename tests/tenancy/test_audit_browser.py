"""The audit page in a browser, desktop and phone: a plan change reads as labelled rows, and a long
value wraps inside the table instead of widening the page."""

from __future__ import annotations

import pytest

from sampling.services.plans import plan_create, plan_update
from tenancy import audit
from tenancy.scoping import actor_scope
from tests.browser.support import log_in, shot
from tests.sampling.test_plans_world import item
from tests.tenancy.test_audit_page import data
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.browser


def test_audit_page_on_desktop_and_phone(browser, live_server, transactional_db):
    world = build_world()
    first = item(world.orgs["A1"], name="娱乐场所经营活动检查")
    second = item(world.orgs["A1"], name="互联网上网服务营业场所经营活动检查")
    planner = world.actor("A1", "planner")
    with actor_scope(planner):
        plan = plan_create(actor=planner, data=data([first]))
        plan_update(actor=planner, plan=plan, data=data([first, second], name="2026年度文化市场双随机抽查计划"))
        audit.record(actor=planner, action="update", target=plan, changes={"scope": [{}, {"tags": ["网吧" * 80]}]})

    for name, viewport in (("audit-list", {"width": 1280, "height": 900}), ("audit-list-phone", {"width": 390, "height": 844})):
        context = browser.new_context(viewport=viewport, is_mobile=viewport["width"] < 500, locale="zh-CN")
        page = context.new_page()
        page.base = live_server.url
        errors: list[str] = []
        page.on("console", lambda msg, errors=errors: msg.type == "error" and errors.append(msg.text))
        log_in(page, "a1_leader", PASSWORD)
        page.goto(page.base + "/audit/")
        rows = page.get_by_test_id("audit-change").all_inner_texts()
        assert "抽查事项: 娱乐场所经营活动检查 → 娱乐场所经营活动检查、互联网上网服务营业场所经营活动检查" in rows
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, overflow  # the table scrolls inside its wrapper, the page does not
        shot(page, name)
        assert not errors, errors
        context.close()
