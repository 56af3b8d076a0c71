"""Spreadsheet import services: recognition, validation, modes, idempotence, audit, Celery path."""

from __future__ import annotations

import io
from contextlib import nullcontext

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from inventory.importer import entity_upsert, jobs, upserts
from inventory.importer import rows as importer_rows
from inventory.models import CheckItem, ImportJob, Inspector, MarketEntity, RegistryEntry, Tag
from inventory.services.imports import entity_bulk_upsert, import_confirm, import_preview
from inventory.xlsx import rejected_bytes
from tenancy.models import AuditEntry, OrgUnit
from tenancy.scoping import actor_scope

from .fixtures.sheets import CODES, REGNO, csv_bytes, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def run(actor, kind, data, filename="名录.xlsx", mode="all"):
    with actor_scope(actor):
        job = import_preview(actor=actor, kind=kind, data=data, filename=filename)
        return import_confirm(actor=actor, job=job, mode=mode)


def preview_error(actor, data, filename="x.xlsx", kind="entities") -> str:
    with actor_scope(actor), pytest.raises(ValidationError) as exc:
        import_preview(actor=actor, kind=kind, data=data, filename=filename)
    return " ".join(exc.value.message_dict["file"])


def entities():
    with scopes_disabled():
        return {e.code: e for e in MarketEntity.objects.all()}


MESSY = [
    ["阳城县发改局 2024 年检查对象名录"],
    [],
    ["  企业名称 ", "风险等级", "信用代码", "负责人", "标签", "成立时间", "经营异常名录", "备注"],
    ["阳城县　皇城相府旅游有限公司", "A类", "９１" + CODES[0][2:].lower(), " 张三 ", "旅游、重点", "2024/1/31", "√", "x"],
    ["阳城县蟒河农家乐", "一般风险", CODES[1], "李四", "", "2024年1月31日", "否", ""],
    ["阳城县老字号食品厂", "高风险", REGNO, "王五", "食品，重点", "2023-12-01", "N", ""],
]


def test_messy_xlsx_header_variants_title_rows_fullwidth(world):
    actor = world.actor("A1", "planner")
    job = run(actor, "entities", xlsx(MESSY))
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.total_rows, job.created_count, job.updated_count, job.rejected_count) == (3, 3, 0, 0)
    found = entities()
    first = found[CODES[0]]  # full-width digits and lower case normalised
    assert first.name == "阳城县 皇城相府旅游有限公司"
    assert (first.risk_class, first.legal_representative, str(first.established_on), first.on_abnormal_list) == (
        "A", "张三", "2024-01-31", True)
    assert found[CODES[1]].risk_class == "B" and str(found[CODES[1]].established_on) == "2024-01-31"
    legacy = found[REGNO]
    assert legacy.is_legacy_code and legacy.code_kind == "regno" and legacy.risk_class == "D"
    with scopes_disabled():
        entry = RegistryEntry.objects.get(entity=first, organization=world.orgs["A1"])
        assert sorted(t.name for t in entry.tags.all()) == ["旅游", "重点"]
        assert RegistryEntry.objects.filter(organization=world.orgs["A1"]).count() == 3
        assert set(Tag.objects.filter(organization=world.orgs["A1"]).values_list("name", flat=True)) == {"旅游", "重点", "食品"}
    with actor_scope(actor):
        preview = import_preview(actor=actor, kind="entities", data=xlsx(MESSY), filename="again.xlsx")
    assert "表头在第 3 行" in preview.message and "备注" in preview.message  # unknown column: ignored, said so


@pytest.mark.parametrize("encoding,bom", [("gbk", False), ("gb18030", False), ("utf-8", True), ("utf-8", False)])
def test_csv_encodings(world, encoding, bom):
    rows = [["统一社会信用代码", "名称", "法定代表人", "信用风险分类"], [CODES[2], "阳城县析城山酒店", "赵六", "C"]]
    job = run(world.actor("A1"), "entities", csv_bytes(rows, encoding, bom), filename="导出.csv")
    assert job.status == ImportJob.Status.DONE
    e = entities()[CODES[2]]
    assert (e.name, e.legal_representative, e.risk_class) == ("阳城县析城山酒店", "赵六", "C")


