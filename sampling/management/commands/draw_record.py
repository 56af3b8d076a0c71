"""``manage.py draw_record DRAW_ID [--public]``: print a completed draw's record (DRAW.md §6).

Acts for the draw's owner, so the filing variant (with inspectors) is the default; ``--public``
prints what is published. The output passes ``python -m sampling.hashrank verify -``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from sampling import record_codec
from sampling.models import Draw
from sampling.selectors.draws import draw_record
from tenancy.commands import OwnerCommand
from tenancy.context import Actor


class Command(OwnerCommand):
    help = "输出抽取记录 JSON / print a draw record as JSON"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("draw_id", type=int)
        parser.add_argument("--public", action="store_true", help="公开版（不含执法人员） / the public record")

    def owner_of(self, **options: Any) -> Any:
        draw = Draw.objects.select_related("organization__region").filter(pk=options["draw_id"]).first()
        return draw.organization if draw else None

    def handle_for(self, actor: Actor, *args: Any, **options: Any) -> None:
        draw = Draw.objects.get(pk=options["draw_id"])
        if draw.status != Draw.Status.COMPLETED:
            raise CommandError(f"抽取 #{draw.pk} 尚未完成（{draw.get_status_display()}），没有抽取记录 / not drawn yet")
        record = draw_record(draw, variant="public" if options["public"] else "filing")
        self.stdout.write(record_codec.record_json(record))
