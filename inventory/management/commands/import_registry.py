"""``import_registry {entities,inspectors,items} FILE --org ORG [--mode all|valid] [--dry-run] [--max-bytes N]``.

Runs the same services as the import page, for IT officers' bulk loads — always synchronously in
this process, whatever the file size: the page hands files over ``ASYNC_IMPORT_ROW_THRESHOLD`` rows
to Celery, but a command that printed "queued" and exited would leave the officer not knowing
whether anything was written. The file is read as a stream (memory does not grow with its rows),
and its cap is the command line's own (``IMPORT_COMMAND_MAX_BYTES``, or ``--max-bytes``), not the
upload page's: province-sized registries are loaded here. Exit status: 0 nothing rejected, 1 some
rows rejected, 2 the file itself (or the invocation: an unknown ``--org``, a missing file) was refused.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from inventory.importer.columns import COLUMNS
from inventory.importer.jobs import import_run
from inventory.importer.reading import ImportRefused, ReadLimits
from inventory.importer.rows import MAX_STORED_ERRORS, parse_context, parse_table
from inventory.models import ImportJob
from inventory.services.imports import import_preview
from tenancy.actors import organization_by_code_or_name
from tenancy.commands import TenantCommand
from tenancy.context import Actor


class Command(TenantCommand):
    help = "从 Excel/CSV 导入检查对象、执法检查人员或抽查事项 / import a registry from .xlsx or .csv"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("kind", choices=list(COLUMNS))
        parser.add_argument("file")
        parser.add_argument("--mode", choices=ImportJob.Mode.values, default=ImportJob.Mode.ALL,
                            help="all: 全部有效才导入（默认）; valid: 只导入有效行")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--max-bytes", type=int, default=None,
                            help="文件大小上限（字节），默认 IMPORT_COMMAND_MAX_BYTES；.xlsx 解压后的上限按同一比例放大")

    def handle(self, *args: Any, **options: Any) -> Any:
        # An unknown organization is a refused invocation (status 2), not "some rows rejected" (1).
        if organization_by_code_or_name(options["org"]) is None:
            raise CommandError(
                f"找不到单位：“{options['org']}”。请填写单位代码或单位全称（如 140522-WLJ 或 阳城县文化和旅游局），未导入任何数据。",
                returncode=2,
            )
        return super().handle(*args, **options)

    def handle_for(self, actor: Actor, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}", returncode=2)
        limits = ReadLimits.command(options["max_bytes"] or settings.IMPORT_COMMAND_MAX_BYTES)
        kind, mode = options["kind"], options["mode"]
        with path.open("rb") as stream:
            if options["dry_run"]:
                self._dry_run(actor, kind, stream, path.name, limits)
                return
            try:
                with transaction.atomic():
                    job = import_preview(actor=actor, kind=kind, data=stream, filename=path.name, limits=limits)
                    job.mode = mode
                    job.save(update_fields=["mode"])
            except ValidationError as exc:
                raise CommandError(f"文件未导入：{'；'.join(exc.messages)}", returncode=2)
        # The service the Celery task runs (inventory.tasks.import_job_run), here in-process and,
        # like there, outside any transaction of ours: it opens its own (one, audited), and a
        # large file's lookups can then run beside the writes. Mode "all" with rejected rows is
        # refused by it. It reads the job's stored copy of the file.
        job = import_run(actor=actor, job=job, report_progress=False)
        job.refresh_from_db()
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(f"文件未导入：{job.message}", returncode=2)
        self.stdout.write(
            f"{job.total_rows} rows: {job.created_count} created, {job.updated_count} updated, {job.rejected_count} rejected"
        )
        if job.status == ImportJob.Status.REFUSED:
            self.stdout.write(job.message)
        for e in job.errors:
            self._write_error(e)
        if len(job.errors) >= MAX_STORED_ERRORS:
            self.stdout.write(f"(the first {MAX_STORED_ERRORS} errors: --dry-run lists every one)")
        if job.rejected_count:
            sys.exit(1)

    def _dry_run(self, actor: Actor, kind: str, stream: Any, filename: str, limits: ReadLimits) -> None:
        """Every error, printed as it is found (rows in order; repeated codes at the end)."""
        try:
            parsed = parse_table(stream, filename, kind, parse_context(actor), limits=limits, on_error=self._write_error)
        except ImportRefused as exc:
            raise CommandError(f"文件未导入：{exc}", returncode=2)
        rejected = parsed.rejected_count
        self.stdout.write(f"{parsed.total_rows} rows: 0 created, 0 updated, {rejected} rejected (dry run, nothing written)")
        if rejected:
            sys.exit(1)

    def _write_error(self, e: dict[str, Any]) -> None:
        self.stdout.write(f"row {e['row']}: {e['column']} = {e['value']!r}: {e['reason']}")
