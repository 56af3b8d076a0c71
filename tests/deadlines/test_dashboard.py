"""What is due, at a glance (issue 11, point 5): the dashboard's panels, each loaded by a request
of its own — a user's 本周待办 and 已逾期 (their organization and a role they hold, assigned to
them, or about themselves), a leader's organization's items, the office's region's late items by
department, and each joint task's milestones per participating department with who is late.
Items are opened by the real services and events; the assertions read the rendered panels."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines import builtin
from deadlines.calendar import current_calendar
from deadlines.dashboard import PANEL_ROWS, week_end
from deadlines.models import DueItem
from deadlines.rules import RULES
from deadlines.services import item_open
from inventory.models import Inspector
from inventory.services import inspectors as inspector_services
from sampling.models import Draw, DrawSelection, PlanParticipant, RecusalRequest, SamplingPlan, SamplingTask
from sampling.services import draws as draw_services
from sampling.services import filings as filing_services
from sampling.services import recusals as recusal_services
from tenancy import dashboard, events
from tenancy.context import Role
from tenancy.scoping import actor_scope
from tests.factories import (
    make_completed_draw,
    make_late_due_item,
    make_ready_task,
    make_submitted_plan,
    marker,
)

pytestmark = pytest.mark.django_db

FILING_SOURCE = "阳城县发改局 2023 方案：随机抽取检查对象和检查人员 2 日内报领导小组办公室备案"
CERT_SOURCE = "执法证有效期：到期前 30 日提醒换证（证件过期的人员不参与抽取）"


def client_of(world, org: str, role: str) -> Client:
    client = Client()
    client.force_login(world.user(org, role), backend="django.contrib.auth.backends.ModelBackend")
    return client


def panel(world, org: str, role: str, name: str) -> str:
    response = client_of(world, org, role).get(reverse(f"deadlines:panel_{name}"))
    assert response.status_code == 200, (org, role, name, response.status_code)
    return response.content.decode()


def table(body: str, testid: str) -> str:
    """The rows of the panel's table ``testid`` ("" when the panel has none)."""
    found = re.search(rf'data-testid="{testid}">(.*?)</table>', body, re.S)
    return found.group(1) if found else ""


def count(body: str, testid: str) -> int:
    return int(re.search(rf'data-testid="{testid}">(\d+)<', body).group(1))


def next_workday() -> dt.date:
    today = timezone.localdate()
    calendar = current_calendar()
    return today if calendar.is_workday(today) else calendar.add_workdays(today, 1).date


def certificate(world, org: str, name: str, expires: dt.date, user=None) -> Inspector:
    """An inspector added through the inventory service (its event opens the renewal item)."""
    actor = world.actor(org, Role.ADMIN)
    data = {"name": name, "cert_no": f"CERT-{org}-{name}", "cert_expires_on": expires}
    if user is not None:
        data["user"] = user
    with actor_scope(actor):
        return inspector_services.inspector_create(actor=actor, data=data)


def plan_waiting_for_the_leader(world, org: str) -> SamplingPlan:
    plan = make_submitted_plan(world, org)
    with scopes_disabled():
        SamplingPlan.objects.filter(pk=plan.pk).update(submitted_at=timezone.now())
        plan.refresh_from_db()
    with actor_scope(world.actor(org, Role.PLANNER)) as actor:
        item_open(rule=RULES.get(builtin.PLAN_APPROVAL), subject=plan, actor=actor, event="test")
    return plan


def items_of(org_key: str, world) -> list[DueItem]:
    with scopes_disabled():
        return list(DueItem.objects.filter(organization=world.orgs[org_key], state__in=DueItem.ACTIVE))


# --------------------------------------------------------------------------------------------
# A department's planner, inspector and leader


def test_a_planner_sees_the_late_filing_and_this_weeks_certificate_with_rule_source_and_whose_action(world):
    late = make_late_due_item(world, "A1")
    this_week = certificate(world, "A1", "王本周", next_workday() + dt.timedelta(days=30))
    certificate(world, "A1", "李下周", week_end(timezone.localdate()) + dt.timedelta(days=31))
    plan = plan_waiting_for_the_leader(world, "A1")  # the leader's action, not the planner's
    make_late_due_item(world, "A2")
    make_late_due_item(world, "B1")

    body = panel(world, "A1", Role.PLANNER, "mine")
    assert count(body, "mine-late-count") == 1 and count(body, "mine-week-count") == 1
    rows = table(body, "mine-late")
    assert late.target_repr in rows and f'href="{late.target_url}"' in rows
    assert "抽取结果报送备案" in rows and FILING_SOURCE in rows and "管理员、计划编制" in rows
    assert late.due_on.isoformat() in rows and "逾期" in rows
    week = table(body, "mine-week")
    with scopes_disabled():
        cert_item = DueItem.objects.get(rule=builtin.CERT_EXPIRY, target_id=str(this_week.pk))
    assert "王本周" in week and "执法证到期换证" in week and CERT_SOURCE in week
    assert cert_item.due_on.isoformat() in week and cert_item.due_on == next_workday()
    assert "李下周" not in body and plan.name not in body
    assert marker("A2") not in body and marker("B1") not in body
    # The dashboard itself only holds the placeholder: the rows come with the panel's request.
    home = client_of(world, "A1", Role.PLANNER).get("/").content.decode()
    assert f'hx-get="{reverse("deadlines:panel_mine")}"' in home and 'hx-trigger="load"' in home
    assert "王本周" not in home and 'data-testid="panel-deadlines-organization"' not in home