@pytest.mark.parametrize(
    "data,filename,expected",
    [
        (b"hello, this is not a workbook", "registry.xlsx", "不是 Excel 工作簿"),
        (b"", "empty.csv", "文件为空"),
        (b"%PDF-1.4 binary\x00\x01", "scan.csv", "不是电子表格"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.xls", ".xls"),
        (b"PK\x03\x04 broken zip", "broken.xlsx", "不是有效的 Excel 工作簿"),
    ],
)
def test_file_refused(world, data, filename, expected):
    message = preview_error(world.actor("A1"), data, filename)
    assert expected in message
    with scopes_disabled():
        assert not ImportJob.objects.exists() and not MarketEntity.objects.exists()


def test_file_too_big(world, settings):
    settings.IMPORT_MAX_BYTES = 100
    data = csv_bytes([["统一社会信用代码", "名称"]] + [[c, "某公司"] for c in CODES[:10]])
    assert "文件过大" in preview_error(world.actor("A1"), data, "big.csv")


def test_missing_required_columns_are_named(world):
    message = preview_error(world.actor("A1"), xlsx([["名称", "负责人", "地址"], ["某公司", "张三", "阳城"]]))
    assert "缺少必填列" in message and "统一社会信用代码" in message
    assert "未找到表头" in preview_error(world.actor("A1"), xlsx([["随便", "什么"], ["a", "b"]]))


def test_row_errors_with_row_column_value_reason(world):
    bad_check = CODES[3][:-1] + ("0" if CODES[3][-1] != "0" else "1")
    rows = [
        ["统一社会信用代码", "名称", "成立日期", "信用风险分类"],
        [CODES[4], "甲公司", "2024-01-31", "A"],  # row 2 ok
        [bad_check, "乙公司", "", ""],  # row 3 check character
        [CODES[5], "丙公司", "31.01.2024", ""],  # row 4 date format
        [CODES[6], "丁公司", "", "特级"],  # row 5 risk
        [CODES[7], "", "", ""],  # row 6 name missing
        [CODES[8], "戊公司", "", ""],  # row 7 duplicate of row 8
        [CODES[8], "己公司", "", ""],  # row 8
    ]
    actor = world.actor("A1", "admin")
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=xlsx(rows), filename="错误.xlsx")
    assert (job.total_rows, job.valid_rows, job.rejected_count) == (7, 1, 6)
    by_row = {e["row"]: e for e in job.errors}
    assert by_row[3]["column"] == "统一社会信用代码" and "校验位错误" in by_row[3]["reason"] and by_row[3]["value"] == bad_check
    assert by_row[4]["column"] == "成立日期" and "日期格式" in by_row[4]["reason"] and by_row[4]["value"] == "31.01.2024"
    assert by_row[5]["column"] == "信用风险分类" and "无法识别" in by_row[5]["reason"]
    assert by_row[6]["column"] == "名称" and "必填" in by_row[6]["reason"]
    assert "第 8 行重复" in by_row[7]["reason"] and "第 7 行重复" in by_row[8]["reason"]
    assert not entities()  # preview writes nothing


def _mixed_file() -> bytes:
    return xlsx([
        ["统一社会信用代码", "名称", "成立日期"],
        [CODES[10], "甲公司", "2024-01-31"],
        [CODES[11], "乙公司", "2024/02/30"],
        [CODES[12], "丙公司", ""],
        ["123", "丁公司", ""],
        [CODES[13], "+86 戊公司", "昨天"],
    ])


def test_mode_all_imports_nothing_when_any_row_is_bad(world):
    job = run(world.actor("A1"), "entities", _mixed_file(), mode="all")
    assert job.status == ImportJob.Status.REFUSED and job.rejected_count == 3
    assert "未导入任何数据" in job.message
    assert not entities()


