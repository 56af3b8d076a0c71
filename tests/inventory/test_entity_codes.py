"""An entity's code history (EntityCodeChange): written by every change of a code, read by the
draw to find an entity whose code changed after its pool was frozen, backfilled from the audit log."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from inventory.codes import make_regno, make_uscc
from inventory.models import EntityCodeChange, MarketEntity
from inventory.selectors import entities as entity_selectors
from inventory.services import entities as entity_services
from sampling.models import DrawSelection
from sampling.services import draws as draw_services
from tenancy.models import AuditEntry
from tenancy.scoping import actor_scope
from tests.factories import PUBLIC_ENTROPY, WITNESSES, make_committed_draw, make_entity

pytestmark = pytest.mark.django_db

A_REGION = "140522"


def test_a_changed_code_is_kept_with_who_changed_it_and_found_by_the_old_code(world):
    legacy = make_regno(A_REGION + "00000077")
    entity = make_entity(world, "A1", code=legacy, name="老字号饭店")
    uscc = make_uscc("92", A_REGION, "MA0K00077")
    actor = world.actor("A1", "planner")
    before = timezone.now()
    with actor_scope(actor):
        entity_services.entity_update(actor=actor, entity=entity, data={"name": "老字号饭店（更名）"})
        assert not EntityCodeChange.objects.exists()  # no code change, no row
        entity_services.entity_update(actor=actor, entity=entity, data={"code": uscc.lower()})
        change = EntityCodeChange.objects.get()
    assert (change.entity_id, change.old_code, change.new_code) == (entity.pk, legacy, uscc)
    assert change.changed_by_id == world.user("A1", "planner").pk and change.actor_name == actor.username
    assert change.via == "web" and change.organization_id == world.orgs["A1"].pk and change.region_id == entity.region_id
    # Another department of the county finds it (the entity is the county's); another county does not.
    for org, found in (("A2", {legacy: entity.pk}), ("AO", {legacy: entity.pk}), ("B1", {})):
        other = world.actor(org, "viewer")
        with actor_scope(other):
            assert entity_selectors.codes_renamed_since(actor=other, old_codes=[legacy, "nope"], since=before) == found
    with actor_scope(actor):
        later = timezone.now() + dt.timedelta(seconds=1)
        assert entity_selectors.codes_renamed_since(actor=actor, old_codes=[legacy], since=later) == {}


def test_the_api_records_a_code_change_as_made_through_the_api(world):
    entity = make_entity(world, "A1")
    new = make_uscc("91", A_REGION, "MA0K00088")
    client = APIClient()
    client.force_login(world.user("A1", "planner"), backend="django.contrib.auth.backends.ModelBackend")
    response = client.patch(reverse("api:entity-detail", kwargs={"code": entity.code}), {"code": new}, format="json")
    assert response.status_code == 200 and response.json()["code"] == new
    with scopes_disabled():
        change = EntityCodeChange.objects.get(entity=entity)
    assert (change.old_code, change.new_code, change.via) == (entity.code, new, "api")


def test_a_draw_finds_entities_whose_code_changed_after_the_pool_was_frozen(world):
    draw = make_committed_draw(world, "A1", targets=2)
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        pool = list(MarketEntity.objects.filter(name__contains="LEAKA1MARK对象").order_by("pk"))
        old_codes = {e.pk: e.code for e in pool}
        for i, e in enumerate(pool):
            entity_services.entity_update(actor=actor, entity=e, data={"code": make_uscc("91", A_REGION, f"MA0R{i:05d}")})
        draw = draw_services.draw_execute(actor=actor, draw=draw, public_entropy=PUBLIC_ENTROPY, witnesses=WITNESSES)
        selections = list(DrawSelection.objects.filter(draw=draw))
    assert len(selections) >= 2
    # Each selection keeps the frozen code as its key and points at the entity that carried it.
    assert all(old_codes[s.entity_id] == s.key for s in selections)


def test_the_backfill_copies_code_changes_from_the_audit_log(world):
    entity = make_entity(world, "A1")
    other = make_entity(world, "B1")
    at = timezone.now() - dt.timedelta(days=30)
    user = world.user("A1", "planner")
    common = {"organization": world.orgs["A1"], "region": world.orgs["A1"].region, "target_type": "inventory.marketentity"}
    with scopes_disabled():
        AuditEntry.objects.bulk_create([
            AuditEntry(**common, action="update", target_id=str(entity.pk), at=at, user=user, actor_name="a1_planner",
                       via="api", changes={"code": ["OLD-1", entity.code]}),
            AuditEntry(**common, action="update", target_id=str(entity.pk), changes={"name": ["甲", "乙"]}),
            AuditEntry(**common, action="create", target_id=str(other.pk), changes={"code": [None, other.code]}),
            AuditEntry(**common, action="update", target_id="999999999", changes={"code": ["X", "Y"]}),  # no such entity
        ])
    backfill = importlib.import_module("inventory.migrations.0008_entity_code_change_backfill")
    with scopes_disabled():  # as in a migration, where the historical models are unscoped
        backfill.forwards(apps, None)
        rows = list(EntityCodeChange.objects.values_list(
            "entity_id", "old_code", "new_code", "changed_at", "changed_by_id", "via", "organization_id", "region_id"
        ))
    assert rows == [(entity.pk, "OLD-1", entity.code, at, user.pk, "api", world.orgs["A1"].pk, entity.region_id)]
