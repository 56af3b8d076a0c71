"""Template → import → list → export → re-import, in a real browser, as a demo planner: the template
downloaded from the import page, filled in with openpyxl, imported; the filtered list exported as
.xlsx from the list page; that export re-imported changes nothing, and it holds what was imported
(the department's 分类标注 included)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from inventory.codes import make_registry_code, make_uscc
from tests.browser.support import log_in, shot

pytestmark = pytest.mark.browser

MARKER = "模板往返"  # in every name: the list filter finds exactly these rows

# (code, name, type, legal rep, address, industry code, industry name, established, status, risk,
#  abnormal, dishonest, complaints, tags) in the template's column order.
ROWS: list[list[Any]] = [
    [make_uscc("91", "140522", "MA7TE0001"), f"阳城县{MARKER}旅行社有限公司", "企业", "张三", "阳城县凤城镇东关村 1 号",
     "L7271", "旅行社服务", "2020-05-01", "存续", "C 较高风险", "是", "否", 2, "重点、旅游"],
    [make_uscc("92", "140522", "MA7TE0002"), f"阳城县{MARKER}李记网吧", "个体工商户", "李四", "阳城县北留镇",
     "R9013", "互联网上网服务", "2019/3/15", "存续", "D 高风险", "否", "是", 5, "网吧"],
    [make_uscc("93", "140522", "MA7TE0003"), f"阳城县{MARKER}农家乐专业合作社", "农民专业合作社", "王五", "阳城县润城镇",
     "", "", "", "注销", "A 低风险", "否", "否", 0, ""],
    [make_registry_code("140522", "XM2026-001"), f"阳城县{MARKER}蟒河景区演出场地", "其他", "", "阳城县蟒河镇",
     "", "", "2024年1月31日", "存续", "B 一般风险", "否", "否", 1, "娱乐场所、重点"],
]


def _download(page, click) -> bytes:
    with page.expect_download() as info:
        click()
    return Path(info.value.path()).read_bytes()


def _import(page, path: Path) -> dict[str, str]:
    """Upload ``path`` on the import page, check the preview, confirm; the result counts."""
    page.goto(page.base + "/inventory/imports/new/")
    page.select_option("[data-testid=import-kind]", "entities")
    page.set_input_files("[data-testid=import-file]", str(path))
    page.click("[data-testid=import-submit]")
    page.wait_for_selector("[data-testid=confirm-form]")
    preview = {k: page.inner_text(f"[data-testid=count-{k}]") for k in ("total", "valid", "rejected")}
    assert preview == {"total": str(len(ROWS)), "valid": str(len(ROWS)), "rejected": "0"}, preview
    assert page.locator("[data-testid=import-errors]").count() == 0
    page.click("[data-testid=confirm-submit]")
    page.wait_for_selector("[data-testid=count-unchanged]")
    return {k: page.inner_text(f"[data-testid=count-{k}]") for k in ("created", "updated", "unchanged", "rejected")}


def _cell(value: Any) -> str:
    """A cell as text, the way the importer reads it (dates in any accepted spelling → ISO)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            pass
    return text


def _tags(value: Any) -> set[str]:
    return {t for t in _cell(value).replace("，", "、").replace(",", "、").split("、") if t}


def test_template_import_export_reimport(page, demo, tmp_path):
    log_in(page, "yc_wl_planner", demo)
    page.goto(page.base + "/inventory/imports/new/")
    template = _download(page, lambda: page.click("a[href$='/imports/template/entities.xlsx']"))

    # Fill the downloaded template below its header row, in its own column order.
    wb = load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[0] == "统一社会信用代码" and headers[-1] == "分类标注" and len(headers) == len(ROWS[0])
    for r, row in enumerate(ROWS, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    filled = tmp_path / "检查对象名录库导入模板（已填写）.xlsx"
    wb.save(filled)

    assert _import(page, filled) == {"created": str(len(ROWS)), "updated": "0", "unchanged": "0", "rejected": "0"}
    shot(page, "template-import-done")

    # The imported entities in the list, filtered by name.
    page.goto(page.base + "/inventory/entities/")
    page.fill("[data-testid=entity-filters] input[name=q]", MARKER)
    page.click("[data-testid=entity-filters] button[type=submit]")
    page.wait_for_url(lambda url: "q=" in url)
    rows = page.get_by_test_id("entity-row")
    assert rows.count() == len(ROWS)
    listed = {rows.nth(i).locator("td.mono").inner_text().split()[0] for i in range(rows.count())}
    assert listed == {row[0] for row in ROWS}
    first = page.get_by_test_id("entity-row").filter(has_text=ROWS[0][0])
    assert {b.strip() for b in first.locator(".badge.info").all_inner_texts()} == {"重点", "旅游"}
    shot(page, "template-entity-list")

    # Export the filtered list from the page.
    exported = _download(page, lambda: page.get_by_test_id("entity-export").click())
    sheet = load_workbook(io.BytesIO(exported)).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == headers  # same columns as the template, 分类标注 included
    by_code = {row[0]: row for row in values[1:]}
    assert set(by_code) == {row[0] for row in ROWS} and len(values) == len(ROWS) + 1

    # The export holds what was imported, column by column.
    tags_at = headers.index("分类标注")
    for row in ROWS:
        out = by_code[row[0]]
        for i, header in enumerate(headers):
            if i == tags_at:
                assert _tags(out[i]) == _tags(row[i]), (row[0], header, out[i])
            else:
                assert _cell(out[i]) == _cell(row[i]), (row[0], header, out[i], row[i])

    # Re-import the exported file: nothing created, nothing updated.
    again = tmp_path / "检查对象名录库.xlsx"
    again.write_bytes(exported)
    assert _import(page, again) == {"created": "0", "updated": "0", "unchanged": str(len(ROWS)), "rejected": "0"}
    assert "新增 0，更新 0" in page.inner_text("[data-testid=import-message]")
    shot(page, "template-reimport-unchanged")
    assert not page.console_errors, page.console_errors