def test_mode_valid_imports_valid_rows_and_offers_rejected_file(world):
    job = run(world.actor("A1"), "entities", _mixed_file(), mode="valid")
    assert job.status == ImportJob.Status.DONE
    assert (job.created_count, job.updated_count, job.unchanged_count, job.rejected_count) == (2, 0, 0, 3)
    assert set(entities()) == {CODES[10], CODES[12]}
    wb = load_workbook(io.BytesIO(rejected_bytes(job)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0] == ("统一社会信用代码", "名称", "成立日期", "错误原因")
    assert [r[1] for r in rows[1:]] == ["乙公司", "丁公司", "'+86 戊公司"]  # formula-like text escaped
    assert "日期不存在" in rows[1][3] and "长度错误" in rows[2][3] and "日期格式" in rows[3][3]


def test_reimport_is_idempotent_and_audited(world):
    actor = world.actor("A1", "planner")
    data = xlsx(MESSY)
    first = run(actor, "entities", data)
    with scopes_disabled():
        per_row = AuditEntry.objects.filter(target_type="inventory.marketentity", action="create").count()
        summaries = AuditEntry.objects.filter(action="import", target_id=str(first.pk))
        assert per_row == 3 and summaries.count() == 1
        assert summaries.get().changes["created"] == 3 and summaries.get().actor_name == "A1planner"
    second = run(actor, "entities", data)
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 3)
    with scopes_disabled():
        assert AuditEntry.objects.filter(target_type="inventory.marketentity").count() == 3
    changed = [row[:] for row in MESSY]
    changed[3][1] = "D级"
    changed[4][4] = "新标签"
    third = run(actor, "entities", xlsx(changed))
    assert (third.created_count, third.updated_count, third.unchanged_count) == (0, 2, 1)
    assert entities()[CODES[0]].risk_class == "D"
    with scopes_disabled():
        update = AuditEntry.objects.get(target_type="inventory.marketentity", action="update", target_id=str(entities()[CODES[0]].pk))
        assert update.changes["risk_class"] == ["A", "D"]


def test_second_department_shares_the_entity(world):
    run(world.actor("A1"), "entities", xlsx(MESSY))
    job = run(world.actor("A2"), "entities", xlsx(MESSY))
    assert job.created_count == 3  # new in A2's registry, the entities themselves are shared
    with scopes_disabled():
        assert MarketEntity.objects.count() == 3 and RegistryEntry.objects.count() == 6


def test_office_imports_entities_without_registry_entries(world):
    job = run(world.actor("AO"), "entities", xlsx(MESSY))
    assert job.status == ImportJob.Status.DONE and job.created_count == 3
    with scopes_disabled():
        assert MarketEntity.objects.count() == 3 and not RegistryEntry.objects.exists()
    with actor_scope(world.actor("AO")), pytest.raises(ValidationError):
        import_preview(actor=world.actor("AO"), kind="inspectors", data=xlsx([["姓名", "执法证号"], ["a", "1"]]), filename="a.xlsx")


def test_large_file_runs_as_celery_task(world, settings, django_capture_on_commit_callbacks):
    settings.ASYNC_IMPORT_ROW_THRESHOLD = 2
    actor = world.actor("A1", "admin")
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=xlsx(MESSY), filename="big.xlsx")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            job = import_confirm(actor=actor, job=job, mode="valid")
        assert job.status == ImportJob.Status.QUEUED and len(callbacks) == 1
        job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.progress == 100 and job.created_count == 3
    assert len(entities()) == 3


def test_inspectors_units_and_specialties(world):
    org = world.orgs["A1"]
    with scopes_disabled():
        OrgUnit.objects.create(organization=org, region=org.region, name="执法队")
        OrgUnit.objects.create(organization=org, region=org.region, name="价格股")
    rows = [
        ["序号", "姓名", "单位", "执法证号", "有效期至", "联系电话", "专长", "状态"],
        [1, "张伟", "执法队", "１４０５２２００１", "2027年12月31日", "0356-1234567", "价格、招投标", "在岗"],
        [2, "李娜", "办公室", "140522002", "", "", "", ""],
        [3, "王强", "价格股", "140522003", "长期", "13800000000", "", "借调"],
    ]
    job = run(world.actor("A1"), "inspectors", xlsx(rows), mode="valid")
    assert (job.created_count, job.rejected_count) == (2, 1)
    error = job.errors[0]
    assert error["row"] == 3 and error["column"] == "单位" and "办公室" in error["reason"]
    assert "执法队" in error["reason"] and "价格股" in error["reason"]
    with scopes_disabled():
        zhang = Inspector.objects.get(cert_no="140522001")
        assert zhang.unit.name == "执法队" and str(zhang.cert_expires_on) == "2027-12-31"
        assert sorted(t.name for t in zhang.specialties.all()) == ["价格", "招投标"]
        assert Inspector.objects.get(cert_no="140522003").status == "seconded"
    again = run(world.actor("A1"), "inspectors", xlsx(rows), mode="valid")
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)


