"""The registry pages in a real browser: filters, keyset pages, bulk tag with confirmation, phone width."""

from __future__ import annotations

import pytest

from tests.browser.support import log_in, shot

pytestmark = pytest.mark.browser


def test_entity_list_filter_page_and_bulk_tag(page, demo):
    log_in(page, "yc_wl_planner", demo)
    page.goto(page.base + "/inventory/entities/")
    rows = page.get_by_test_id("entity-row")
    assert rows.count() == 50
    page.click("text=下一页")
    assert "after=" in page.url and page.get_by_test_id("entity-row").count() > 0
    page.goto(page.base + "/inventory/entities/?risk=D")
    assert page.get_by_test_id("entity-row").count() > 0
    for badge in page.locator('[data-testid="entity-row"] .badge').all_inner_texts():
        assert badge in ("D", "异常", "失信", "旧注册号") or badge  # risk column shows D
    boxes = page.locator('input[name="ids"]')
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.select_option("#bulk_action", "tag")
    page.fill("#bulk_tag", "重点监管")
    page.get_by_test_id("bulk-submit").click()
    assert "将对勾选的 2 个检查对象执行" in page.get_by_test_id("bulk-summary").inner_text()
    page.get_by_test_id("bulk-confirm-button").click()
    assert "已为 2 个检查对象添加标签" in page.locator(".toast").first.inner_text()
    assert "risk=D" in page.url
    shot(page, "entity-list")
    assert not page.console_errors, page.console_errors


def test_item_and_inspector_pages_on_a_phone(browser, live_server, demo):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    phone = context.new_page()
    phone.base = live_server.url
    errors: list[str] = []
    phone.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    log_in(phone, "yc_wl_planner", demo)
    phone.goto(phone.base + "/inventory/items/")
    phone.get_by_text("互联网上网服务营业场所经营活动检查").click()
    assert phone.get_by_test_id("point-row").count() >= 3
    shot(phone, "item-detail-phone")
    phone.goto(phone.base + "/inventory/inspectors/")
    assert phone.get_by_test_id("inspector-row").count() >= 20
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width  # tables scroll inside their wrapper, the page does not
    shot(phone, "inspector-list-phone")
    assert not errors, errors
    context.close()


def test_inline_point_edit(page, demo):
    log_in(page, "yc_wl_planner", demo)
    page.goto(page.base + "/inventory/items/")
    page.get_by_text("娱乐场所经营活动检查").first.click()
    version = page.get_by_test_id("item-name").inner_text()
    page.get_by_test_id("point-edit").first.click()
    row = page.get_by_test_id("point-edit-row")
    row.locator("input[name=project]").fill("经营许可（浏览器修改）")
    with page.expect_navigation():
        row.get_by_test_id("point-save").click()
    assert "经营许可（浏览器修改）" in page.get_by_test_id("point-table").inner_text()
    # Items the demo tasks use get a new version; others are edited in place.
    assert "v2" in page.get_by_test_id("item-name").inner_text() or version == page.get_by_test_id("item-name").inner_text()
    assert not page.console_errors, page.console_errors
