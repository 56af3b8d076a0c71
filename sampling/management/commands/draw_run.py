"""``manage.py draw_run TASK_ID --witness NAME [--witness NAME ...] [--entropy TEXT]``: a whole
ceremony headless.

Commits (freezing the pool, publishing the commitment) and draws, acting for the task's owner;
prints the draw id. Refusals (no witness, not ready, not enough inspectors …) print the reason
and exit 1.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError, CommandParser

from sampling.models import SamplingTask
from sampling.services.draws import draw_run
from tenancy.commands import OwnerCommand
from tenancy.context import Actor


class Command(OwnerCommand):
    help = "运行任务的完整抽取仪式（承诺并抽取），输出抽取编号 / run a task's draw ceremony, print the draw id"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task_id", type=int)
        parser.add_argument("--entropy", default="", help="公开随机数 / public entropy")
        parser.add_argument("--witness", action="append", default=[], help="见证人姓名（至少一人，可多次） / witness name (at least one, repeatable)")

    def owner_of(self, **options: Any) -> Any:
        task = SamplingTask.objects.select_related("organization__region").filter(pk=options["task_id"]).first()
        return task.organization if task else None

    def handle_for(self, actor: Actor, *args: Any, **options: Any) -> None:
        task = SamplingTask.objects.get(pk=options["task_id"])
        try:
            draw = draw_run(actor=actor, task=task, public_entropy=options["entropy"], witnesses=options["witness"])
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("；".join(messages)) from exc
        self.stdout.write(str(draw.pk))