ITEMS = [
    ["事项编码", "事项名称", "事项类别", "检查方式", "检查项目", "检查内容", "检查依据", "结果类型"],
    ["WL-001", "旅行社经营行为检查", "重点", "实地检查", "经营许可", "是否取得旅行社业务经营许可证", "《旅行社条例》第六条", "正常/不正常/不涉及"],
    ["WL-001", "", "", "", "质量保证金", "是否按规定存缴质量保证金", "《旅行社条例》第十三条", "文字"],
    ["WL-002", "网吧经营检查", "一般检查事项", "书面", "", "", "", ""],
]


def test_items_with_check_points_and_versions(world):
    actor = world.actor("A1")
    job = run(actor, "items", xlsx(ITEMS))
    assert (job.created_count, job.rejected_count) == (2, 0)
    with scopes_disabled():
        item = CheckItem.objects.get(code="WL-001")
        assert (item.category, item.method) == ("key", "onsite")
        assert [(p.order, p.project, p.answer_kind) for p in item.points.all()] == [(1, "经营许可", "status"), (2, "质量保证金", "text")]
        assert CheckItem.objects.get(code="WL-002").method == "document"
    assert run(actor, "items", xlsx(ITEMS)).unchanged_count == 2
    changed = [r[:] for r in ITEMS]
    changed[2][5] = "是否足额存缴质量保证金"
    third = run(actor, "items", xlsx(changed))
    assert (third.updated_count, third.unchanged_count) == (1, 1)
    with scopes_disabled():
        item = CheckItem.objects.get(code="WL-001", is_current=True)
        assert item.version == 1 and item.points.get(order=2).content == "是否足额存缴质量保证金"


def test_items_group_with_a_bad_row_is_rejected_whole(world):
    rows = [r[:] for r in ITEMS]
    rows[2][7] = "打分"
    job = run(world.actor("A1"), "items", xlsx(rows), mode="valid")
    assert job.created_count == 1 and job.rejected_count == 2
    assert {e["row"] for e in job.errors} == {2, 3}


def test_entity_bulk_upsert_for_the_api(world):
    actor = world.actor("A1", "admin")
    records = [
        {"code": CODES[20], "name": "甲公司", "risk_class": "低风险", "on_abnormal_list": True, "tags": ["重点"]},
        {"code": CODES[21], "name": "乙公司", "established_on": "2024/1/31", "complaint_count": 3},
    ]
    with actor_scope(actor):
        result = entity_bulk_upsert(actor=actor, records=records)
        assert (result.created, result.updated, result.unchanged, result.errors) == (2, 0, 0, [])
        again = entity_bulk_upsert(actor=actor, records=records)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
        bad = entity_bulk_upsert(actor=actor, records=[{"code": CODES[22], "name": "丙"}, {"code": "bad", "name": "丁"}, {"name": "戊"}])
    assert bad.created == 0 and {(e["row"], e["field"]) for e in bad.errors} == {(1, "code"), (2, "code")}
    found = entities()
    assert CODES[22] not in found  # all or nothing
    assert found[CODES[20]].risk_class == "A" and found[CODES[21]].complaint_count == 3


def test_item_in_use_by_a_task_gets_a_new_version(world):
    from sampling.models import SamplingPlan, SamplingTask

    actor = world.actor("A1")
    run(actor, "items", xlsx(ITEMS))
    org = world.orgs["A1"]
    with scopes_disabled():
        used = CheckItem.objects.get(code="WL-001")
        plan = SamplingPlan.objects.create(organization=org, region=org.region, year=2026, name="计划")
        task = SamplingTask.objects.create(organization=org, region=org.region, plan=plan, name="第一批", uid="T-IMPORT-1")
        task.items.add(used)
    changed = [r[:] for r in ITEMS]
    changed[1][1] = "旅行社经营行为检查（2026 修订）"
    job = run(actor, "items", xlsx(changed))
    assert (job.updated_count, job.unchanged_count) == (1, 1)
    with scopes_disabled():
        old = CheckItem.objects.get(pk=used.pk)
        new = CheckItem.objects.get(code="WL-001", is_current=True)
        assert (old.is_current, old.name, old.points.count()) == (False, "旅行社经营行为检查", 2)
        assert (new.version, new.previous_id, new.name, new.points.count()) == (2, old.pk, "旅行社经营行为检查(2026 修订)", 2)
        assert list(task.items.all()) == [old]  # the task keeps the version it used
        assert AuditEntry.objects.filter(action="new_version", target_id=str(new.pk)).exists()


