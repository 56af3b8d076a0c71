"""Leak-matrix entries for annual plans and tasks (pages and API)."""

from __future__ import annotations

from tests.factories import make_approved_plan, make_plan, make_submitted_plan, make_task

from .registry import Case

FACTORIES = {
    "plan": make_plan,
    "plan_submitted": make_submitted_plan,
    "plan_approved": make_approved_plan,
    "task": make_task,
}

CASES = {
    "sampling:plan_list": Case(factory="plan", kind="list"),
    "sampling:plan_create": Case(factory="plan", kind="list"),
    "sampling:plan_detail": Case(factory="plan"),
    "sampling:plan_edit": Case(factory="plan"),
    "sampling:plan_adjust": Case(factory="plan_approved"),
    "sampling:plan_submit": Case(factory="plan", method="post"),
    "sampling:plan_approve": Case(factory="plan_submitted", method="post"),
    "sampling:plan_return": Case(factory="plan_submitted", method="post", data={"opinion": "请补充事项"}),
    "sampling:plan_publish": Case(factory="plan_approved", method="post"),
    "sampling:task_create": Case(factory="plan_approved", kwargs=lambda obj: {"plan_pk": obj.pk}),
    "sampling:task_list": Case(factory="task", kind="list"),
    "sampling:task_detail": Case(factory="task"),
    "sampling:task_edit": Case(factory="task"),
    "sampling:task_ready": Case(factory="task", method="post"),
    "sampling:task_cancel": Case(factory="task", method="post", data={"reason": "测试取消"}),
    "api:plan-list": Case(factory="plan", kind="list"),
    "api:plan-detail": Case(factory="plan"),
    "api:task-list": Case(factory="task", kind="list"),
    "api:task-detail": Case(factory="task"),
}
