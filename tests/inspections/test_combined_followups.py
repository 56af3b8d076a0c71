"""综合查一次, what follows an arrangement: the people concerned are told (the bell, the e-mail) when
it is accepted and when it is cancelled — each involved inspection's inspectors with an account
and their department's leaders, once per person per event; an inspection whose target a
replacement takes leaves it with the reason recorded, and a visit left with fewer than two
inspections is cancelled with that reason (audited, told); a GET on the cancel URL leads to the
visit's page."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines.calendar import current_calendar
from deadlines.models import Notification
from inspections import notices
from inspections.models import CombinedVisit, CombinedVisitMember, Inspection
from inspections.services import combined as svc
from inspections.services import inspections as inspection_services
from inventory.models import RegistryEntry
from sampling.models import DrawSelection
from sampling.services import recusals as recusal_services
from tenancy.context import Role
from tenancy.models import AuditEntry, User
from tenancy.scoping import actor_scope
from tests import factories
from tests.inspections.conftest import drawn
from tests.inspections.support import first, fresh, member_of, points_of

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _workday(after: dt.date) -> dt.date:
    calendar, day = current_calendar(), after + dt.timedelta(days=1)
    while not calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _both(world, *, a2_draws: int = 1):
    """A1's draw (inspectors with accounts, reserves to replace with) and A2's draw(s) of A1's first
    target, windows overlapping: (A1's draw, A1's inspection, [A2's inspections])."""
    d = drawn(world, "A1", entities=16, inspectors=5)
    a1 = first(d)
    with scopes_disabled():
        entity = a1.entity
        RegistryEntry.objects.get_or_create(organization=world.orgs["A2"], region=entity.region, entity=entity)
    for _n in range(a2_draws):
        plan = factories.make_approved_plan(world, "A2")
        with scopes_disabled():
            plan.annual_cap = 0  # a firm A2 visits twice this year: no cap, for a visit of three
            plan.save(update_fields=["annual_cap"])
        factories.draw_selecting(plan, [entity])
    with scopes_disabled():
        Inspection.objects.filter(entity=entity).update(window_start=TODAY, window_end=TODAY + dt.timedelta(days=30))
        a2 = list(Inspection.objects.filter(entity=entity, organization=world.orgs["A2"]).order_by("pk"))
    return d, fresh(a1), a2


def _accept(world, inspections) -> CombinedVisit:
    office = world.actor("AO", Role.PLANNER)
    with actor_scope(office):
        return svc.combined_visit_accept(actor=office, inspections=[i.pk for i in inspections], visit_on=_workday(TODAY))


def _cancel(world, combined: CombinedVisit, reason: str) -> CombinedVisit:
    office = world.actor("AO", Role.PLANNER)
    with actor_scope(office):
        return svc.combined_visit_cancel(actor=office, combined=combined, reason=reason)


def _notices(key: str) -> dict[int, Notification]:
    with scopes_disabled():
        rows = list(Notification.objects.filter(kind=Notification.Kind.NOTICE, key=key).select_related("user"))
    counts = Counter(r.user_id for r in rows)
    assert max(counts.values(), default=1) == 1, "one notice per person per event"
    return {r.user_id: r for r in rows}


def _team_users(d, inspection: Inspection) -> set[int]:
    return {d.users[i].pk for i in inspection.team}


def _replace(world, d, inspection: Inspection) -> None:
    leader = world.actor("A1", Role.LEADER)
    with actor_scope(leader):
        selection = DrawSelection.objects.get(pk=inspection.selection_id)
        recusal_services.replacement_create(actor=leader, draw=d.draw, selection=selection, reason="经营场所无法联系")


# --------------------------------------------------------------------------------------------
# Who is told


def test_accepting_tells_each_team_inspector_and_each_department_leader_once(world, django_capture_on_commit_callbacks):
    d, a1, [a2] = _both(world)
    with scopes_disabled():
        User.objects.filter(pk__in=[world.user("A1", Role.LEADER).pk, world.user("A2", Role.LEADER).pk]).update(
            email="leader@example.cn",
        )
    with django_capture_on_commit_callbacks(execute=True):
        combined = _accept(world, [a1, a2])
    told = _notices(f"{notices.ACCEPTED}.{combined.pk}")
    team = _team_users(d, a1)
    assert len(team) == 2  # A1's draw: a team of two, each with an account; A2's inspectors have none
    expected = team | {world.user("A1", Role.LEADER).pk, world.user("A2", Role.LEADER).pk}
    assert set(told) == expected and len(told) == 4
    # Nobody else: not the office that arranged it, not A1's planner, not a department's other roles.
    for org, role in (("AO", Role.PLANNER), ("AO", Role.LEADER), ("A1", Role.PLANNER), ("A2", Role.INSPECTOR)):
        assert world.user(org, role).pk not in told
    # Each owned by the department the person is told for; the text names the firm, the day, both departments.
    leader_row = told[world.user("A2", Role.LEADER).pk]
    assert leader_row.organization_id == world.orgs["A2"].pk
    assert told[next(iter(team))].organization_id == world.orgs["A1"].pk
    day = combined.visit_on.isoformat()
    assert leader_row.title == f"综合查一次：{a1.entity.name}，{day}"
    assert day in leader_row.body and "测试单位A1、测试单位A2" in leader_row.body and a1.entity.name in leader_row.body
    assert leader_row.url == reverse("inspections:combined_detail", kwargs={"pk": combined.pk})
    # The e-mail of those with an address, after the commit: the two leaders.
    assert sorted(m.to[0] for m in mail.outbox) == ["leader@example.cn"] * 2
    assert all(leader_row.title in m.subject for m in mail.outbox)
    # The event handled again (a retried request) tells nobody twice.
    with scopes_disabled():
        notices.on_accepted(event=notices.ACCEPTED, actor=world.actor("AO", Role.PLANNER), obj=combined)
    assert len(_notices(f"{notices.ACCEPTED}.{combined.pk}")) == 4


def test_a_person_on_two_parts_is_told_once(world):
    """A1's inspector and A1's leader on one account (a leader who inspects): one notice."""
    d, a1, [a2] = _both(world)
    inspector_user = d.users[a1.team[0]]
    with scopes_disabled():
        from tenancy.models import Membership  # noqa: PLC0415

        Membership.objects.filter(user=inspector_user, organization=world.orgs["A1"]).update(is_leader=True)
    combined = _accept(world, [a1, a2])
    told = _notices(f"{notices.ACCEPTED}.{combined.pk}")
    assert inspector_user.pk in told and len(told) == 4  # two inspectors (one also a leader), two leaders


def test_cancelling_tells_the_same_people_why_and_the_bell_counts_it(world, client, login):
    d, a1, [a2] = _both(world)
    combined = _accept(world, [a1, a2])
    _cancel(world, combined, "企业负责人当日外出")
    told = _notices(f"{notices.CANCELLED}.{combined.pk}")
    assert set(told) == set(_notices(f"{notices.ACCEPTED}.{combined.pk}")) and len(told) == 4
    row = told[world.user("A1", Role.LEADER).pk]
    assert row.title == f"综合查一次已取消：{a1.entity.name}，{combined.visit_on.isoformat()}"
    assert row.body.endswith("原因：企业负责人当日外出")
    # The leader's bell: two unread; the list shows both, the newest (the cancellation) first.
    page = login(world.user("A1", Role.LEADER))
    bell = page.get(reverse("deadlines:notification_bell")).content.decode()
    assert '<span class="bell-count" data-testid="bell-count"' in bell and ">2</span>" in bell
    listing = page.get(reverse("deadlines:notification_list")).content.decode()
    assert listing.index("综合查一次已取消") < listing.index(f"综合查一次：{a1.entity.name}")
    # Opening it leads to the combined visit and marks it read.
    opened = page.get(reverse("deadlines:notification_open", kwargs={"pk": row.pk}))
    assert opened.status_code == 302 and opened["Location"] == reverse("inspections:combined_detail", kwargs={"pk": combined.pk})
    with scopes_disabled():
        assert Notification.objects.get(pk=row.pk).read_at is not None


def test_notices_read_in_english(world, client, login):
    d, a1, [a2] = _both(world)
    combined = _accept(world, [a1, a2])
    _cancel(world, combined, "企业负责人当日外出")
    page = login(world.user("A2", Role.LEADER))
    listing = page.get(reverse("deadlines:notification_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    day = combined.visit_on.isoformat()
    assert f"Combined visit: {a1.entity.name}, {day}" in listing
    assert f"Combined visit cancelled: {a1.entity.name}, {day}" in listing
    assert "Reason: 企业负责人当日外出" in listing  # the reason as typed


# --------------------------------------------------------------------------------------------
# A replaced target leaves the combined visit


def test_a_moved_inspection_leaves_and_the_visit_of_two_is_cancelled_with_the_reason(world):
    d, a1, [a2] = _both(world)
    combined = _accept(world, [a1, a2])
    _replace(world, d, a1)  # untouched: it moves to the reserve, another firm
    moved = fresh(a1)
    assert moved.entity_id != combined.entity_id and moved.status == Inspection.Status.PENDING
    with scopes_disabled():
        combined.refresh_from_db()
        members = dict(CombinedVisitMember.objects.filter(combined_visit=combined).values_list("inspection_id", "active"))
        left = AuditEntry.objects.get(target_type="inspections.combinedvisitmember", action="withdraw")
        cancelled = AuditEntry.objects.get(target_type="inspections.combinedvisit", target_id=str(combined.pk), action="cancel")
    assert members == {a1.pk: False, a2.pk: False}
    reason = "A1的检查对象已被递补对象替换，综合查一次不足两个部门的检查，自动取消。"
    assert combined.cancelled_at is not None and combined.cancel_reason == reason and combined.cancelled_by_id is None
    assert left.note == reason and cancelled.note == reason and left.organization_id == world.orgs["AO"].pk
    # Told as a cancellation: A1's team (moved with its inspection) and both leaders.
    told = _notices(f"{notices.CANCELLED}.{combined.pk}")
    assert set(told) == _team_users(d, a1) | {world.user("A1", Role.LEADER).pk, world.user("A2", Role.LEADER).pk}
    assert told[world.user("A2", Role.LEADER).pk].body.endswith("原因：" + reason)
    # Both inspections are free again: A2's could be combined with another department's.
    with scopes_disabled():
        assert not CombinedVisitMember.objects.filter(active=True, inspection__in=[a1, a2]).exists()


def test_a_replaced_inspection_leaves_a_visit_of_three_which_goes_on(world, client, login):
    d, a1, [a2, a2b] = _both(world, a2_draws=2)
    # Three inspections of the firm (two of A2's tasks): arranged as the office's row directly —
    # acceptance takes one inspection per department.
    with scopes_disabled():
        combined = CombinedVisit.objects.create(
            organization=world.orgs["AO"], region=world.regions["A"], entity_id=a1.entity_id, visit_on=_workday(TODAY),
        )
        for inspection in (a1, a2, a2b):
            CombinedVisitMember.objects.create(
                organization=world.orgs["AO"], region=world.regions["A"], combined_visit=combined, inspection=inspection,
            )
    actor = member_of(d, a1)
    [p1, _p2] = points_of(a1)
    with actor_scope(actor):
        inspection_services.inspection_save(actor=actor, inspection=a1, answers={p1.pk: {"status": "abnormal", "note": "门店关闭"}})
    _replace(world, d, a1)  # holding work: closed as replaced, a new one opened for the reserve
    assert fresh(a1).status == Inspection.Status.REPLACED
    with scopes_disabled():
        combined.refresh_from_db()
        members = dict(CombinedVisitMember.objects.filter(combined_visit=combined).values_list("inspection_id", "active"))
        entry = AuditEntry.objects.get(target_type="inspections.combinedvisitmember", action="withdraw")
        new = Inspection.objects.get(replaces=a1)
    assert members == {a1.pk: False, a2.pk: True, a2b.pk: True}
    assert new.pk not in members and combined.cancelled_at is None
    assert entry.note == "A1的检查对象已被递补对象替换，该检查退出综合查一次。"
    # Only the inspection that left is told (its team and A1's leader), not A2's.
    told = _notices(f"{notices.WITHDRAWN}.{CombinedVisitMember.objects.model._base_manager.get(combined_visit=combined, inspection=a1).pk}")
    assert set(told) == _team_users(d, a1) | {world.user("A1", Role.LEADER).pk}
    assert "不再随测试单位A2一同上门" in told[world.user("A1", Role.LEADER).pk].body
    assert not _notices(f"{notices.CANCELLED}.{combined.pk}")
    # The office's page shows it left, and why.
    page = login(world.user("AO", Role.PLANNER)).get(reverse("inspections:combined_detail", kwargs={"pk": combined.pk}))
    html = page.content.decode()
    assert html.count('data-testid="combined-party-left"') == 1 and entry.note in html


def test_an_inspection_outside_any_combined_visit_is_replaced_as_before(world):
    d, a1, [_a2] = _both(world)
    _replace(world, d, a1)
    with scopes_disabled():
        assert not AuditEntry.objects.filter(target_type="inspections.combinedvisitmember").exists()
        assert not Notification.objects.filter(kind=Notification.Kind.NOTICE).exists()


# --------------------------------------------------------------------------------------------
# The cancel URL


def test_a_get_on_the_cancel_url_leads_to_the_visit(world, client, login):
    _d, a1, [a2] = _both(world)
    combined = _accept(world, [a1, a2])
    page = login(world.user("AO", Role.PLANNER))
    url = reverse("inspections:combined_cancel", kwargs={"pk": combined.pk})
    response = page.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("inspections:combined_detail", kwargs={"pk": combined.pk})
    assert page.put(url).status_code == 405
    with scopes_disabled():
        assert CombinedVisit.objects.get(pk=combined.pk).cancelled_at is None
