"""Leak-matrix entries for the deadline pages, and the factories the deadline tests share.

A due item belongs to the organization whose action it is (an office also sees its region's); a
notification to one user of one organization — an office's user never sees a department's, nor a
department's user another department's (tests/deadlines/test_pages.py checks the users too).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines.models import DueItem, Notification, RuleSetting, Unit
from sampling.models import PlanParticipant, SamplingPlan, SamplingTask
from tenancy import events
from tenancy.context import Role
from tenancy.models import TaskFailure
from tenancy.scoping import actor_scope

from .cases_sampling_filings import make_simple_draw
from .registry import Case, marker


def make_due_item(world, org_key: str) -> DueItem:
    """An open filing item of ``org_key`` (a draw completed just now); its target names the marker."""
    draw = make_simple_draw(world, org_key, drawn_at=timezone.now())
    with actor_scope(world.actor(org_key, Role.PLANNER)) as actor:
        events.emit("sampling.draw.completed", actor=actor, obj=draw)
    with scopes_disabled():
        return DueItem.objects.filter(target_type="sampling.draw", target_id=str(draw.pk)).get()


def make_notification(world, org_key: str) -> Notification:
    """A reminder to every user of ``org_key`` (the marker in its title); returns the planner's."""
    item = make_due_item(world, org_key)
    org = world.orgs[org_key]
    rows = {}
    with scopes_disabled():
        for role in Role.ALL:
            rows[role] = Notification.objects.create(
                organization=org, region=org.region, user=world.user(org_key, role), due_item=item,
                kind=Notification.Kind.REMINDER, day=dt.date(2026, 12, 7), title=f"即将到期：{marker(org_key)}",
                body=marker(org_key), url=item.target_url,
            )
    return rows[Role.PLANNER]


def make_rule_setting(world, org_key: str) -> RuleSetting:
    org = world.orgs[org_key]
    with scopes_disabled():
        return RuleSetting.objects.create(
            organization=org, region=org.region, rule="sampling.filing", period=3, unit=Unit.DAYS,
            source=f"{marker(org_key)} 本单位规定",
        )


def make_task_failure(world, org_key: str) -> TaskFailure:
    with scopes_disabled():
        return TaskFailure.objects.create(
            organization=world.orgs[org_key], task_name="deadlines.scan_organization", args=[world.orgs[org_key].pk],
            exception=f"OperationalError: {marker(org_key)}",
        )


def make_late_due_item(world, org_key: str) -> DueItem:
    """An overdue filing item of ``org_key``: a draw completed 30 days ago, never filed."""
    draw = make_simple_draw(world, org_key, drawn_at=timezone.now() - dt.timedelta(days=30))
    with actor_scope(world.actor(org_key, Role.PLANNER)) as actor:
        events.emit("sampling.draw.completed", actor=actor, obj=draw)
    with scopes_disabled():
        item = DueItem.objects.filter(target_type="sampling.draw", target_id=str(draw.pk)).get()
        DueItem.objects.filter(pk=item.pk).update(state=DueItem.State.OVERDUE)
    return item


def make_joint_task(world, org_key: str) -> SamplingTask:
    """A ready joint task of the county office of ``org_key`` (itself, for an office) with the
    county's two departments taking part; its name carries ``marker(org_key)``."""
    county = org_key[0]
    office = world.orgs[f"{county}O"]
    with scopes_disabled():
        plan = SamplingPlan.objects.create(
            organization=office, region=office.region, kind=SamplingPlan.Kind.JOINT, year=timezone.localdate().year,
            name=f"{marker(org_key)} 联合抽查计划", status=SamplingPlan.Status.APPROVED,
        )
        for dept in (f"{county}1", f"{county}2"):
            PlanParticipant.objects.create(organization=office, region=office.region, plan=plan, department=world.orgs[dept])
        return SamplingTask.objects.create(
            organization=office, region=office.region, plan=plan, name=f"{marker(org_key)} 联合抽查任务",
            uid=f"JOINT-{org_key}-{plan.pk}", status=SamplingTask.Status.READY,
        )


FACTORIES = {
    "due_item": make_due_item,
    "late_due_item": make_late_due_item,
    "joint_task": make_joint_task,
    "notification": make_notification,
    "rule_setting": make_rule_setting,
    "task_failure": make_task_failure,
}

# A user's notifications are their own organization's: the office's users see the office's.
_OWN_NOTIFICATIONS = {"A1": "A1", "AO": "AO"}

CASES = {
    "deadlines:due_list": Case(factory="due_item", kind="list", query="tab=all"),
    "deadlines:due_detail": Case(factory="due_item"),
    "deadlines:due_waive": Case(factory="due_item", method="post", data={"reason": "测试免除"}),
    "deadlines:notification_list": Case(factory="notification", kind="list", own=_OWN_NOTIFICATIONS),
    "deadlines:notification_bell": Case(factory="notification", kind="list", own=_OWN_NOTIFICATIONS),
    "deadlines:notification_open": Case(factory="notification", own=_OWN_NOTIFICATIONS),
    "deadlines:notification_read": Case(factory="notification", method="post", own=_OWN_NOTIFICATIONS),
    "deadlines:rule_list": Case(factory="rule_setting", kind="list", own={"A1": "A1", "AO": "AO"}),
    "deadlines:failure_list": Case(factory="task_failure", kind="list"),
    # Dashboard panels: a user's own items (the office's users: the office's), a leader's
    # organization's, an office's region's late items and its joint tasks (403 to a department).
    "deadlines:panel_mine": Case(factory="late_due_item", kind="list", own={"A1": "A1", "AO": "AO"}),
    "deadlines:panel_organization": Case(factory="late_due_item", kind="list", own={"A1": "A1", "AO": "AO"}),
    "deadlines:panel_region": Case(factory="late_due_item", kind="list"),
    "deadlines:panel_joint": Case(factory="joint_task", kind="list"),
    "api:dueitem-list": Case(factory="due_item", kind="list"),
    "api:dueitem-detail": Case(factory="due_item"),
}

PUBLIC = {
    "deadlines:rule_edit": "edits the acting organization's own setting of a rule named by its code key; "
    "no other organization's row is addressable (tests/deadlines/test_pages.py)",
    "deadlines:notification_read_all": "marks the signed-in user's own notifications read; addresses no row",
    "deadlines:holiday_list": "the national holiday calendar: global reference data, no tenant rows",
    "deadlines:holiday_create": "global reference data, entered by platform admins only (tests/deadlines/test_pages.py)",
    "deadlines:holiday_edit": "global reference data, edited by platform admins only (tests/deadlines/test_pages.py)",
    "deadlines:holiday_delete": "global reference data, removed by platform admins only (tests/deadlines/test_pages.py)",
}
