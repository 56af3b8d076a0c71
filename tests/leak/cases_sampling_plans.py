"""Leak-matrix entries for annual plans and tasks (pages and API)."""

from __future__ import annotations

import datetime as dt
from itertools import count

from django_scopes import scopes_disabled

from inventory.models import CheckItem
from sampling.models import SamplingPlan, SamplingTask

from .registry import Case, marker

_serial = count(1)


def _plan(world, org_key: str, status: str) -> SamplingPlan:
    org = world.orgs[org_key]
    n = next(_serial)
    with scopes_disabled():
        plan = SamplingPlan.objects.create(
            organization=org, region=org.region, year=2026, name=f"{marker(org_key)}年度计划{n}", status=status,
            kind="joint" if org.kind == "office" else "department",
        )
        item = CheckItem.objects.create(organization=org, region=org.region, code=f"LEAK-{n}", name=f"{marker(org_key)}事项{n}")
        plan.items.set([item])
    return plan


def make_plan(world, org_key: str) -> SamplingPlan:
    return _plan(world, org_key, SamplingPlan.Status.DRAFT)


def make_submitted_plan(world, org_key: str) -> SamplingPlan:
    return _plan(world, org_key, SamplingPlan.Status.SUBMITTED)


def make_approved_plan(world, org_key: str) -> SamplingPlan:
    return _plan(world, org_key, SamplingPlan.Status.APPROVED)


def make_task(world, org_key: str) -> SamplingTask:
    plan = make_approved_plan(world, org_key)
    org = world.orgs[org_key]
    n = next(_serial)
    with scopes_disabled():
        task = SamplingTask.objects.create(
            organization=org, region=org.region, plan=plan, name=f"{marker(org_key)}任务{n}", uid=f"LEAK-{org_key}-{n}",
            team_requirements=[{"department": org.pk, "count": 2}],
            window_start=dt.date(2026, 4, 1), window_end=dt.date(2026, 6, 30),
        )
        task.items.set(plan.items.all())
    return task


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
