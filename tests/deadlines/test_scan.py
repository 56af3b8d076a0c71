"""The scan: a reminder the working day before and on the due day, overdue after it and an
escalation to the department's leader and (filings) the office's deciding members — once per
item, kind, day and user, whether the scan runs twice in a row or twice at once; e-mail only to
those members, with an address; and ``manage.py deadlines_scan``'s last line."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines.jobs import scan_now
from deadlines.models import DueItem, Notification
from deadlines.scan import deliver_emails, scan_organization
from tenancy.audit import AuditEntry
from tenancy.context import Role
from tenancy.models import Membership, User
from tenancy.periodic import organization_scope
from tests.factories import filing_due_item, make_completed_draw

D = dt.date.fromisoformat


def at(text: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(text))


def give_emails(world, *keys: str) -> None:
    with scopes_disabled():
        for (org, role), user in world.users.items():
            if org in keys:
                User.objects.filter(pk=user.pk).update(email=f"{org.lower()}.{role}@example.cn")


def overdue_filing(world, org_key="A1", drawn="2026-12-04T16:30:00"):
    """A draw completed on a Friday afternoon: filing due Tuesday 2026-12-08."""
    return make_completed_draw(world, org_key, drawn_at=at(drawn), targets=3)


def scan(world, org_key, now):
    with organization_scope(world.orgs[org_key].pk) as actor:
        result = scan_organization(actor=actor, now=at(now))
        deliver_emails(actor=actor)
    for other in result.organizations - {world.orgs[org_key].pk}:
        with organization_scope(other) as office:
            deliver_emails(actor=office)
    return result


def notes(**filters) -> list[Notification]:
    with scopes_disabled():
        return list(Notification.objects.filter(**filters).select_related("user").order_by("id"))


@pytest.mark.django_db
def test_reminders_then_overdue_then_an_escalation_to_the_leader_and_the_office(world):
    give_emails(world, "A1", "A2", "AO")
    draw = overdue_filing(world)
    # Monday before 08:30: due tomorrow, but nobody is woken.
    assert (scan(world, "A1", "2026-12-07T08:00:00").sent, len(mail.outbox)) == (0, 0)
    # Monday 09:00, the working day before: the planner and the admin (the item's roles).
    first = scan(world, "A1", "2026-12-07T09:00:00")
    assert (first.due, first.overdue, first.sent) == (1, 0, 2)
    reminders = notes(kind="reminder")
    assert sorted(n.user.username for n in reminders) == ["a1_admin", "a1_planner"]
    title = f"即将到期：抽取结果报送备案 — {draw.task.name}（{draw.task_uid}）"
    assert {n.title for n in reminders} == {title}
    assert "应于 2026-12-08 前完成“抽取结果报送备案”（2 个工作日；依据：阳城县发改局 2023 方案" in reminders[0].body
    assert reminders[0].url == f"/sampling/draws/{draw.pk}/file/" and reminders[0].day == D("2026-12-07")
    assert sorted(m.to[0] for m in mail.outbox) == ["a1.admin@example.cn", "a1.planner@example.cn"]
    assert mail.outbox[0].subject == f"[双随机监管平台] {title}"
    assert f"http://127.0.0.1:8000/sampling/draws/{draw.pk}/file/" in mail.outbox[0].body
    # The same day again: nothing new, no second e-mail.
    assert scan(world, "A1", "2026-12-07T15:00:00").sent == 0 and len(mail.outbox) == 2
    # Tuesday, the due day.
    assert scan(world, "A1", "2026-12-08T09:00:00").sent == 2
    assert [n.title.split("：")[0] for n in notes(day=D("2026-12-08"))] == ["今日到期", "今日到期"]
    # Wednesday just after midnight: overdue, recorded, but no escalation before 08:30.
    night = scan(world, "A1", "2026-12-09T00:15:00")
    assert (night.due, night.overdue, night.sent) == (0, 1, 0)
    with scopes_disabled():
        item = DueItem.objects.get(pk=filing_due_item(draw).pk)
        assert item.state == DueItem.State.OVERDUE and item.escalated_at is None
        assert AuditEntry.objects.filter(target_type="deadlines.dueitem", action="dueitem_overdue").count() == 1
    # Wednesday 09:00: the department's leader, and the office's admin, leader and planner.
    outbox_before = len(mail.outbox)
    escalation = scan(world, "A1", "2026-12-09T09:00:00")
    assert escalation.sent == 4
    escalations = notes(kind="escalation")
    assert sorted(n.user.username for n in escalations) == ["a1_leader", "ao_admin", "ao_leader", "ao_planner"]
    assert {n.organization_id for n in escalations if n.user.username.startswith("ao")} == {world.orgs["AO"].pk}
    assert escalations[0].title == f"已逾期：抽取结果报送备案 — {draw.task.name}（{draw.task_uid}）"
    assert "测试单位A1的“抽取结果报送备案”" in escalations[0].body and "已于 2026-12-08 到期" in escalations[0].body
    sent_to = sorted(m.to[0] for m in mail.outbox[outbox_before:])
    assert sent_to == ["a1.leader@example.cn", "ao.admin@example.cn", "ao.leader@example.cn", "ao.planner@example.cn"]
    # Later scans, the same day or the next, escalate no more.
    assert scan(world, "A1", "2026-12-09T15:00:00").sent == 0
    assert scan(world, "A1", "2026-12-10T09:00:00").sent == 0
    # Nobody outside the owner and the office was told; nobody without the role.
    with scopes_disabled():
        told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"a1_admin", "a1_planner", "a1_leader", "ao_admin", "ao_leader", "ao_planner"}


@pytest.mark.django_db
def test_nothing_is_sent_on_a_day_off_and_the_reminder_comes_the_working_day_before(world):
    overdue_filing(world, drawn="2026-12-03T10:00:00")  # Thursday: due Monday 7th
    assert scan(world, "A1", "2026-12-04T09:00:00").sent == 2  # Friday is the working day before Monday
    assert scan(world, "A1", "2026-12-05T09:00:00").sent == 0  # Saturday
    assert scan(world, "A1", "2026-12-06T09:00:00").sent == 0  # Sunday
    assert scan(world, "A1", "2026-12-07T09:00:00").sent == 2  # the due day


@pytest.mark.django_db
def test_mail_only_to_active_members_with_the_role_and_an_address(world):
    give_emails(world, "A1", "A2", "AO")
    with scopes_disabled():
        # The admin left the department (inactive membership); the planner has no address.
        Membership.objects.filter(user=world.user("A1", Role.ADMIN)).update(is_active=False)
        User.objects.filter(pk=world.user("A1", Role.PLANNER).pk).update(email="")
    overdue_filing(world)
    assert scan(world, "A1", "2026-12-07T09:00:00").sent == 1  # the planner, in the app only
    assert [n.user.username for n in notes()] == ["a1_planner"]
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_command_prints_its_totals_last(world):
    overdue_filing(world, "A1")
    overdue_filing(world, "A2", drawn="2026-12-01T10:00:00")  # due Thursday 3rd: overdue by Monday
    out = io.StringIO()
    call_command("deadlines_scan", "--now", "2026-12-07T09:00:00", stdout=out)
    assert out.getvalue().splitlines()[-1] == "due 1, overdue 1, sent 6"  # 2 reminders to A1; A2's leader + 3 of AO
    out = io.StringIO()
    call_command("deadlines_scan", "--now", "2026-12-07T09:05:00", stdout=out)
    assert out.getvalue().splitlines()[-1] == "due 1, overdue 1, sent 0"


@pytest.mark.django_db
def test_the_command_refuses_a_bad_moment(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="ISO"):
        call_command("deadlines_scan", "--now", "tomorrow")


@pytest.mark.django_db
def test_the_job_picks_only_organizations_with_work(world):
    from deadlines.jobs import organizations_with_work

    overdue_filing(world, "A1")  # due 8th
    overdue_filing(world, "B1", drawn="2026-12-14T10:00:00")  # due 16th
    with scopes_disabled():
        assert organizations_with_work(D("2026-12-04")) == []
        assert organizations_with_work(D("2026-12-07")) == [world.orgs["A1"].pk]
        total, overdue = scan_now(now=at("2026-12-15T09:00:00"))
    assert (total.due, overdue, total.sent) == (1, 1, 2 + 4)  # B1 reminded; A1 escalated


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_send_each_reminder_once(world):
    """Two scans of the same organization in two threads (two connections) at the same moment:
    the second waits on the first's item locks, then inserts nothing and mails nobody."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions: PostgreSQL")
    give_emails(world, "A1", "AO")
    overdue_filing(world)
    org_id = world.orgs["A1"].pk
    start = threading.Barrier(2)
    results, errors = [], []

    def run(hold: float) -> None:
        try:
            start.wait()
            with organization_scope(org_id) as actor:
                results.append(scan_organization(actor=actor, now=at("2026-12-07T09:00:00"),
                                                 before_commit=lambda: time.sleep(hold)))
                deliver_emails(actor=actor)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(hold,)) for hold in (0.5, 0.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sorted(r.sent for r in results) == [0, 2]
    assert len(notes()) == 2 and len(mail.outbox) == 2