def test_absent_columns_keep_stored_values(world):
    actor = world.actor("A1")
    run(actor, "entities", xlsx(MESSY))
    slim = xlsx([["统一社会信用代码", "名称"], [CODES[0], "阳城县 皇城相府旅游有限公司"], [CODES[1], "阳城县蟒河农家乐(新)"]])
    job = run(actor, "entities", slim)
    assert (job.updated_count, job.unchanged_count) == (1, 1)
    found = entities()
    assert found[CODES[0]].risk_class == "A" and found[CODES[0]].on_abnormal_list  # not reset to defaults
    with scopes_disabled():
        assert RegistryEntry.objects.get(entity__code=CODES[0]).tags.count() == 2  # no tag column: tags kept
    with actor_scope(actor):
        result = entity_bulk_upsert(actor=actor, records=[{"code": CODES[0], "complaint_count": "5次"}, {"code": CODES[1], "name": "x"}])
    assert {e["row"] for e in result.errors} == {0}  # name is required for every record


def test_reimport_puts_a_retired_entry_back(world):
    actor = world.actor("A1")
    run(actor, "entities", xlsx(MESSY))
    with scopes_disabled():
        RegistryEntry.objects.filter(entity__code=CODES[1]).update(status="retired", retired_reason="迁出")
    job = run(actor, "entities", xlsx(MESSY))
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 2)
    with scopes_disabled():
        assert RegistryEntry.objects.get(entity__code=CODES[1]).status == "active"


def test_error_list_is_capped_but_rejected_file_is_complete(world, settings, monkeypatch):
    monkeypatch.setattr(importer_rows, "MAX_STORED_ERRORS", 3)
    rows = [["统一社会信用代码", "名称"]] + [[f"BAD{i}", f"坏{i}"] for i in range(5)] + [[CODES[0], "好"]]
    actor = world.actor("A1")
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=xlsx(rows), filename="garbage.xlsx")
        data = rejected_bytes(job)
    assert len(job.errors) == 3 and job.rejected_count == 5 and "错误过多" in job.message
    wb = load_workbook(io.BytesIO(data))
    assert [r[1] for r in wb.active.iter_rows(min_row=2, values_only=True)] == [f"坏{i}" for i in range(5)]


def test_item_list_without_check_form_maps_basis_to_the_item(world):
    rows = [["序号", "抽查事项", "事项编码", "检查对象", "检查依据", "检查内容", "抽查方式"],
            [1, "价格行为检查", "FG-001", "经营者", "《价格法》第十二条", "明码标价情况", "实地"]]
    job = run(world.actor("A1"), "items", xlsx(rows))
    assert job.created_count == 1
    with scopes_disabled():
        item = CheckItem.objects.get(code="FG-001")
        assert item.points.count() == 0
    assert (item.legal_basis, item.content, item.target_type, item.method) == ("《价格法》第十二条", "明码标价情况", "经营者", "onsite")


FULL_HEADER = ["统一社会信用代码", "主体名称", "法定代表人", "成立日期", "信用风险分类", "列入经营异常名录", "投诉举报数", "分类标注"]


