"""The due-item engine: each rule opens and closes its items on its events, counts in working or
calendar days, takes per-organization settings (and an office's default), warns on years counted
Monday–Friday, and a waived item keeps its reason. Draws are made by the ceremony, which emits
their completion; every other event is emitted here directly (with the actor of the service
that emits it), so the engine is tested apart from the rest of sampling's wiring
(tests/deadlines/test_wiring.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines import builtin, services
from deadlines.models import DueItem, RuleSetting, Unit
from deadlines.rules import RULES
from inventory.models import Inspector
from sampling.models import Filing, FilingDecision, RecusalRequest, SamplingPlan
from tenancy import events, timelimits
from tenancy.audit import AuditEntry
from tenancy.context import Role
from tenancy.scoping import actor_scope
from tests.factories import draw_task, make_completed_draw, make_ready_task

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat


def at(text: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(text))


def items(**filters) -> list[DueItem]:
    with scopes_disabled():
        return list(DueItem.objects.filter(**filters).order_by("id"))


def emit(world, org_key, role, event, obj, **data):
    with actor_scope(world.actor(org_key, role)) as actor:
        events.emit(event, actor=actor, obj=obj, **data)


def completed_draw(world, org_key="A1", drawn="2026-12-04T10:00:00"):
    return make_completed_draw(world, org_key, drawn_at=at(drawn), targets=3)


# --- the registries -------------------------------------------------------------------------------


def test_every_handler_subscribes_to_a_declared_event():
    declared = events.declared()
    assert {"sampling.draw.completed", "sampling.filing.submitted", "inventory.inspector.saved"} <= set(declared)
    assert events.HANDLERS, "deadlines subscribes from ready()"
    for handler in events.HANDLERS:
        assert handler.event in declared, handler.key
    for rule in RULES:
        for event in rule.events:
            assert event in declared, (rule.key, event)
        assert rule.source, rule.key


def test_an_undeclared_event_is_refused(world):
    with actor_scope(world.actor("A1")) as actor, pytest.raises(ValueError, match="never declared"):
        events.emit("sampling.draw.complete", actor=actor, obj=None)


def test_the_engine_names_no_later_app():
    import inspect

    import deadlines.rules
    import deadlines.scan
    import deadlines.services

    for module in (deadlines.services, deadlines.scan, deadlines.rules):
        source = inspect.getsource(module)
        assert not re.search(r"^\s*(from|import)\s+(inspections|publication)", source, re.M), module.__name__


# --- filing a draw (阳城: 2 日内报备) ------------------------------------------------------------------


def test_a_completed_draw_is_due_for_filing_in_two_working_days(world):
    draw = completed_draw(world, drawn="2026-12-04T16:30:00")  # a Friday afternoon
    [item] = items(rule=builtin.FILING)
    assert item.organization_id == world.orgs["A1"].pk
    assert item.target_type == "sampling.draw" and item.target_id == str(draw.pk)
    assert item.due_on == D("2026-12-08")  # Monday, Tuesday
    assert item.state == DueItem.State.OPEN and item.assumed_years == []
    assert (item.period, item.unit) == (2, Unit.WORKDAYS)
    assert item.source == "阳城县发改局 2023 方案：随机抽取检查对象和检查人员 2 日内报领导小组办公室备案"
    assert item.escalate_to_id == world.orgs["AO"].pk  # the county's office
    assert item.target_url == f"/sampling/draws/{draw.pk}/file/"
    assert set(item.roles) == {Role.PLANNER, Role.ADMIN}
    with scopes_disabled():
        assert AuditEntry.objects.filter(target_type="deadlines.dueitem", target_id=str(item.pk), action="create").exists()


def test_the_filing_closes_it_and_a_return_reopens_it_from_the_return(world):
    draw = completed_draw(world)
    with scopes_disabled():
        filing = Filing.objects.create(
            organization=draw.organization, region=draw.region, draw=draw, plan=draw.plan, office=world.orgs["AO"],
            submitted_at=timezone.now(), due_at=timezone.now(), record_sha256="x" * 64,
        )
    emit(world, "A1", Role.PLANNER, "sampling.filing.submitted", filing)
    [done] = items(rule=builtin.FILING)
    assert done.state == DueItem.State.DONE and done.closed_at is not None
    assert done.state_by_id == world.user("A1", Role.PLANNER).pk
    # The office acknowledging it is due in turn (its own item), closed by its decision.
    [ack] = items(rule=builtin.FILING_ACK)
    assert ack.organization_id == world.orgs["AO"].pk and ack.state == DueItem.State.OPEN

    with scopes_disabled():
        decision = FilingDecision.objects.create(
            organization=world.orgs["AO"], region=world.orgs["AO"].region, filing=filing,
            decision=FilingDecision.Decision.RETURNED, reason="缺见证人",
        )
        FilingDecision.objects.filter(pk=decision.pk).update(created_at=at("2026-12-10T09:00:00"))
        decision.refresh_from_db()
    emit(world, "AO", Role.LEADER, "sampling.filing.decided", decision)
    assert items(rule=builtin.FILING_ACK)[0].state == DueItem.State.DONE
    again = items(rule=builtin.FILING, state=DueItem.State.OPEN)
    assert [i.due_on for i in again] == [D("2026-12-14")]  # Thursday 10th + 2 working days = Monday


def test_an_acknowledged_filing_does_not_reopen(world):
    draw = completed_draw(world)
    with scopes_disabled():
        filing = Filing.objects.create(
            organization=draw.organization, region=draw.region, draw=draw, plan=draw.plan, office=world.orgs["AO"],
            submitted_at=timezone.now(), due_at=timezone.now(), record_sha256="x" * 64,
        )
        decision = FilingDecision.objects.create(
            organization=world.orgs["AO"], region=world.orgs["AO"].region, filing=filing,
            decision=FilingDecision.Decision.ACKNOWLEDGED,
        )
    emit(world, "A1", Role.PLANNER, "sampling.filing.submitted", filing)
    emit(world, "AO", Role.LEADER, "sampling.filing.decided", decision)
    assert not items(state__in=DueItem.ACTIVE)


def test_an_emitting_service_that_rolls_back_leaves_no_item(world):
    task = make_ready_task(world, "A1", targets=3)
    with pytest.raises(RuntimeError), transaction.atomic():
        draw = draw_task(world, task, drawn_at=at("2026-12-04T10:00:00"))
        assert [i.target_id for i in items(rule=builtin.FILING)] == [str(draw.pk)]
        raise RuntimeError("the service failed after emitting")
    assert items(rule=builtin.FILING) == []


def test_one_active_item_per_rule_and_object(world):
    draw = completed_draw(world)
    emit(world, "A1", Role.PLANNER, "sampling.draw.completed", draw)  # delivered twice: brought up to date
    assert len(items(rule=builtin.FILING)) == 1
    with scopes_disabled(), pytest.raises(IntegrityError), transaction.atomic():
        item = items(rule=builtin.FILING)[0]
        item.pk = None
        item.save()


# --- counting: working days, calendar days, per organization --------------------------------------


def _setting(world, org_key, rule, *, period, unit, source="本单位规定", for_departments=False, enabled=True):
    with actor_scope(world.actor(org_key, Role.ADMIN)) as actor:
        return services.rule_setting_save(
            actor=actor, rule_key=rule, period=period, unit=unit, source=source, enabled=enabled,
            for_departments=for_departments,
        )


def test_an_organization_counts_in_calendar_days_with_its_own_source(world):
    _setting(world, "A1", builtin.FILING, period=2, unit=Unit.DAYS, source="本局规定：抽取后 2 日内报备（自然日）")
    completed_draw(world, "A1", drawn="2026-12-04T16:30:00")
    completed_draw(world, "A2", drawn="2026-12-04T16:30:00")
    a1, a2 = items(rule=builtin.FILING)
    assert a1.due_on == D("2026-12-06") and a1.source == "本局规定：抽取后 2 日内报备（自然日）"  # Sunday
    assert a2.due_on == D("2026-12-08") and a2.source == builtin.FILING_SOURCE  # A2 keeps the default


def test_a_rule_switched_off_opens_nothing(world):
    _setting(world, "A1", builtin.FILING, period=2, unit=Unit.WORKDAYS, enabled=False)
    completed_draw(world)
    assert items(rule=builtin.FILING) == []


def test_settings_are_checked(world):
    with actor_scope(world.actor("A1", Role.ADMIN)) as actor:
        with pytest.raises(ValidationError) as exc:
            services.rule_setting_save(actor=actor, rule_key=builtin.FILING, period=2, unit=Unit.DAYS_BEFORE, source="", enabled=True)
        assert set(exc.value.message_dict) == {"unit", "source"}
    with actor_scope(world.actor("A1", Role.PLANNER)) as actor, pytest.raises(PermissionDenied):
        services.rule_setting_save(actor=actor, rule_key=builtin.FILING, period=3, unit=Unit.DAYS, source="x", enabled=True)
    # A department cannot set its region's defaults; an office cannot for a rule that is not the leaders'.
    with actor_scope(world.actor("A1", Role.ADMIN)) as actor, pytest.raises(PermissionDenied):
        services.rule_setting_save(actor=actor, rule_key=builtin.RECUSAL, period=1, unit=Unit.WORKDAYS, source="x",
                                   enabled=True, for_departments=True)
    with actor_scope(world.actor("AO", Role.ADMIN)) as actor, pytest.raises(PermissionDenied):
        services.rule_setting_save(actor=actor, rule_key=builtin.FILING, period=1, unit=Unit.WORKDAYS, source="x",
                                   enabled=True, for_departments=True)


def _recusal(world, org_key="A1"):
    draw = make_completed_draw(world, org_key, drawn_at=at("2026-12-03T10:00:00"), targets=3)
    with scopes_disabled():
        selection = draw.selections.filter(rank__isnull=False).first()
        inspector = Inspector.objects.get(pk=selection.team[0])
        req = RecusalRequest.objects.create(
            organization=draw.organization, region=draw.region, draw=draw, plan=draw.plan, selection=selection,
            inspector=inspector, reason="与对象负责人系亲属",
        )
        RecusalRequest.objects.filter(pk=req.pk).update(created_at=at("2026-12-04T09:00:00"))
        req.refresh_from_db()
    return req


def test_the_office_sets_the_leaders_default_and_a_department_may_keep_its_own(world):
    _setting(world, "AO", builtin.RECUSAL, period=1, unit=Unit.WORKDAYS, source="阳城县双随机办：回避申请 1 个工作日内审批",
             for_departments=True)
    _setting(world, "A2", builtin.RECUSAL, period=3, unit=Unit.DAYS, source="县文旅局：3 日内")
    for key in ("A1", "A2", "B1"):
        req = _recusal(world, key)
        emit(world, key, Role.INSPECTOR, "sampling.recusal.requested", req)
    a1, a2, b1 = items(rule=builtin.RECUSAL)
    assert (a1.due_on, a1.source) == (D("2026-12-07"), "阳城县双随机办：回避申请 1 个工作日内审批")  # the office's default
    assert (a2.due_on, a2.source) == (D("2026-12-07"), "县文旅局：3 日内")  # its own: 3 calendar days
    assert (b1.due_on, b1.period) == (D("2026-12-08"), 2)  # another county: the rule's default
    assert a1.roles == [Role.LEADER]


def test_an_item_for_another_organization_is_written_as_that_organization(world):
    """An office planner asks for a department inspector's recusal: the department's leader
    decides, so the item is the department's — written by its system actor, not refused."""
    req = _recusal(world, "A1")
    emit(world, "AO", Role.PLANNER, "sampling.recusal.requested", req)
    [item] = items(rule=builtin.RECUSAL)
    assert item.organization_id == world.orgs["A1"].pk
    with scopes_disabled():
        entry = AuditEntry.objects.get(target_type="deadlines.dueitem", target_id=str(item.pk), action="create")
    assert entry.organization_id == world.orgs["A1"].pk and entry.via == "system"
    emit(world, "A1", Role.LEADER, "sampling.recusal.decided", req)
    assert items(rule=builtin.RECUSAL)[0].state == DueItem.State.DONE


