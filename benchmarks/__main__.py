"""Run the benchmarks: ``python -m benchmarks [name ...] [--scale N]``.

They need PostgreSQL (``DATABASE_URL``) for meaningful figures. Each benchmark runs in a process
and a database of its own (``test_<name>``, created and dropped), so no real data is touched,
one benchmark's leftovers (autovacuum of its million rows) do not slow the next, and each peak
memory figure is that benchmark's own.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="bench modules to run (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="scale the data sizes (0.1 for a quick run)")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)  # one benchmark, here
    args = parser.parse_args()
    import benchmarks

    modules = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    chosen = [m for m in modules if not args.names or m.removeprefix("bench_") in args.names or m in args.names]
    if not args.in_process:
        failed = 0
        for name in chosen:
            command = [sys.executable, "-m", "benchmarks", name, "--scale", str(args.scale), "--in-process"]
            failed |= subprocess.run(command, check=False).returncode != 0
        return 1 if failed else 0

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    import django

    django.setup()
    from benchmarks.support import bench_database, machine_reference_ms

    with bench_database():
        for name in chosen:
            module = importlib.import_module(f"benchmarks.{name}")
            print(f"\n=== {name} (machine reference: {machine_reference_ms():.0f} ms)", flush=True)
            started = time.perf_counter()
            module.run(args)
            print(f"=== {name} finished in {time.perf_counter() - started:.1f}s "
                  f"(machine reference: {machine_reference_ms():.0f} ms)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
