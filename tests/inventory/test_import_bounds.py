"""Issue 9: what an import may hold (hostile workbooks, big files), row numbers as the sheet
defines them, control characters in cells, and jobs whose worker died."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from inventory.importer import reading
from inventory.importer import rows as importer_rows
from inventory.importer.reading import ReadLimits
from inventory.importer.rows import parse_table
from inventory.models import ImportJob, MarketEntity
from inventory.services import imports as import_services
from inventory.services.imports import import_confirm, import_preview
from inventory.xlsx import rejected_bytes
from tenancy.models import Job
from tenancy.scoping import actor_scope

from .fixtures.sheets import CODES, csv_bytes, xlsx

pytestmark = pytest.mark.django_db

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def workbook(path, rows_xml, big_cell: int = 0) -> None:
    """An .xlsx written by hand, streaming: ``rows_xml`` before and after a row whose second
    cell holds ``big_cell`` bytes of "A" (none when 0)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(f'<worksheet xmlns="{MAIN}"><sheetData>{rows_xml[0]}'.encode())
            if big_cell:
                out.write(f'<row><c t="inlineStr"><is><t>{CODES[30]}</t></is></c><c t="inlineStr"><is><t>'.encode())
                chunk = b"A" * (1 << 20)
                for _ in range(big_cell >> 20):
                    out.write(chunk)
                out.write(b"</t></is></c></row>")
            out.write(f"{rows_xml[1]}</sheetData></worksheet>".encode())


def inline_row(*cells: str) -> str:
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in cells) + "</row>"


# ---------------------------------------------------------------- 1. hostile workbooks


def test_a_workbook_whose_cell_unpacks_to_hundreds_of_mb_is_a_row_error_in_bounded_memory(world, tmp_path):
    """A small upload whose one cell unpacked to 300 MB held it whole (1.84 GB in the web
    process). The preview now reads on past it: a row error naming the row and the column, the
    other rows validated, and Python's peak stays a few MB."""
    path = tmp_path / "hostile.xlsx"
    head = inline_row("统一社会信用代码", "名称") + inline_row(CODES[0], "甲公司")
    workbook(path, (head, inline_row(CODES[1], "乙公司")), big_cell=160 << 20)
    assert path.stat().st_size < 1 << 20
    actor = world.actor("A1", "planner")
    with actor_scope(actor), open(path, "rb") as upload:
        tracemalloc.start()
        try:
            job = import_preview(actor=actor, kind="entities", data=upload, filename="hostile.xlsx")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 40 << 20, f"python peak {peak >> 20} MB"
    assert (job.total_rows, job.valid_rows, job.rejected_count) == (3, 2, 1)
    (error,) = job.errors
    assert (error["row"], error["column"]) == (3, "名称") and "内容过长" in error["reason"]
    assert error["value"] == "（内容过长，未读取）"
    with actor_scope(actor):
        rows = list(load_workbook(io.BytesIO(rejected_bytes(job))).active.iter_rows(values_only=True))
    assert rows[1] == (CODES[30], "（内容过长，未读取）", "名称：" + error["reason"])


