"""Object grants (tenancy.grants) on the real database: scoped by construction, audited, one query."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes.exceptions import ScopeError
from guardian.models import UserObjectPermission

from inventory.models import Inspector
from sampling.models import PlanParticipant, SamplingPlan
from tenancy.context import Actor, Role
from tenancy.grants import CrossTenantGrant, grant, grant_many, has_grant, holders, objects_granted, revoke
from tenancy.models import AuditEntry
from tenancy.periodic import system_actor
from tenancy.policies import POLICIES, acts_for, allowed, ensure, holds, policy
from tenancy.scoping import actor_scope, system_scope

VIEW = "inventory.view_inspector"
CHANGE = "inventory.change_inspector"


def _inspectors(world, org_key: str, count: int, start: int = 0) -> list[Inspector]:
    org = world.orgs[org_key]
    with system_scope():
        return [
            Inspector.objects.create(organization=org, region=org.region, name=f"检查员{org_key}{i}", cert_no=f"G{org_key}{i}")
            for i in range(start, start + count)
        ]


def _as(actor: Actor, change, *args):
    """``grant``/``revoke`` as a service runs them: inside the acting organization's scope."""
    with actor_scope(actor):
        return change(*args)


def _audit(action: str, obj) -> list[AuditEntry]:
    with system_scope():
        return list(AuditEntry.objects.filter(action=action, target_type="inventory.inspector", target_id=str(obj.pk)))


@pytest.mark.django_db
def test_grant_is_per_user_per_permission_per_row_and_audited(world):
    first, second = _inspectors(world, "A1", 2)
    admin, inspector = world.actor("A1", Role.ADMIN), world.actor("A1", Role.INSPECTOR)
    user = world.user("A1", Role.INSPECTOR)

    assert _as(admin, grant, user, VIEW, first) is True
    assert _as(admin, grant, user, VIEW, first) is False  # held already: nothing added, nothing logged

    assert has_grant(inspector, VIEW, first) is True
    assert has_grant(inspector, "view_inspector", first) is True  # the bare codename names the same
    assert has_grant(inspector, CHANGE, first) is False
    assert has_grant(inspector, VIEW, second) is False
    assert has_grant(world.actor("A1", Role.PLANNER), VIEW, first) is False
    [entry] = _audit("grant", first)
    assert (entry.organization_id, entry.user_id) == (world.orgs["A1"].pk, world.user("A1", Role.ADMIN).pk)
    assert entry.changes == {"grant": [None, {"user": user.pk, "username": user.username, "permission": VIEW}]}
    assert list(holders(VIEW, first)) == [user]


@pytest.mark.django_db
def test_revoke_takes_the_grant_back_and_logs_it(world):
    [row] = _inspectors(world, "A1", 1)
    admin, user = world.actor("A1", Role.ADMIN), world.user("A1", Role.INSPECTOR)
    _as(admin, grant, user, CHANGE, row)

    assert _as(admin, revoke, user, CHANGE, row) is True
    assert _as(admin, revoke, user, CHANGE, row) is False
    assert has_grant(world.actor("A1", Role.INSPECTOR), CHANGE, row) is False
    [entry] = _audit("grant_revoke", row)
    assert entry.changes["grant"][0]["permission"] == CHANGE and entry.changes["grant"][1] is None
    with pytest.raises(CrossTenantGrant):
        _as(world.actor("B1", Role.ADMIN), revoke, user, CHANGE, row)


@pytest.mark.django_db
def test_a_grant_never_crosses_tenants(world):
    [a1_row] = _inspectors(world, "A1", 1)
    [b1_row] = _inspectors(world, "B1", 1)

    # The granting organization does not see the row.
    with pytest.raises(CrossTenantGrant):
        _as(world.actor("A1", Role.ADMIN), grant, world.user("A1", Role.INSPECTOR), VIEW, b1_row)
    # The grantee belongs to no organization that sees it: another county's department, or a
    # neighbouring department of the same county (the office that sees both may not bridge them).
    with pytest.raises(CrossTenantGrant):
        _as(world.actor("B1", Role.ADMIN), grant, world.user("A1", Role.INSPECTOR), VIEW, b1_row)
    with pytest.raises(CrossTenantGrant):
        _as(world.actor("AO", Role.ADMIN), grant, world.user("A2", Role.INSPECTOR), VIEW, a1_row)
    # The public and the system grant nothing.
    with pytest.raises(CrossTenantGrant):
        _as(Actor.public(), grant, world.user("A1", Role.INSPECTOR), VIEW, a1_row)
    with system_scope():
        assert not UserObjectPermission.objects.exists()
        assert not AuditEntry.objects.filter(action="grant").exists()

    # The office sees its departments' rows, and its own staff may be granted one.
    assert _as(world.actor("AO", Role.ADMIN), grant, world.user("AO", Role.INSPECTOR), VIEW, a1_row)
    assert has_grant(world.actor("AO", Role.INSPECTOR), VIEW, a1_row)


