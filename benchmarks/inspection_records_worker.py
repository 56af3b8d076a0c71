"""A task's 检查记录表 zip built as the Celery worker builds it, in a fresh process of its own, so
its peak resident memory is the job's alone:
``python -m benchmarks.inspection_records_worker <db> <task id> <user id> <organization id>``.

Prints one JSON line: seconds (wall and this process's CPU: on a shared machine the CPU figure
is the steadier one), the process's RSS after start-up and its peak (``VmHWM``), the
records written and the zip's size. Used by ``bench_inspection_records`` (not a benchmark itself).
"""

from __future__ import annotations

import json
import os
import sys
import time

from benchmarks.filing_worker import vm_hwm_mb


def main() -> None:
    db_name, task_id, user_id, org_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    import django
    from django.conf import settings

    for alias in settings.DATABASES:
        settings.DATABASES[alias]["NAME"] = db_name
    django.setup()
    from django.core.files.storage import default_storage

    from inspections.documents.archive import JOB_KIND
    from inspections.tasks import task_records_zip_task
    from tenancy.actors import actor_for
    from tenancy.jobs import job_create
    from tenancy.models import Job, Organization, User
    from tenancy.scoping import actor_scope, system_scope

    with system_scope():
        actor = actor_for(User.objects.get(pk=user_id), Organization.objects.get(pk=org_id))
    with actor_scope(actor):
        job = job_create(actor=actor, kind=JOB_KIND, label="基准测试打包", params={"task_id": task_id})
    started_rss = vm_hwm_mb()
    started = time.perf_counter()
    started_cpu = time.process_time()
    # The task body, as a worker runs it (TenantTask rebuilds the actor and opens its scope).
    task_records_zip_task.apply(args=[task_id, job.pk], kwargs={"actor": {"user_id": user_id, "organization_id": org_id, "via": "task"}},
                                throw=True)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - started_cpu
    peak = vm_hwm_mb()
    with system_scope():
        result = Job.objects.get(pk=job.pk).result
    out = {
        "seconds": seconds, "cpu_seconds": cpu_seconds, "rss_start_mb": started_rss, "rss_peak_mb": peak, "count": result["count"],
        "zip_bytes": default_storage.size(result["file"]),
    }
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
