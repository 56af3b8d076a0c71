"""Who may do what with an inspection: the truth table of inspections.policies over the roles of
the two-county world, for a department's visit and a joint one."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from inspections import policies
from inspections.models import InspectionPart
from tenancy.actors import actor_for
from tenancy.models import Organization
from tests.inspections.conftest import drawn
from tests.inspections.support import confirm_all, fill, first, fresh, submit

pytestmark = pytest.mark.django_db

ROLES = ("team", "other_inspector", "planner", "leader", "viewer", "admin", "A2_planner", "AO_leader", "B1_leader")


def _actors(world, d, inspection):
    team = d.actor_of(inspection.team[0])
    other_id = next(i for i in d.users if i not in inspection.team)
    with scopes_disabled():
        other = actor_for(d.users[other_id], Organization.objects.get(pk=world.orgs["A1"].pk))
    return {
        "team": team, "other_inspector": other,
        "planner": world.actor("A1", "planner"), "leader": world.actor("A1", "leader"),
        "viewer": world.actor("A1", "viewer"), "admin": world.actor("A1", "admin"),
        "A2_planner": world.actor("A2", "planner"), "AO_leader": world.actor("AO", "leader"),
        "B1_leader": world.actor("B1", "leader"),
    }


def _table(actors, check) -> set[str]:
    return {name for name, actor in actors.items() if check(actor)}


def test_truth_table_of_a_departments_inspection(world):
    d = drawn(world, "A1", entities=16, inspectors=5)
    inspection = first(d)
    actors = _actors(world, d, inspection)
    with scopes_disabled():
        part = InspectionPart.objects.select_related("inspection").get(inspection=inspection)

    def on(obj):
        return lambda check: _table(actors, lambda a: check(a, obj))

    assert on(inspection)(policies.can_view) == {"team", "planner", "leader", "viewer", "admin"}
    assert on(part)(policies.can_confirm) == {"planner", "leader", "admin"}
    assert on(part)(policies.can_fill_part) == {"team"}
    assert on(inspection)(policies.can_edit_visit) == {"team"}
    assert on(inspection)(policies.can_submit) == {"team"}
    assert on(inspection)(policies.can_review) == set()  # nothing submitted yet

    confirm_all(world, inspection)
    fill(d, inspection, status="abnormal", results=["05"])
    submit(d, inspection)
    submitted = fresh(inspection)
    with scopes_disabled():
        part = InspectionPart.objects.select_related("inspection").get(inspection=inspection)
    assert on(part)(policies.can_confirm) == set()  # confirmed already
    assert on(submitted)(policies.can_review) == {"leader"}
    assert on(part)(policies.can_fill_part) == set() and on(submitted)(policies.can_submit) == set()
    assert on(submitted)(policies.can_add_handling) == {"team", "planner", "leader", "admin"}
    assert on(submitted)(policies.can_correct) == set()  # only an approved result is corrected
    assert _table(actors, policies.can_manage_result_codes) == set()


def test_truth_table_of_a_joint_visit(world):
    d = drawn(world, "AO", entities=12, inspectors=3)
    inspection = first(d)
    with scopes_disabled():
        parts = {p.organization_id: p for p in InspectionPart.objects.select_related("inspection").filter(inspection=inspection)}
    a1, a2 = world.orgs["A1"].pk, world.orgs["A2"].pk
    member = {org: next(d.actor_of(i) for i in inspection.team if d.actor_of(i).organization_id == org) for org in (a1, a2)}
    actors = {
        "A1_team": member[a1], "A2_team": member[a2], "A1_planner": world.actor("A1", "planner"),
        "A2_leader": world.actor("A2", "leader"), "AO_leader": world.actor("AO", "leader"),
        "AO_planner": world.actor("AO", "planner"), "B1_leader": world.actor("B1", "leader"),
    }
    assert _table(actors, lambda a: policies.can_view(a, inspection)) == {
        "A1_team", "A2_team", "A1_planner", "A2_leader", "AO_leader", "AO_planner",
    }
    # Each department fills and confirms its own part only; the office none.
    assert _table(actors, lambda a: policies.can_fill_part(a, parts[a1])) == {"A1_team"}
    assert _table(actors, lambda a: policies.can_fill_part(a, parts[a2])) == {"A2_team"}
    assert _table(actors, lambda a: policies.can_confirm(a, parts[a2])) == {"A2_leader"}
    assert _table(actors, lambda a: policies.can_edit_visit(a, inspection)) == {"A1_team", "A2_team"}
