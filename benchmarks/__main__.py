"""Run the benchmarks: ``python -m benchmarks [name ...] [--scale N]``.

They need PostgreSQL (``DATABASE_URL``) for meaningful figures; each creates its own database
``<name>_bench`` (dropped afterwards) so no real data is touched.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="bench modules to run (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="scale the data sizes (0.1 for a quick run)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    import django

    django.setup()
    import benchmarks

    modules = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    chosen = [m for m in modules if not args.names or m.removeprefix("bench_") in args.names or m in args.names]
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
