"""``manage.py import_registry``: summary line, one line per rejected row, exit status 0/1/2."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from inventory.models import ImportJob, MarketEntity

from .fixtures.sheets import CODES, csv_bytes, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def call(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("import_registry", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


GOOD = [["统一社会信用代码", "名称"], [CODES[0], "甲公司"], [CODES[1], "乙公司"]]
MIXED = [["名称", "统一社会信用代码", "成立日期"], ["甲公司", CODES[0], ""], ["乙公司", "91140522MA0000020X", ""],
         ["丙公司", CODES[2], "2024.13.01"]]


def test_clean_file_exits_0_and_reimport_changes_nothing(world, tmp_path):
    path = tmp_path / "good.xlsx"
    path.write_bytes(xlsx(GOOD))
    code, out = call("entities", str(path), "--org", "T-A1")
    assert code == 0 and out.splitlines()[0] == "2 rows: 2 created, 0 updated, 0 rejected"
    code, out = call("entities", str(path), "--org", "测试单位A1")  # exact name works too
    assert code == 0 and out.splitlines()[0] == "2 rows: 0 created, 0 updated, 0 rejected"
    with scopes_disabled():
        assert MarketEntity.objects.count() == 2
        assert ImportJob.objects.filter(organization__code="T-A1", run__status="done").count() == 2


def test_rejected_rows_exit_1_with_one_line_each(world, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(csv_bytes(MIXED, "gbk"))
    code, out = call("entities", str(path), "--org", "T-A1")
    lines = out.splitlines()
    assert code == 1 and lines[0] == "3 rows: 0 created, 0 updated, 2 rejected"
    assert any(line.startswith("row 3: 统一社会信用代码 = '91140522MA0000020X': 统一社会信用代码校验位错误") for line in lines)
    assert any(line.startswith("row 4: 成立日期 = '2024.13.01': 日期不存在") for line in lines)
    with scopes_disabled():
        assert not MarketEntity.objects.exists()  # mode all: nothing
    code, out = call("entities", str(path), "--org", "T-A1", "--mode", "valid")
    assert code == 1 and out.splitlines()[0] == "3 rows: 1 created, 0 updated, 2 rejected"


def test_dry_run_writes_nothing(world, tmp_path):
    path = tmp_path / "good.xlsx"
    path.write_bytes(xlsx(GOOD))
    code, out = call("entities", str(path), "--org", "T-A1", "--dry-run")
    assert code == 0 and "2 rows" in out and "dry run" in out
    with scopes_disabled():
        assert not MarketEntity.objects.exists() and not ImportJob.objects.exists()


def test_refused_file_exits_2(world, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(CommandError) as exc:
        call("entities", str(path), "--org", "T-A1")
    assert exc.value.returncode == 2 and "不是 Excel 工作簿" in str(exc.value)
    missing = tmp_path / "nocode.csv"
    missing.write_bytes(csv_bytes([["名称", "地址"], ["甲", "乙"]]))
    with pytest.raises(CommandError) as exc:
        call("entities", str(missing), "--org", "T-A1", "--dry-run")
    assert exc.value.returncode == 2 and "统一社会信用代码" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        call("entities", str(tmp_path / "nope.csv"), "--org", "T-A1")
    assert exc.value.returncode == 2


def test_big_file_is_imported_in_process_not_queued(world, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks):
    """Above ASYNC_IMPORT_ROW_THRESHOLD the page queues a Celery task; the command must not: with a
    real broker it would print "queued" and exit before anything was written."""
    from inventory import tasks

    settings.ASYNC_IMPORT_ROW_THRESHOLD = 1
    queued: list[int] = []
    monkeypatch.setattr(tasks.import_job_run, "delay", lambda job_id, **kw: queued.append(job_id))  # a broker: no-op
    path = tmp_path / "big.xlsx"
    path.write_bytes(xlsx([["统一社会信用代码", "名称", "分类标注"], *[[CODES[i], f"对象{i}", "重点"] for i in range(5)]]))
    with django_capture_on_commit_callbacks(execute=True):
        code, out = call("entities", str(path), "--org", "T-A1")
    assert (code, out.splitlines()[0]) == (0, "5 rows: 5 created, 0 updated, 0 rejected")
    assert "queued" not in out and not queued
    with scopes_disabled():
        assert MarketEntity.objects.count() == 5
        job = ImportJob.objects.get()
        assert (job.status, job.created_count) == (ImportJob.Status.DONE, 5)
        from tenancy.models import AuditEntry

        assert AuditEntry.objects.filter(action="import", target_id=str(job.pk)).exists()
    # Mode "all" with a bad row, above the threshold: refused in process, exit 1, nothing written.
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["统一社会信用代码", "名称"], [CODES[10], "甲"], ["91140522MA0000020X", "乙"]]))
    with django_capture_on_commit_callbacks(execute=True):
        code, out = call("entities", str(bad), "--org", "T-A1")
    assert code == 1 and out.splitlines()[0] == "2 rows: 0 created, 0 updated, 1 rejected" and not queued
    with scopes_disabled():
        assert not MarketEntity.objects.filter(code=CODES[10]).exists()
        assert ImportJob.objects.filter(run__status=ImportJob.Status.REFUSED).count() == 1


def test_unknown_org_is_refused_with_status_2(world, tmp_path):
    path = tmp_path / "good.xlsx"
    path.write_bytes(xlsx(GOOD))
    with pytest.raises(CommandError) as exc:
        call("entities", str(path), "--org", "没有这个单位")
    assert exc.value.returncode == 2 and "找不到单位" in str(exc.value) and "没有这个单位" in str(exc.value)
    with scopes_disabled():
        assert not MarketEntity.objects.exists() and not ImportJob.objects.exists()


def test_unknown_org_from_the_shell_exits_2_with_message_on_stderr(world, tmp_path, capsys, monkeypatch):
    """As `manage.py import_registry ...` runs it: the message on stderr, exit status 2."""
    from django.core.management import base, load_command_class

    monkeypatch.setattr(base.connections, "close_all", lambda: None)  # keep the test's transaction
    path = tmp_path / "good.xlsx"
    path.write_bytes(xlsx(GOOD))
    command = load_command_class("inventory", "import_registry")
    with pytest.raises(SystemExit) as exc:
        command.run_from_argv(["manage.py", "import_registry", "entities", str(path), "--org", "T-ZZ"])
    captured = capsys.readouterr()
    assert exc.value.code == 2
    assert "找不到单位：“T-ZZ”" in captured.err and captured.out == ""
