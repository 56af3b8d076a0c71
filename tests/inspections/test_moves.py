"""After the draw: a substitute joins the team (the inspection's team, its parts and the grants
follow); a reserve replaces a target (an untouched inspection moves, one holding work is closed
as replaced and a new one opened) — never two open inspections for one draw position."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from inspections.models import Inspection
from inspections.policies import TEAM_PERMISSION
from inspections.services import inspections as svc
from inventory.models import Inspector
from sampling.models import DrawSelection, Substitution, TargetReplacement
from sampling.services import recusals as recusal_services
from tenancy.grants import has_grant
from tenancy.scoping import actor_scope
from tests.inspections.conftest import drawn
from tests.inspections.support import first, fresh, member_of, points_of

pytestmark = pytest.mark.django_db


def test_a_substitute_takes_the_place_and_the_grant_of_the_recused_inspector(world):
    d = drawn(world, "A1", entities=16, inspectors=5)
    inspection = first(d)
    out_id = inspection.team[0]
    planner, leader = world.actor("A1", "planner"), world.actor("A1", "leader")
    with actor_scope(planner):
        selection = DrawSelection.objects.get(pk=inspection.selection_id)
        req = recusal_services.recusal_request(
            actor=planner, draw=d.draw, selection=selection, inspector=Inspector.objects.get(pk=out_id),
            kind="recusal", reason="与负责人系亲属",
        )
    with actor_scope(leader):
        recusal_services.recusal_decide(actor=leader, request=req, approve=True, note="同意")
        selection.refresh_from_db()
    with scopes_disabled():
        sub = Substitution.objects.get(draw=d.draw)
        [part] = fresh(inspection).parts.all()
    after = fresh(inspection)
    assert after.team == selection.team and sub.in_inspector_id in after.team and out_id not in after.team
    assert part.inspectors == after.team
    assert not has_grant(d.actor_of(out_id), TEAM_PERMISSION, after)
    assert has_grant(d.actor_of(sub.in_inspector_id), TEAM_PERMISSION, after)
    with scopes_disabled():
        assert Inspection.objects.filter(selection=selection).count() == 1


def _replace(world, d, inspection) -> TargetReplacement:
    leader = world.actor("A1", "leader")
    with actor_scope(leader):
        selection = DrawSelection.objects.get(pk=inspection.selection_id)
        rep = recusal_services.replacement_create(actor=leader, draw=d.draw, selection=selection, reason="经营场所无法联系")
    return rep


def test_an_untouched_inspection_moves_to_the_replacement_target(world):
    d = drawn(world, "A1", entities=16, inspectors=5)
    inspection = first(d)
    with scopes_disabled():
        before = Inspection.objects.filter(draw=d.draw).count()
    rep = _replace(world, d, inspection)
    moved = fresh(inspection)
    with scopes_disabled():
        new_selection = DrawSelection.objects.get(pk=rep.replacement_id)
        assert Inspection.objects.filter(draw=d.draw).count() == before
    assert moved.selection_id == new_selection.pk and moved.entity_id == new_selection.entity_id
    assert moved.status == Inspection.Status.PENDING and moved.team == new_selection.team


def test_an_inspection_holding_work_is_closed_as_replaced_and_a_new_one_opened(world):
    d = drawn(world, "A1", entities=16, inspectors=5)
    inspection = first(d)
    actor = member_of(d, inspection)
    [p1, _p2] = points_of(inspection)
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=inspection, answers={p1.pk: {"status": "abnormal", "note": "门店关闭"}})
    rep = _replace(world, d, inspection)
    old = fresh(inspection)
    assert old.status == Inspection.Status.REPLACED and old.selection_id == rep.replaced_id
    with scopes_disabled():
        new = Inspection.objects.get(replaces=old)
        active = Inspection.objects.filter(draw=d.draw).exclude(status="replaced")
        assert active.filter(selection_id=rep.replacement_id).count() == 1
        assert not active.filter(selection_id=rep.replaced_id).exists()
        assert new.parts.count() == 1 and new.status == Inspection.Status.PENDING
    assert has_grant(d.actor_of(new.team[0]), TEAM_PERMISSION, new)


def test_a_joint_visits_substitute_is_decided_by_the_inspectors_own_leader_and_moves_the_grant(world):
    d = drawn(world, "AO", entities=12, inspectors=3)
    inspection = first(d)
    a2 = world.orgs["A2"].pk
    out_id = next(i for i in inspection.team if d.actor_of(i).organization_id == a2)
    office = world.actor("AO", "planner")
    with actor_scope(office):
        selection = DrawSelection.objects.get(pk=inspection.selection_id)
        req = recusal_services.recusal_request(
            actor=office, draw=d.draw, selection=selection, inspector=Inspector.objects.get(pk=out_id),
            kind="absence", reason="外出培训",
        )
    leader = world.actor("A2", "leader")
    with actor_scope(leader):
        recusal_services.recusal_decide(actor=leader, request=req, approve=True, note="同意")
    with scopes_disabled():
        sub = Substitution.objects.get(draw=d.draw)
        parts = {p.organization_id: p for p in fresh(inspection).parts.all()}
    after = fresh(inspection)
    assert sub.in_inspector_id in after.team and out_id not in after.team
    assert sub.in_inspector_id in parts[a2].inspectors and out_id not in parts[a2].inspectors
    assert parts[world.orgs["A1"].pk].inspectors == [i for i in after.team if i != sub.in_inspector_id]
    assert has_grant(d.actor_of(sub.in_inspector_id), TEAM_PERMISSION, after)
    assert not has_grant(d.actor_of(out_id), TEAM_PERMISSION, after)
