"""Progress reporting for background jobs.

The work of a job runs in one transaction, so nothing half-done is ever visible; its progress
must be visible while it runs, so it is written through a second connection (the ``progress``
database alias) that commits on its own. SQLite allows one writer only: there progress goes
through the default connection and shows when the job ends (eager mode runs jobs inline anyway).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from .context import Actor
from .models import Job

PROGRESS_DB = "progress" if "progress" in settings.DATABASES else "default"


def job_create(*, actor: Actor, kind: str, label: str, params: dict[str, Any] | None = None) -> Job:
    job = Job(kind=kind, label=label, params=params or {}, created_by_id=actor.user_id)
    job.set_tenant(actor)
    job.save(using=PROGRESS_DB)
    return job


def job_update(job_id: int, **fields: Any) -> None:
    if fields.get("status") == Job.Status.RUNNING and "started_at" not in fields:
        fields["started_at"] = timezone.now()
    if fields.get("status") in (Job.Status.DONE, Job.Status.FAILED, Job.Status.CANCELLED):
        fields.setdefault("finished_at", timezone.now())
    fields["updated_at"] = timezone.now()
    Job.objects.using(PROGRESS_DB).filter(pk=job_id).update(**fields)
