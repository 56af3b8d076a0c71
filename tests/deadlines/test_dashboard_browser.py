"""The dashboard's panels in a browser, on the demo county, desktop and 390×844 phone: each loads
after the page (htmx), lists what the rules opened, and the page never widens past the screen."""

from __future__ import annotations

import pytest

from tests.browser.support import log_in, shot

pytestmark = pytest.mark.browser

USERS = {
    "yc_fg_planner": ["deadlines-mine"],
    "yc_fg_inspector": ["deadlines-mine"],
    "yc_fg_leader": ["deadlines-mine", "deadlines-organization"],
    "yc_office_leader": ["deadlines-mine", "deadlines-region", "deadlines-joint", "inspections-visits"],
}


def test_the_dashboard_panels_on_desktop_and_phone(browser, live_server, demo):
    for username, panels in USERS.items():
        for tag, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
            context = browser.new_context(viewport=viewport, is_mobile=tag == "phone", locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(15000)
            page.base = live_server.url
            errors: list[str] = []
            page.on("console", lambda msg, errors=errors: msg.type == "error" and errors.append(msg.text))
            log_in(page, username, demo)
            for key in panels:
                # Loaded: the answer replaced the placeholder (which is marked busy).
                page.wait_for_selector(f'[data-testid="panel-{key}"]:not([aria-busy])')
            shown = page.eval_on_selector_all("section.dash-panel", "els => els.map(e => e.dataset.testid)")
            # An inspector's own inspections come first (inspections' dashboard lead), then the panels.
            lead = ["lead-inspections-mine"] if username.endswith("_inspector") else []
            assert shown == [*lead, *(f"panel-{key}" for key in panels)], shown
            text = page.inner_text("main")
            if username == "yc_fg_planner":
                assert "抽取结果报送备案" in text and "阳城县发改局 2023 方案" in text
            if username == "yc_fg_inspector":
                assert "本人" in text and "执法证到期换证" in text
            if username == "yc_office_leader":
                assert "逾期：县市场监管局（回避审批）" in text or "逾期：阳城县双随机办（报送备案）" in text
                assert "阳城县发展和改革局" in text and "阳城县市场监督管理局" in text
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (username, tag, overflow)
            shot(page, f"dashboard-{username}-{tag}")
            assert not errors, errors
            context.close()
