"""Issue 4 end to end in a real browser, on the demo county, as a new user would go:
a planner writes a plan and previews it, the leader approves it, the planner makes a task and
runs its ceremony with a witness's entropy, an inspector asks for recusal, the leader approves
(a substitute is drawn), the planner files the draw, and the county office acknowledges it."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone

from sampling import hashrank
from tests.browser.support import log_in, shot

pytestmark = pytest.mark.browser


def _as(page, username: str, password: str) -> None:
    # Leave the page first: a request it still has in flight (the lazy panels, the bell) would
    # set the session cookie again after it is cleared, and the login page would redirect home.
    page.goto("about:blank")
    page.context.clear_cookies()
    log_in(page, username, password)


def test_plan_to_acknowledged_filing(page, demo):
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm before submit/approve/commit/draw
    base = page.base
    year = timezone.localdate().year + 1  # a plan is written for this year or the next

    # 1. The planner writes a plan: items, risk strata (default ratios), exclusion rules.
    _as(page, "yc_wl_planner", demo)
    page.goto(base + "/sampling/plans/new/")
    page.fill("#id_name", f"{year}年文化市场双随机抽查计划")
    page.fill("#id_year", str(year))
    items = page.locator("input[name=items]")
    items.nth(0).check()
    items.nth(1).check()
    page.select_option("#id_frequency", "semiannual")
    page.get_by_test_id("plan-save").click()
    page.wait_for_selector("[data-testid=plan-preview]")
    plan_url = page.url
    # The preview, before any draw: per-stratum counts, draws per batch, coverage.
    eligible = int(page.get_by_test_id("preview-eligible").inner_text())
    assert eligible > 0
    table = page.get_by_test_id("preview-table").inner_text()
    assert "A-低风险" in table and "D-高风险" in table
    assert "%" in page.get_by_test_id("preview-coverage").inner_text()
    shot(page, "flow-plan-preview")
    page.get_by_test_id("plan-submit").click()
    page.wait_for_selector("[data-testid=plan-status]:has-text('待审批')")

    # 2. The leader approves, with an opinion (审批意见) that stays in the plan's review history.
    _as(page, "yc_wl_leader", demo)
    page.goto(plan_url)
    page.fill("#id_opinion", "同意，按半年组织实施。")
    page.get_by_test_id("plan-approve").click()
    page.wait_for_selector("[data-testid=plan-status]:has-text('已批准')")
    assert "同意，按半年组织实施。" in page.get_by_test_id("plan-reviews").inner_text()

    # 3. The planner makes the first batch's task, ready to draw, and runs the ceremony.
    _as(page, "yc_wl_planner", demo)
    page.goto(plan_url)
    page.get_by_test_id("task-create").click()
    page.fill("#id_name", f"{year}年上半年")
    task_items = page.locator("input[name=items]")
    for i in range(task_items.count()):
        task_items.nth(i).check()
    page.get_by_test_id("task-save").click()
    page.get_by_test_id("draw-start").click()
    assert int(page.get_by_test_id("pool-size").inner_text()) == eligible
    page.get_by_test_id("commit-form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=execute-form]")
    commitment = page.get_by_test_id("commitment").inner_text().strip()
    page.fill("#id_witnesses", "县纪委监督员李明、商户代表王芳")
    page.fill("#id_public_entropy", "08 15 23 42")
    page.get_by_test_id("execute-form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=seed-panel]")
    draw_url = page.url
    assert page.get_by_test_id("draw-status").inner_text() == "已完成"
    selected = page.locator("[data-testid=selected-row]").count()
    assert selected >= 4  # at least one per risk stratum (ceil of 3/5/10/20 %)
    page.get_by_test_id("verify-button").click()
    page.wait_for_selector("[data-testid=verify-result]")
    assert "验证通过" in page.get_by_test_id("verify-result").inner_text()

    # 4. The inspector on a team asks for recusal.
    _as(page, "yc_wl_inspector", demo)
    page.goto(draw_url)
    page.get_by_test_id("recusal-link").click()
    if page.get_by_test_id("no-slots").count():
        # The demo inspector is on no team of this draw: the planner files the request instead.
        _as(page, "yc_wl_planner", demo)
        page.goto(draw_url)
        page.get_by_test_id("recusal-link").click()
    # A few team places are cards (the firm's name, address and code, then a radio per member).
    card = page.get_by_test_id("slot-card").first
    assert "阳城县" in card.locator(".slot-target").inner_text()  # the firm by its name
    first_place = card.locator("label").first
    slot_label = first_place.inner_text()
    first_place.locator("input").check()
    page.fill("#id_reason", "与该经营者负责人系亲属关系")
    page.get_by_test_id("recusal-form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=recusals]")
    assert "回避申请已提交" in page.locator(".toast").first.inner_text()
    pending = page.get_by_test_id("recusals").locator("a", has_text="待审批")
    recusal_url = base + pending.get_attribute("href")

    # 5. The leader approves; the substitute is drawn by DRAW.md §5 and shown.
    _as(page, "yc_wl_leader", demo)
    page.goto(recusal_url)
    page.get_by_test_id("decide-form").locator("input[value=approve]").check()
    page.get_by_test_id("decide-form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=substitute]")
    substitute = page.get_by_test_id("substitute").inner_text().strip()
    out_name = slot_label.split("·")[-1].strip()
    assert substitute and out_name not in substitute
    page.goto(draw_url)
    assert page.locator("[data-testid=substitution-row]").count() == 1

    # 6. The planner files the draw with the county office.
    _as(page, "yc_wl_planner", demo)
    page.goto(draw_url)
    page.get_by_test_id("filing-submit-link").click()
    assert "阳城县" in page.get_by_test_id("filing-office").inner_text()
    page.get_by_test_id("filing-submit").click()
    page.wait_for_selector("[data-testid=filing-state]")
    filing_url = page.url
    assert f"{year}年上半年" in page.get_by_test_id("filing-task").inner_text()
    pdf = page.request.get(base + re.sub(r"/$", "/pdf/", filing_url.removeprefix(base)))
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"

    # 7. The office sees it in its inbox and acknowledges it.
    _as(page, "yc_office_leader", demo)
    page.goto(base + "/sampling/filings/")
    page.locator("a", has_text=f"{year}年上半年").first.click()
    page.get_by_test_id("filing-decide").locator("input[value=acknowledged]").check()
    page.get_by_test_id("filing-decide").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=filing-ack]")
    assert "已确认备案" in page.get_by_test_id("filing-ack").inner_text()
    shot(page, "flow-filing-acknowledged")
    # The office's record (full variant) verifies, substitution included, and matches the commitment.
    record = json.loads(page.request.get(filing_url.replace("/filings/", "/filings/", 1) + "record/").text())
    assert record["commitment"] == commitment and hashrank.verify(record) == []
    assert len(record["substitutions"]) == 1
    assert not page.console_errors, page.console_errors
