"""Filing (备案) of large draws: what ``filing_submit`` costs and stores, and what the worker's
备案表 job (PDF + .xlsx annex) costs in time and peak memory.

Registry: 1,000,000 × scale entities (``bench_draw``'s county: risk A/B/C/D in quarters, 1 %
deregistered, 300 inspectors, teams of 2). Two tasks are drawn over the same pool: one at
bench_draw's ratios (3/5/10/20 %: ≈ 93,000 targets at full scale) and one at a tenth of them
(≈ 9,300 targets). Each draw is filed (``filing_submit``, timed; the row's stored size read from
PostgreSQL), then its 备案表 job runs in a fresh process, as a Celery worker runs it
(``benchmarks.filing_worker``): its time and its peak RSS — target < 500 MB for any draw.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from django.conf import settings
from django.db import connection, transaction

from benchmarks.bench_draw import FULL_ENTITIES, RATIOS, _world
from sampling.models import Filing, SamplingTask
from sampling.services import draws as draw_services
from sampling.services import filings as filing_services
from tenancy.actors import actor_for
from tenancy.context import Role
from tenancy.scoping import actor_scope, system_scope


def _task(base: SamplingTask, uid: str, divisor: int) -> SamplingTask:
    with system_scope():
        return SamplingTask.objects.create(
            organization_id=base.organization_id, region_id=base.region_id, plan=base.plan, name=f"基准测试任务 {uid}",
            uid=uid, status=SamplingTask.Status.READY, reserve_size=5, team_requirements=base.team_requirements,
            strata=[{"stratum": s, "ratio": str(Decimal(r) / divisor)} for s, r in RATIOS.items()],
        )


def _stored_bytes(filing: Filing) -> tuple[int, int]:
    """(bytes on disk, bytes of JSON text) of the filing's stored record."""
    if connection.vendor != "postgresql":
        size = len(json.dumps(Filing.objects.filter(pk=filing.pk).values_list("record", flat=True)[0]))
        return size, size
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_column_size(record), octet_length(record::text) FROM sampling_filing WHERE id = %s", [filing.pk])
        return cursor.fetchone()


def _worker(filing: Filing, media: str) -> dict[str, Any]:
    env = {**os.environ, "MEDIA_ROOT": media}
    command = [sys.executable, "-m", "benchmarks.filing_worker", connection.settings_dict["NAME"], str(filing.pk)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        print(done.stdout[-2000:], done.stderr[-4000:], flush=True)
        raise RuntimeError("the filing worker failed")
    return json.loads(lines[-1].removeprefix("RESULT "))


def run(args: Any) -> None:
    n = max(1000, int(FULL_ENTITIES * args.scale))
    org, base = _world(n)
    actor = actor_for(None, org, via="command", roles=frozenset(Role.ALL))
    media = tempfile.mkdtemp(prefix="bench-filing-")
    settings.MEDIA_ROOT = media
    for uid, divisor in (("BENCH-FILING-S", 10), ("BENCH-FILING-L", 1)):
        task = _task(base, uid, divisor)
        with actor_scope(actor), transaction.atomic():
            draw = draw_services.draw_commit(actor=actor, task=task)
            draw = draw_services.draw_execute(actor=actor, draw=draw, public_entropy="bench", witnesses=["基准"])
        targets = sum(a["selected"] for a in draw.allocation)
        # The worker's job runs below in a process of its own: nothing is queued here.
        with actor_scope(actor), patch("sampling.services.filings._queue_pdf"), transaction.atomic():
            profile = cProfile.Profile() if os.environ.get("BENCH_FILING_PROFILE") else None
            started = time.perf_counter()
            if profile:
                profile.enable()
            filing = filing_services.filing_submit(actor=actor, draw=draw)
            submitted = time.perf_counter() - started
            if profile:
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        with system_scope():
            stored = _stored_bytes(filing)
        print(f"{uid}: pool {draw.pool_size:,}, {targets:,} targets", flush=True)
        print(f"  filing_submit: {submitted:.2f}s; stored record {stored[0] / 2**20:.1f} MB on disk "
              f"({stored[1] / 2**20:.1f} MB of JSON)", flush=True)
        if os.environ.get("BENCH_FILING_NO_WORKER"):
            continue
        result = _worker(filing, media)
        print(
            f"  备案表 job (PDF + annex) in a fresh worker process: {result['seconds']:.1f}s, RSS after start-up "
            f"{result['rss_start_mb']:.0f} MB, peak {result['rss_peak_mb']:.0f} MB — target < 500 MB; "
            f"PDF {result['pdf_bytes'] / 2**20:.1f} MB, annex {result['annex_bytes'] / 2**20:.1f} MB",
            flush=True,
        )
