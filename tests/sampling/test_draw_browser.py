"""The ceremony in a real browser (CSP-strict pages, htmx verify, phone width)."""

from __future__ import annotations

import pytest

from tests.browser.support import log_in, shot
from tests.leak.cases_sampling_draws import make_ready_task
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def live_world(transactional_db):
    return build_world()


def test_planner_runs_a_ceremony_with_a_witness_and_verifies(page, live_world):
    task = make_ready_task(live_world, "A1", entities=40, inspectors=6)
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm asks before commit and draw
    log_in(page, "a1_planner", PASSWORD)
    page.goto(f"{page.base}/sampling/tasks/{task.pk}/draw/")
    assert page.get_by_test_id("pool-size").inner_text() == "40"
    page.get_by_test_id("commit-form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=execute-form]")
    commitment = page.get_by_test_id("commitment").inner_text()
    page.fill("#id_witnesses", "王五、赵六")
    page.fill("#id_public_entropy", "31 07 19")
    page.get_by_test_id("execute-form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=seed-panel]")
    assert page.get_by_test_id("draw-status").inner_text() == "已完成"
    assert page.get_by_test_id("witnesses").inner_text() == "王五、赵六"
    assert page.locator("[data-testid=selected-row]").count() == 5
    page.get_by_test_id("verify-button").click()
    page.wait_for_selector("[data-testid=verify-result]")
    assert "验证通过" in page.get_by_test_id("verify-result").inner_text()
    assert commitment in page.content()
    shot(page, "draw-results")
    # Phone width: the results stay usable (tables scroll inside their card, no page overflow).
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    shot(page, "draw-results-phone")
    assert not page.console_errors, page.console_errors
