"""Due items of inspections on the working-day clock — the dispatch confirmed in 1 working day
(曲阳 §17), the result entered 5 working days after the inspection ends (曲阳 §20), each
follow-up measure by its own deadline — opened and closed by the services; follow-up measures
from added to closed; a task's progress and an inspector's list by due date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines.calendar import current_calendar
from deadlines.models import DueItem
from inspections import due
from inspections.models import Dispatch, Handling, HandlingStep, Inspection, InspectionPart
from inspections.selectors.inspections import my_inspections
from inspections.selectors.progress import task_progress
from inspections.services import handling as handling_svc
from inspections.services import inspections as svc
from inspections.services import reviews
from tenancy.scoping import actor_scope
from tests.inspections.conftest import drawn
from tests.inspections.support import confirm_all, fill, first, fresh, member_of, submit

pytestmark = pytest.mark.django_db


def _items(rule: str, **filters) -> list[DueItem]:
    with scopes_disabled():
        return list(DueItem.objects.filter(rule=rule, **filters).order_by("id"))


def test_the_dispatch_is_due_in_one_working_day_and_closed_by_confirming_it(world):
    d = drawn(world, "A1", entities=16, inspectors=4)
    with scopes_disabled():
        dispatch = Dispatch.objects.get(draw=d.draw)
        total = Inspection.objects.filter(draw=d.draw).count()
    [item] = _items(due.CONFIRM, target_id=str(dispatch.pk))
    assert item.state == "open" and item.roles == ["planner", "admin", "leader"]
    inspector = member_of(d, first(d))
    with actor_scope(inspector), pytest.raises(PermissionDenied):
        svc.dispatch_confirm(actor=inspector, dispatch=dispatch)
    planner = world.actor("A1", "planner")
    with actor_scope(planner):
        assert svc.dispatch_confirm(actor=planner, dispatch=dispatch, note="与名录库比对一致") == total
    [item] = _items(due.CONFIRM, target_id=str(dispatch.pk))
    assert item.state == "done"
    with scopes_disabled():
        assert set(Inspection.objects.filter(draw=d.draw).values_list("status", flat=True)) == {"todo"}
        assert not InspectionPart.objects.filter(inspection__draw=d.draw, confirmed_at__isnull=True).exists()
        assert Dispatch.objects.get(pk=dispatch.pk).confirmed_by_id == world.user("A1", "planner").pk


def test_the_result_is_due_five_working_days_after_the_inspection_ends(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    with scopes_disabled():
        part = InspectionPart.objects.get(inspection=inspection)
    actor = member_of(d, inspection)
    ended = timezone.localdate(d.draw.drawn_at)
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=inspection, visit={"method": "onsite"})
    assert _items(due.RESULT) == []  # not ended yet: nothing due
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=inspection, visit={"started_on": ended, "ended_on": ended})
    [item] = _items(due.RESULT, target_id=str(part.pk))
    assert item.due_on == current_calendar().add_workdays(ended, 5).date and item.state == "open"
    assert item.organization_id == world.orgs["A1"].pk and item.roles == ["inspector"]
    rows = [r for r in _mine(d, inspection) if r.inspection.pk == inspection.pk]
    assert rows[0].due_on == item.due_on

    fill(d, inspection)
    submit(d, inspection)
    assert [i.state for i in _items(due.RESULT, target_id=str(part.pk))] == ["done"]
    leader = world.actor("A1", "leader")
    with actor_scope(leader):
        reviews.inspection_return(actor=leader, inspection=inspection, comment="请补充检查情况")
    items = _items(due.RESULT, target_id=str(part.pk))
    assert [i.state for i in items] == ["done", "open"]
    returned_on = timezone.localdate()
    assert items[1].due_on == current_calendar().add_workdays(returned_on, 5).date
    submit(d, inspection)
    assert [i.state for i in _items(due.RESULT, target_id=str(part.pk))] == ["done", "done"]


def _mine(d, inspection):
    actor = member_of(d, inspection)
    with actor_scope(actor):
        return my_inspections(actor=actor)


def test_follow_up_from_added_to_closed_with_its_due_item_and_history(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection, clean = first(d), None
    with scopes_disabled():
        clean = Inspection.objects.filter(draw=d.draw).exclude(pk=inspection.pk).order_by("pk").first()
    for visit in (inspection, clean):
        confirm_all(world, visit)
    fill(d, inspection, status="abnormal", results=["05"], result_reason="消防通道堵塞")
    submit(d, inspection)
    fill(d, clean)
    submit(d, clean)
    planner = world.actor("A1", "planner")
    today = timezone.localdate()
    with actor_scope(planner):
        with pytest.raises(ValidationError) as caught:
            handling_svc.handling_add(actor=planner, inspection=fresh(clean), measure="rectify", due_on=today)
        assert caught.value.message_dict == {"measure": ["检查结果未发现问题，无需后续处置。"]}
        with pytest.raises(ValidationError) as caught:
            handling_svc.handling_add(actor=planner, inspection=fresh(inspection), measure="rectify")
        assert caught.value.message_dict == {"due_on": ["责令改正须写明整改期限。"]}
        with pytest.raises(ValidationError) as caught:
            handling_svc.handling_add(actor=planner, inspection=fresh(inspection), measure="judicial")
        assert caught.value.message_dict == {"transfer_to_name": ["请填写移送的司法机关。"]}
        deadline = today + dt.timedelta(days=10)
        rectify = handling_svc.handling_add(
            actor=planner, inspection=fresh(inspection), measure="rectify", due_on=deadline, description="限期清理消防通道",
        )
        penalty = handling_svc.handling_add(actor=planner, inspection=fresh(inspection), measure="penalty")
    [item] = _items(due.HANDLING, target_id=str(rectify.pk))
    assert item.due_on == deadline and item.state == "open"
    assert _items(due.HANDLING, target_id=str(penalty.pk)) == []  # no deadline, nothing due

    with actor_scope(planner):
        with pytest.raises(ValidationError):  # a stale revision
            handling_svc.handling_update(actor=planner, handling=rectify, revision=rectify.revision - 1, status="recheck")
        later = deadline + dt.timedelta(days=5)
        rectify = handling_svc.handling_update(
            actor=planner, handling=rectify, revision=rectify.revision, status="recheck", due_on=later, note="申请延期",
        )
        with pytest.raises(ValidationError) as caught:
            handling_svc.handling_close(actor=planner, handling=rectify, outcome="已整改")
        assert caught.value.message_dict == {"recheck_result": ["责令改正须复查后办结，请填写复查结果。"]}
        with pytest.raises(ValidationError) as caught:
            handling_svc.handling_close(actor=planner, handling=penalty, outcome="已处罚")
        assert caught.value.message_dict == {"case_no": ["行政处罚须填写案件编号。"]}
        progress = task_progress(actor=planner, task=d.draw.task)
        assert (progress.problems, progress.handled, progress.inspected) == (1, 0, 2)
        handling_svc.handling_close(actor=planner, handling=rectify, outcome="已整改", recheck_result="复查通道畅通")
        handling_svc.handling_close(actor=planner, handling=penalty, outcome="罚款", case_no="阳文旅罚〔2026〕3号")
        progress = task_progress(actor=planner, task=d.draw.task)
    assert (progress.problems, progress.handled) == (1, 1)
    with scopes_disabled():
        assert Inspection.objects.filter(draw=d.draw).count() == progress.drawn
        assert progress.confirmed == 2 and progress.approved == 0
    assert [(i.due_on, i.state) for i in _items(due.HANDLING, target_id=str(rectify.pk))] == [(later, "done")]
    with scopes_disabled():
        steps = list(HandlingStep.objects.filter(handling=rectify).values_list("status_from", "status_to", "note"))
        assert steps == [("", "open", "限期清理消防通道"), ("open", "recheck", "申请延期"), ("recheck", "closed", "已整改")]
        assert Handling.objects.get(pk=rectify.pk).recheck_on is not None


def test_the_offices_joint_milestones_count_each_departments_inspected_and_approved(world):
    from deadlines.milestones import MILESTONES, JointTaskFacts

    d = drawn(world, "AO", entities=12, inspectors=3)
    inspection = first(d)
    confirm_all(world, inspection)
    fill(d, inspection)
    submit(d, inspection)
    with actor_scope(world.actor("A1", "leader")) as leader:
        reviews.inspection_approve(actor=leader, inspection=fresh(inspection))
    with scopes_disabled():
        total = Inspection.objects.filter(draw=d.draw).count()
    office = world.actor("AO", "leader")
    with actor_scope(office):
        facts = JointTaskFacts(d.draw.task)
        cells = {
            (key, dept): MILESTONES.get(key).state(facts, world.orgs[dept])
            for key in ("inspections.inspected", "inspections.approved") for dept in ("A1", "A2")
        }
    assert cells[("inspections.inspected", "A1")].note == f"1/{total} 户"
    assert cells[("inspections.inspected", "A2")].note == f"1/{total} 户"
    # Approved by A1's leader only: the visit waits for A2's, so neither department counts it yet.
    assert cells[("inspections.approved", "A1")].note == f"0/{total} 户"
    assert all(c.state in ("open", "late") for c in cells.values())


def test_a_platform_administrator_adds_a_finer_code_under_a_group(world):
    from inspections.models import ResultCode
    from inspections.services.codes import result_code_save
    from tenancy.models import Membership, Organization

    with scopes_disabled():
        platform = Organization.objects.create(kind="platform", region=world.regions["SX"], code="T-P", name="省平台")
        Membership.objects.create(user=world.user("A1", "admin"), organization=platform, region=platform.region, is_admin=True)
    from tenancy.actors import actor_for

    admin = actor_for(world.user("A1", "admin"), platform)
    with actor_scope(world.actor("A1", "admin")) as department_admin, pytest.raises(PermissionDenied):
        result_code_save(actor=department_admin, code="05-01", name="违反消防规定")
    group = ResultCode.objects.get(code="05")
    with actor_scope(admin):
        finer = result_code_save(actor=admin, code="05-01", name="违反消防安全规定", parent=group, is_problem=True,
                                 needs_followup=True)
        with pytest.raises(ValidationError) as caught:
            result_code_save(actor=admin, code="05", name=group.name, parent=finer)
    assert caught.value.message_dict == {"parent": ["上级代码不能是它自己或它的下级。"]}
    assert finer.parent_id == group.pk and finer.is_problem
    # The group is now chosen through its children.
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    actor = member_of(d, inspection)
    with actor_scope(actor), pytest.raises(ValidationError) as caught:
        svc.inspection_save(actor=actor, inspection=inspection, visit={"results": ["05"]})
    assert caught.value.message_dict == {"results": ["“发现问题待后续处理”是分组，请选择其下的具体结果。"]}