# --- the calendar running out ----------------------------------------------------------------------


def test_a_year_nobody_entered_is_counted_monday_to_friday_and_says_so(
    world, platform_admin, django_capture_on_commit_callbacks
):
    completed_draw(world, drawn="2026-12-30T10:00:00")  # a Wednesday
    [item] = items(rule=builtin.FILING)
    # Thursday 31st, then Friday 1 January 2027 — a holiday in fact, but 2027 is not known yet.
    assert item.due_on == D("2027-01-01") and item.assumed_years == [2027]
    assert services.assumed_warning(item.assumed_years) == "2027 年节假日安排尚未录入，按周一至周五推算，可能有误"

    with actor_scope(platform_admin) as actor, django_capture_on_commit_callbacks(execute=True):
        services.holiday_year_save(
            actor=actor, year=2027, source="国务院办公厅关于2027年部分节假日安排的通知（测试）", note="",
            days=[services.DayEntry(D("2027-01-01"), "holiday", "元旦")],
        )
    # Entering the year recounts the item (a system job queued on commit; inline here).
    [item] = items(rule=builtin.FILING)
    assert item.due_on == D("2027-01-04") and item.assumed_years == []


def test_the_filing_time_limit_sampling_asks_for_is_the_engines(world):
    draw = make_completed_draw(world, "A1", drawn_at=at("2026-12-04T16:30:00"), targets=3)
    with actor_scope(world.actor("A1", Role.PLANNER)) as actor:
        due = timelimits.due_at(builtin.FILING, actor=actor, obj=draw, start=draw.drawn_at, default=dt.timedelta(days=9))
        text = timelimits.describe(builtin.FILING, actor=actor, default="")
    assert timezone.localtime(due) == at("2026-12-08T23:59:59")
    assert text.startswith("抽取后 2 个工作日内（阳城县发改局 2023 方案")