@pytest.mark.django_db
def test_the_scope_stays_the_outer_filter(world):
    [a1_row] = _inspectors(world, "A1", 1)
    [b1_row] = _inspectors(world, "B1", 1)
    user = world.user("A1", Role.INSPECTOR)
    actor = world.actor("A1", Role.INSPECTOR)
    # A grant row written past tenancy.grants (guardian directly, a restore) on another tenant's row.
    with system_scope():
        UserObjectPermission.objects.assign_perm("view_inspector", user, b1_row)
        _as(world.actor("A1", Role.ADMIN), grant, user, VIEW, a1_row)

    assert has_grant(actor, VIEW, b1_row) is False
    with actor_scope(actor):
        assert list(objects_granted(actor, VIEW, Inspector.objects.all())) == [a1_row]
        assert has_grant(user, VIEW, a1_row) is True  # a user is read in the active scope
        assert has_grant(user, VIEW, b1_row) is False
    with pytest.raises(ScopeError):
        has_grant(user, VIEW, a1_row)  # a user outside any scope: refused like every scoped read
    # guardian's backend is not installed: user.has_perm(perm, obj) does not go around the scope.
    assert user.has_perm(VIEW, b1_row) is False and user.has_perm(VIEW, a1_row) is False


@pytest.mark.django_db
def test_objects_granted_is_one_query_whatever_the_rows(world, django_assert_num_queries):
    rows = _inspectors(world, "A1", 30)
    admin, actor = world.actor("A1", Role.ADMIN), world.actor("A1", Role.INSPECTOR)
    user = world.user("A1", Role.INSPECTOR)
    for row in rows[::3]:
        _as(admin, grant, user, CHANGE, row)
    _as(admin, grant, user, VIEW, rows[1])  # another permission is not this one
    _as(admin, grant, world.user("A1", Role.PLANNER), CHANGE, rows[2])  # nor another user's grant

    with actor_scope(actor):
        queryset = objects_granted(actor, CHANGE, Inspector.objects.order_by("cert_no"))
        with django_assert_num_queries(1):
            granted = [row.cert_no for row in queryset]
        with django_assert_num_queries(1):
            assert has_grant(actor, CHANGE, rows[3]) is True
        with django_assert_num_queries(1):
            assert has_grant(actor, CHANGE, rows[4]) is False
        assert list(objects_granted(Actor.public(), CHANGE, Inspector.objects.all())) == []
        assert list(objects_granted(system_actor(world.orgs["A1"]), CHANGE, Inspector.objects.all())) == []
    assert granted == sorted(row.cert_no for row in rows[::3])


@pytest.mark.django_db
def test_a_department_taking_part_in_a_joint_plan_may_be_granted_on_it(world):
    office = world.orgs["AO"]
    with system_scope():
        plan = SamplingPlan.objects.create(
            organization=office, region=office.region, kind=SamplingPlan.Kind.JOINT, year=2026, name="联合抽查计划"
        )
        PlanParticipant.objects.create(organization=office, region=office.region, plan=plan, department=world.orgs["A1"])
    a1_user = world.user("A1", Role.INSPECTOR)

    assert _as(world.actor("AO", Role.ADMIN), grant, a1_user, "sampling.view_samplingplan", plan)
    assert has_grant(world.actor("A1", Role.INSPECTOR), "sampling.view_samplingplan", plan)
    with pytest.raises(CrossTenantGrant):  # A2 does not take part
        _as(world.actor("AO", Role.ADMIN), grant, world.user("A2", Role.INSPECTOR), "sampling.view_samplingplan", plan)


