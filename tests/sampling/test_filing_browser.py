"""The filing page in a real browser: a refused decision opens at its form with the error in view
(desktop and phone), not at the top of a long page; the inbox's active tab shows its count."""

from __future__ import annotations

import pytest

from sampling.services import filings as services
from tenancy.context import Role
from tenancy.scoping import actor_scope
from tests.browser.support import SCREENSHOTS, log_in, shot
from tests.factories import make_completed_draw
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def long_filing(world, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    draw = make_completed_draw(world, "A1", targets=127, name="2026年第一批食品经营抽查")
    with actor_scope(world.actor("A1", Role.PLANNER)) as actor:
        return services.filing_submit(actor=actor, draw=draw, note="请审核")


@pytest.mark.parametrize(("device", "viewport"), [("desktop", (1280, 900)), ("phone", (390, 844))])
def test_returning_without_a_reason_opens_at_the_form_with_its_error(browser, live_server, world, long_filing, device, viewport):
    width, height = viewport
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = live_server.url
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    try:
        log_in(page, world.user("AO", Role.LEADER).username, PASSWORD)
        page.goto(f"{page.base}/sampling/filings/{long_filing.pk}/")
        shot(page, f"filing-detail-office-{device}")
        form = page.get_by_test_id("filing-decide")
        targets = page.get_by_test_id("filing-targets")
        assert form.bounding_box()["y"] < targets.bounding_box()["y"]  # the form above the long table
        form.locator("input[value=returned]").check()
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        error = page.locator("#filing-decide .errorlist")
        assert "退回时必须填写退回原因" in error.inner_text()
        box = error.bounding_box()
        # In view where the user pressed the button: not ~6,700 px down a page opened at its top.
        assert 0 <= box["y"] <= height - box["height"], (box, page.evaluate("window.scrollY"))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"filing-decide-error-{device}.png"))
        # The inbox: the active tab's count reads dark on its light badge, not white on white.
        page.goto(f"{page.base}/sampling/filings/")
        badge = page.get_by_test_id("filing-tab-pending").locator(".badge")
        assert badge.inner_text().strip() == "1"
        color, background = badge.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
        assert color != background and color != "rgb(255, 255, 255)", (color, background)
        shot(page, f"filing-inbox-{device}")
        # Strict CSP: nothing blocked (the refused form's own 400 is logged too, and expected).
        assert not [e for e in errors if "status of 400" not in e], errors
    finally:
        context.close()
