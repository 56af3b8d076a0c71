"""Headless use: ``draw_run`` and ``draw_record``; their output passes the CLI verifier."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from sampling.models import Draw, SamplingTask
from tenancy.models import AuditEntry
from tests.factories import block_all_but_one, draw_task, make_abandoned_draw, make_ready_task

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_draw_run_then_draw_record_verifies(world, tmp_path):
    task = make_ready_task(world, "A1", entities=40)
    draw_id = int(_run("draw_run", str(task.pk), "--entropy", "88 12", "--witness", "甲", "--witness", "乙").strip())
    with scopes_disabled():
        draw = Draw.objects.get(pk=draw_id)
        assert draw.status == "completed" and draw.public_entropy == "88 12" and draw.witnesses == ["甲", "乙"]
        assert SamplingTask.objects.get(pk=task.pk).status == "drawn"
        # Audited as the owner organization, by "command".
        entry = AuditEntry.objects.get(action="draw_execute", target_id=str(draw_id))
        assert entry.organization_id == task.organization_id and entry.via == "command"

    filing = _run("draw_record", str(draw_id))
    public = _run("draw_record", str(draw_id), "--public")
    assert "inspector_pool" in json.loads(filing) and "inspector_pool" not in json.loads(public)
    for text in (filing, public):
        path = tmp_path / "r.json"
        path.write_text(text, encoding="utf-8")
        out = subprocess.run([sys.executable, "-m", "sampling.hashrank", "verify", str(path)], capture_output=True, text=True)
        assert out.stdout.strip() == "verified", out.stdout


def test_draw_run_refusals_are_clear(world):
    few = make_ready_task(world, "A1", entities=8, inspectors=1)
    with pytest.raises(CommandError, match="只有 1 名符合条件的执法人员"):
        _run("draw_run", str(few.pk), "--witness", "甲")
    task = make_ready_task(world, "A1", entities=8, inspectors=3)
    block_all_but_one(world, task)
    with pytest.raises(CommandError, match="执法人员不足"):
        _run("draw_run", str(task.pk), "--witness", "甲")
    with pytest.raises(CommandError, match="找不到"):
        _run("draw_run", "999999", "--witness", "甲")
    with scopes_disabled():
        draw = Draw.objects.get(task=task)  # the commitment stays; nothing was drawn
    assert draw.status == "committed"
    with pytest.raises(CommandError, match="尚未完成"):
        _run("draw_record", str(draw.pk))


# --- sampling_list: the ids draw_run and draw_record take


def test_sampling_list_shows_task_and_draw_ids_of_the_organization_only(world):
    from .test_plans_world import plan, task

    ours = plan(world.orgs["A1"], name="A1年度计划")
    ready = task(ours, name="第二季度", status="ready", window_start=dt.date(2026, 4, 1), window_end=dt.date(2026, 6, 30))
    # A task whose first commitment was abandoned, then drawn.
    to_draw = make_ready_task(world, "A1", targets=3)
    abandoned = make_abandoned_draw(world, "A1", task=to_draw)
    drawn = draw_task(world, to_draw)
    old = task(plan(world.orgs["A1"], name="A1旧计划", year=2025), name="旧批次")
    theirs = task(plan(world.orgs["B1"], name="B1计划"), name="B1的任务")

    lines = _run("sampling_list", "--org", "T-A1").splitlines()
    assert lines[0] == "测试单位A1（T-A1）：3 个抽查任务"
    header, *rows = lines[1:]
    assert header.split() == ["任务ID", "年度", "计划", "任务", "状态", "抽取（ID", "状态）", "检查期"]
    by_id = {int(r.split()[0]): r.split(maxsplit=5) for r in rows}
    assert set(by_id) == {ready.pk, drawn.task_id, old.pk} and theirs.pk not in by_id
    assert by_id[ready.pk][1:5] == ["2026", "A1年度计划", "第二季度", "待抽取"]
    assert by_id[ready.pk][5].split() == ["—", "2026-04-01", "至", "2026-06-30"]
    assert f"#{abandoned.pk} 已放弃，#{drawn.pk} 已完成" in by_id[drawn.task_id][5]
    # Columns line up under the header (display width: a Chinese character takes two columns).
    from sampling.management.commands.sampling_list import width

    status_col = width(header[: header.index("状态")])
    for r in rows:
        assert width(r[: r.index(r.split()[4])]) == status_col

    # A year, and the organization by its full name.
    only_2025 = _run("sampling_list", "--org", "测试单位A1", "--year", "2025").splitlines()
    assert only_2025[0] == "测试单位A1（T-A1）2025 年度：1 个抽查任务"
    assert [int(r.split()[0]) for r in only_2025[2:]] == [old.pk]
    assert _run("sampling_list", "--org", "T-A2").splitlines() == ["测试单位A2（T-A2）：0 个抽查任务"]
    with pytest.raises(CommandError, match="找不到单位"):
        _run("sampling_list", "--org", "no-such-org")


def test_sampling_list_cuts_long_names():
    from sampling.management.commands.sampling_list import cut, table, width

    assert cut("短名") == "短名"
    long = "很" * 50
    assert width(cut(long)) <= 40 and cut(long).endswith("…")
    assert table([("ID", "名称"), ("12", "计划")]) == ["ID  名称", "12  计划"]
