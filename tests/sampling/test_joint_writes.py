"""Writes on joint work go through the guard: a department taking part in an office's joint plan
writes exactly the fields ``sampling.policies.JOINT_FIELDS`` grants it, by naming them, and
nothing else; rules that count across the region's departments get numbers, never rows."""

from __future__ import annotations

import pathlib

import pytest
from django.conf import settings
from django.db.models import Q
from django_scopes import scopes_disabled

import tenancy.scoping
from inventory.models import Inspector
from sampling.models import Draw, DrawSelection, RecusalRequest
from sampling.services import recusals as recusal_services
from tenancy.context import Role
from tenancy.joint import JOINT_WRITES, PARTICIPATIONS
from tenancy.scoping import TenantWriteError, actor_scope, region_counts
from tests.factories import make_completed_draw

pytestmark = pytest.mark.django_db


def _joint_draw(world) -> Draw:
    draw = make_completed_draw(world, "AO", entities=12, inspectors=3)
    with scopes_disabled():
        return Draw.objects.get(pk=draw.pk)


def _a2_member(world, draw: Draw) -> tuple[DrawSelection, Inspector]:
    with scopes_disabled():
        selection = DrawSelection.objects.filter(draw=draw, rank__isnull=False).order_by("rank").first()
        member = Inspector.objects.get(pk__in=selection.team, organization=world.orgs["A2"])
    return selection, member


def test_sampling_declares_who_takes_part_and_what_they_write():
    assert "sampling.plan" in PARTICIPATIONS
    assert {"sampling.drawselection", "sampling.recusalrequest"} <= set(JOINT_WRITES.keys())


def test_a_participants_leader_changes_a_joint_selections_team_and_nothing_else(world):
    draw = _joint_draw(world)
    selection, member = _a2_member(world, draw)
    leader = world.actor("A2", Role.LEADER)
    with actor_scope(leader):
        row = DrawSelection.objects.get(pk=selection.pk)  # seen: A2 takes part in the plan
        assert row.organization_id == world.orgs["AO"].pk and not row.writable_by(leader)
        assert row.writable_fields(leader) == {"team"}
        row.team = list(reversed(row.team))
        row.save(update_fields=["team", "updated_at"])  # the granted field passes the guard
        row.status = DrawSelection.Status.REPLACED
        with pytest.raises(TenantWriteError, match="status"):
            row.save(update_fields=["status", "updated_at"])
        with pytest.raises(TenantWriteError):
            row.save()  # a whole-row save is the owner's
    with scopes_disabled():
        stored = DrawSelection.objects.get(pk=selection.pk)
    assert stored.team == list(reversed(selection.team)) and stored.status == DrawSelection.Status.SELECTED
    # The participant's planner, and a department that does not take part, write nothing of it.
    for key, role in (("A2", Role.PLANNER), ("B1", Role.LEADER)):
        actor = world.actor(key, role)
        assert selection.writable_fields(actor) == frozenset()
        with actor_scope(actor), pytest.raises(TenantWriteError):
            selection.save(update_fields=["team", "updated_at"])


def test_the_inspectors_leader_decides_a_request_the_office_filed(world):
    """The office's planner asks for an A2 inspector's recusal (the request is the office's); the
    A2 leader decides it — its decision fields only — and the substitute takes the place."""
    draw = _joint_draw(world)
    selection, member = _a2_member(world, draw)
    office = world.actor("AO", Role.PLANNER)
    with actor_scope(office):
        request = recusal_services.recusal_request(
            actor=office, draw=draw, selection=DrawSelection.objects.get(pk=selection.pk), inspector=member,
            kind="recusal", reason="与该单位负责人系亲属",
        )
    assert request.organization_id == world.orgs["AO"].pk
    leader = world.actor("A2", Role.LEADER)
    with actor_scope(leader):
        req = RecusalRequest.objects.get(pk=request.pk)
        assert req.writable_fields(leader) == {"status", "decided_by", "decided_at", "decision_note"}
        req.reason = "改写事由"
        with pytest.raises(TenantWriteError, match="reason"):
            req.save(update_fields=["reason", "updated_at"])
        recusal_services.recusal_decide(actor=leader, request=RecusalRequest.objects.get(pk=request.pk), approve=True,
                                        note="同意")
    with scopes_disabled():
        decided = RecusalRequest.objects.get(pk=request.pk)
        team = DrawSelection.objects.get(pk=selection.pk).team
    assert decided.status == RecusalRequest.Status.APPROVED and decided.reason == "与该单位负责人系亲属"
    assert member.pk not in team and len(team) == len(selection.team)
    # Another department's leader may not decide it.
    other = world.actor("A1", Role.LEADER)
    assert decided.writable_fields(other) == frozenset()


def test_region_counts_are_numbers_of_rows_the_reader_cannot_see(world):
    """A2 counts how often A1's drawn firms were drawn this year without seeing A1's selections."""
    draw = make_completed_draw(world, "A1", entities=12, inspectors=3)
    a2 = world.actor("A2", Role.PLANNER)
    with scopes_disabled():
        drawn = set(DrawSelection.objects.filter(draw=draw, rank__isnull=False).values_list("entity_id", flat=True))
    with actor_scope(a2):
        assert not DrawSelection.objects.filter(draw_id=draw.pk).exists()
        counts = region_counts(a2, DrawSelection, by="entity_id", where=Q(draw_id=draw.pk, rank__isnull=False))
    assert counts == dict.fromkeys(drawn, 1)
    assert all(isinstance(n, int) for n in counts.values())
    # Another county counts nothing of it.
    assert region_counts(world.actor("B1", Role.PLANNER), DrawSelection, by="entity_id", where=Q(draw_id=draw.pk)) == {}


def test_no_region_tally_scope_is_left():
    assert not hasattr(tenancy.scoping, "region_tally_scope")
    base = pathlib.Path(settings.BASE_DIR)
    users = [
        str(path.relative_to(base)) for app in ("tenancy", "inventory", "sampling", "deadlines", "inspections", "publication")
        for path in (base / app).rglob("*.py") if "region_tally_scope" in path.read_text(encoding="utf-8")
    ]
    assert users == []
