"""A completed draw makes one inspection per selected target, with its team, its items at the
version in force, its window, one part per department (a joint draw: every department's items
and inspectors in one visit), one dispatch per department with its confirmation due in 1 working
day, the team's grants and an audit entry per inspection."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines.models import DueItem
from inspections import due
from inspections.models import Dispatch, Inspection, InspectionPart
from inspections.policies import TEAM_PERMISSION
from inventory.models import CheckItem, Inspector
from sampling.models import DrawSelection
from tenancy.grants import has_grant, objects_granted
from tenancy.models import AuditEntry
from tenancy.scoping import actor_scope
from tests import factories
from tests.inspections.conftest import drawn, link_inspectors

pytestmark = pytest.mark.django_db


def test_one_inspection_per_selected_target_with_team_items_window_and_audit(world):
    task = factories.make_ready_task(world, "A1", entities=16, inspectors=4)
    with scopes_disabled():
        task.window_start, task.window_end = timezone.localdate(), timezone.localdate() + timezone.timedelta(days=30)
        task.save(update_fields=["window_start", "window_end"])
        [item] = task.items.all()
        # The item is revised after the task chose it: the inspection carries the version in force.
        CheckItem.objects.filter(pk=item.pk).update(is_current=False)
        revised = CheckItem.objects.create(
            organization=item.organization, region=item.region, code=item.code, version=2, name=item.name + "（修订）",
            previous=item,
        )
    link_inspectors(task)
    draw = factories.draw_task(world, task)
    with scopes_disabled():
        selected = list(DrawSelection.objects.filter(draw=draw, status="selected").order_by("rank"))
        inspections = {i.selection_id: i for i in Inspection.objects.filter(draw=draw)}
        assert len(selected) == len(inspections) > 0
        assert DrawSelection.objects.filter(draw=draw, status="reserve").exists()  # reserves get none
        for selection in selected:
            inspection = inspections[selection.pk]
            assert inspection.entity_id == selection.entity_id
            assert inspection.team == selection.team and len(inspection.team) == 2
            assert inspection.status == Inspection.Status.PENDING and inspection.version == 1 and inspection.is_current
            assert (inspection.window_start, inspection.window_end) == (task.window_start, task.window_end)
            [part] = inspection.parts.all()
            assert part.organization_id == world.orgs["A1"].pk and part.inspectors == selection.team
            assert list(part.items.values_list("pk", flat=True)) == [revised.pk]
        entries = AuditEntry.objects.filter(target_type="inspections.inspection", action="create")
        assert entries.count() == len(selected)
        one = entries.get(target_id=str(inspections[selected[0].pk].pk))
        assert one.changes["team"] == [None, selected[0].team] and one.user_id == world.user("A1", "planner").pk
        [dispatch] = Dispatch.objects.filter(draw=draw)
        assert dispatch.organization_id == world.orgs["A1"].pk and dispatch.count == len(selected)
        [item_due] = DueItem.objects.filter(rule=due.CONFIRM, target_id=str(dispatch.pk))
    from deadlines.calendar import current_calendar

    expected = current_calendar().add_workdays(timezone.localdate(draw.drawn_at), 1).date
    assert item_due.due_on == expected and item_due.state == "open" and item_due.organization_id == dispatch.organization_id


def test_every_linked_team_member_holds_the_grant_and_nobody_else(world):
    d = drawn(world, "A1", entities=16, inspectors=5)
    with scopes_disabled():
        inspections = list(Inspection.objects.filter(draw=d.draw))
    for inspector_id in d.users:
        actor = d.actor_of(inspector_id)
        with actor_scope(actor):
            mine = set(objects_granted(actor, TEAM_PERMISSION, Inspection.objects.all()).values_list("pk", flat=True))
        assert mine == {i.pk for i in inspections if inspector_id in i.team}
        for inspection in inspections:
            assert has_grant(actor, TEAM_PERMISSION, inspection) == (inspector_id in inspection.team)


def test_a_draw_makes_its_inspections_once(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    from inspections.services.creation import inspections_create_for_draw

    planner = world.actor("A1", "planner")
    with actor_scope(planner):
        assert inspections_create_for_draw(actor=planner, draw=d.draw) == 0
    with scopes_disabled():
        assert Inspection.objects.filter(draw=d.draw).count() == DrawSelection.objects.filter(draw=d.draw, status="selected").count()


def test_a_joint_draw_makes_one_visit_per_entity_with_a_part_per_department(world):
    d = drawn(world, "AO", entities=12, inspectors=3)
    a1, a2 = world.orgs["A1"], world.orgs["A2"]
    with scopes_disabled():
        inspections = list(Inspection.objects.filter(draw=d.draw).prefetch_related("parts__items"))
        org_of = dict(Inspector.objects.filter(organization__in=[a1, a2]).values_list("pk", "organization_id"))
        items_of = {o.pk: set(CheckItem.objects.filter(organization=o).values_list("pk", flat=True)) for o in (a1, a2)}
        assert inspections and len({i.entity_id for i in inspections}) == len(inspections)
        for inspection in inspections:
            assert inspection.organization_id == world.orgs["AO"].pk
            parts = {p.organization_id: p for p in inspection.parts.all()}
            assert set(parts) == {a1.pk, a2.pk}
            for org_id, part in parts.items():
                assert part.inspectors and all(org_of[i] == org_id for i in part.inspectors)
                assert {i.pk for i in part.items.all()} <= items_of[org_id] and part.items.exists()
            assert sorted(parts[a1.pk].inspectors + parts[a2.pk].inspectors) == sorted(inspection.team)
        dispatches = {x.organization_id: x for x in Dispatch.objects.filter(draw=d.draw)}
        assert set(dispatches) == {a1.pk, a2.pk}
        # One confirmation due per department, each owned by the department.
        owners = set(DueItem.objects.filter(rule=due.CONFIRM).values_list("organization_id", flat=True))
        assert owners == {a1.pk, a2.pk}
    # Each department sees the visits through the joint plan; the other county does not.
    for key, expected in (("A1", len(inspections)), ("A2", len(inspections)), ("B1", 0)):
        with actor_scope(world.actor(key, "planner")):
            assert Inspection.objects.filter(draw_id=d.draw.pk).count() == expected
            assert InspectionPart.objects.filter(inspection__draw_id=d.draw.pk).count() == expected * 2
