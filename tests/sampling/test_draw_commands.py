"""Headless use: ``draw_run`` and ``draw_record``; their output passes the CLI verifier."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from sampling.models import Draw, SamplingTask
from tenancy.models import AuditEntry
from tests.leak.cases_sampling_draws import block_all_but_one, make_ready_task

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
        _run("draw_run", str(few.pk))
    task = make_ready_task(world, "A1", entities=8, inspectors=3)
    block_all_but_one(world, task)
    with pytest.raises(CommandError, match="执法人员不足"):
        _run("draw_run", str(task.pk))
    with pytest.raises(CommandError, match="找不到"):
        _run("draw_run", "999999")
    with scopes_disabled():
        draw = Draw.objects.get(task=task)  # the commitment stays; nothing was drawn
    assert draw.status == "committed"
    with pytest.raises(CommandError, match="尚未完成"):
        _run("draw_record", str(draw.pk))
