"""Demo plans and tasks for ``seed_demo`` (runs unscoped, after inventory's demo; idempotent).

For each demo department: an approved annual plan of the current year with risk strata
3/5/10/20 %, its current items, quarterly batches, coverage target 20 % (阳城文旅: 每季度进行1次
双随机抽查……全年抽查总比例不低于20%), and a task of the current quarter ready to draw with
teams of 2 (每次选派的执法检查人员不少于2人) — so a new user can run a ceremony at once. Plus the
阳城县 office's joint plan and task across 文旅局 and 市场监管局, one inspector of each per team.
Matched by (organization, year, name) for plans and by uid for tasks: running twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from inventory.models import CheckItem
from sampling.models import PlanParticipant, SamplingPlan, SamplingTask
from sampling.services.plans import default_strata
from tenancy.models import Membership, Organization

JOINT_OFFICE = "140522-SSJB"
JOINT_DEPARTMENTS = ("140522-WLJ", "140522-SJJ")
QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


def _quarter(today: dt.date) -> tuple[int, dt.date, dt.date]:
    q = (today.month - 1) // 3 + 1
    start = dt.date(today.year, 3 * q - 2, 1)
    end = dt.date(today.year + 1, 1, 1) if q == 4 else dt.date(today.year, 3 * q + 1, 1)
    return q, start, end - dt.timedelta(days=1)


def _leader(org: Organization) -> Any:
    m = Membership.objects.filter(organization=org, is_leader=True, is_active=True).select_related("user").first()
    return m.user if m else None


def _planner(org: Organization) -> Any:
    m = Membership.objects.filter(organization=org, is_planner=True, is_active=True).select_related("user").first()
    return m.user if m else None


def _current_items(org_ids: list[int]) -> list[CheckItem]:
    return list(
        CheckItem.objects.filter(organization_id__in=org_ids, is_current=True, status=CheckItem.Status.ACTIVE).order_by("code")
    )


def _plan(org: Organization, *, year: int, name: str, kind: str, doc_no: str) -> tuple[SamplingPlan, bool]:
    existing = SamplingPlan.objects.filter(organization=org, year=year, name=name).order_by("-version").first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    plan = SamplingPlan.objects.create(
        organization=org, region=org.region, kind=kind, year=year, name=name, doc_no=doc_no,
        status=SamplingPlan.Status.APPROVED, frequency=SamplingPlan.Frequency.QUARTERLY, batches=4,
        strata_mode=SamplingPlan.StrataMode.RISK, strata=default_strata(), coverage_target=Decimal("0.2"),
        annual_cap=2, submitted_at=now, approved_at=now, approved_by=_leader(org), created_by=_planner(org),
    )
    return plan, True


def _task(plan: SamplingPlan, *, uid: str, quarter: int, start: dt.date, end: dt.date,
          team: list[dict[str, int]], items: list[CheckItem]) -> bool:
    if SamplingTask.objects.filter(uid=uid).exists():
        return False
    today = timezone.localdate()
    task = SamplingTask.objects.create(
        organization_id=plan.organization_id, region_id=plan.region_id, plan=plan, batch_no=quarter,
        name=f"{plan.year}年{QUARTER_NAMES[quarter]}", uid=uid, reserve_size=2, team_requirements=team,
        window_start=max(start, today), window_end=end, status=SamplingTask.Status.READY, created_by=plan.created_by,
    )
    task.items.set(items)
    return True


@transaction.atomic
def seed(*, orgs: dict[str, Organization], entities: int, stdout: Any) -> None:
    today = timezone.localdate()
    year = today.year
    quarter, start, end = _quarter(today)
    plans = tasks = 0
    for code, org in orgs.items():
        if org.kind != Organization.Kind.DEPARTMENT:
            continue
        label = org.short_name or org.name
        plan, created = _plan(org, year=year, name=f"{label}{year}年度“双随机、一公开”抽查计划", kind="department",
                              doc_no=f"{label}〔{year}〕1号")
        if created:
            plan.items.set(_current_items([org.pk]))
            plans += 1
        tasks += _task(plan, uid=f"{code}-{year}-{quarter}", quarter=quarter, start=start, end=end,
                       team=[{"department": org.pk, "count": 2}], items=list(plan.items.all()))

    office = orgs.get(JOINT_OFFICE)
    departments = [orgs[c] for c in JOINT_DEPARTMENTS if c in orgs]
    if office is not None and len(departments) == len(JOINT_DEPARTMENTS):
        plan, created = _plan(office, year=year, name=f"阳城县{year}年度部门联合抽查计划", kind="joint",
                              doc_no=f"阳双随机办〔{year}〕1号")
        if created:
            every: list[CheckItem] = []
            for dept in departments:
                part = PlanParticipant.objects.create(organization=office, region=office.region, plan=plan, department=dept)
                # Two items per department keep the joint visit short (进一次门、查多项事).
                mine = _current_items([dept.pk])[:2]
                part.items.set(mine)
                every.extend(mine)
            plan.items.set(every)
            plans += 1
        tasks += _task(plan, uid=f"{JOINT_OFFICE}-{year}-{quarter}", quarter=quarter, start=start, end=end,
                       team=[{"department": d.pk, "count": 1} for d in departments], items=list(plan.items.all()))
    stdout.write(f"sampling demo: {plans} plans and {tasks} ready tasks created")
