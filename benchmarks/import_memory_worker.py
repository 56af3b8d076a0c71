"""One import step in a fresh process of its own, so its peak resident memory is the step's
alone: ``python -m benchmarks.import_memory_worker <db> preview <file>`` (the upload page's
preview: ``import_preview`` reading the file as the request's upload) or ``... command <file>
[import_registry options]`` (``manage.py import_registry entities <file> --org BENCH-IMPORT``).

Prints one JSON line: seconds, the process's RSS after start-up and its peak, and the outcome.
Used by ``bench_import_memory`` (not a benchmark itself: its name does not start with ``bench_``).
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    db_name, mode, path = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    import django
    from django.conf import settings

    for alias in settings.DATABASES:
        settings.DATABASES[alias]["NAME"] = db_name
    django.setup()
    from django.core.management import call_command

    from benchmarks.bench_import import ORG_CODE, _department
    from benchmarks.support import peak_rss_mb
    from inventory.services.imports import import_preview
    from tenancy.scoping import actor_scope

    actor = _department()
    started_rss = peak_rss_mb()
    started = time.perf_counter()
    out: dict[str, object] = {}
    if mode == "preview":
        with actor_scope(actor), path.open("rb") as upload:
            job = import_preview(actor=actor, kind="entities", data=upload, filename=path.name)
        out.update(total_rows=job.total_rows, rejected=job.rejected_count, first_error=(job.errors or [{}])[0].get("reason"))
    else:
        printed = io.StringIO()
        try:
            call_command("import_registry", "entities", str(path), "--org", ORG_CODE, *sys.argv[4:], stdout=printed)
            status = 0
        except SystemExit as exc:
            status = int(exc.code or 0)
        lines = printed.getvalue().splitlines()
        out.update(exit=status, summary=next((line for line in lines if " rows: " in line), ""), first_line=lines[0] if lines else "")
    out.update(seconds=time.perf_counter() - started, rss_start_mb=started_rss, rss_peak_mb=peak_rss_mb())
    print("RESULT " + json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
