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


# --------------------------------------------------------------------------------------------
# A replacement's new target is confirmed again by its department (比对和确认, 曲阳 §17)


def _confirm_items(dispatch) -> list:
    from deadlines.models import DueItem  # noqa: PLC0415
    from inspections import due  # noqa: PLC0415

    with scopes_disabled():
        return list(DueItem.objects.filter(rule=due.CONFIRM, target_id=str(dispatch.pk)).order_by("pk"))


def _dispatch(d, org_key_pk: int):
    from inspections.models import Dispatch  # noqa: PLC0415

    with scopes_disabled():
        return Dispatch.objects.get(draw=d.draw, organization_id=org_key_pk)


def _page(world, org_key: str, url: str) -> str:
    from django.test import Client  # noqa: PLC0415

    client = Client()
    client.force_login(world.user(org_key, "planner"), backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_replacement_after_confirmation_is_dispatched_again_and_confirmed_within_a_working_day(world):
    import re  # noqa: PLC0415

    from django.urls import reverse  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from deadlines.calendar import current_calendar  # noqa: PLC0415

    d = drawn(world, "A1", entities=16, inspectors=5)
    a1 = world.orgs["A1"].pk
    dispatch = _dispatch(d, a1)
    planner = world.actor("A1", "planner")
    with actor_scope(planner):
        svc.dispatch_confirm(actor=planner, dispatch=dispatch)
    assert [i.state for i in _confirm_items(dispatch)] == ["done"]
    inspection = first(d)
    actor = member_of(d, inspection)
    [p1, _p2] = points_of(inspection)
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=inspection, answers={p1.pk: {"status": "normal"}})
    _replace(world, d, inspection)
    with scopes_disabled():
        new = Inspection.objects.select_related("entity").get(replaces=inspection)
        [part] = new.parts.all()
    assert new.status == Inspection.Status.PENDING and part.confirmed_at is None
    reopened = _dispatch(d, a1)
    assert reopened.confirmed_at is None and reopened.confirmed_by_id is None
    done, item = _confirm_items(dispatch)
    assert done.state == "done" and item.state == "open" and item.organization_id == a1
    assert item.due_on == current_calendar().add_workdays(timezone.localdate(), 1).date
    assert item.target_repr.endswith("：1 户待比对确认")

    # Pending on the pages: the dispatch to confirm above the list, the target as 待确认, its confirm form.
    page = _page(world, "A1", reverse("inspections:list") + "?status=pending")
    assert len(re.findall(r'data-testid="dispatch-row"', page)) == 1 and d.draw.task.name in page
    rows = re.findall(r'data-testid="inspection-link">([^<]+)</a>', page)
    assert rows == [new.entity.name]
    detail = _page(world, "A1", reverse("inspections:detail", args=[new.pk]))
    assert 'data-testid="confirm-form"' in detail

    with actor_scope(planner):
        svc.inspection_confirm(actor=planner, inspection=new)
    assert [i.state for i in _confirm_items(dispatch)] == ["done", "done"]
    assert _dispatch(d, a1).confirmed_by_id == world.user("A1", "planner").pk
    assert fresh(new).status == Inspection.Status.TODO
    assert 'data-testid="dispatch-row"' not in _page(world, "A1", reverse("inspections:list"))


def test_an_untouched_confirmed_inspection_moved_to_a_replacement_is_confirmed_again(world):
    d = drawn(world, "A1", entities=16, inspectors=5)
    a1 = world.orgs["A1"].pk
    dispatch = _dispatch(d, a1)
    inspection = first(d)
    with scopes_disabled():
        second = Inspection.objects.filter(draw=d.draw).exclude(pk=inspection.pk).order_by("pk").first()
    _replace(world, d, second)  # before the confirmation: the open item covers it, nothing reopens
    assert [i.state for i in _confirm_items(dispatch)] == ["open"]
    planner = world.actor("A1", "planner")
    with actor_scope(planner):
        svc.dispatch_confirm(actor=planner, dispatch=dispatch)
    assert fresh(inspection).status == Inspection.Status.TODO
    _replace(world, d, inspection)  # after it: the moved inspection's new target waits again
    moved = fresh(inspection)
    assert moved.status == Inspection.Status.PENDING and moved.confirmed_at is None
    assert [i.state for i in _confirm_items(dispatch)] == ["done", "open"]
    with actor_scope(planner):
        assert svc.dispatch_confirm(actor=planner, dispatch=_dispatch(d, a1)) == 1
    assert [i.state for i in _confirm_items(dispatch)] == ["done", "done"]
    # Moved, never worked on: back to 待检查 (not 草稿), and a second replacement moves it again.
    moved = fresh(inspection)
    assert moved.status == Inspection.Status.TODO and moved.revision > 1
    entity_before = moved.entity_id
    _replace(world, d, moved)
    again = fresh(inspection)
    assert again.status == Inspection.Status.PENDING and again.entity_id != entity_before
    with scopes_disabled():
        assert not Inspection.objects.filter(replaces=inspection).exists()


def test_a_joint_replacement_is_confirmed_again_by_each_department(world):
    d = drawn(world, "AO", entities=12, inspectors=3)
    a1, a2 = world.orgs["A1"].pk, world.orgs["A2"].pk
    for key in ("A1", "A2"):
        planner = world.actor(key, "planner")
        with actor_scope(planner):
            svc.dispatch_confirm(actor=planner, dispatch=_dispatch(d, world.orgs[key].pk))
    inspection = first(d)
    actor = member_of(d, inspection, a1)
    [p1, *_rest] = points_of(inspection, a1)
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=inspection, answers={p1.pk: {"status": "normal"}})
    leader = world.actor("AO", "leader")
    with actor_scope(leader):
        selection = DrawSelection.objects.get(pk=inspection.selection_id)
        recusal_services.replacement_create(actor=leader, draw=d.draw, selection=selection, reason="经营场所无法联系")
    with scopes_disabled():
        new = Inspection.objects.get(replaces=inspection)
    items = {org: _confirm_items(_dispatch(d, org)) for org in (a1, a2)}
    assert {org: [i.state for i in found] for org, found in items.items()} == {a1: ["done", "open"], a2: ["done", "open"]}
    assert {found[-1].organization_id for found in items.values()} == {a1, a2}
    planner = world.actor("A1", "planner")
    with actor_scope(planner):
        svc.inspection_confirm(actor=planner, inspection=new)
    assert [i.state for i in _confirm_items(_dispatch(d, a1))] == ["done", "done"]
    assert [i.state for i in _confirm_items(_dispatch(d, a2))] == ["done", "open"]  # A2 has yet to confirm
    assert fresh(new).status == Inspection.Status.PENDING
