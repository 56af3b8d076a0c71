"""Reads of import jobs for the pages: the history and one job, each shown failed once its worker
stopped beating.
"""

from __future__ import annotations

from typing import Any

from inventory.importer.jobs import RUNNING_STATUSES, fail_if_stale
from inventory.models import ImportJob
from tenancy.context import Actor


def import_job_list(*, actor: Actor) -> Any:
    """Import history visible to the actor (an office also sees its departments' imports)."""
    jobs = ImportJob.objects.select_related("run", "created_by", "organization").order_by("-created_at", "-id")
    for job in ImportJob.objects.filter(run__status__in=RUNNING_STATUSES).select_related("run"):
        fail_if_stale(job)  # a job whose worker died is shown failed, not "running" forever
    return jobs


def import_job_get(*, actor: Actor, pk: int, own: bool = False) -> ImportJob:
    """One visible job (``own``: only the actor's organization's, for the actions that write)."""
    qs = ImportJob.objects.select_related("run", "created_by", "organization")
    if own:
        qs = qs.filter(organization_id=actor.organization_id)
    job = qs.get(pk=pk)
    fail_if_stale(job)
    return job
