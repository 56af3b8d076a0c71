"""Celery entry points of inventory: big imports run here, with progress the page polls."""

from __future__ import annotations

from celery import shared_task

from tenancy.context import Actor
from tenancy.tasks import TenantTask

from .importer.jobs import import_claim, import_run
from .models import ImportJob


@shared_task(base=TenantTask)
def import_job_run(job_id: int, *, actor: Actor) -> str:
    """Run a confirmed import (queued by ``import_confirm`` on commit) in the uploader's scope."""
    if not import_claim(job_id=job_id, organization_id=actor.organization_id):
        # Delivered twice (acks_late), or a job confirmed again after its worker died while this
        # old delivery still waited: the other run has it.
        return ImportJob.objects.select_related("run").get(pk=job_id, organization_id=actor.organization_id).status
    job = ImportJob.objects.select_related("run").get(pk=job_id, organization_id=actor.organization_id)
    return import_run(actor=actor, job=job, report_progress=True).status