# --- waiving ----------------------------------------------------------------------------------------


def test_waiving_needs_a_reason_and_an_admin_or_leader_of_the_owner(world):
    completed_draw(world)
    [item] = items(rule=builtin.FILING)
    for key, role in (("A1", Role.PLANNER), ("AO", Role.ADMIN)):
        with actor_scope(world.actor(key, role)) as actor, pytest.raises(PermissionDenied):
            services.due_item_waive(actor=actor, item=item, reason="x")
    with actor_scope(world.actor("A1", Role.LEADER)) as actor:
        with pytest.raises(ValidationError, match="免除原因"):
            services.due_item_waive(actor=actor, item=item, reason="  ")
        services.due_item_waive(actor=actor, item=item, reason="任务取消，经局务会研究不再报备")
    [item] = items(rule=builtin.FILING)
    assert item.state == DueItem.State.WAIVED and item.state_reason == "任务取消，经局务会研究不再报备"
    assert item.state_by_id == world.user("A1", Role.LEADER).pk and item.closed_at is not None


# --- plans, batches and certificates ---------------------------------------------------------------


def _plan(world, org_key="A1", **fields):
    org = world.orgs[org_key]
    with scopes_disabled():
        fields.setdefault("year", 2026)
        return SamplingPlan.objects.create(organization=org, region=org.region, name="年度计划", **fields)


