"""Scoping by construction: every model of our apps is scoped or on the explicit global list."""

from __future__ import annotations

import pytest
from django.apps import apps
from django_scopes import ScopeError, scopes_disabled

from tenancy.models import AuditEntry, Membership, Organization
from tenancy.scoping import ScopedModel, TenantManager, TenantWriteError, actor_scope

OUR_APPS = {"tenancy", "inventory", "sampling", "deadlines", "inspections", "publication"}
# Models deliberately without a tenant scope, and why.
GLOBAL_MODELS = {
    "tenancy.User": "users are global; what they may see comes from their memberships",
    "tenancy.Region": "GB/T 2260 divisions: public reference data",
    "deadlines.HolidayYear": "the State Council's holiday arrangement: one national calendar, entered by a platform admin",
    "deadlines.HolidayDate": "the dates of a HolidayYear: national reference data",
    "inspections.ResultCode": "the national result codes (检查结果代码): one table, extended by platform admins",
}


def our_models():
    return [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]


def test_every_model_is_scoped_or_explicitly_global():
    unscoped = []
    for model in our_models():
        label = f"{model._meta.app_label}.{model.__name__}"
        if label in GLOBAL_MODELS:
            continue
        if not (issubclass(model, ScopedModel) and isinstance(model._default_manager, TenantManager)):
            unscoped.append(label)
    assert not unscoped, f"models without a scoped manager and not on the global list: {unscoped}"


def test_global_list_names_real_models():
    labels = {f"{m._meta.app_label}.{m.__name__}" for m in our_models()}
    assert set(GLOBAL_MODELS) <= labels


@pytest.mark.django_db
def test_query_outside_a_scope_raises(world):
    with pytest.raises(ScopeError):
        list(Organization.objects.all())
    with pytest.raises(ScopeError):
        Membership.objects.filter(is_admin=True).count()


@pytest.mark.django_db
def test_department_sees_only_its_own_rows_and_office_sees_its_region(world):
    with actor_scope(world.actor("A1")):
        assert set(Membership.objects.values_list("organization__code", flat=True)) == {"T-A1"}
        # Organizations of the same county are listed (joint plans name partners); other counties not.
        assert set(Organization.objects.values_list("code", flat=True)) == {"T-A1", "T-A2", "T-AO"}
    with actor_scope(world.actor("AO")):
        assert set(Membership.objects.values_list("organization__code", flat=True)) == {"T-A1", "T-A2", "T-AO"}
    with actor_scope(world.actor("B1")):
        assert not Membership.objects.filter(organization__code="T-A1").exists()


@pytest.mark.django_db
def test_write_guard_refuses_rows_of_another_organization(world):
    other = world.orgs["B1"]
    with actor_scope(world.actor("A1")), pytest.raises(TenantWriteError):
        AuditEntry(organization=other, region=other.region, action="x", target_type="t").save()
        # Even an office, which reads its whole region, writes only its own rows.
    with actor_scope(world.actor("AO")):
        a1 = world.orgs["A1"]
        with pytest.raises(TenantWriteError):
            AuditEntry(organization=a1, region=a1.region, action="x", target_type="t").save()


@pytest.mark.django_db
def test_write_outside_any_scope_is_refused(world):
    org = world.orgs["A1"]
    with pytest.raises(TenantWriteError):
        AuditEntry(organization=org, region=org.region, action="x", target_type="t").save()
    with scopes_disabled():  # set-up code may, explicitly
        AuditEntry(organization=org, region=org.region, action="x", target_type="t").save()


@pytest.mark.django_db
def test_public_actor_sees_nothing_unpublished(world, client):
    from tenancy.context import Actor

    with actor_scope(Actor.public()):
        assert Membership.objects.count() == 0