def test_the_unpacked_size_cap_refuses_the_file(world, tmp_path, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 4 << 20
    path = tmp_path / "hostile.xlsx"
    workbook(path, (inline_row("统一社会信用代码", "名称"), ""), big_cell=8 << 20)
    actor = world.actor("A1", "planner")
    with actor_scope(actor), open(path, "rb") as upload, pytest.raises(ValidationError) as exc:
        import_preview(actor=actor, kind="entities", data=upload, filename="hostile.xlsx")
    assert "解压后超过 4 MB" in exc.value.message_dict["file"][0]
    with scopes_disabled():
        assert not ImportJob.objects.exists()


def test_a_csv_line_too_long_is_a_row_error_not_held(world, monkeypatch):
    monkeypatch.setattr(reading, "CSV_LINE_CHARS", 1000)
    data = csv_bytes([["统一社会信用代码", "名称"], [CODES[0], "甲"], [CODES[1], "乙" * 5000], [CODES[2], "丙"],
                      [CODES[3], '多行\n' * 600], [CODES[4], "丁"]])
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        parsed = parse_table(data, "名录.csv", "entities", importer_rows.parse_context(actor))
    assert parsed.total_rows == 5 and sorted(e["row"] for e in parsed.errors) == [3, 5]
    assert all("该行内容过长" in e["reason"] for e in parsed.errors)
    assert parsed.valid_rows == 3  # rows 2, 4 and 6: the quoted record's rest did not become rows


# ---------------------------------------------------------------- 2. big imports


def test_the_command_line_has_its_own_cap(world, tmp_path, settings):
    """import_registry refused files over the upload page's 20 MB; IT officers load bigger ones."""
    settings.IMPORT_MAX_BYTES = 100
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes([["统一社会信用代码", "名称"]] + [[c, "某公司"] for c in CODES[:10]]))
    out = io.StringIO()
    call_command("import_registry", "entities", str(path), "--org", "T-A1", "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[-1].startswith("10 rows: 0 created, 0 updated, 0 rejected")
    from django.core.management import CommandError

    with pytest.raises(CommandError) as exc:
        call_command("import_registry", "entities", str(path), "--org", "T-A1", "--max-bytes", "200", stdout=out)
    assert exc.value.returncode == 2 and "文件过大" in str(exc.value)


def test_valid_entity_rows_are_not_held_and_repeats_are_still_found(world):
    """The preview keeps no parsed rows (16 bytes a row for the repeated-code check): repeated
    codes are found by hash and confirmed on the codes read again."""
    rows = [["统一社会信用代码", "名称"]] + [[CODES[i % 30], f"对象{i}"] for i in range(33)]  # rows 32-34 repeat 2-4
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        parsed = parse_table(xlsx(rows), "x.xlsx", "entities", importer_rows.parse_context(actor))
    assert parsed.rows is None
    assert parsed.rejected_count == 6 and parsed.late_rejections == 6
    reasons = {e["row"]: e["reason"] for e in parsed.errors}
    assert "第 32 行重复" in reasons[2] and "第 2 行重复" in reasons[32]


def test_the_rejected_rows_file_is_complete_when_the_page_list_is_cut(world, monkeypatch):
    """Errors past the stored ones are counted, not kept; the download validates again in two
    streaming passes and lists every rejected row with its reasons, repeats included."""
    monkeypatch.setattr(importer_rows, "MAX_STORED_ERRORS", 2)
    rows = [["统一社会信用代码", "名称"], [CODES[0], "甲"], ["BAD1", "坏1"], [CODES[1], "乙"], ["BAD2", "坏2"],
            [CODES[0], "重复"], ["BAD3", "坏\x013"]]
    actor = world.actor("A1")
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=csv_bytes(rows), filename="x.csv")
        data = rejected_bytes(job)
    assert (job.total_rows, job.rejected_count, len(job.errors)) == (6, 5, 2) and "错误过多" in job.message
    out = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert [r[0] for r in out[1:]] == [CODES[0], "BAD1", "BAD2", CODES[0], "BAD3"]
    assert "与第 6 行重复" in out[1][2] and "与第 2 行重复" in out[4][2]
    assert "U+0001" in out[5][2] and out[5][1] == "坏3"


# ---------------------------------------------------------------- 3. row numbers


def test_rows_without_r_are_counted_as_the_sheet_defines_them(world, monkeypatch):
    """20,000 invalid rows in a sheet whose <row> and <c> carry no r were reported as 5,247
    rejected (numbers restarted with each block read): each row is the previous + 1."""
    from inventory import xlsx_reader

    monkeypatch.setattr(xlsx_reader, "_BLOCK", 64 << 10)
    body = "".join(f'<row><c t="inlineStr"><is><t>BAD{i}</t></is></c><c t="inlineStr"><is><t>对象</t></is></c></row>'
                   for i in range(20_000))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}"><sheetData>{inline_row("统一社会信用代码", "名称")}'
                   f"{body}</sheetData></worksheet>")
    actor = world.actor("A1")
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=out.getvalue(), filename="x.xlsx")
    assert (job.total_rows, job.valid_rows, job.rejected_count) == (20_000, 0, 20_000)
    assert [e["row"] for e in job.errors[:3]] == [2, 3, 4] and job.errors[-1]["row"] == 10_001
    assert job.errors[-1]["value"] == "BAD9999"


# ---------------------------------------------------------------- 4. control characters


