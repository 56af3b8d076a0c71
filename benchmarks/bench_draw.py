"""End-to-end draw on a 1,000,000-entity registry (issue 4 benchmark).

Registry: 1,000,000 × scale entities in one county department's registry, risk A/B/C/D in equal
quarters drawn at 3/5/10/20 % (≈ 95,000 selections at full scale), 1 % deregistered (excluded
with a reason), 300 inspectors, teams of 2, conflicts declared for 1 % of the entities.

Timed, end to end: load the eligible pool with its exclusions (``sampling.selectors.pool.task_pool``), the
inspector side, commit (canonical pool, hash, gzip), rank, assign teams, persist every selection,
including every constraint check the rows cost — the selections' references are checked per
statement by a trigger, and whatever PostgreSQL would defer to COMMIT is forced with
``SET CONSTRAINTS ALL IMMEDIATE`` (the run never commits). Targets on PostgreSQL: ≤ 10 s and
< 1 GB. In the same run: the naive baseline ``SELECT … ORDER BY random() LIMIT k`` per stratum,
select only, and select + what a draw then needs (inspectors and conflicts loaded, random
conflict-free teams of 2, the same rows persisted the same way); our time ÷ each (target ≤ 1.5);
and the time to rebuild and ``verify`` the record.

Data is generated with ``INSERT … SELECT generate_series`` on PostgreSQL (seconds for a million
rows); elsewhere with ``bulk_create``.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from benchmarks.support import peak_rss_mb
from inventory.models import ConflictOfInterest, Inspector, MarketEntity, RegistryEntry
from sampling import hashrank
from sampling.models import Draw, DrawSelection, SamplingPlan, SamplingTask
from sampling.pool import paused_gc
from sampling.selectors import draws as draw_selectors
from sampling.services import draws as draw_services
from tenancy.actors import actor_for
from tenancy.bulk import bulk_insert
from tenancy.context import OrgKind, Role
from tenancy.models import Organization, Region
from tenancy.scoping import actor_scope, system_scope

FULL_ENTITIES = 1_000_000
INSPECTORS = 300
RATIOS = {"A": "0.03", "B": "0.05", "C": "0.10", "D": "0.20"}


def _insert_select(model: type[Model], source: str, source_params: list[Any], computed: dict[str, str], fixed: dict[str, Any]) -> None:
    """INSERT INTO model SELECT … ``source``: ``computed`` columns are SQL expressions over the
    source; every other column takes ``fixed`` or the field's default (Django sets no DB defaults)."""
    now = timezone.now()
    columns, values, params = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.column in computed:
            values.append(computed[f.column])
        else:
            if f.column in fixed:
                value = fixed[f.column]
            elif f.name in ("created_at", "updated_at"):
                value = now
            else:
                value = f.get_default()
            values.append("%s")
            params.append(f.get_db_prep_save(value, connection))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *source_params])


