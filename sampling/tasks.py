"""Celery entry points of sampling: a draw over a large pool, every ready task of a plan at once,
and the PDF of a long 备案表.

The draw itself is one transaction (``draw_execute``): a worker that dies mid-way leaves the draw
``committed`` with nothing saved, and the task (acks_late, rejected on worker loss) runs again with
the same commitment. Progress goes to a ``tenancy.models.Job`` the page polls.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sampling.models import Draw, Filing, SamplingPlan, SamplingTask
from sampling.services import draws as draw_services
from sampling.services import filings as filing_services
from tenancy.context import Actor
from tenancy.jobs import job_heartbeat, job_update
from tenancy.models import Job
from tenancy.tasks import TenantTask


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or type(exc).__name__


@shared_task(base=TenantTask)
def draw_execute_task(draw_id: int, public_entropy: str, witnesses: list[str], job_id: int, *, actor: Actor) -> int | None:
    """Run one committed draw in the background; the job says how far it got and where it ended."""
    draw = Draw.objects.filter(pk=draw_id).first()
    if draw is None:
        job_update(job_id, status=Job.Status.FAILED, message=_("找不到该抽取。"))
        return None
    if draw.status == Draw.Status.COMPLETED:  # delivered twice (acks_late): the first run finished it
        job_update(job_id, status=Job.Status.DONE, progress=100, result={"draw_id": draw.pk})
        return draw.pk
    job_update(job_id, status=Job.Status.RUNNING, progress=1)
    try:
        with job_heartbeat(job_id):
            draw_services.draw_execute(
                actor=actor, draw=draw, public_entropy=public_entropy, witnesses=witnesses,
                progress=lambda pct, label: job_update(job_id, progress=pct, message=label),
            )
    except (ValidationError, PermissionDenied) as exc:
        if Draw.objects.filter(pk=draw.pk, status=Draw.Status.COMPLETED).exists():
            # Another delivery of this task (or a press in the page) finished the same draw first.
            job_update(job_id, status=Job.Status.DONE, progress=100, message=_("抽取完成"), result={"draw_id": draw.pk})
            return draw.pk
        job_update(job_id, status=Job.Status.FAILED, message=_message(exc), result={"draw_id": draw.pk})
        return None
    job_update(job_id, status=Job.Status.DONE, progress=100, message=_("抽取完成"), result={"draw_id": draw.pk})
    return draw.pk


@shared_task(base=TenantTask)
def draw_plan_all_task(
    plan_id: int, job_id: int, witnesses: list[str] | None = None, public_entropy: str = "", *, actor: Actor
) -> dict[str, Any]:
    """Draw every ready task of a plan (e.g. a joint plan's batches), each in its own transaction,
    before the witnesses ``draw_plan_all`` took (a task without them fails, as any draw would)."""
    plan = SamplingPlan.objects.filter(pk=plan_id).first()
    tasks = list(SamplingTask.objects.filter(plan=plan, status=SamplingTask.Status.READY).order_by("batch_no", "pk")) if plan else []
    job_update(job_id, status=Job.Status.RUNNING, progress=1)
    done: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for index, task in enumerate(tasks):
        try:
            names = draw_services.require_witnesses(witnesses or ())  # before any commitment
            open_draw = Draw.objects.filter(task=task, status=Draw.Status.COMMITTED).first()
            with job_heartbeat(job_id):
                if open_draw is None:
                    with transaction.atomic():
                        open_draw = draw_services.draw_commit(actor=actor, task=task)
                draw = draw_services.draw_execute(
                    actor=actor, draw=open_draw, public_entropy=public_entropy, witnesses=names,
                )
            done.append({"task": task.uid, "name": task.name, "draw_id": draw.pk})
        except (ValidationError, PermissionDenied) as exc:
            failed.append({"task": task.uid, "name": task.name, "error": _message(exc)})
        job_update(job_id, progress=int(100 * (index + 1) / max(1, len(tasks))), message=task.name)
    status = Job.Status.DONE if not failed else (Job.Status.FAILED if not done else Job.Status.DONE)
    summary = _("完成 %(done)s 个任务，失败 %(failed)s 个。") % {"done": len(done), "failed": len(failed)}
    if not tasks:
        summary = _("该计划没有待抽取的任务。")
    result = {"done": done, "failed": failed}
    job_update(job_id, status=status, progress=100, message=summary, result=result)
    return result


@shared_task(base=TenantTask)
def filing_pdf_task(filing_id: int, *, actor: Actor) -> str | None:
    """Render and attach a long 备案表 (``filing_submit`` queues it when the filing commits)."""
    # Its id only: the service reads the row itself, without the filed record (a long record
    # decoded here would stay alive through the layout).
    filing = Filing.objects.filter(pk=filing_id).only("pk").first()
    if filing is None:
        return None
    return filing_services.filing_attach_pdf(actor=actor, filing=filing).pdf.name