def test_an_inspector_sees_their_own_certificate_and_nothing_of_the_planners(world):
    user = world.user("A1", Role.INSPECTOR)
    certificate(world, "A1", "本人甲", next_workday() + dt.timedelta(days=30), user=user)
    certificate(world, "A1", "同事乙", next_workday() + dt.timedelta(days=30))
    make_late_due_item(world, "A1")

    body = panel(world, "A1", Role.INSPECTOR, "mine")
    assert count(body, "mine-week-count") == 1 and count(body, "mine-late-count") == 0
    week = table(body, "mine-week")
    assert "本人甲" in week and ">本人<" in week
    assert "同事乙" not in body and "抽取结果报送备案" not in body
    assert 'data-testid="mine-late-none"' in body
    # The planner acts on both renewals (admins and planners keep the registry).
    planner = panel(world, "A1", Role.PLANNER, "mine")
    assert count(planner, "mine-week-count") == 2 and "本人甲" in planner and "同事乙" in planner


def test_a_leader_sees_the_departments_items_late_and_open_with_the_warning_of_an_assumed_year(world):
    make_late_due_item(world, "A1")
    certificate(world, "A1", "王本周", next_workday() + dt.timedelta(days=30))
    # Drawn on 30 December: its 2 working days run into 2027, which nobody has entered.
    draw = make_completed_draw(world, "A1", targets=3, drawn_at=timezone.make_aware(dt.datetime(2026, 12, 30, 10)))
    plan = plan_waiting_for_the_leader(world, "A1")
    make_late_due_item(world, "A2")

    body = panel(world, "A1", Role.LEADER, "organization")
    assert count(body, "org-count-late") == 1 and count(body, "org-count-open") == 3
    assert len(items_of("A1", world)) == 4
    open_rows = table(body, "org-open")
    assert "王本周" in open_rows and plan.name in open_rows and draw.task.name in open_rows
    assert "2027-01-01" in open_rows
    assert 'data-testid="assumed-warning"' in open_rows
    assert "2027 年节假日安排尚未录入，按周一至周五推算，可能有误" in open_rows
    assert "分管领导" in open_rows and "管理员、计划编制" in open_rows  # every role's items
    assert marker("A2") not in body
    # The leader's own: the plan waits for them; the filings are the planners'.
    mine = panel(world, "A1", Role.LEADER, "mine")
    assert count(mine, "mine-late-count") == 0 and "抽取结果报送备案" not in mine
    # Only leaders get the organization's panel, and only a department's leader has it on the dashboard.
    assert client_of(world, "A1", Role.PLANNER).get(reverse("deadlines:panel_organization")).status_code == 403
    home = client_of(world, "A1", Role.LEADER).get("/").content.decode()
    assert re.findall(r'data-testid="panel-([\w-]+)"', home) == ["deadlines-mine", "deadlines-organization"]


# --------------------------------------------------------------------------------------------
# The office


def test_the_office_sees_its_regions_late_items_by_department_and_none_of_another_county(world):
    a1 = [make_late_due_item(world, "A1") for _ in range(2)]
    a2 = make_late_due_item(world, "A2")
    certificate(world, "A1", "王本周", next_workday() + dt.timedelta(days=30))  # open, not late
    make_late_due_item(world, "B1")

    body = panel(world, "AO", Role.LEADER, "region")
    assert count(body, "region-total") == 3
    groups = re.findall(r'data-testid="region-org">([^<]+)<.*?data-testid="region-count">(\d+)', body, re.S)
    assert groups == [("测试单位A1", "2"), ("测试单位A2", "1")]
    for item in [*a1, a2]:
        assert item.target_repr in body
    assert body.count(FILING_SOURCE) == 3 and "王本周" not in body and marker("B1") not in body
    # The other county's office sees its own department only.
    other = panel(world, "BO", Role.PLANNER, "region")
    assert count(other, "region-total") == 1 and marker("B1") in other and marker("A1") not in other
    # Departments do not have the office's panels.
    assert client_of(world, "A1", Role.LEADER).get(reverse("deadlines:panel_region")).status_code == 403
    home = client_of(world, "AO", Role.VIEWER).get("/").content.decode()
    # Deadlines' panels (later apps add theirs: inspections' 综合查一次 for an office).
    panels = [p for p in re.findall(r'data-testid="panel-([\w-]+)"', home) if p.startswith("deadlines-")]
    assert panels == ["deadlines-mine", "deadlines-region", "deadlines-joint"]


