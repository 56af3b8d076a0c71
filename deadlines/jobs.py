"""The periodic jobs of deadlines (``tenancy.periodic.JOBS``) and the one-off scan of the
``deadlines_scan`` command. They run as the system (unscoped): they only pick the organizations
with work; each organization's work runs in its own scope and transaction, queued as one task
per organization (``fan_out``) or, for the command, inline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone

from tenancy.periodic import fan_out, organization_scope

from .calendar import current_calendar
from .models import DueItem
from .scan import ScanResult, deliver_emails, scan_organization, work_filter


def organizations_with_work(today: dt.date) -> list[int]:
    return sorted(set(DueItem.objects.filter(work_filter(today)).values_list("organization_id", flat=True)))


def organizations_to_recount() -> list[int]:
    return sorted(
        set(
            DueItem.objects.filter(state__in=DueItem.ACTIVE)
            .exclude(assumed_years=[])
            .values_list("organization_id", flat=True)
        )
    )


def _clock(now: dt.datetime) -> dt.datetime:
    """``now``, unless a test fixed the clock of the processes it started (``DEADLINES_TEST_NOW``)."""
    fixed = getattr(settings, "DEADLINES_TEST_NOW", "")
    if not fixed:
        return now
    moment = dt.datetime.fromisoformat(fixed)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def scan_job(*, now: dt.datetime) -> int:
    """Every 15 minutes: one scan task per organization with work."""
    from .tasks import scan_organization_task  # noqa: PLC0415  (the tasks import this module)

    now = _clock(now)
    today = timezone.localdate(now)
    return fan_out(scan_organization_task, organizations_with_work(today), now=now.isoformat())


def morning_job(*, now: dt.datetime) -> int | str:
    """08:30 on working days: the day's reminders go out at the start of the working day."""
    if not current_calendar().is_workday(timezone.localdate(_clock(now))):
        return "not a working day"
    return scan_job(now=now)


def recount_job(*, now: dt.datetime) -> int:
    """After a year's holidays are entered (and nightly): recount the items that assumed it."""
    from .tasks import recount_organization_task  # noqa: PLC0415

    return fan_out(recount_organization_task, organizations_to_recount())


def scan_now(*, now: dt.datetime, report: Callable[[int, ScanResult], Any] | None = None) -> tuple[ScanResult, int]:
    """The same scan, once and inline (the command): returns the totals and the overdue count."""
    total = ScanResult()
    for organization_id in organizations_with_work(timezone.localdate(now)):
        with organization_scope(organization_id) as actor:
            result = scan_organization(actor=actor, now=now)
        total.add(result)
        if report is not None:
            report(organization_id, result)
    for organization_id in sorted(total.organizations):
        with organization_scope(organization_id) as actor:
            deliver_emails(actor=actor)
    overdue = DueItem.objects.filter(state=DueItem.State.OVERDUE).count()
    return total, overdue


def scan_interval() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "DEADLINES_SCAN_SECONDS", 900))
