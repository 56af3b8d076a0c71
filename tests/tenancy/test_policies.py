"""The policy surface: predicates by key, ensure() raising the policy's message, the template tag."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.template import Context, Template

from tenancy.context import Actor, Role
from tenancy.policies import POLICIES, acts_for, allowed, ensure, policy


def _actor(org: int, *roles: str) -> Actor:
    return Actor(
        user_id=1, username="u", organization_id=org, organization_kind="department", organization_name="x",
        region_id=1, region_code="140522", roles=frozenset(roles), visible_org_ids=frozenset({org}),
    )


@pytest.fixture
def owner_writes():
    @policy("tests.owner_writes", "只有本单位计划编制人员可以修改")
    def owner_writes(actor: Actor, obj: dict) -> bool:
        return acts_for(actor, obj["organization_id"]) and actor.has_role(Role.PLANNER)

    yield owner_writes
    POLICIES.unregister("tests.owner_writes")


def test_predicate_by_key_and_by_function(owner_writes):
    row = {"organization_id": 7}
    planner, viewer, stranger = _actor(7, Role.PLANNER), _actor(7, Role.VIEWER), _actor(8, Role.PLANNER)
    assert [allowed("tests.owner_writes", a, row) for a in (planner, viewer, stranger)] == [True, False, False]
    ensure(owner_writes, planner, row)
    with pytest.raises(PermissionDenied, match="只有本单位计划编制人员可以修改"):
        ensure(owner_writes, viewer, row)
    with pytest.raises(PermissionDenied, match="另说"):
        ensure(owner_writes, stranger, row, message="另说")


def test_the_public_acts_for_nobody():
    assert not acts_for(Actor.public(), None) and not acts_for(Actor.public(), 7)


def test_template_asks_the_same_predicate(owner_writes):
    tpl = Template('{% load policies %}{% allowed "tests.owner_writes" row as ok %}{% if ok %}可以{% else %}不可以{% endif %}')
    row = {"organization_id": 7}
    assert tpl.render(Context({"actor": _actor(7, Role.PLANNER), "row": row})) == "可以"
    assert tpl.render(Context({"actor": _actor(7, Role.VIEWER), "row": row})) == "不可以"
    assert tpl.render(Context({"row": row})) == "不可以"  # no actor on the page: nothing is allowed


def test_a_key_is_declared_once(owner_writes):
    with pytest.raises(ValueError):
        policy("tests.owner_writes", "again")(lambda actor: True)
