"""Demo due items for ``seed_demo`` (registered in ``tenancy.demo.DEMO_SEEDERS``; runs unscoped,
after sampling's demo; idempotent).

In 阳城县 (the county of the seed documents) the demo leaves, through the real services:

* 县发改局's quarterly task drawn five working days ago and not filed: its 2-working-day filing
  limit (阳城县发改局 2023 方案) has passed — overdue, escalated to the bureau's leader and to the
  county's 双随机办, in the app and by e-mail (the console backend prints it);
* a recusal on that draw waiting for the leader;
* next year's plan submitted and waiting for the leader's approval;
* the certificates of inspectors expiring within 90 days (or lately expired) due for renewal —
  among them 县发改局's inspector linked to ``yc_fg_inspector``, whose renewal falls due this
  working week (his own dashboard shows it);
* the county office's joint task (县文旅局 + 县市场监管局) drawn six working days ago and not
  filed (the office is late), with a recusal of a 县市场监管局 inspector its leader has not
  decided in its 2 working days (that department is late): the office's dashboard tabulates it.

Log in as ``yc_fg_leader`` or ``yc_office_leader`` to see the bell, and the dashboards of
``yc_fg_planner``, ``yc_fg_leader``, ``yc_fg_inspector``, ``yc_sj_leader`` and ``yc_office_leader``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from inventory.models import CheckItem, Inspector
from inventory.services import inspectors as inspector_services
from sampling.models import Draw, DrawSelection, RecusalRequest, SamplingPlan, SamplingTask
from sampling.services import draws as draw_services
from sampling.services import plans as plan_services
from sampling.services import recusals as recusal_services
from tenancy import events
from tenancy.actors import actor_for
from tenancy.models import Membership, Organization, User
from tenancy.scoping import actor_scope

from . import builtin
from .calendar import current_calendar
from .jobs import scan_now
from .models import DueItem
from .rules import RULES
from .services import item_open

DEPARTMENT = "140522-FGJ"  # 阳城县发展和改革局: its work plan is the 2-day filing rule's source
COUNTY_PREFIX = "140522-"
DRAWN_WORKDAYS_AGO = 5
JOINT_OFFICE = "140522-SSJB"  # owns sampling's demo joint plan (县文旅局 + 县市场监管局)
JOINT_RECUSING = "140522-SJJ"  # the department whose leader leaves a recusal of the joint draw undecided
JOINT_DRAWN_WORKDAYS_AGO = 6
JOINT_RECUSAL_WORKDAYS_AGO = 5


def _user(org: Organization, role: str) -> User | None:
    row = (
        Membership.objects.filter(organization=org, is_active=True, **{f"is_{role}": True})
        .select_related("user").order_by("id").first()
    )
    return row.user if row else None


def _give_emails(orgs: list[Organization]) -> None:
    """Demo accounts get an address (example.com: reserved) so reminders are e-mailed too."""
    for org in orgs:
        for membership in Membership.objects.filter(organization=org).select_related("user"):
            if not membership.user.email:
                User.objects.filter(pk=membership.user_id).update(email=f"{membership.user.username}@example.com")


def _workdays_before(day: dt.date, n: int) -> dt.date:
    calendar = current_calendar()
    while n:
        day -= dt.timedelta(days=1)
        n -= calendar.is_workday(day)
    return day


def _days_ago_at(workdays: int, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(_workdays_before(timezone.localdate(), workdays), dt.time(hour, 0)))


def _overdue_draw(org: Organization, stdout: Any, workdays_ago: int = DRAWN_WORKDAYS_AGO) -> Draw | None:
    task = SamplingTask.objects.filter(organization=org, status=SamplingTask.Status.READY).order_by("-id").first()
    planner = _user(org, "planner")
    if task is None or planner is None:
        return None
    actor = actor_for(planner, org)
    with actor_scope(actor):
        try:
            draw = draw_services.draw_run(actor=actor, task=task, public_entropy="上证指数 3312.45（演示）", witnesses=["县纪委监督员（演示）"])
        except ValidationError as exc:
            stdout.write(f"deadlines demo: no draw for {org.name}: {'；'.join(exc.messages)}")
            return None
        # Drawn some working days ago (demo data): the filing limit has passed.
        Draw.objects.filter(pk=draw.pk).update(drawn_at=_days_ago_at(workdays_ago, 10))
        draw.refresh_from_db()
        item_open(rule=RULES.get(builtin.FILING), subject=draw, actor=actor, event="demo")
    return draw


def _pending_recusal(org: Organization, draw: Draw) -> None:
    planner = _user(org, "planner")
    selection = (
        DrawSelection.objects.filter(draw=draw, status=DrawSelection.Status.SELECTED).exclude(team=[]).order_by("rank").first()
    )
    if planner is None or selection is None:
        return
    inspector = Inspector.objects.get(pk=selection.team[0])
    actor = actor_for(planner, org)
    with actor_scope(actor):
        recusal_services.recusal_request(
            actor=actor, draw=draw, selection=selection, inspector=inspector, kind=RecusalRequest.Kind.RECUSAL,
            reason="该执法人员的近亲属在被检查企业任职（演示）",
        )


def _late_joint_task(office: Organization, department: Organization, stdout: Any) -> None:
    """The office's joint task drawn and left unfiled, and a recusal of one of ``department``'s
    inspectors on it left undecided past its 2 working days."""
    draw = _overdue_draw(office, stdout, workdays_ago=JOINT_DRAWN_WORKDAYS_AGO)
    planner = _user(department, "planner")
    if draw is None or planner is None:
        return
    selection = next(
        (s for s in DrawSelection.objects.filter(draw=draw, status=DrawSelection.Status.SELECTED).order_by("rank")
         if Inspector.objects.filter(pk__in=s.team, organization=department).exists()),
        None,
    )
    if selection is None:
        return
    inspector = Inspector.objects.filter(pk__in=selection.team, organization=department).order_by("pk").first()
    actor = actor_for(planner, department)
    with actor_scope(actor):
        req = recusal_services.recusal_request(
            actor=actor, draw=draw, selection=selection, inspector=inspector, kind=RecusalRequest.Kind.ABSENCE,
            reason="该执法人员参加省局集中培训，无法参加本次联合检查（演示）",
        )
        RecusalRequest.objects.filter(pk=req.pk).update(created_at=_days_ago_at(JOINT_RECUSAL_WORKDAYS_AGO, 15))
        req.refresh_from_db()
        item_open(rule=RULES.get(builtin.RECUSAL), subject=req, actor=actor, event="demo")


def _certificate_due_this_week(org: Organization) -> None:
    """The inspector linked to the department's inspector account: a certificate whose renewal
    (30 days before expiry) falls due on the next working day from today."""
    admin = _user(org, "admin")
    inspector = Inspector.objects.filter(organization=org, user__isnull=False).order_by("pk").first()
    if admin is None or inspector is None:
        return
    calendar = current_calendar()
    today = timezone.localdate()
    due = today if calendar.is_workday(today) else calendar.add_workdays(today, 1).date
    actor = actor_for(admin, org)
    with actor_scope(actor):
        inspector_services.inspector_update(
            actor=actor, inspector=inspector, data={"cert_expires_on": due + dt.timedelta(days=30)}
        )


def _plan_awaiting_approval(org: Organization) -> None:
    year = timezone.localdate().year + 1
    name = f"{org.short_name or org.name}{year}年度“双随机、一公开”抽查计划（送审稿）"
    if SamplingPlan.objects.filter(organization=org, name=name).exists():
        return
    planner = _user(org, "planner")
    items = list(CheckItem.objects.filter(organization=org, is_current=True, status=CheckItem.Status.ACTIVE).order_by("code"))
    if planner is None or not items:
        return
    plan = SamplingPlan.objects.create(
        organization=org, region=org.region, year=year, name=name, doc_no=f"{org.short_name}〔{year}〕1号",
        strata=plan_services.default_strata(), created_by=planner,
    )
    plan.items.set(items)
    actor = actor_for(planner, org)
    with actor_scope(actor):
        plan_services.plan_submit(actor=actor, plan=plan)


def _certificates(orgs: list[Organization]) -> int:
    today = timezone.localdate()
    opened = 0
    for org in orgs:
        admin = _user(org, "admin")
        if admin is None:
            continue
        actor = actor_for(admin, org)
        with actor_scope(actor):
            for inspector in Inspector.objects.filter(
                status=Inspector.Status.ACTIVE, cert_expires_on__range=(today - dt.timedelta(days=30), today + dt.timedelta(days=90))
            ):
                events.emit("inventory.inspector.saved", actor=actor, obj=inspector)
                opened += 1
    return opened


def seed(*, orgs: dict[str, Organization], entities: int, stdout: Any) -> None:
    department = orgs.get(DEPARTMENT)
    if department is None or DueItem.objects.filter(organization=department).exists():
        stdout.write("deadlines demo: nothing to add")
        return
    county = [org for code, org in orgs.items() if code.startswith(COUNTY_PREFIX)]
    _give_emails(county)
    with transaction.atomic():
        draw = _overdue_draw(department, stdout)
        if draw is not None:
            _pending_recusal(department, draw)
        _plan_awaiting_approval(department)
        if JOINT_OFFICE in orgs and JOINT_RECUSING in orgs:
            _late_joint_task(orgs[JOINT_OFFICE], orgs[JOINT_RECUSING], stdout)
        certificates = _certificates([o for o in county if o.kind == Organization.Kind.DEPARTMENT])
        _certificate_due_this_week(department)
    # The scan beat would have run: on the first working day after the filing's due day, 09:00 —
    # the reminders before it are history; the escalation is what the leader and the office see.
    item = DueItem.objects.filter(organization=department, rule=builtin.FILING).first()
    if item is not None:
        day = current_calendar().add_workdays(item.due_on, 1).date
        moment = timezone.make_aware(dt.datetime.combine(min(day, timezone.localdate()), dt.time(9, 0)))
        total, overdue = scan_now(now=moment)
        stdout.write(f"deadlines demo: scan as of {moment:%Y-%m-%d %H:%M}: due {total.due}, overdue {overdue}, sent {total.sent}")
    stdout.write(
        f"deadlines demo: {DueItem.objects.filter(organization__in=county).count()} due items in 阳城县 "
        f"({certificates} certificates); log in as yc_fg_leader or yc_office_leader to see the bell"
    )
