"""``import_registry {entities,inspectors,items} FILE --org ORG [--mode all|valid] [--dry-run]``.

Runs the same services as the import page, for IT officers' bulk loads — always synchronously in
this process, whatever the file size: the page hands files over ``ASYNC_IMPORT_ROW_THRESHOLD`` rows
to Celery, but a command that printed "queued" and exited would leave the officer not knowing
whether anything was written. Exit status: 0 nothing rejected, 1 some rows rejected, 2 the file
itself (or the invocation: an unknown ``--org``, a missing file) was refused.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from inventory.importing import (
    COLUMNS,
    ImportRefused,
    import_preview,
    import_run,
    parse_context,
    parse_table,
)
from inventory.models import ImportJob
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
        data = path.read_bytes()
        kind, mode = options["kind"], options["mode"]
        if options["dry_run"]:
            try:
                parsed = parse_table(data, path.name, kind, parse_context(actor))
            except ImportRefused as exc:
                raise CommandError(f"文件未导入：{exc}", returncode=2)
            rejected = len(parsed.rejected_rows)
            self.stdout.write(f"{parsed.total_rows} rows: 0 created, 0 updated, {rejected} rejected (dry run, nothing written)")
            self._write_errors(parsed.errors)
            if rejected:
                sys.exit(1)
            return
        try:
            with transaction.atomic():
                job = import_preview(actor=actor, kind=kind, data=data, filename=path.name)
                job.mode = mode
                job.save(update_fields=["mode"])
            # The service the Celery task runs (inventory.tasks.import_job_run), here in-process and,
            # like there, outside any transaction of ours: it opens its own (one, audited), and a
            # large file's lookups can then run beside the writes. Mode "all" with rejected rows is
            # refused by it.
            job = import_run(actor=actor, job=job, report_progress=False)
        except ValidationError as exc:
            raise CommandError(f"文件未导入：{'；'.join(exc.messages)}", returncode=2)
        job.refresh_from_db()
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(f"文件未导入：{job.message}", returncode=2)
        self.stdout.write(
            f"{job.total_rows} rows: {job.created_count} created, {job.updated_count} updated, {job.rejected_count} rejected"
        )
        if job.status == ImportJob.Status.REFUSED:
            self.stdout.write(job.message)
        self._write_errors(job.errors)
        if job.rejected_count:
            sys.exit(1)

    def _write_errors(self, errors: list[dict[str, Any]]) -> None:
        for e in errors:
            self.stdout.write(f"row {e['row']}: {e['column']} = {e['value']!r}: {e['reason']}")
