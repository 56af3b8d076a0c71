"""tenancy.bulk and tenancy.lookups: the bulk-write helpers the import and the draw stand on."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django_scopes import scopes_disabled

from inventory.models import MarketEntity, RegistryEntry, Tag
from tenancy.bulk import PlannerStatistics, bulk_insert
from tenancy.scoping import actor_scope

pytestmark = pytest.mark.django_db


def entities(world, county: str, n: int) -> list[MarketEntity]:
    org = world.orgs[f"{county}1"]
    with scopes_disabled():
        return MarketEntity.objects.bulk_create(
            MarketEntity(organization=org, region=org.region, code=f"R{org.region.code}-T{i}", name=f"对象{i}")
            for i in range(n)
        )


def test_any_lookup_matches_in(world):
    created = entities(world, "A", 6) + entities(world, "B", 2)
    codes = [e.code for e in created[:4]] + [created[0].code, "R140522-NONE"]  # a repeat and an unknown
    with actor_scope(world.actor("A1")):
        assert sorted(MarketEntity.objects.filter(code__any=codes).values_list("code", flat=True)) == sorted(
            MarketEntity.objects.filter(code__in=codes).values_list("code", flat=True)
        ) == sorted(e.code for e in created[:4])
        assert not MarketEntity.objects.filter(code__any=[]).exists()
        # Scoped as ever: county B's entities are not among A's, whatever the list says.
        assert not MarketEntity.objects.filter(code__any=[e.code for e in created[6:]]).exists()
    org = world.orgs["A1"]
    with scopes_disabled():
        RegistryEntry.objects.bulk_create(RegistryEntry(organization=org, region=org.region, entity=e) for e in created[:3])
        ids = [created[0].pk, created[2].pk, created[5].pk, None]
        assert sorted(RegistryEntry.objects.filter(entity_id__any=ids).values_list("entity_id", flat=True)) == sorted(
            [created[0].pk, created[2].pk]
        )


def test_bulk_insert_raises_djangos_integrity_error(world):
    org = world.orgs["A1"]
    row = {"organization_id": org.pk, "region_id": org.region_id, "kind": Tag.Kind.ENTITY, "name": "重点"}
    with actor_scope(world.actor("A1")):
        bulk_insert(actor=world.actor("A1"), model=Tag, rows=[row])
        with pytest.raises(IntegrityError), transaction.atomic():  # caught by callers as Django's error
            bulk_insert(actor=world.actor("A1"), model=Tag, rows=[row])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's statistics are PostgreSQL's")
def test_planner_statistics_follow_a_long_write(world):
    def estimated() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [MarketEntity._meta.db_table])
            return cursor.fetchone()[0]

    stats = PlannerStatistics(first=40, growth=4)
    with transaction.atomic():
        before = estimated()
        stats.wrote(MarketEntity, len(entities(world, "A", 30)))
        assert estimated() == before  # below the first threshold: not analyzed
        stats.wrote(MarketEntity, len(entities(world, "B", 20)))
        # Analyzed inside the transaction: the planner counts this transaction's own rows.
        assert estimated() >= 50
        assert stats.next_at[MarketEntity._meta.db_table] == 200


def test_chunks_splits_a_list_or_a_stream_into_full_lists_and_a_shorter_last():
    from tenancy.bulk import chunks

    assert list(chunks([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunks(iter(range(4)), 2)) == [[0, 1], [2, 3]]  # a generator, read once
    assert list(chunks([], 3)) == []
