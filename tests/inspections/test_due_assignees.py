"""Whose action the result due item is (曲阳 §20: 执法检查人员…5个工作日内将抽查结果录入): the
inspectors on that inspection's part are reminded — not every inspector of the department — and
their department's leader is told once it is overdue; on a joint visit each department's item
goes to its own inspectors and its own leader. Counted by the scan's notifications."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines.calendar import current_calendar
from deadlines.dashboard import my_due
from deadlines.models import DueItem, Notification
from deadlines.scan import scan_organization
from inspections import due
from inspections.models import Inspection, InspectionPart
from inspections.services import inspections as svc
from inventory.models import Inspector
from tenancy.actors import actor_for
from tenancy.models import Membership
from tenancy.periodic import organization_scope
from tenancy.scoping import actor_scope
from tests.inspections.conftest import drawn
from tests.inspections.support import confirm_all, first, member_of

pytestmark = pytest.mark.django_db


def _nine(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def _scan(org_id: int, day: dt.date) -> None:
    with organization_scope(org_id) as actor:
        scan_organization(actor=actor, now=_nine(day))


def _ended_today(d, inspection: Inspection) -> dict[int, DueItem]:
    """The team records the visit as ended today: each department's part gets its result item."""
    actor = member_of(d, inspection)
    today = timezone.localdate()
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=inspection, visit={"started_on": today, "ended_on": today})
    with scopes_disabled():
        parts = {p.pk: p.organization_id for p in InspectionPart.objects.filter(inspection=inspection)}
        items = DueItem.objects.filter(rule=due.RESULT, target_id__in=[str(pk) for pk in parts], state="open")
        return {parts[int(i.target_id)]: i for i in items}


def _users_of_part(inspection: Inspection, org_id: int) -> set[int]:
    with scopes_disabled():
        part = InspectionPart.objects.get(inspection=inspection, organization_id=org_id)
        return set(Inspector.objects.filter(pk__in=part.inspectors, user__isnull=False).values_list("user_id", flat=True))


def _inspector_accounts(org_id: int) -> set[int]:
    with scopes_disabled():
        return set(Membership.objects.filter(organization_id=org_id, is_inspector=True, is_active=True)
                   .values_list("user_id", flat=True))


def _notified(item: DueItem, kind: str) -> list[int]:
    with scopes_disabled():
        return sorted(Notification.objects.filter(due_item=item, kind=kind).values_list("user_id", flat=True))


def test_the_parts_inspectors_are_reminded_and_their_leader_told_when_it_is_late(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    a1 = world.orgs["A1"].pk
    [item] = _ended_today(d, inspection).values()
    team = _users_of_part(inspection, a1)
    everyone = _inspector_accounts(a1)
    assert len(team) == len(inspection.team) == 2 and len(everyone) == 5 and team < everyone

    _scan(a1, item.due_on)  # the due day: a reminder
    assert _notified(item, "reminder") == sorted(team)
    assert _notified(item, "escalation") == []

    late = current_calendar().add_workdays(item.due_on, 1).date
    _scan(a1, late)  # the next working day: overdue, told to the department's leader
    assert _notified(item, "escalation") == [world.user("A1", "leader").pk]
    assert _notified(item, "reminder") == sorted(team)  # no reminder once late

    # Their own due items: the team's inspectors see it, the department's other inspectors do not.
    with scopes_disabled():
        users = {m.user_id: m.user for m in Membership.objects.filter(organization_id=a1, is_inspector=True).select_related("user")}
    shown = {}
    for user_id in sorted(everyone):
        actor = actor_for(users[user_id], world.orgs["A1"])
        with actor_scope(actor):
            panel = my_due(actor=actor, today=item.due_on)
        shown[user_id] = any(r.item.pk == item.pk for r in panel.week + panel.late)
    assert {u for u, seen in shown.items() if seen} == team


def test_a_joint_visit_reminds_each_departments_own_inspectors_and_tells_its_own_leader(world):
    d = drawn(world, "AO", entities=12, inspectors=3)
    inspection = first(d)
    confirm_all(world, inspection)
    a1, a2 = world.orgs["A1"].pk, world.orgs["A2"].pk
    items = _ended_today(d, inspection)
    assert set(items) == {a1, a2}
    for org_id, key in ((a1, "A1"), (a2, "A2")):
        item = items[org_id]
        team = _users_of_part(inspection, org_id)
        assert item.organization_id == org_id and team and team < _inspector_accounts(org_id)
        _scan(org_id, item.due_on)
        assert _notified(item, "reminder") == sorted(team)
        _scan(org_id, current_calendar().add_workdays(item.due_on, 1).date)
        assert _notified(item, "escalation") == [world.user(key, "leader").pk]
    assert not _users_of_part(inspection, a1) & _users_of_part(inspection, a2)


def test_a_part_whose_inspectors_have_no_account_reminds_the_departments_staff(world):
    """Their department's staff fill the part in for them (services.teams): they are reminded."""
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    a1 = world.orgs["A1"].pk
    [item] = _ended_today(d, inspection).values()
    with scopes_disabled():
        Inspector.objects.filter(pk__in=inspection.team).update(user=None)
    _scan(a1, item.due_on)
    staff = sorted(world.user("A1", role).pk for role in ("planner", "admin", "leader"))
    assert _notified(item, "reminder") == staff
