"""The scan: remind before a due item passes, mark it overdue and escalate after.

Per organization, in one transaction (``scan_organization``, run as the organization's system
actor): its active items due by the next working day are locked; an open one whose day has
passed becomes overdue; on working days from 08:30 —

* an open item due on the next working day or today → a **reminder** to its owner's members
  with the item's roles (the working day before, and on the due day);
* an overdue item not yet escalated → an **escalation** to the owner's leaders and, for items
  with ``escalate_to`` (filings), to that office's deciding members.

Each notification is one row unique on (item, kind, day, user): a second scan at the same time
— two beats, a redelivered task — waits on the item locks, then finds the rows there and inserts
nothing. E-mail goes after the commit, only for rows inserted and not yet sent, each claimed by
one conditional update so that two senders never send the same one (``deliver_emails``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tenancy import audit
from tenancy.context import Actor, Role
from tenancy.models import Membership, Organization, User
from tenancy.periodic import organization_scope

from .calendar import current_calendar
from .models import DueItem, Notification
from .rules import RULES
from .services import assumed_warning, describe_period

logger = logging.getLogger(__name__)

# Reminders and escalations go out on working days from this time (local): a scan at night
# marks items overdue but wakes nobody.
SEND_FROM = dt.time(8, 30)
ESCALATION_ROLES = (Role.LEADER,)
OFFICE_ROLES = (Role.ADMIN, Role.LEADER, Role.PLANNER)
# Unsent e-mail older than this is not sent any more (a mail server down for days).
EMAIL_WINDOW = dt.timedelta(days=2)


@dataclass
class ScanResult:
    due: int = 0  # open items due today or on the next working day
    overdue: int = 0  # overdue items
    sent: int = 0  # notifications created
    # Organizations whose e-mail may be pending after this scan (its own, the offices told).
    organizations: set[int] = field(default_factory=set)

    def add(self, other: ScanResult) -> None:
        self.due += other.due
        self.overdue += other.overdue
        self.sent += other.sent
        self.organizations |= other.organizations


def horizon(today: dt.date) -> dt.date:
    """The last due day a scan on ``today`` looks at: the next working day."""
    return current_calendar().add_workdays(today, 1).date


def may_send(now: dt.datetime) -> bool:
    local = timezone.localtime(now)
    return current_calendar().is_workday(local.date()) and local.time() >= SEND_FROM


def work_filter(today: dt.date) -> Q:
    """Active items a scan on ``today`` has something to do with (the fan-out's selection)."""
    return Q(state=DueItem.State.OPEN, due_on__lte=horizon(today)) | Q(
        state=DueItem.State.OVERDUE, escalated_at__isnull=True
    )


def members_with(organization_id: int, roles: Iterable[str]) -> list[User]:
    """Active members of the organization (read in its scope) holding one of ``roles``."""
    wanted = Q()
    for role in roles:
        wanted |= Q(**{f"is_{role}": True})
    rows = (
        Membership.objects.filter(organization_id=organization_id, is_active=True, user__is_active=True)
        .filter(wanted)
        .select_related("user")
        .order_by("user_id")
    )
    return [m.user for m in rows]


def named_assignees(items: Iterable[DueItem]) -> dict[int, list[User]]:
    """The people each item names through its rule's ``assignees`` (read in the current scope,
    the owner's): ``{item id: [user]}``; items of rules without the hook, or with an assignee set,
    are left out (their ``assignee`` or their ``roles`` apply)."""
    by_rule: dict[str, list[DueItem]] = {}
    for item in items:
        rule = RULES.get(item.rule) if item.rule in RULES else None
        if rule is not None and rule.assignees is not None and not item.assignee_id:
            by_rule.setdefault(item.rule, []).append(item)
    found: dict[int, list[User]] = {}
    for key, group in by_rule.items():
        found.update({pk: users for pk, users in RULES.get(key).assignees(group).items() if users})
    return found


def _texts(item: DueItem, kind: str, today: dt.date, organization_name: str) -> tuple[str, str]:
    """Title and body, in Chinese for the record and the e-mail whatever the language of the
    request that ran the scan; pages read them back translated (tenancy.i18n.translate_composed)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _composed(item, kind, today, organization_name)


def _composed(item: DueItem, kind: str, today: dt.date, organization_name: str) -> tuple[str, str]:
    rule = RULES.get(item.rule) if item.rule in RULES else None
    label = str(rule.label) if rule else item.rule
    due = item.due_on.isoformat()
    limit = describe_period(item.period, item.unit)
    if kind == Notification.Kind.REMINDER:
        when = _("今日到期") if item.due_on == today else _("即将到期")
        title = pgettext("stored format", "%(when)s：%(label)s — %(target)s") % {"when": when, "label": label, "target": item.target_repr}
        body = pgettext("stored format", "“%(target)s”应于 %(due)s 前完成“%(label)s”（%(limit)s；依据：%(source)s）。") % {
            "target": item.target_repr, "due": due, "label": label, "limit": limit, "source": item.source,
        }
    else:
        title = pgettext("stored format", "已逾期：%(label)s — %(target)s") % {"label": label, "target": item.target_repr}
        body = pgettext("stored format", "%(org)s的“%(label)s”（%(target)s）已于 %(due)s 到期，仍未办理（%(limit)s；依据：%(source)s）。") % {
            "org": organization_name, "label": label, "target": item.target_repr, "due": due, "limit": limit,
            "source": item.source,
        }
    warning = assumed_warning(item.assumed_years)
    if warning:
        body += "\n" + pgettext("stored format", "注意：%(w)s。") % {"w": warning}
    return title[:200], body


def _notify(actor: Actor, item: DueItem, users: list[User], kind: str, day: dt.date, title: str, body: str) -> int:
    """Insert one notification per user, skipping those that exist (another scan's): the count inserted.

    It links to where the action is taken; an office told of another organization's item links
    to the item (the action's page is the owner's)."""
    url = item.target_url if actor.organization_id == item.organization_id else ""
    url = url or reverse("deadlines:due_detail", kwargs={"pk": item.pk})
    return insert_notifications(actor, users, due_item=item, kind=kind, day=day, title=title, body=body, url=url)


def insert_notifications(owner: Actor, users: Iterable[User], **fields: Any) -> int:
    """Insert one ``Notification`` (``fields``, e-mailed to the user's address) per user, owned by
    ``owner``, skipping those whose unique key is taken (another scan's, an event handled twice):
    the count inserted. The scan's rows and the notices' (``notices.notify``) both go in here."""
    created = 0
    for user in users:
        row = Notification(user=user, email_to=(user.email or "")[:254], **fields)
        row.set_tenant(owner)
        try:
            with transaction.atomic():  # a savepoint: the unique key decides, the caller goes on
                row.save()
        except IntegrityError:
            continue
        created += 1
    return created


def scan_organization(
    *, actor: Actor, now: dt.datetime, before_commit: Callable[[], None] | None = None
) -> ScanResult:
    """One organization's scan (``actor``: its system actor), all in one transaction."""
    result = ScanResult()
    today = timezone.localdate(now)
    last = horizon(today)
    sending = may_send(now)
    result.organizations.add(actor.organization_id)
    with transaction.atomic():
        owner_name = Organization.objects.get(pk=actor.organization_id).name
        items = list(
            DueItem.objects.select_for_update()
            .filter(organization_id=actor.organization_id, state__in=DueItem.ACTIVE, due_on__lte=last)
            .order_by("due_on", "id")
        )
        # Who the rules name is read only for the reminders a sending scan writes.
        named = named_assignees([i for i in items if i.state == DueItem.State.OPEN and i.due_on >= today]) if sending else {}
        for item in items:
            if item.state == DueItem.State.OPEN and item.due_on < today:
                before = audit.snapshot(item, ["state"])
                item.state = DueItem.State.OVERDUE
                item.save(update_fields=["state", "updated_at"])
                audit.record_update(actor=actor, obj=item, before=before, action="dueitem_overdue")
            if item.state == DueItem.State.OPEN:
                result.due += 1
                if sending:
                    users = (
                        [item.assignee] if item.assignee_id
                        else named.get(item.pk) or members_with(item.organization_id, item.roles)
                    )
                    title, body = _texts(item, Notification.Kind.REMINDER, today, owner_name)
                    made = _notify(actor, item, users, Notification.Kind.REMINDER, today, title, body)
                    result.sent += made
                continue
            result.overdue += 1
            if item.escalate_to_id:
                # Its e-mail may still be pending (a retried task): the sender looks there too.
                result.organizations.add(item.escalate_to_id)
            if not sending or item.escalated_at is not None:
                continue
            title, body = _texts(item, Notification.Kind.ESCALATION, today, owner_name)
            leaders = members_with(item.organization_id, ESCALATION_ROLES) or members_with(item.organization_id, (Role.ADMIN,))
            made = _notify(actor, item, leaders, Notification.Kind.ESCALATION, today, title, body)
            if item.escalate_to_id:
                # The office's own rows, written as the office (it receives them for itself).
                with organization_scope(item.escalate_to_id) as office:
                    office_made = _notify(
                        office, item, members_with(office.organization_id, OFFICE_ROLES),
                        Notification.Kind.ESCALATION, today, title, body,
                    )
                made += office_made
            result.sent += made
            item.escalated_at = now
            item.save(update_fields=["escalated_at", "updated_at"])
        if before_commit is not None:
            before_commit()
    return result


def deliver_emails(*, actor: Actor) -> int:
    """Send the e-mail of the organization's notifications inserted and not yet sent (after the
    scan commits; again on a retry). Each is claimed by a conditional update first, so two
    senders at once send it once; a failure releases the claim and raises (the task retries)."""
    # Rows are stamped with the real time (a scan "as of" another moment included).
    now = timezone.now()
    pending = list(
        Notification.objects.filter(
            organization_id=actor.organization_id, emailed_at__isnull=True, created_at__gte=now - EMAIL_WINDOW
        )
        .exclude(email_to="")
        .order_by("id")
        .values_list("pk", "email_to", "title", "body", "url")
    )
    if not pending:
        return 0
    sent = 0
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    connection = get_connection()
    for pk, email_to, title, body, url in pending:
        claimed = Notification.objects.filter(pk=pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
        if not claimed:
            continue  # another sender has it
        text = body + (f"\n\n{base}{url}" if url else "") + "\n\n" + _("（本邮件由双随机、一公开监管平台自动发送，请勿回复。）")
        message = EmailMessage(
            subject=f"[{_('双随机监管平台')}] {title}", body=text, to=[email_to], connection=connection
        )
        try:
            message.send()
        except Exception:
            Notification.objects.filter(pk=pk).update(emailed_at=None)
            raise
        sent += 1
    return sent
