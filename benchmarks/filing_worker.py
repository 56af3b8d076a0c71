"""One filing's 备案表 rendered as the Celery worker renders it, in a fresh process of its own, so
its peak resident memory is the job's alone: ``python -m benchmarks.filing_worker <db> <filing id>``.

Prints one JSON line: seconds, the process's RSS after start-up and its peak, and what was attached.
Used by ``bench_filing`` (not a benchmark itself: its name does not start with ``bench_``).

Peak RSS is the kernel's high-water mark of this address space (``VmHWM``): ``ru_maxrss`` of a
process started by ``subprocess`` also counts its parent's peak, which Linux carries across exec.
"""

from __future__ import annotations

import json
import os
import sys
import time


def vm_hwm_mb() -> float:
    """Peak resident memory of this process's own address space, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    db_name, filing_id = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    import django
    from django.conf import settings

    for alias in settings.DATABASES:
        settings.DATABASES[alias]["NAME"] = db_name
    django.setup()
    from django.db import transaction

    from sampling.models import Filing
    from sampling.tasks import filing_pdf_task
    from tenancy.scoping import system_scope

    with system_scope():
        filing = Filing.objects.only("organization_id").get(pk=filing_id)
    started_rss = vm_hwm_mb()
    started = time.perf_counter()
    with transaction.atomic():
        # The task body, as a worker runs it (TenantTask rebuilds the actor and opens its scope).
        filing_pdf_task.apply(args=[filing_id], kwargs={"actor": {"user_id": None, "organization_id": filing.organization_id, "via": "task"}}, throw=True)
    seconds = time.perf_counter() - started
    peak = vm_hwm_mb()  # before reading anything more (the row below leaves its record out too)
    with system_scope():
        filing = Filing.objects.only("pdf", "annex").get(pk=filing_id)
        out = {
            "seconds": seconds,
            "rss_start_mb": started_rss,
            "rss_peak_mb": peak,
            "pdf_bytes": filing.pdf.size if filing.pdf else 0,
            "annex_bytes": filing.annex.size if getattr(filing, "annex", None) else 0,
        }
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
