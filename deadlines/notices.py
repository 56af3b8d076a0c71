"""Notices: the bell and the e-mail of the scan, for an event a later app tells people about
(an office arranged a combined visit, cancelled it) rather than for a due item.

A later app calls :func:`notify` from its own handler of its own event (deadlines never learns
what the event means): one ``Notification`` of kind ``notice`` per person and ``key`` — unique in
the database, so an event handled twice (a retried request) tells nobody twice — owned by the
organization the person receives it for, written in that organization's scope as the scan writes
an office's copy. Title and body are stored in Chinese (``tenancy.i18n.stored_format``) and read
back in the reader's language (``translate_composed``). The e-mail goes after the commit, through
the scan's sender (``scan.deliver_emails``), one task per organization.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils import timezone

from tenancy.models import User
from tenancy.periodic import organization_scope

from .models import Notification
from .scan import insert_notifications


def notify(*, recipients: Mapping[int, Iterable[User]], key: str, title: str, body: str, url: str = "") -> int:
    """Tell each user of ``recipients`` (``{organization id: users}``: the organization they
    receive it for) about the event ``key``, once per person whichever organizations list them.
    Returns how many notices were inserted (those already there are skipped)."""
    seen: set[int] = set()
    made: dict[int, int] = {}
    for organization_id in sorted(recipients):
        users = [u for u in recipients[organization_id] if u.pk not in seen and u.is_active]
        seen.update(u.pk for u in users)
        if not users:
            continue
        with organization_scope(organization_id) as owner:
            created = insert_notifications(
                owner, users, kind=Notification.Kind.NOTICE, key=key[:120], day=timezone.localdate(), title=title[:200],
                body=body, url=url[:300],
            )
        if created:
            made[organization_id] = created
    for organization_id in made:
        transaction.on_commit(lambda org=organization_id: _send(org))
    return sum(made.values())


def _send(organization_id: int) -> None:
    from .tasks import deliver_emails_task  # noqa: PLC0415  (the tasks import the scan)

    deliver_emails_task.delay(organization_id)
