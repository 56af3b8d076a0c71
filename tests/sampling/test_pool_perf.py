"""Opt-in timing of the pool builder: ``POOL_BENCH=200000 pytest tests/sampling/test_pool_perf.py -s``.

Skipped by default (the suite stays fast); prints seconds for N registry entries with a few
hundred prior selections, so the figure can be quoted."""

from __future__ import annotations

import os
import time
import tracemalloc

import pytest
from django_scopes import scopes_disabled

from inventory.models import MarketEntity, RegistryEntry
from sampling.pool import plan_pool
from tenancy.scoping import actor_scope

from .test_plans_world import completed_draw, plan

N = int(os.environ.get("POOL_BENCH", "0"))
pytestmark = [pytest.mark.django_db, pytest.mark.skipif(not N, reason="set POOL_BENCH=<entities> to run")]


def test_pool_timing(world):
    a1 = world.orgs["A1"]
    with scopes_disabled():
        ents = MarketEntity.objects.bulk_create(
            (MarketEntity(organization=a1, region=a1.region, code=f"91140522{i:010d}", name=f"主体{i}",
                          risk_class="ABCD"[i % 4], status="deregistered" if i % 97 == 0 else "active",
                          complaint_count=i % 7) for i in range(N)),
            batch_size=5000,
        )
        RegistryEntry.objects.bulk_create((RegistryEntry(organization=a1, region=a1.region, entity=e) for e in ents),
                                          batch_size=5000)
    p = plan(a1, focus_ratio="0.3")
    completed_draw(p, ents[:300])
    actor = world.actor("A1")
    started = time.perf_counter()
    with actor_scope(actor):
        plan_pool(actor=actor, plan=p)
    plain = time.perf_counter() - started
    tracemalloc.start()
    started = time.perf_counter()
    with actor_scope(actor):
        pool = plan_pool(actor=actor, plan=p)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"\npool of {N} entries: {plain:.2f}s ({seconds:.2f}s under tracemalloc), peak {peak / 1e6:.0f} MB (tracemalloc), "
          f"eligible {pool.eligible}, excluded {len(pool.excluded)}")
    assert pool.eligible + len(pool.excluded) == N
