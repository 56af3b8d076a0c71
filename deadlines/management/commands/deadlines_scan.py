"""``python manage.py deadlines_scan [--now ISO_DATETIME]``: the scan Celery beat runs, once,
inline, for every organization with work. Prints one line per organization, then, last,
``due N, overdue M, sent K``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from deadlines.jobs import scan_now
from deadlines.scan import ScanResult
from tenancy.commands import SystemCommand


def _moment(text: str | None) -> dt.datetime:
    if not text:
        return timezone.now()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--now: 不是 ISO 日期时间 / not an ISO datetime: {text!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(SystemCommand):
    help = "Run the deadlines scan once (reminders, overdue, escalations) and print 'due N, overdue M, sent K'."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="scan as of this moment (ISO datetime, local time if no offset)")

    def handle_system(self, *args: Any, **options: Any) -> None:
        now = _moment(options.get("now"))

        def report(organization_id: int, result: ScanResult) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  organization {organization_id}: due {result.due}, overdue {result.overdue}, sent {result.sent}")

        total, overdue = scan_now(now=now, report=report)
        self.stdout.write(f"due {total.due}, overdue {overdue}, sent {total.sent}")