def test_a_submitted_plan_is_due_for_the_leader_and_closed_by_the_decision(world):
    plan = _plan(world, status=SamplingPlan.Status.SUBMITTED, submitted_at=at("2026-12-04T10:00:00"))
    emit(world, "A1", Role.PLANNER, "sampling.plan.submitted", plan)
    [item] = items(rule=builtin.PLAN_APPROVAL)
    assert item.due_on == D("2026-12-11") and item.roles == [Role.LEADER]
    assert item.target_url == f"/sampling/plans/{plan.pk}/"
    emit(world, "A1", Role.LEADER, "sampling.plan.returned", plan)
    assert items(rule=builtin.PLAN_APPROVAL)[0].state == DueItem.State.DONE


def test_an_approved_plan_is_due_for_its_next_batch(world):
    today = timezone.localdate()
    plan = _plan(world, status=SamplingPlan.Status.APPROVED, year=today.year, frequency="quarterly", batches=4)
    emit(world, "A1", Role.LEADER, "sampling.plan.approved", plan)
    with scopes_disabled():
        batch = builtin.next_batch(plan)
    [item] = items(rule=builtin.BATCH)
    assert item.due_on == batch[2] and batch[1] in item.target_repr
    assert item.unit == Unit.DAYS_BEFORE and item.period == 0


