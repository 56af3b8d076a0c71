"""Shared helpers for benchmarks: a throw-away database, timing, peak memory."""

from __future__ import annotations

import hashlib
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.test.utils import setup_databases, teardown_databases


@contextmanager
def bench_database() -> Iterator[None]:
    """Create a fresh test database (migrated), run the benchmarks in it, then drop it."""
    if connection.vendor != "postgresql":
        print("note: DATABASE_URL is not PostgreSQL; figures are for SQLite and not comparable to targets")
    old = setup_databases(verbosity=0, interactive=False, keepdb=False)
    try:
        yield
    finally:
        teardown_databases(old, verbosity=0)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def measure(label: str) -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["python_peak_mb"] = peak / 2**20
        out["rss_peak_mb"] = peak_rss_mb()
        print(f"{label}: {out['seconds']:.2f}s, python peak {out['python_peak_mb']:.0f} MB, process RSS peak {out['rss_peak_mb']:.0f} MB", flush=True)


def machine_reference_ms() -> float:
    """A fixed piece of pure-Python work (hash and sort 300,000 short keys), timed: the machines
    these run on (shared virtual machines) change speed by a third from one minute to the next,
    and this figure printed beside the others tells a slow minute from a slow change."""
    keys = [f"91140522MA{i:08d}".encode() for i in range(300_000)]
    started = time.perf_counter()
    digests = [hashlib.sha256(k).digest() for k in keys]
    digests.sort()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary_ms(label: str, samples: list[float]) -> None:
    print(f"{label}: n={len(samples)} p50={statistics.median(samples):.1f} ms p95={percentile(samples, 95):.1f} ms max={max(samples):.1f} ms", flush=True)