def test_update_path_writes_every_changed_field_and_skips_unchanged_rows(world):
    actor = world.actor("A1")
    rows = [[CODES[i], f"阳城县企业{i}", "张三", "2020-01-0" + str(i + 1), "A", "否", 0, "食品、重点"] for i in range(6)]
    run(actor, "entities", xlsx([FULL_HEADER, *rows]))
    before = entities()
    changed = [row[:] for row in rows]
    changed[0][1] = "阳城县“新”名称'; --"  # quotes and SQL-ish text go through the set-based UPDATE as data
    changed[1][3] = ""  # a date cleared
    changed[2][4], changed[2][5], changed[2][6] = "D", "是", 7  # choice, flag and count together
    changed[3][2], changed[3][3] = "李四", "2021-12-31"
    changed[4][7] = "重点、新标签"  # tags only: the entry changes, the entity row does not
    job = run(actor, "entities", xlsx([FULL_HEADER, *changed]))
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 5, 1), job.message
    after = entities()
    assert after[CODES[0]].name == "阳城县“新”名称'; --"
    assert after[CODES[1]].established_on is None
    assert (after[CODES[2]].risk_class, after[CODES[2]].on_abnormal_list, after[CODES[2]].complaint_count) == ("D", True, 7)
    assert after[CODES[3]].legal_representative == "李四" and str(after[CODES[3]].established_on) == "2021-12-31"
    for i in (4, 5):  # not rewritten
        assert after[CODES[i]].updated_at == before[CODES[i]].updated_at
    for i in range(6):  # nothing else moved
        assert after[CODES[i]].code_kind == "uscc" and after[CODES[i]].entity_type == before[CODES[i]].entity_type
    with scopes_disabled():
        updates = {e.target_id: e for e in AuditEntry.objects.filter(target_type="inventory.marketentity", action="update")}
        assert set(updates) == {str(after[CODES[i]].pk) for i in range(5)}
        assert updates[str(after[CODES[1]].pk)].changes == {"established_on": ["2020-01-02", None]}
        assert updates[str(after[CODES[3]].pk)].changes == {
            "legal_representative": ["张三", "李四"], "established_on": ["2020-01-04", "2021-12-31"]}
        assert updates[str(after[CODES[4]].pk)].changes == {"tags": [["重点", "食品"], ["新标签", "重点"]]}
        assert updates[str(after[CODES[0]].pk)].target_repr == f"阳城县“新”名称'; --（{CODES[0]}）"
        created = AuditEntry.objects.get(target_type="inventory.marketentity", action="create",
                                         target_id=str(after[CODES[0]].pk))
        assert created.changes["established_on"] == [None, "2020-01-01"] and created.changes["registry"][0] is None
        entry_tags = {e.entity.code: sorted(t.name for t in e.tags.all()) for e in RegistryEntry.objects.all()}
        assert entry_tags[CODES[4]] == ["新标签", "重点"] and entry_tags[CODES[5]] == ["重点", "食品"]
    again = run(actor, "entities", xlsx([FULL_HEADER, *changed]))
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 6)


def test_tags_removed_from_many_entries_at_once(world):
    actor = world.actor("A1")
    rows = [[CODES[i], f"阳城县企业{i}", "", "", "B", "否", 0, "食品、重点"] for i in range(8)]
    run(actor, "entities", xlsx([FULL_HEADER, *rows]))
    for row in rows[:5]:
        row[7] = "重点"
    job = run(actor, "entities", xlsx([FULL_HEADER, *rows]))
    assert (job.updated_count, job.unchanged_count) == (5, 3)
    with scopes_disabled():
        tags = {e.entity.code: sorted(t.name for t in e.tags.all()) for e in RegistryEntry.objects.all()}
    assert [tags[CODES[i]] for i in range(8)] == [["重点"]] * 5 + [["重点", "食品"]] * 3


def test_cells_equal_in_python_but_of_other_types_are_validated_apart(world):
    """The per-column memo of parse results keys on the cell's type: 1 and TRUE are not the same cell."""
    actor = world.actor("A1")
    rows = [[CODES[0], "甲", "", "", "B", "否", 1, ""], [CODES[1], "乙", "", "", "B", "否", True, ""],
            [CODES[2], "丙", "", "", "B", "否", 1, ""], [CODES[3], "丁", "", "", "B", "否", True, ""]]
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=xlsx([FULL_HEADER, *rows]), filename="x.xlsx")
    assert sorted(e["row"] for e in job.errors) == [3, 5]  # both TRUE cells, each with its own error
    assert {e["column"] for e in job.errors} == {"投诉举报数"}


# ---------------------------------------------------------------- the streamed entity import
# import_run parses in a second thread while it writes (inventory.importer.pipeline.stream_entities);
# with small chunks these files span several, so the late surprises reach rows already written.