def test_a_long_group_lists_its_first_rows_and_counts_them_all(world):
    items = [make_late_due_item(world, "A1") for _ in range(PANEL_ROWS + 2)]
    make_late_due_item(world, "A2")
    body = panel(world, "AO", Role.ADMIN, "region")
    groups = re.findall(r'data-testid="region-org">([^<]+)<.*?data-testid="region-count">(\d+)', body, re.S)
    assert groups == [("测试单位A1", str(PANEL_ROWS + 2)), ("测试单位A2", "1")]
    assert body.count('data-testid="due-row"') == PANEL_ROWS + 1
    assert f"列出最早到期的 {PANEL_ROWS} 项，共 {PANEL_ROWS + 2} 项" in body
    leader = panel(world, "A1", Role.LEADER, "organization")
    assert count(leader, "org-count-late") == PANEL_ROWS + 2 and leader.count('data-testid="due-row"') == PANEL_ROWS
    assert f"查看全部 {PANEL_ROWS + 2} 项" in leader and len(items) == PANEL_ROWS + 2


def _joint_task(world) -> SamplingTask:
    make_ready_task(world, "A1", entities=12, inspectors=3)
    make_ready_task(world, "A2", entities=12, inspectors=3)
    office = world.orgs["AO"]
    with scopes_disabled():
        plan = SamplingPlan.objects.create(
            organization=office, region=office.region, kind=SamplingPlan.Kind.JOINT, year=2026,
            name="测试县2026年度部门联合抽查计划", status=SamplingPlan.Status.APPROVED,
            strata=[{"stratum": s, "count": 1} for s in "ABCD"],
        )
        for dept in ("A1", "A2"):
            PlanParticipant.objects.create(organization=office, region=office.region, plan=plan, department=world.orgs[dept])
        return SamplingTask.objects.create(
            organization=office, region=office.region, plan=plan, batch_no=1, name="2026年第一季度联合抽查",
            uid="AO-JOINT-2026-1", status=SamplingTask.Status.READY,
        )


def cells(body: str) -> dict[tuple[str, str], str]:
    """(department code, milestone key) -> the cell's state, and its text under "…:text"."""
    found: dict[tuple[str, str], str] = {}
    for code, row in re.findall(r'data-testid="joint-row" data-department="([^"]+)">(.*?)</tr>', body, re.S):
        for key, state, text in re.findall(
            r'data-milestone="([^"]+)" data-state="(\w+)" data-testid="joint-cell">(.*?)</td>', row, re.S
        ):
            found[(code, key)] = state
            found[(code, key + ":text")] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()
    return found