def _generate(n: int, org: Organization) -> None:
    region = org.region
    if connection.vendor == "postgresql":
        _insert_select(
            MarketEntity, "FROM generate_series(0, %s) AS i", [n - 1],
            {
                "code": "'91140522MA' || lpad(i::text, 8, '0')",
                "name": "'阳城县基准测试企业' || i::text",
                "risk_class": "(ARRAY['A','B','C','D'])[i %% 4 + 1]",
                # 1 % deregistered: excluded with a reason.
                "status": "CASE WHEN i %% 100 = 7 THEN 'deregistered' ELSE 'active' END",
            },
            {"organization_id": org.pk, "region_id": region.pk},
        )
        _insert_select(
            RegistryEntry, "FROM inventory_marketentity e WHERE e.organization_id = %s", [org.pk],
            {"entity_id": "e.id"}, {"organization_id": org.pk, "region_id": region.pk},
        )
    else:
        for start in range(0, n, 20000):
            ents = MarketEntity.objects.bulk_create(
                MarketEntity(
                    organization=org, region=region, code=f"91140522MA{i:08d}", name=f"阳城县基准测试企业{i}",
                    risk_class="ABCD"[i % 4], status="deregistered" if i % 100 == 7 else "active",
                )
                for i in range(start, min(n, start + 20000))
            )
            RegistryEntry.objects.bulk_create(RegistryEntry(organization=org, region=region, entity=e) for e in ents)
    Inspector.objects.bulk_create(
        Inspector(organization=org, region=region, name=f"检查员{i}", cert_no=f"1405220{i:05d}", cert_expires_on=dt.date(2099, 12, 31))
        for i in range(INSPECTORS)
    )
    # Conflicts for 1 % of the entities, each with one inspector.
    rnd = random.Random(4)
    inspectors = list(Inspector.objects.filter(organization=org).values_list("pk", flat=True))
    entity_ids = list(MarketEntity.objects.filter(organization=org).values_list("pk", flat=True))
    chosen = rnd.sample(entity_ids, max(1, len(entity_ids) // 100))
    ConflictOfInterest.objects.bulk_create(
        (
            ConflictOfInterest(organization=org, region=region, inspector_id=rnd.choice(inspectors), entity_id=e, reason="亲属")
            for e in chosen
        ),
        batch_size=10000,
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Settled, as a registry in use is (autovacuum long done): hint bits and the visibility
            # map set now, not by whichever query first reads the fresh rows.
            cursor.execute("VACUUM ANALYZE")


def _world(n: int) -> tuple[Organization, SamplingTask]:
    with system_scope():
        region = Region.objects.create(code="140522", name="阳城县", level="county")
        org = Organization.objects.create(kind=OrgKind.DEPARTMENT, region=region, code="BENCH-D", name="阳城县基准测试局")
        Organization.objects.create(kind=OrgKind.OFFICE, region=region, code="BENCH-O", name="阳城县双随机办")
        started = time.perf_counter()
        _generate(n, org)
        print(f"generated {n:,} entities, {INSPECTORS} inspectors, conflicts for 1 %: {time.perf_counter() - started:.1f}s", flush=True)
        plan = SamplingPlan.objects.create(
            organization=org, region=region, year=2026, name="基准测试年度计划", status=SamplingPlan.Status.APPROVED,
            strata=[{"stratum": s, "ratio": r} for s, r in RATIOS.items()], annual_cap=0, exclude_inspected_by_plan=False,
        )
        task = SamplingTask.objects.create(
            organization=org, region=region, plan=plan, name="基准测试任务", uid="BENCH-2026-1",
            status=SamplingTask.Status.READY, reserve_size=5, team_requirements=[{"department": org.pk, "count": 2}],
        )
    return org, task


def _check_deferred_constraints() -> None:
    """Run the foreign-key checks PostgreSQL defers to COMMIT (Django's FKs are DEFERRABLE
    INITIALLY DEFERRED): five per selection row, seconds for a hundred thousand rows. Everything
    here runs in one transaction that never commits, so each timed side pays them explicitly."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _baseline(actor: Any, org: Organization, draw: Draw, persist: bool) -> float:
    """The naive draw: per stratum ORDER BY random() LIMIT k over the eligible rows (status
    filters in SQL). With ``persist``, it also does what a draw must do after picking: load the
    inspectors and their conflicts, give each target 2 random inspectors without a conflict, and
    persist the same number of selection rows the same way as ours (``bulk_insert``, constraint
    checks included, rolled back)."""
    quotas = {a["stratum"][0]: a["selected"] for a in draw.allocation}
    started = time.perf_counter()
    picked: list[tuple[int, str, str]] = []
    with connection.cursor() as cursor:
        for risk, k in quotas.items():
            cursor.execute(
                "SELECT e.id, e.code FROM inventory_marketentity e JOIN inventory_registryentry r ON r.entity_id = e.id"
                " WHERE r.organization_id = %s AND r.status = 'active' AND e.status = 'active' AND e.risk_class = %s"
                " ORDER BY random() LIMIT %s",
                [org.pk, risk, k],
            )
            picked.extend((pk, code, risk) for pk, code in cursor.fetchall())
    if persist:
        inspectors = list(Inspector.objects.filter(organization=org, status=Inspector.Status.ACTIVE).values_list("pk", flat=True))
        barred: dict[int, set[int]] = {}
        for inspector_id, entity_id in ConflictOfInterest.objects.filter(is_active=True, inspector_id__in=inspectors).values_list(
            "inspector_id", "entity_id"
        ):
            barred.setdefault(entity_id, set()).add(inspector_id)
        sid = transaction.savepoint()
        rows = []
        for n, (pk, code, risk) in enumerate(picked, 1):
            team = random.sample(inspectors, 2)
            while barred.get(pk, set()) & set(team):
                team = random.sample(inspectors, 2)
            rows.append({
                "organization_id": org.pk, "region_id": org.region_id, "plan_id": draw.plan_id, "draw_id": draw.pk,
                "entity_id": pk, "key": f"base-{code}", "stratum": risk, "score": "", "rank": n, "status": "selected",
                "team": team, "initial_team": team,
            })
        rows.sort(key=lambda row: row["key"])  # as ours does (sampling.services.draws)
        bulk_insert(actor=actor, model=DrawSelection, rows=rows)
        _check_deferred_constraints()
        transaction.savepoint_rollback(sid)
    return time.perf_counter() - started


def run(args: Any) -> None:
    n = max(1000, int(FULL_ENTITIES * args.scale))
    org, task = _world(n)
    actor = actor_for(None, org, via="command", roles=frozenset(Role.ALL))
    rss_before = peak_rss_mb()
    with actor_scope(actor), transaction.atomic():
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        frozen = draw_services.draw_freeze(actor=actor, task=task)
        timings["load pool + exclusions + inspectors"] = time.perf_counter() - t0
        t = time.perf_counter()
        draw = draw_services.draw_commit(actor=actor, task=task, frozen=frozen)
        timings["commit (canonical pool, hash, gzip)"] = time.perf_counter() - t
        del frozen
        t = time.perf_counter()
        steps: list[tuple[float, str]] = []  # the draw's own progress reports, timed
        draw = draw_services.draw_execute(
            actor=actor, draw=draw, public_entropy="bench", witnesses=["基准"],
            progress=lambda pct, label: steps.append((time.perf_counter(), str(label))),
        )
        drawn = time.perf_counter()
        timings["draw (rank, assign, persist)"] = drawn - t
        t = time.perf_counter()
        _check_deferred_constraints()
        timings["constraint checks deferred to COMMIT"] = time.perf_counter() - t
        total = time.perf_counter() - t0
        selected = sum(a["selected"] for a in draw.allocation)
        print(f"pool {draw.pool_size:,} eligible, {draw.excluded_count:,} excluded, {len(draw.conflicts):,} conflicts in the pool", flush=True)
        for label, seconds in timings.items():
            print(f"  {label}: {seconds:.2f}s", flush=True)
            if label.startswith("draw") and steps:
                # Each step runs from its report to the next (the last to the end of the draw).
                ends = [at for at, _ in steps[1:]] + [drawn]
                for (at, step), end in zip(steps, ends, strict=True):
                    print(f"      {step}: {end - at:.2f}s", flush=True)
        print(f"END TO END: {total:.2f}s for {selected:,} selections (+ reserve) — target ≤ 10 s", flush=True)
        print(f"process RSS peak: {peak_rss_mb():.0f} MB (before the draw {rss_before:.0f} MB) — target < 1 GB", flush=True)

        base_select = _baseline(actor, org, draw, persist=False)
        base_full = _baseline(actor, org, draw, persist=True)
        print(f"baseline ORDER BY random() LIMIT k per stratum: {base_select:.2f}s (select only), "
              f"{base_full:.2f}s (select + conflict-free random teams + persist the same rows)", flush=True)
        print(f"RATIO ours ÷ baseline: {total / base_select:.2f} (select-only baseline), "
              f"{total / base_full:.2f} (select + teams + persist baseline) — target ≤ 1.5", flush=True)

        t = time.perf_counter()
        record = draw_selectors.draw_record(draw, variant="filing")
        built = time.perf_counter() - t
        t = time.perf_counter()
        with paused_gc():
            problems = hashrank.verify(record)
        verified = time.perf_counter() - t
        print(f"record rebuilt from the database: {built:.2f}s; verify: {verified:.2f}s -> {'verified' if not problems else problems[:3]}", flush=True)
        print(f"process RSS peak after verify: {peak_rss_mb():.0f} MB", flush=True)
