"""``manage.py evidence_display_copies --org CODE_OR_NAME``: a display copy for each of the
organization's evidence images stored without one (before copies were made at upload). Pages
make a missing copy on first view anyway; this makes them all at once, one image at a time
(memory bounded), and says how many it made and which originals it could not read.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from inspections.models import Evidence
from inspections.services import images
from tenancy.commands import TenantCommand
from tenancy.context import Actor


class Command(TenantCommand):
    help = "为单位未生成显示图的证据图片生成显示图 / make the display copies of an organization's evidence images"

    def handle_for(self, actor: Actor, *args: Any, **options: Any) -> None:
        rows = Evidence.objects.filter(
            organization_id=actor.organization_id, content_type__startswith="image/", display="",
        ).order_by("pk")
        made, failed = 0, []
        for evidence in rows.iterator(chunk_size=200):
            try:
                images.display_fill(evidence)
            except (OSError, ValueError, ValidationError):
                failed.append(evidence)
                continue
            made += 1
        self.stdout.write(f"已生成显示图 {made} 张 / display copies made: {made}")
        for evidence in failed:
            self.stdout.write(f"无法读取原图 / original not readable: #{evidence.pk} {evidence.original_name} ({evidence.file.name})")