@pytest.mark.django_db
def test_an_inactive_user_is_granted_nothing_and_holds_nothing(world):
    [row] = _inspectors(world, "A1", 1)
    user = world.user("A1", Role.INSPECTOR)
    _as(world.actor("A1", Role.ADMIN), grant, user, VIEW, row)
    user.is_active = False
    user.save(update_fields=["is_active"])
    with actor_scope(world.actor("A1", Role.ADMIN)):
        assert has_grant(user, VIEW, row) is False
    assert list(holders(VIEW, row)) == []
    other = world.user("A1", Role.VIEWER)
    other.is_active = False
    other.save(update_fields=["is_active"])
    with pytest.raises(CrossTenantGrant):
        _as(world.actor("A1", Role.ADMIN), grant, other, VIEW, row)


@pytest.mark.django_db
def test_a_permission_must_be_one_of_the_rows_model(world):
    [row] = _inspectors(world, "A1", 1)
    admin, user = world.actor("A1", Role.ADMIN), world.user("A1", Role.INSPECTOR)
    for wrong in ("sampling.view_samplingplan", "inventory.inspect_inspector", "view_samplingplan"):
        with pytest.raises(ValueError, match="is not a permission of inventory.Inspector"):
            _as(admin, grant, user, wrong, row)
        with pytest.raises(ValueError):
            has_grant(world.actor("A1", Role.INSPECTOR), wrong, row)
    with pytest.raises(TypeError):
        _as(admin, grant, user, "tenancy.view_user", user)  # grants are on tenant rows


@pytest.mark.django_db
def test_a_policy_reads_a_grant_beside_the_roles(world):
    @policy("tests.edit_inspector_record", "只有本单位管理员或被授权的人员可以修改")
    def may_edit(actor: Actor, row: Inspector) -> bool:
        return (acts_for(actor, row.organization_id) and holds(actor, Role.ADMIN)) or has_grant(actor, CHANGE, row)

    try:
        [row] = _inspectors(world, "A1", 1)
        inspector = world.actor("A1", Role.INSPECTOR)
        assert allowed("tests.edit_inspector_record", world.actor("A1", Role.ADMIN), row)
        assert not allowed("tests.edit_inspector_record", inspector, row)
        with pytest.raises(PermissionDenied, match="被授权的人员"):
            ensure(may_edit, inspector, row)
        _as(world.actor("A1", Role.ADMIN), grant, world.user("A1", Role.INSPECTOR), CHANGE, row)
        assert allowed("tests.edit_inspector_record", inspector, row)
        assert not allowed("tests.edit_inspector_record", world.actor("B1", Role.ADMIN), row)
    finally:
        POLICIES.unregister("tests.edit_inspector_record")



@pytest.mark.django_db
def test_grant_many_costs_the_same_few_queries_for_any_number_of_rows(world):
    rows = _inspectors(world, "A1", 12)
    inspector, planner = world.user("A1", Role.INSPECTOR), world.user("A1", Role.PLANNER)
    admin = world.actor("A1", Role.ADMIN)
    _as(admin, grant, inspector, VIEW, rows[0])  # held already: not granted again, not logged again

    counts = []
    for chunk in (rows[:3], rows[3:12]):
        with CaptureQueriesContext(connection) as queries:
            added = _as(admin, grant_many, VIEW, [(user, row) for row in chunk for user in (inspector, planner)])
        counts.append(len(queries))
        assert added == 2 * len(chunk) - (1 if rows[0] in chunk else 0)
    assert counts[0] == counts[1]
    actor = world.actor("A1", Role.PLANNER)
    with actor_scope(actor):
        assert list(objects_granted(actor, VIEW, Inspector.objects.order_by("pk"))) == sorted(rows, key=lambda r: r.pk)
    with system_scope():
        assert AuditEntry.objects.filter(action="grant").count() == 24

    # All or nothing: a row the granting office does not see (another county's) refuses the batch,
    # and so does a grantee who does not see a row (B1's inspector, A1's row).
    [b1_row] = _inspectors(world, "B1", 1)
    more = _inspectors(world, "A1", 1, start=100)
    with pytest.raises(CrossTenantGrant):
        _as(world.actor("AO", Role.ADMIN), grant_many, VIEW, [(inspector, more[0]), (inspector, b1_row)])
    with pytest.raises(CrossTenantGrant):
        _as(world.actor("AO", Role.ADMIN), grant_many, VIEW, [(inspector, more[0]), (world.user("B1", Role.INSPECTOR), more[0])])
    assert has_grant(world.actor("A1", Role.INSPECTOR), VIEW, more[0]) is False
