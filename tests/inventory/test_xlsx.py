"""Templates, exports (formula escaping, CSV BOM) and the export → import round trip."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from inventory.importer.columns import COLUMNS
from inventory.models import CheckItem, ImportJob, Inspector, MarketEntity, RegistryEntry
from inventory.services import entities as entity_services
from inventory.services.imports import import_confirm, import_preview
from inventory.xlsx import escape_cell, export_response, template_bytes
from tenancy.models import OrgUnit
from tenancy.scoping import actor_scope

from .fixtures.sheets import CODES, REGNO, xlsx
from .test_import import ITEMS, MESSY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def run(actor, kind, data, filename):
    with actor_scope(actor):
        job = import_preview(actor=actor, kind=kind, data=data, filename=filename)
        return import_confirm(actor=actor, job=job, mode="all")


@pytest.mark.parametrize("kind", ["entities", "inspectors", "items"])
def test_template_has_headers_comments_and_dropdowns(kind):
    wb = load_workbook(io.BytesIO(template_bytes(kind)))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers == [c.header for c in COLUMNS[kind]]
    assert all(c.comment is not None and ("必填" in c.comment.text or "选填" in c.comment.text) for c in ws[1])
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    expected = [c for c in COLUMNS[kind] if c.choices]
    assert len(lists) == len(expected)
    if kind == "entities":
        assert '"企业,个体工商户,农民专业合作社,其他"' in lists
        assert any("A 低风险" in f for f in lists) and '"是,否"' in lists
    assert wb.sheetnames[1] == "填写说明"


def test_filled_template_imports(world):
    wb = load_workbook(io.BytesIO(template_bytes("entities")))
    ws = wb.worksheets[0]
    ws.append([CODES[30], "阳城县示例有限公司", "企业", "张三", "阳城县凤城镇", "F5211", "百货零售", "2020-05-01", "存续",
               "C 较高风险", "是", "否", 2, "重点"])
    out = io.BytesIO()
    wb.save(out)
    job = run(world.actor("A1"), "entities", out.getvalue(), "模板.xlsx")
    assert job.status == ImportJob.Status.DONE and job.created_count == 1
    with scopes_disabled():
        e = MarketEntity.objects.get(code=CODES[30])
    assert (e.risk_class, e.on_abnormal_list, e.complaint_count, e.industry_code) == ("C", True, 2, "F5211")


def test_export_escapes_formulas_and_csv_has_bom(world):
    actor = world.actor("A1")
    run(actor, "entities", xlsx(MESSY), "a.xlsx")
    with scopes_disabled():
        e = MarketEntity.objects.get(code=CODES[0])
        MarketEntity.objects.filter(pk=e.pk).update(name="=cmd|' /C calc'!A0", legal_representative="@SUM(1)", address="+86 地址")
    with actor_scope(actor):
        qs = RegistryEntry.objects.filter(entity__code=CODES[0])
        csv_response = export_response(kind="entities", queryset=qs, fmt="csv", filename="名录")
        xlsx_response = export_response(kind="entities", queryset=qs, fmt="xlsx", filename="名录.xlsx")
    raw = body(csv_response)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in text and "'@SUM(1)" in text and "'+86 地址" in text
    assert "filename" in csv_response["Content-Disposition"] and ".csv" in csv_response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(xlsx_response.content)).worksheets[0]
    row = [c.value for c in ws[2]]
    assert row[1] == "'=cmd|' /C calc'!A0" and ws.cell(row=2, column=2).data_type == "s"
    assert escape_cell("-1") == "'-1" and escape_cell(-1) == -1 and escape_cell("正常") == "正常"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_entity_export_reimports_unchanged(world, fmt):
    actor = world.actor("A1")
    run(actor, "entities", xlsx(MESSY), "a.xlsx")
    with scopes_disabled():
        MarketEntity.objects.filter(code=REGNO).update(address="-3 号院", complaint_count=4)
    with actor_scope(actor):
        response = export_response(kind="entities", queryset=RegistryEntry.objects.all(), fmt=fmt, filename="导出")
    job = run(actor, "entities", body(response), f"导出.{fmt}")
    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.total_rows, job.created_count, job.updated_count, job.unchanged_count) == (3, 0, 0, 3)
    # And into a second department: same data, its own registry entries and tags.
    job2 = run(world.actor("A2"), "entities", body(response), f"导出.{fmt}")
    assert (job2.created_count, job2.rejected_count) == (3, 0)
    with scopes_disabled():
        entry = RegistryEntry.objects.get(organization=world.orgs["A2"], entity__code=CODES[0])
        assert sorted(t.name for t in entry.tags.all()) == ["旅游", "重点"]
        assert MarketEntity.objects.get(code=REGNO).address == "-3 号院"


def test_market_entity_export_leaves_tags_out(world):
    actor = world.actor("A1")
    run(actor, "entities", xlsx(MESSY), "a.xlsx")
    with actor_scope(actor):
        response = export_response(kind="entities", queryset=MarketEntity.objects.all(), fmt="xlsx", filename="x")
    headers = [c.value for c in load_workbook(io.BytesIO(response.content)).worksheets[0][1]]
    assert "分类标注" not in headers and headers[0] == "统一社会信用代码"
    job = run(actor, "entities", response.content, "x.xlsx")
    assert job.unchanged_count == 3
    with scopes_disabled():
        assert RegistryEntry.objects.get(entity__code=CODES[0]).tags.count() == 2


def test_inspector_and_item_exports_round_trip(world):
    org = world.orgs["A1"]
    with scopes_disabled():
        OrgUnit.objects.create(organization=org, region=org.region, name="执法队")
    actor = world.actor("A1")
    people = [["姓名", "执法证号", "所在股室", "执法证有效期至", "专长", "状态"],
              ["张伟", "140522001", "执法队", "2027-12-31", "价格、招投标", "休假"]]
    run(actor, "inspectors", xlsx(people), "p.xlsx")
    run(actor, "items", xlsx(ITEMS), "i.xlsx")
    with actor_scope(actor):
        p_resp = export_response(kind="inspectors", queryset=Inspector.objects.all(), fmt="csv", filename="人员")
        i_resp = export_response(kind="items", queryset=CheckItem.objects.all(), fmt="xlsx", filename="事项")
    rows = list(load_workbook(io.BytesIO(i_resp.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 4 and rows[1][0] == "WL-001" and rows[1][8] == "经营许可" and rows[2][8] == "质量保证金"
    assert "休假" in body(p_resp).decode("utf-8-sig") and "执法队" in body(p_resp).decode("utf-8-sig")
    p_job = run(actor, "inspectors", body(p_resp), "人员.csv")
    i_job = run(actor, "items", i_resp.content, "事项.xlsx")
    assert (p_job.unchanged_count, p_job.created_count, p_job.updated_count) == (1, 0, 0)
    assert (i_job.unchanged_count, i_job.created_count, i_job.updated_count) == (2, 0, 0), i_job.errors


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_department_export_page_keeps_tags_and_reimports_unchanged(world, login, fmt):
    """The list's export button (``entity_export``) writes the department's 分类标注, filtered as the
    list is; importing that file again changes nothing (tags included)."""
    actor = world.actor("A1")
    run(actor, "entities", xlsx(MESSY), "a.xlsx")
    client = login(world.user("A1", "planner"))
    response = client.get(reverse("inventory:entity_export") + f"?format={fmt}")
    assert response.status_code == 200
    data = body(response)
    if fmt == "xlsx":
        rows = [list(r) for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True)]
    else:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = rows[0]
    assert "分类标注" in header
    tags = {r[0]: r[header.index("分类标注")] or "" for r in rows[1:]}
    assert tags == {CODES[0]: "旅游、重点", CODES[1]: "", REGNO: "重点、食品"}
    job = run(actor, "entities", data, f"导出.{fmt}")
    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.total_rows, job.created_count, job.updated_count, job.unchanged_count) == (3, 0, 0, 3)
    with scopes_disabled():
        entry = RegistryEntry.objects.get(organization=world.orgs["A1"], entity__code=REGNO)
        assert sorted(t.name for t in entry.tags.all()) == ["重点", "食品"]
    # Filtered by a tag: only the tagged rows, with their tags.
    with scopes_disabled():
        tag = entry.tags.get(name="食品")
    filtered = body(client.get(reverse("inventory:entity_export") + f"?tag={tag.pk}&format=csv")).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(filtered)))
    assert [r[0] for r in lines[1:]] == [REGNO] and "重点、食品" in lines[1]


def test_department_export_lists_only_its_active_registry(world, login):
    actor = world.actor("A1")
    run(actor, "entities", xlsx(MESSY), "a.xlsx")
    run(world.actor("A2"), "entities", xlsx([["统一社会信用代码", "名称", "分类标注"], [CODES[5], "乙部门的对象", "乙标签"]]), "b.xlsx")
    with actor_scope(actor):

        entity_services.registry_bulk_retire(
            actor=actor, entity_ids=list(MarketEntity.objects.filter(code=CODES[1]).values_list("pk", flat=True)),
            reason="已迁出",
        )
    response = login(world.user("A1", "viewer")).get(reverse("inventory:entity_export") + "?format=csv")
    text = body(response).decode("utf-8-sig")
    codes_out = [r[0] for r in list(csv.reader(io.StringIO(text)))[1:]]
    assert codes_out == sorted([CODES[0], REGNO]) and "乙标签" not in text


def test_office_export_has_no_tags_column(world, login):
    run(world.actor("A1"), "entities", xlsx(MESSY), "a.xlsx")
    response = login(world.user("AO", "viewer")).get(reverse("inventory:entity_export"))
    rows = list(load_workbook(io.BytesIO(body(response))).worksheets[0].iter_rows(values_only=True))
    assert "分类标注" not in rows[0] and len(rows) == 4