def test_a_certificate_is_due_thirty_days_before_it_expires_and_renewal_closes_it(world):
    org = world.orgs["A1"]
    with scopes_disabled():
        inspector = Inspector.objects.create(organization=org, region=org.region, name="张三", cert_no="C-1",
                                             cert_expires_on=D("2027-03-31"))
    emit(world, "A1", Role.ADMIN, "inventory.inspector.saved", inspector)
    [item] = items(rule=builtin.CERT_EXPIRY)
    assert item.due_on == D("2027-03-01") and item.assumed_years == []
    assert item.target_url == f"/inventory/inspectors/{inspector.pk}/"
    emit(world, "A1", Role.ADMIN, "inventory.inspector.saved", inspector)  # saved again unchanged
    assert len(items(rule=builtin.CERT_EXPIRY)) == 1
    with scopes_disabled():
        Inspector.objects.filter(pk=inspector.pk).update(cert_expires_on=D("2032-03-31"))
        inspector.refresh_from_db()
    emit(world, "A1", Role.ADMIN, "inventory.inspector.saved", inspector)
    old, new = items(rule=builtin.CERT_EXPIRY)
    assert old.state == DueItem.State.DONE and (new.state, new.due_on) == (DueItem.State.OPEN, D("2032-03-01"))
    with scopes_disabled():
        Inspector.objects.filter(pk=inspector.pk).update(status=Inspector.Status.LEFT)
        inspector.refresh_from_db()
    emit(world, "A1", Role.ADMIN, "inventory.inspector.saved", inspector)
    assert not items(rule=builtin.CERT_EXPIRY, state__in=DueItem.ACTIVE)


def test_scoping_of_due_items(world):
    completed_draw(world, "A1")
    completed_draw(world, "B1")
    # Each draw's plan has its own (closed) items too: every row seen is A1's, one of them the filing.
    with actor_scope(world.actor("A1", Role.VIEWER)):
        assert {i.organization_id for i in DueItem.objects.all()} == {world.orgs["A1"].pk}
        assert DueItem.objects.filter(rule=builtin.FILING).count() == 1
    with actor_scope(world.actor("A2", Role.ADMIN)):
        assert DueItem.objects.count() == 0
    with actor_scope(world.actor("AO", Role.VIEWER)):
        assert {i.organization_id for i in DueItem.objects.all()} == {world.orgs["A1"].pk}
        assert DueItem.objects.filter(rule=builtin.FILING).count() == 1
    with scopes_disabled():
        assert RuleSetting.objects.count() == 0
