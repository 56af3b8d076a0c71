"""The entity list page with 1,000,000 entities (× ``--scale``) in one department's registry.

Measures, through the real URL (middleware, scoped selector, keyset paging, template) as a
signed-in planner: p95 of 50 searches by name fragment, 50 by code prefix, 50 deep keyset pages
(a cursor deep in the range, e.g. page 10,000) and 20 consecutive "next page" clicks.
Target: p95 < 300 ms. Data is generated with COPY (PostgreSQL) or bulk_create (SQLite), in a
county of its own (泽州县 140525) so ``make bench``'s other benchmarks neither touch nor count it.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.test import Client
from django.urls import reverse

from benchmarks.support import summary_ms, timed
from inventory.codes import make_uscc
from inventory.demo import PROFILES, ROADS, SURNAMES, TOWNS, TRADE
from inventory.models import MarketEntity, RegistryEntry
from inventory.selectors import entities as entity_selectors
from tenancy.models import Membership, Organization, Region, User
from tenancy.scoping import system_scope

FULL = 1_000_000
REGION = "140525"  # 泽州县: a county no other benchmark uses
COLUMNS = (
    "organization_id", "region_id", "created_at", "updated_at", "code", "code_kind", "is_legacy_code", "name",
    "entity_type", "legal_representative", "address", "industry_code", "industry_name", "status", "risk_class",
    "on_abnormal_list", "on_dishonest_list", "complaint_count",
)
KINDS = [k for p in PROFILES.values() for k in p.kinds]


def _rows(org_id: int, region: Region, n: int, now: Any) -> Iterator[tuple]:
    rng = random.Random(20260101)
    for i in range(n):
        kind = rng.choice(KINDS)
        name = f"{region.name}{rng.choice(TRADE)}{rng.choice(kind[3])}{i % 997}"
        yield (
            org_id, region.pk, now, now, make_uscc("91", region.code, f"{i:09d}"), "uscc", False, name, "enterprise",
            rng.choice(SURNAMES) + "某", f"{region.name}{rng.choice(TOWNS)}{rng.choice(ROADS)}{i % 400}号",
            kind[1], kind[2], "active", rng.choices("ABCD", weights=(40, 35, 18, 7))[0],
            rng.random() < 0.05, rng.random() < 0.01, rng.choices((0, 1, 2, 5), weights=(80, 12, 6, 2))[0],
        )


def _load(org: Organization, region: Region, n: int) -> None:
    from django.utils import timezone

    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg 3 cursor: COPY is ~20× faster than INSERTs
            with raw.copy(f"COPY inventory_marketentity ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in _rows(org.pk, region, n, now):
                    copy.write_row(row)
            cursor.execute(
                "INSERT INTO inventory_registryentry (organization_id, region_id, entity_id, status, retired_reason, note, created_at, updated_at) "
                "SELECT %s, %s, id, 'active', '', '', now(), now() FROM inventory_marketentity WHERE region_id = %s",
                [org.pk, region.pk, region.pk],
            )
            # Settled, as a registry in use is: no autovacuum of the fresh rows during the timings.
            cursor.execute("VACUUM ANALYZE inventory_marketentity")
            cursor.execute("VACUUM ANALYZE inventory_registryentry")
        return
    batch: list[MarketEntity] = []
    for row in _rows(org.pk, region, n, now):
        batch.append(MarketEntity(**dict(zip(COLUMNS, row, strict=True))))
        if len(batch) == 5000:
            MarketEntity.objects.bulk_create(batch)
            batch = []
    MarketEntity.objects.bulk_create(batch)
    ids = MarketEntity.objects.filter(region=region).values_list("id", flat=True)
    RegistryEntry.objects.bulk_create(
        [RegistryEntry(organization=org, region=region, entity_id=i) for i in ids.iterator()], batch_size=5000
    )


def _ensure_search_indexes() -> None:
    """The trigram/pattern indexes of migration 0002 (a database built without migrations lacks them)."""
    if connection.vendor != "postgresql":
        return
    import importlib

    migration = importlib.import_module("inventory.migrations.0002_entity_name_trigram")
    with connection.schema_editor() as editor:
        migration.forwards(None, editor)


def _explain(user: User, org: Organization, deep: tuple[str, int]) -> None:
    """Print the plans of the three measured queries (``BENCH_EXPLAIN=1``)."""
    from tenancy.actors import actor_for
    from tenancy.scoping import actor_scope

    actor = actor_for(user, org)
    with actor_scope(actor):
        for label, filters, after in (
            ("name fragment", entity_selectors.EntityFilters(q=TRADE[3]), ""),
            ("code prefix", entity_selectors.EntityFilters(q=deep[0][:12]), ""),
            ("deep page", entity_selectors.EntityFilters(), entity_selectors._encode(*deep)),
        ):
            qs = entity_selectors._keyset_query(
                entity_selectors.entity_queryset(actor=actor, filters=filters), sort="code", after=after, before="", size=50
            )[0]
            print(f"--- {label}\n{qs.explain(analyze=True)}", flush=True)


def run(args: Any) -> None:
    n = max(1000, int(FULL * args.scale))
    _ensure_search_indexes()
    with system_scope():
        province, _ = Region.objects.get_or_create(code="140000", defaults={"name": "山西省", "level": "province"})
        city, _ = Region.objects.get_or_create(code="140500", defaults={"name": "晋城市", "level": "city", "parent": province})
        # Its own county (no other benchmark writes there): the other benchmarks' entities are not
        # in its counts, and the import benchmark does not update its million rows.
        county = Region.objects.create(code=REGION, name="泽州县", level="county", parent=city)
        org = Organization.objects.create(kind="department", region=county, code="BENCH-SJJ", name="泽州县市场监督管理局")
        user = User.objects.create_user(username="bench_planner", password="x")
        Membership.objects.create(user=user, organization=org, region=county, is_planner=True, is_viewer=True)
        started = time.perf_counter()
        _load(org, county, n)
        print(f"generated {n:,} entities + registry entries in {time.perf_counter() - started:.1f}s", flush=True)
        codes = list(MarketEntity.objects.filter(region=county).order_by("id").values_list("code", flat=True)[:: max(1, n // 500)])
        deep = list(
            MarketEntity.objects.filter(region=county).order_by("code", "id").values_list("code", "id")[n // 2 : n // 2 + 1]
        ) + list(MarketEntity.objects.filter(region=county).order_by("code", "id").values_list("code", "id")[n - 100 : n - 99])

    if os.environ.get("BENCH_EXPLAIN") and connection.vendor == "postgresql":
        _explain(user, org, deep[0])

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("inventory:entity_list")
    rng = random.Random(7)
    rows_seen: list[int] = []

    def get(query: str) -> None:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200, response.status_code
        rows_seen.append(response.content.decode().count('data-testid="entity-row"'))

    # Warm-up (connection, template cache).
    get("")
    fragments = [rng.choice(TRADE) for _ in range(25)] + [rng.choice(rng.choice(KINDS)[3])[:3] for _ in range(25)]
    samples = [0]

    def name_search() -> None:
        get(f"q={fragments[samples[0] % 50]}")
        samples[0] += 1

    summary_ms("name fragment search (50)", timed(name_search, 50))
    print(f"  rows per page: min {min(rows_seen[1:51])}, max {max(rows_seen[1:51])}")
    prefixes = [c[: rng.randint(10, 15)] for c in rng.sample(codes, 50)]
    it = iter(prefixes)
    summary_ms("code prefix search (50)", timed(lambda: get(f"q={next(it)}"), 50))

    # Deep pages: cursors around the middle and the end of the 1,000,000 (page ~10,000 of 50 rows).
    cursors = []
    for code, pk in deep:
        for step in range(25):
            cursors.append(entity_selectors._encode(code, pk - step))
    itc = iter(cursors)
    summary_ms("deep keyset page, sort=code (50)", timed(lambda: get(f"after={next(itc)}"), 50))

    # Following "next" links, as a user clicks.
    body = client.get(f"{url}?sort=code").content.decode()
    clicks: list[float] = []
    for _ in range(20):
        m = re.search(r'href="\?([^"]*after=[^"]*)"', body)
        if not m:
            break
        t = time.perf_counter()
        body = client.get(f"{url}?{m.group(1).replace('&amp;', '&')}").content.decode()
        clicks.append((time.perf_counter() - t) * 1000)
    summary_ms("next-page clicks (20)", clicks)
    for sort in ("name", "risk", "complaints", "updated"):
        summary_ms(f"first page sort={sort} (10)", timed(lambda s=sort: get(f"sort={s}"), 10))
    summary_ms("filter risk=D + abnormal (10)", timed(lambda: get("risk=D&abnormal=yes"), 10))