def test_a_cell_with_a_control_character_is_a_row_error_naming_row_column_and_character(world):
    rows = [["统一社会信用代码", "名称", "住所（经营场所）"], [CODES[0], "甲\x01公司", "阳城"], [CODES[1], "乙公司", "第一行\n第二行\t"],
            [CODES[2], "丙公司", "阳城\x7f"], [CODES[3], "丁\x0b公司", ""]]
    actor = world.actor("A1")
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=csv_bytes(rows), filename="x.csv")
        job = import_confirm(actor=actor, job=job, mode="valid")
    by_row = {e["row"]: e for e in job.errors}
    assert sorted(by_row) == [2, 4, 5]
    assert by_row[2]["column"] == "名称" and "U+0001" in by_row[2]["reason"] and by_row[2]["value"] == "甲公司"
    assert by_row[4]["column"] == "住所(经营场所)" and "U+007F" in by_row[4]["reason"]
    assert "U+000B" in by_row[5]["reason"]
    with scopes_disabled():  # line breaks and tabs are whitespace: read as one space
        assert MarketEntity.objects.get(code=CODES[1]).address == "第一行 第二行"
        assert not MarketEntity.objects.filter(code__in=[CODES[0], CODES[2], CODES[3]]).exists()


def test_the_api_bulk_upsert_refuses_a_control_character_with_a_field_error(world):
    actor = world.actor("A1", "admin")
    with actor_scope(actor):
        result = import_services.entity_bulk_upsert(actor=actor, records=[{"code": CODES[5], "name": "甲\x00公司"}])
    assert result.created == 0 and [(e["row"], e["field"]) for e in result.errors] == [(0, "name")]
    assert "U+0000" in result.errors[0]["reason"]


# ---------------------------------------------------------------- 7. a job whose worker died


