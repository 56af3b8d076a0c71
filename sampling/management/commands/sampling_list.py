"""``manage.py sampling_list --org CODE_OR_NAME [--year 2026]``: an organization's sampling tasks
with their ids, plan, status, draws and inspection window — the ids ``draw_run TASK_ID`` and
``draw_record DRAW_ID`` take, which a shell query cannot read without a scope.

Lists what the organization sees: its own tasks and those of joint plans it takes part in.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.core.management.base import CommandParser

from sampling.models import Draw, SamplingPlan, SamplingTask
from tenancy.commands import TenantCommand
from tenancy.context import Actor
from tenancy.models import Organization

HEADERS = ("任务ID", "年度", "计划", "任务", "状态", "抽取（ID 状态）", "检查期")
#: A long plan or task name is cut to this display width (two columns per Chinese character).
NAME_WIDTH = 40


def width(text: str) -> int:
    """Terminal columns of ``text``: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cut(text: str, limit: int = NAME_WIDTH) -> str:
    if width(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        w = width(ch)
        if used + w > limit - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows padded into columns by display width, two spaces apart; trailing spaces dropped."""
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


class Command(TenantCommand):
    help = "列出单位的抽查任务及抽取编号 / list an organization's sampling tasks and draws with their ids"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--year", type=int, help="只列该年度计划的任务 / only tasks of that year's plans")

    def handle_for(self, actor: Actor, *args: Any, **options: Any) -> None:
        tasks = SamplingTask.objects.select_related("plan").order_by("-plan__year", "plan_id", "batch_no", "id")
        if options.get("year"):
            tasks = tasks.filter(plan__year=options["year"])
        tasks = list(tasks)
        draws: dict[int, list[str]] = defaultdict(list)
        # Only the columns shown: a draw row carries its frozen pool.
        for task_id, pk, status in (
            Draw.objects.filter(task_id__in=[t.pk for t in tasks]).order_by("id").values_list("task_id", "pk", "status")
        ):
            draws[task_id].append(f"#{pk} {Draw.Status(status).label}")
        organization = Organization.objects.get(pk=actor.organization_id)
        year = f"{options['year']} 年度" if options.get("year") else ""
        self.stdout.write(f"{organization.name}（{organization.code}）{year}：{len(tasks)} 个抽查任务")
        if not tasks:
            return
        rows = [HEADERS]
        for t in tasks:
            plan = str(t.plan) + ("（联合）" if t.plan.kind == SamplingPlan.Kind.JOINT else "")
            window = f"{t.window_start or '…'} 至 {t.window_end or '…'}" if t.window_start or t.window_end else "—"
            rows.append((
                str(t.pk), str(t.plan.year), cut(plan), cut(t.name), t.get_status_display(),
                "，".join(draws.get(t.pk, [])) or "—", window,
            ))
        for line in table(rows):
            self.stdout.write(line)
