"""Leak-matrix entries for the deadline pages.

A due item belongs to the organization whose action it is (an office also sees its region's); a
notification to one user of one organization — an office's user never sees a department's, nor a
department's user another department's (tests/deadlines/test_pages.py checks the users too).
"""

from __future__ import annotations

from tests.factories import (
    make_due_item,
    make_joint_task,
    make_late_due_item,
    make_notification,
    make_rule_setting,
    make_task_failure,
)

from .registry import Case

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