def test_a_joint_tasks_milestones_per_department_and_who_is_late(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = _joint_task(world)
    # Not drawn, its batch (2026 Q1) long over: the office is late drawing, for both departments.
    body = panel(world, "AO", Role.LEADER, "joint")
    table_ = cells(body)
    assert table_[("T-A1", "sampling.drawn")] == "late" and table_[("T-A2", "sampling.drawn")] == "late"
    assert "2026-03-31" in table_[("T-A1", "sampling.drawn:text")] and "办理：AO" in table_[("T-A1", "sampling.drawn:text")]
    assert table_[("T-A1", "sampling.filed")] == "waiting"
    assert re.search(r'data-testid="joint-late">逾期：AO（抽取）<', body)

    office = world.actor("AO", Role.PLANNER)
    with actor_scope(office):
        draw = draw_services.draw_run(actor=office, task=task, public_entropy="x", witnesses=["见证人"])
    drawn = timezone.now() - dt.timedelta(days=10)
    with scopes_disabled():
        Draw.objects.filter(pk=draw.pk).update(drawn_at=drawn)
        draw.refresh_from_db()
    with actor_scope(office):
        events.emit("sampling.draw.completed", actor=office, obj=draw)  # the filing counted from then
    # An A2 inspector cannot go; the A2 leader has not decided in 2 working days.
    planner = world.actor("A2", Role.PLANNER)
    with actor_scope(planner):
        selection = DrawSelection.objects.get(draw=draw, rank=1)
        member = Inspector.objects.get(pk__in=selection.team, organization=world.orgs["A2"])
        req = recusal_services.recusal_request(
            actor=planner, draw=Draw.objects.get(pk=draw.pk), selection=selection, inspector=member,
            kind=RecusalRequest.Kind.ABSENCE, reason="培训",
        )
        RecusalRequest.objects.filter(pk=req.pk).update(created_at=drawn)
        req.refresh_from_db()
        events.emit("sampling.recusal.requested", actor=planner, obj=req)

    body = panel(world, "AO", Role.LEADER, "joint")
    table_ = cells(body)
    day = timezone.localdate(drawn).isoformat()
    assert table_[("T-A1", "sampling.drawn")] == table_[("T-A2", "sampling.drawn")] == "done"
    assert day in table_[("T-A1", "sampling.drawn:text")] and "每组本部门 1 人" in table_[("T-A1", "sampling.drawn:text")]
    assert table_[("T-A1", "sampling.recusals")] == "none" and "无回避申请" in table_[("T-A1", "sampling.recusals:text")]
    assert table_[("T-A2", "sampling.recusals")] == "late"
    assert "办理：A2" in table_[("T-A2", "sampling.recusals:text")] and "1 件待审批" in table_[("T-A2", "sampling.recusals:text")]
    assert table_[("T-A1", "sampling.filed")] == table_[("T-A2", "sampling.filed")] == "late"
    assert "办理：AO" in table_[("T-A2", "sampling.filed:text")]
    assert table_[("T-A2", "sampling.acknowledged")] == "waiting"
    assert re.search(r'data-testid="joint-late">逾期：AO（报送备案）；A2（回避审批）<', body)
    assert body.count('data-testid="joint-row"') == 2
    # The other county's office has no joint task; a department has no such panel.
    assert 'data-testid="joint-none"' in panel(world, "BO", Role.LEADER, "joint")
    assert client_of(world, "A2", Role.LEADER).get(reverse("deadlines:panel_joint")).status_code == 403

    # The A2 leader decides; the office files the draw with itself (acknowledged at once).
    leader = world.actor("A2", Role.LEADER)
    with actor_scope(leader):
        recusal_services.recusal_decide(actor=leader, request=RecusalRequest.objects.get(pk=req.pk), approve=True)
    with actor_scope(office):
        filing_services.filing_submit(actor=office, draw=Draw.objects.get(pk=draw.pk))
    body = panel(world, "AO", Role.LEADER, "joint")
    table_ = cells(body)
    today = timezone.localdate().isoformat()
    assert table_[("T-A2", "sampling.recusals")] == "done" and "1 件已审批" in table_[("T-A2", "sampling.recusals:text")]
    assert table_[("T-A1", "sampling.filed")] == "done" and today in table_[("T-A1", "sampling.filed:text")]
    assert table_[("T-A2", "sampling.acknowledged")] == "done"
    assert "本办组织，报送即确认" in table_[("T-A2", "sampling.acknowledged:text")]
    assert 'data-testid="joint-on-time"' in body and 'data-testid="joint-late"' not in body


# --------------------------------------------------------------------------------------------
# The mechanism


def test_the_dashboard_renders_registered_panels_generically_and_keeps_its_cards(world):
    make_late_due_item(world, "A1")
    extra = dashboard.DashboardPanel(
        key="tests.viewers", title="测试面板", url_name="deadlines:panel_mine", visible=lambda a: a.has_role(Role.VIEWER),
        order=5,
    )
    dashboard.PANELS.register(extra)
    try:
        viewer = client_of(world, "A1", Role.VIEWER).get("/").content.decode()
        planner = client_of(world, "A1", Role.PLANNER).get("/").content.decode()
    finally:
        dashboard.PANELS.unregister(extra.key)
    assert re.findall(r'data-testid="panel-([\w-]+)"', viewer) == ["tests-viewers", "deadlines-mine"]
    assert "测试面板" in viewer and "测试面板" not in planner
    # The cards are still there, computed with the page.
    assert re.search(r'data-testid="card-due-items">\s*<div class="value">1</div>', planner)


def test_week_end_is_the_last_working_day_of_the_week_of_the_next_working_day():
    assert week_end(dt.date(2026, 12, 2)) == dt.date(2026, 12, 4)  # a Wednesday: that Friday
    assert week_end(dt.date(2026, 12, 5)) == dt.date(2026, 12, 11)  # a Saturday: the coming week
    # 2026's National Day: 1–7 October off, Saturday 10 October worked — the week ends on the 10th.
    assert week_end(dt.date(2026, 10, 3)) == dt.date(2026, 10, 10)
