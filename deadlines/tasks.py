"""Celery entry points of deadlines: one organization's scan, one organization's recount.

Both take ids, run as the organization's system actor (``OrganizationTask``), are idempotent
(the scan's notifications are unique per item, kind, day and user; the recount only moves dates
to what the calendar says) and do their work in one transaction: a worker killed mid-task leaves
nothing, and the message (acknowledged late) is delivered again. Transient errors (database,
SMTP, Redis) are retried with backoff; a task that fails for good is recorded (``TaskFailure``).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from tenancy.context import Actor
from tenancy.periodic import organization_scope
from tenancy.tasks import OrganizationTask

from . import services
from .scan import deliver_emails, scan_organization


def _pause_for_tests() -> None:
    """A test hook (``DEADLINES_TEST_PAUSE_FILE``): while that file exists, hold the scan just
    before its commit, after writing ``<file>.reached`` — the worker-kill test kills it there."""
    path = getattr(settings, "DEADLINES_TEST_PAUSE_FILE", "")
    if not path or not Path(path).exists():
        return
    Path(f"{path}.reached").write_text(str(time.time()))
    deadline = time.monotonic() + 120
    while Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.1)


@shared_task(base=OrganizationTask, name="deadlines.scan_organization")
def scan_organization_task(organization_id: int, now: str | None = None, *, actor: Actor) -> dict[str, Any]:
    moment = dt.datetime.fromisoformat(now) if now else timezone.now()
    moment = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    result = scan_organization(actor=actor, now=moment, before_commit=_pause_for_tests)
    emails = deliver_emails(actor=actor)
    for other in sorted(result.organizations - {organization_id}):
        # The office's copies of an escalation: its own rows, sent as the office.
        with organization_scope(other) as office:
            emails += deliver_emails(actor=office)
    return {"due": result.due, "overdue": result.overdue, "sent": result.sent, "emails": emails}


@shared_task(base=OrganizationTask, name="deadlines.recount_organization")
def recount_organization_task(organization_id: int, *, actor: Actor) -> int:
    return services.due_items_recount(actor=actor)


@shared_task(base=OrganizationTask, name="deadlines.deliver_emails")
def deliver_emails_task(organization_id: int, *, actor: Actor) -> int:
    """The e-mail of the organization's notifications not yet sent (a notice's, after its commit)."""
    return deliver_emails(actor=actor)
