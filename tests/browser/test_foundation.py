"""Issue 2 end to end: a demo user logs in and sees the Chinese dashboard; language and org switch."""

from __future__ import annotations

import pytest

from .support import log_in, shot

pytestmark = pytest.mark.browser


def test_demo_user_logs_in_and_sees_chinese_dashboard(page, demo):
    page.goto(page.base + "/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "登录"
    log_in(page, "yc_wl_planner", demo)
    assert page.get_by_test_id("dashboard-title").inner_text() == "工作台"
    assert page.get_by_test_id("active-org").inner_text() == "阳城县文化和旅游局"
    nav = page.locator("nav.sidenav").inner_text()
    for entry in ("检查对象名录库", "执法检查人员名录库", "年度抽查计划"):
        assert entry in nav
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    shot(page, "dashboard")
    assert not page.console_errors, page.console_errors


def test_language_switch_and_organization_switcher(page, demo):
    log_in(page, "yc_multi", demo)
    assert page.get_by_test_id("active-org").inner_text() == "阳城县文化和旅游局"
    with page.expect_navigation():
        page.select_option("#org-switch", label="阳城县市场监督管理局")
    assert page.get_by_test_id("active-org").inner_text() == "阳城县市场监督管理局"
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.get_by_test_id("dashboard-title").inner_text() == "Dashboard"
    with page.expect_navigation():
        page.select_option("select[name=language]", "zh-hans")
    assert page.get_by_test_id("dashboard-title").inner_text() == "工作台"
    assert not page.console_errors, page.console_errors


def test_phone_width_menu(browser, live_server, demo):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.base = live_server.url
    log_in(page, "yc_wl_inspector", demo)
    nav = page.locator("nav.sidenav")
    assert not nav.is_visible()
    page.click(".menu-toggle")
    assert nav.is_visible()
    shot(page, "dashboard-phone")
    context.close()


def test_api_docs_render_under_the_csp(page, demo):
    """Swagger UI from local files, its start-up script from our URL: the CSP blocks nothing."""
    log_in(page, "hb_platform_viewer", demo)
    page.goto(page.base + "/api/docs/")
    page.wait_for_selector(".opblock-tag")
    tags = page.locator(".opblock-tag").all_inner_texts()
    assert any("entities" in t or "draws" in t for t in tags), tags
    assert "双随机" in page.locator(".info .title").inner_text()
    shot(page, "api-docs")
    assert not page.console_errors, page.console_errors