def stuck_job(world, *, minutes_ago: float, status: str = ImportJob.Status.RUNNING) -> ImportJob:
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=xlsx([["统一社会信用代码", "名称"], [CODES[7], "甲"]]),
                             filename="名录.xlsx")
    with scopes_disabled():
        ImportJob.objects.filter(pk=job.pk).update(mode="valid")
        Job.objects.filter(pk=job.run_id).update(
            status=status, progress=6, heartbeat_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return job


def test_a_job_without_heartbeat_is_marked_failed_when_looked_at_and_can_run_again(world, login, settings):
    """"导入中 6%" forever, and confirming again did nothing: a worker killed mid-import left
    its job running. Past the stale time it is failed, with the reason, and can be confirmed."""
    settings.JOB_STALE_AFTER_SECONDS = 300
    fresh = stuck_job(world, minutes_ago=1)
    stale = stuck_job(world, minutes_ago=6)
    client = login(world.user("A1", "planner"))
    poll = client.get(reverse("inventory:import_progress", args=[fresh.pk]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in poll.content.decode()  # alive: still polling
    poll = client.get(reverse("inventory:import_progress", args=[stale.pk]), HTTP_HX_REQUEST="true")
    assert poll["HX-Refresh"] == "true" and "后台导入中断" in poll.content.decode()
    page = client.get(reverse("inventory:import_detail", args=[stale.pk])).content.decode()
    assert 'data-testid="run-again"' in page and 'data-testid="confirm-form"' in page
    with scopes_disabled():
        stale.refresh_from_db()
        assert stale.status == ImportJob.Status.FAILED and "超过 5 分钟没有进展" in stale.message
        assert not MarketEntity.objects.exists()  # nothing half-written
    response = client.post(reverse("inventory:import_confirm", args=[stale.pk]), {"mode": "valid"}, follow=True)
    assert "导入完成" in response.content.decode()
    with scopes_disabled():
        stale.refresh_from_db()
        assert (stale.status, stale.created_count) == (ImportJob.Status.DONE, 1)
        assert MarketEntity.objects.filter(code=CODES[7]).count() == 1


def test_the_list_shows_a_dead_job_failed_and_a_queued_one_counts_from_its_confirm(world, login, settings):
    settings.JOB_STALE_AFTER_SECONDS = 300
    dead = stuck_job(world, minutes_ago=30, status=ImportJob.Status.QUEUED)
    with scopes_disabled():  # a job stuck before heartbeats existed: its last save counts
        Job.objects.filter(pk=dead.run_id).update(heartbeat_at=None, updated_at=timezone.now() - dt.timedelta(hours=2))
    client = login(world.user("A1", "viewer"))
    listing = client.get(reverse("inventory:import_list")).content.decode()
    assert "失败" in listing and "排队中" not in listing
    with scopes_disabled():
        assert ImportJob.objects.get(pk=dead.pk).status == ImportJob.Status.FAILED


def test_a_queued_job_runs_once_however_often_its_task_is_delivered(world, settings, django_capture_on_commit_callbacks):
    from inventory.tasks import import_job_run
    from tenancy.tasks import actor_ref

    settings.ASYNC_IMPORT_ROW_THRESHOLD = 0
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=xlsx([["统一社会信用代码", "名称"], [CODES[8], "甲"]]),
                             filename="名录.xlsx")
        with django_capture_on_commit_callbacks(execute=True):
            job = import_confirm(actor=actor, job=job, mode="valid")
    assert import_job_run.apply(args=[job.pk], kwargs={"actor": actor_ref(actor)}).get() == ImportJob.Status.DONE
    with scopes_disabled():
        assert ImportJob.objects.get(pk=job.pk).created_count == 1 and MarketEntity.objects.count() == 1


def test_limits_for_the_command_scale_the_unpacked_cap(settings):
    settings.IMPORT_MAX_BYTES, settings.IMPORT_MAX_UNPACKED_BYTES = 20 << 20, 512 << 20
    assert ReadLimits.command(200 << 20) == ReadLimits(200 << 20, 5120 << 20)


def test_an_upload_kept_on_disk_is_read_from_there(world, login, settings):
    """Django keeps a big upload in a temporary file: the preview reads that file as a stream."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload on disk
    client = login(world.user("A1", "planner"))
    data = xlsx([["统一社会信用代码", "名称"], [CODES[9], "甲"], ["坏", "乙"]])
    response = client.post(reverse("inventory:import_upload"), {"kind": "entities", "file": SimpleUploadedFile("名录.xlsx", data)})
    assert response.status_code == 302
    with scopes_disabled():
        job = ImportJob.objects.get()
        assert (job.total_rows, job.rejected_count) == (2, 1)
        job.file.open("rb")
        assert job.file.read() == data
        job.file.close()


def test_a_csv_of_one_huge_line_is_read_in_bounded_memory(tmp_path):
    """Same for CSV: a 24 MB line is read on in pieces and becomes a row error."""
    path = tmp_path / "hostile.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(f"统一社会信用代码,名称\n{CODES[0]},甲\n{CODES[1]},")
        for _ in range(24):
            out.write("乙" * (1 << 18) + "一" * (1 << 18) + "丙" * (1 << 18) + "丁" * (1 << 18))  # 3 bytes each: 3 MB
        out.write(f"\n{CODES[2]},丙\n")
    with open(path, "rb") as stream:
        tracemalloc.start()
        try:
            rows = list(reading.read_rows(stream, "hostile.csv", ReadLimits(None, None)))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert [type(v).__name__ for _n, v in rows] == ["list", "list", "OverlongRow", "list"]
    assert rows[2][1].size > 24 << 20 and rows[3] == (4, [CODES[2], "丙"])
    assert peak < 16 << 20, f"python peak {peak >> 20} MB"


def test_a_cell_that_sent_the_reader_to_openpyxl_no_longer_escapes_the_bound(tmp_path):
    """An ISO date cell (t="d") made the fast reader give up and openpyxl read the file, holding
    every cell whole: a hostile file could escape the bound that way. There is no fallback now."""
    path = tmp_path / "hostile.xlsx"
    head = '<row><c t="d"><v>2024-01-31</v></c><c t="inlineStr"><is><t>名称</t></is></c></row>'
    workbook(path, (head, ""), big_cell=64 << 20)
    with open(path, "rb") as stream:
        tracemalloc.start()
        try:
            rows = list(reading.read_rows(stream, "hostile.xlsx"))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert rows[0] == (1, [dt.datetime(2024, 1, 31), "名称"])
    assert rows[1][1][1].__class__.__name__ == "Overlong"
    assert peak < 16 << 20, f"python peak {peak >> 20} MB"
