"""Celery entry points of inspections: they take ids and report on a ``tenancy.Job``."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils.translation import gettext as _

from sampling.models import SamplingTask
from tenancy.context import Actor
from tenancy.jobs import job_heartbeat, job_update
from tenancy.models import Job
from tenancy.tasks import TenantTask

from .documents import archive


@shared_task(base=TenantTask)
def task_records_zip_task(task_id: int, job_id: int, *, actor: Actor) -> dict[str, Any] | None:
    """A task's 检查记录表 as one zip (``documents.archive``), for the actor who asked."""
    task = SamplingTask.objects.filter(pk=task_id).first()
    if task is None:
        job_update(job_id, status=Job.Status.FAILED, message=_("找不到该抽查任务。"))
        return None
    job_update(job_id, status=Job.Status.RUNNING, progress=1, message=_("正在生成检查记录表"))
    try:
        with job_heartbeat(job_id):
            result = archive.build_task_zip(
                actor=actor, task=task, report=lambda pct, message: job_update(job_id, progress=pct, message=message),
            )
    except Exception as exc:
        job_update(job_id, status=Job.Status.FAILED, message=_("生成失败：%(error)s") % {"error": exc})
        raise
    job_update(
        job_id, status=Job.Status.DONE, progress=100, result=result,
        message=_("已生成 %(count)s 份检查记录表") % {"count": result["count"]},
    )
    return result
