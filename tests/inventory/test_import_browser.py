"""The import flow in a real browser: a messy GBK CSV with bad rows → exact errors → import the
valid rows → download the rejected rows, fix them, re-import → a second import changes nothing."""

from __future__ import annotations

import io

import pytest
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from inventory.models import MarketEntity
from tenancy.models import Job
from tests.browser.support import log_in, shot
from tests.world import PASSWORD, build_world

from .fixtures.sheets import CODES, csv_bytes, xlsx

pytestmark = [pytest.mark.browser]


MESSY = [
    ["阳城县检查对象名录（2026 年 3 月）"],
    ["企业名称", "信用代码", "负责人", "风险等级", "成立时间"],
    ["阳城县皇城相府旅游有限公司", CODES[0], "张三", "A类", "2024/1/31"],
    ["阳城县蟒河农家乐", CODES[1][:-1] + ("0" if CODES[1][-1] != "0" else "1"), "李四", "一般风险", "2024年1月31日"],
    ["阳城县老字号食品厂", CODES[2], "王五", "高风险", "31/01/2024"],
]


@pytest.fixture
def world_live(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def test_import_fix_and_reimport(page, world_live, tmp_path):
    log_in(page, "a1_planner", PASSWORD)
    page.goto(page.base + "/inventory/imports/new/")
    page.select_option("[data-testid=import-kind]", "entities")
    messy = tmp_path / "名录.csv"
    messy.write_bytes(csv_bytes(MESSY, "gbk"))
    page.set_input_files("[data-testid=import-file]", str(messy))
    page.click("[data-testid=import-submit]")
    page.wait_for_selector("[data-testid=import-errors]")
    rows = page.locator("[data-testid=error-row]")
    assert rows.count() == 2
    assert "校验位错误" in rows.nth(0).inner_text() and rows.nth(0).locator("td").first.inner_text() == "4"
    assert "日期格式" in rows.nth(1).inner_text() and "31/01/2024" in rows.nth(1).inner_text()
    shot(page, "import-preview")
    page.check("input[name=mode][value=valid]")
    page.click("[data-testid=confirm-submit]")
    page.wait_for_selector("[data-testid=count-created]")
    assert page.inner_text("[data-testid=count-created]") == "1"
    with page.expect_download() as download_info:
        page.click("[data-testid=download-rejected]")
    rejected = load_workbook(io.BytesIO(download_info.value.path().read_bytes())).active
    values = [list(r) for r in rejected.iter_rows(values_only=True)]
    assert values[0][-1] == "错误原因" and len(values) == 3
    # Fix both rows in the downloaded file and import it (the reason column is ignored).
    values[1][1] = CODES[1]
    values[2][4] = "2024-01-31"
    fixed = tmp_path / "fixed.xlsx"
    fixed.write_bytes(xlsx(values))
    page.goto(page.base + "/inventory/imports/new/?kind=entities")
    page.set_input_files("[data-testid=import-file]", str(fixed))
    page.click("[data-testid=import-submit]")
    page.wait_for_selector("[data-testid=confirm-form]")
    assert page.inner_text("[data-testid=count-rejected]") == "0"
    page.click("[data-testid=confirm-submit]")
    page.wait_for_selector("[data-testid=count-created]")
    assert page.inner_text("[data-testid=count-created]") == "2"
    # The same fixed file again: nothing changes.
    page.goto(page.base + "/inventory/imports/new/?kind=entities")
    page.set_input_files("[data-testid=import-file]", str(fixed))
    page.click("[data-testid=import-submit]")
    page.click("[data-testid=confirm-submit]")
    page.wait_for_selector("[data-testid=count-unchanged]")
    assert (page.inner_text("[data-testid=count-created]"), page.inner_text("[data-testid=count-unchanged]")) == ("0", "2")
    shot(page, "import-done")
    page.goto(page.base + "/inventory/imports/")
    assert page.locator("[data-testid=import-row]").count() == 3
    assert not page.console_errors, page.console_errors
    with scopes_disabled():
        assert MarketEntity.objects.count() == 3
        assert str(MarketEntity.objects.get(code=CODES[2]).established_on) == "2024-01-31"




def test_a_job_whose_worker_died_is_shown_failed_and_run_again(page, world_live, tmp_path, settings):
    """Issue 9 point 7 on a phone and a desktop: a job left "导入中 6%" by a dead worker shows as
    failed with its reason once its heartbeat is stale, and confirming runs it."""
    import datetime as dt

    from django.utils import timezone

    from inventory.models import ImportJob

    settings.JOB_STALE_AFTER_SECONDS = 300
    log_in(page, "a1_planner", PASSWORD)
    page.goto(page.base + "/inventory/imports/new/?kind=entities")
    good = tmp_path / "名录.xlsx"
    good.write_bytes(xlsx([["统一社会信用代码", "企业名称"], [CODES[5], "阳城县某某有限公司"]]))
    page.set_input_files("[data-testid=import-file]", str(good))
    page.click("[data-testid=import-submit]")
    page.wait_for_selector("[data-testid=confirm-form]")
    with scopes_disabled():
        job = ImportJob.objects.get()
        ImportJob.objects.filter(pk=job.pk).update(mode="all")
        Job.objects.filter(pk=job.run_id).update(status="running", progress=6,
                                                 heartbeat_at=timezone.now() - dt.timedelta(minutes=7))
    page.goto(page.base + f"/inventory/imports/{job.pk}/")
    assert page.inner_text("[data-testid=import-status]") == "失败"
    assert "后台导入中断" in page.inner_text("[data-testid=import-message]")
    assert page.is_visible("[data-testid=run-again]")
    shot(page, "import-failed-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.is_visible("[data-testid=confirm-submit]")
    shot(page, "import-failed-phone")
    page.click("[data-testid=confirm-submit]")
    page.wait_for_selector("[data-testid=count-created]")
    assert page.inner_text("[data-testid=count-created]") == "1"
    assert not page.console_errors, page.console_errors