def _stream_file(rows: int, *, repeat_at: int | None = None, bad_at: int | None = None) -> bytes:
    table = [["统一社会信用代码", "企业名称", "信用风险分类"]]
    for i in range(rows):
        code = CODES[i]
        if i == repeat_at:
            code = CODES[0]  # repeats row 2's code, far below it
        if i == bad_at:
            code = CODES[i][:-1] + ("0" if CODES[i][-1] != "0" else "1")  # wrong check character
        table.append([code, f"流式导入对象{i}", "ABCD"[i % 4]])
    return xlsx(table)


def test_streamed_import_equals_the_plain_one(world, monkeypatch):

    monkeypatch.setattr(upserts, "CHUNK", 3)
    job = run(world.actor("A1", "planner"), "entities", _stream_file(20))
    assert (job.status, job.created_count, job.rejected_count) == (ImportJob.Status.DONE, 20, 0)
    with scopes_disabled():
        assert RegistryEntry.objects.filter(organization=world.orgs["A1"]).count() == 20
        assert AuditEntry.objects.filter(target_type="inventory.marketentity", action="create").count() == 20
        assert MarketEntity.objects.get(code=CODES[5]).risk_class == "B"


def test_a_code_repeated_in_a_later_chunk_rejects_both_rows_and_keeps_the_others(world, monkeypatch):

    monkeypatch.setattr(upserts, "CHUNK", 3)
    job = run(world.actor("A1", "planner"), "entities", _stream_file(12, repeat_at=10), mode="valid")
    assert (job.status, job.created_count, job.rejected_count) == (ImportJob.Status.DONE, 10, 2)
    assert {e["row"] for e in job.errors} == {2, 12} and "重复" in job.errors[0]["reason"]
    found = entities()
    assert CODES[0] not in found and len(found) == 10  # the first occurrence was written, then undone
    with scopes_disabled():
        assert AuditEntry.objects.filter(target_type="inventory.marketentity").count() == 10


def test_a_code_repeated_inside_one_chunk_rejects_both_rows_and_keeps_the_others(world, monkeypatch):
    """Both rows reach one COPY: the unique key refuses it, and the import still ends well."""

    monkeypatch.setattr(upserts, "CHUNK", 3)
    job = run(world.actor("A1", "planner"), "entities", _stream_file(12, repeat_at=1), mode="valid")
    assert (job.status, job.created_count, job.rejected_count) == (ImportJob.Status.DONE, 10, 2)
    assert {e["row"] for e in job.errors} == {2, 3}
    assert CODES[0] not in entities() and len(entities()) == 10


def test_mode_all_with_an_error_in_the_last_chunk_writes_nothing(world, monkeypatch):

    monkeypatch.setattr(upserts, "CHUNK", 3)
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=_stream_file(12), filename="名录.xlsx")
    # The stored file changed under the job (as if the preview had been of another version): the
    # run re-validates, meets the error in its last chunk, and undoes the chunks it wrote.
    monkeypatch.setattr(jobs, "job_source", lambda _job: nullcontext(io.BytesIO(_stream_file(12, bad_at=11))))
    with actor_scope(actor):
        job = import_confirm(actor=actor, job=job, mode="all")
    assert job.status == ImportJob.Status.REFUSED and job.rejected_count == 1
    assert entities() == {}
    with scopes_disabled():
        assert not RegistryEntry.objects.exists()


def test_row_errors_from_the_parsing_thread_are_in_the_users_language(world, monkeypatch):
    from django.utils import translation


    monkeypatch.setattr(upserts, "CHUNK", 3)
    with translation.override("en"):
        job = run(world.actor("A1", "planner"), "entities", _stream_file(8, repeat_at=6), mode="valid")
    assert job.rejected_count == 2
    assert all("重复" not in e["reason"] for e in job.errors), job.errors


def test_a_failing_write_stops_the_parsing_thread_and_rolls_back(world, monkeypatch):
    import threading


    monkeypatch.setattr(upserts, "CHUNK", 3)
    calls = []

    def failing(self, plan):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return original(self, plan)

    original = entity_upsert.EntityUpsert.write
    monkeypatch.setattr(entity_upsert.EntityUpsert, "write", failing)
    with pytest.raises(RuntimeError, match="went away"):
        run(world.actor("A1", "planner"), "entities", _stream_file(20))
    assert not [t for t in threading.enumerate() if t.name.startswith("import-")]
    assert entities() == {}
