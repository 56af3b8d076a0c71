"""The pool builder (``sampling.selectors.pool.plan_pool``) on a 200,000-entity registry.

Registry: 200,000 × scale entities in one county department's registry, risk A/B/C/D in turn,
one in 97 deregistered (excluded with a reason), complaint counts 0–6 (the focus stratum takes
3 and more). A batch of 300 targets was drawn by the plan already (the ceremony, through the
services), so the by-plan exclusion has rows to find; then the plan adds a focus stratum.

Timed: the pool of the plan as the plan and task pages build it, once cold and once under
tracemalloc, with the peak of Python memory. Printed, not asserted: figures depend on the machine.
"""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc
from typing import Any

from benchmarks.support import peak_rss_mb
from inventory.models import Inspector, MarketEntity, RegistryEntry
from sampling.models import SamplingPlan, SamplingTask
from sampling.selectors.pool import plan_pool
from sampling.services import draws as draw_services
from tenancy.actors import actor_for
from tenancy.context import OrgKind, Role
from tenancy.models import Organization, Region
from tenancy.scoping import actor_scope, system_scope

FULL_ENTITIES = 200_000
PRIOR_PER_STRATUM = 75  # 300 targets drawn before


def _world(n: int) -> tuple[Organization, SamplingPlan, SamplingTask]:
    with system_scope():
        region = Region.objects.create(code="140522", name="阳城县", level="county")
        org = Organization.objects.create(kind=OrgKind.DEPARTMENT, region=region, code="BENCH-D", name="阳城县基准测试局")
        for start in range(0, n, 5000):
            ents = MarketEntity.objects.bulk_create(
                MarketEntity(
                    organization=org, region=region, code=f"91140522{i:010d}", name=f"主体{i}", risk_class="ABCD"[i % 4],
                    status="deregistered" if i % 97 == 0 else "active", complaint_count=i % 7,
                )
                for i in range(start, min(n, start + 5000))
            )
            RegistryEntry.objects.bulk_create(RegistryEntry(organization=org, region=region, entity=e) for e in ents)
        Inspector.objects.bulk_create(
            Inspector(organization=org, region=region, name=f"检查员{i}", cert_no=f"1405220{i:05d}",
                      cert_expires_on=dt.date(2099, 12, 31))
            for i in range(20)
        )
        plan = SamplingPlan.objects.create(
            organization=org, region=region, year=2026, name="基准测试年度计划", status=SamplingPlan.Status.APPROVED,
        )
        prior = SamplingTask.objects.create(
            organization=org, region=region, plan=plan, name="第一批", uid="BENCH-POOL-2026-1", status=SamplingTask.Status.READY,
            strata=[{"stratum": s, "count": PRIOR_PER_STRATUM} for s in "ABCD"], reserve_size=0,
            team_requirements=[{"department": org.pk, "count": 2}],
        )
    return org, plan, prior


def run(args: Any) -> None:
    n = max(1000, int(FULL_ENTITIES * args.scale))
    started = time.perf_counter()
    org, plan, prior = _world(n)
    print(f"generated {n:,} entities: {time.perf_counter() - started:.1f}s", flush=True)
    actor = actor_for(None, org, via="command", roles=frozenset(Role.ALL))
    with actor_scope(actor):
        draw = draw_services.draw_run(actor=actor, task=prior, public_entropy="bench", witnesses=["基准"])
        print(f"prior batch drawn: {sum(a['selected'] for a in draw.allocation)} targets", flush=True)
        SamplingPlan.objects.filter(pk=plan.pk).update(focus_ratio="0.3")
        plan.refresh_from_db()

        started = time.perf_counter()
        plan_pool(actor=actor, plan=plan)
        plain = time.perf_counter() - started
        tracemalloc.start()
        started = time.perf_counter()
        pool = plan_pool(actor=actor, plan=plan)
        traced = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(f"pool of {n:,} entries: {plain:.2f}s ({traced:.2f}s under tracemalloc), Python peak {peak / 2**20:.0f} MB, "
          f"process RSS peak {peak_rss_mb():.0f} MB; eligible {pool.eligible:,}, excluded {len(pool.excluded):,} "
          f"{pool.excluded_counts}", flush=True)
    if pool.eligible + len(pool.excluded) != n:
        raise SystemExit(f"the pool lost entries: {pool.eligible} + {len(pool.excluded)} != {n}")
