"""Running a confirmed import job: :func:`import_run` re-reads the stored file and upserts the valid
rows in one transaction, inline or in a Celery worker (``inventory.tasks``). Where the import
stands is its ``run``, a ``tenancy.Job``: the worker reports progress and beats through
``tenancy.jobs`` like every background job; :func:`fail_if_stale` marks failed an import whose
worker died, so it can be confirmed again.
"""

from __future__ import annotations

import gc
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import ImportJob
from tenancy.audit import record
from tenancy.bulk import reads_beside_see_all
from tenancy.context import Actor
from tenancy.jobs import ACTIVE, job_claim, job_fail_if_stale, job_heartbeat, job_update
from tenancy.models import Job

from . import upserts
from .entity_upsert import BulkResult
from .pipeline import stream_entities
from .reading import STORED, ImportRefused, job_source
from .rows import ParsedFile, parse_context, parse_rows, parse_table
from .upserts import UPSERTS, upsert_entities

RUNNING_STATUSES = ACTIVE


def fail_if_stale(job: ImportJob) -> bool:
    """A queued or running import whose worker gave no sign of life for ``JOB_STALE_AFTER_SECONDS``
    died with it: its run is marked failed, with the reason, and it can be confirmed again. Its
    transaction was rolled back with the worker: nothing of it was written. Called wherever an
    import is looked at (page, poll, confirm)."""
    message = _("后台导入中断：超过 %(m)s 分钟没有进展（处理进程可能已退出），未写入任何数据。可以重新确认导入。") % {
        "m": round(settings.JOB_STALE_AFTER_SECONDS / 60)}
    return job_fail_if_stale(job.run, message=message)


def import_claim(*, job_id: int, organization_id: int) -> bool:
    """The worker takes a queued import, once: a task delivered twice, or an import confirmed again
    while an old task of it still waited in the queue, runs one import."""
    run_id = ImportJob.objects.filter(pk=job_id, organization_id=organization_id).values_list("run_id", flat=True).first()
    return run_id is not None and job_claim(run_id)


def _set_run(job: ImportJob, report_progress: bool, **fields: Any) -> None:
    """Write the run's ``fields``: in a worker through the progress connection (the page sees
    them while the import's transaction is open); inline, where the request's transaction holds
    the run's row, through this one."""
    if report_progress:
        job_update(job.run_id, **fields)
    else:
        Job.objects.filter(pk=job.run_id).update(updated_at=timezone.now(), **fields)
    for name, value in fields.items():
        setattr(job.run, name, value)


def pause_gc() -> bool:
    """Hundreds of thousands of live rows make every cyclic-GC pass slower and slower (an import
    got slower per row as files grew); parsing and upserting create no cycles worth collecting."""
    was_enabled = gc.isenabled()
    gc.disable()
    return was_enabled


def import_run(*, actor: Actor, job: ImportJob, report_progress: bool = True) -> ImportJob:
    """Re-read and re-validate the stored file, then upsert the valid rows in ONE transaction.

    ``report_progress`` is for the Celery path only: inside a request the run's row is already
    locked by the request's transaction, and a second connection would wait for it forever.
    The run's end (done or refused) is written in the import's transaction, with its rows."""
    run = job.run
    if report_progress:
        _set_run(job, True, status=Job.Status.RUNNING, progress=0)
    # Lookups may run on a second connection only when it sees all this one does: before the
    # import's own transaction opens, nothing of this connection is uncommitted.
    beside = reads_beside_see_all()
    gc_was_enabled = pause_gc()
    try:
        with job_heartbeat(job.run_id) if report_progress else nullcontext(), transaction.atomic(), job_source(job) as stream:
            total = max(1, job.valid_rows or job.total_rows)  # from the preview: the stream's size
            step = max(upserts.CHUNK, total // 20)
            last = [0]

            def progress(done: int) -> None:
                if report_progress and (done - last[0] >= step or done >= total):
                    last[0] = done
                    job_update(job.run_id, progress=min(99, done * 100 // total))

            note = _("导入文件 %(f)s") % {"f": job.filename}
            ctx = parse_context(actor)
            result: BulkResult | None = None
            if job.kind == ImportJob.Kind.ENTITIES:
                parsed, result = stream_entities(
                    actor=actor, job=job, source=stream, ctx=ctx, progress=progress, note=note, beside=beside
                )
            else:
                parsed = parse_table(stream, job.filename, job.kind, ctx, limits=STORED, keep_rows=True)
            rejected = parsed.rejected_count
            job.errors = parsed.errors
            job.rejected_count = rejected
            job.valid_rows = parsed.valid_rows
            job.total_rows = parsed.total_rows
            if job.mode == ImportJob.Mode.ALL and rejected:
                run.status = Job.Status.REFUSED
                run.message = _("有 %(n)s 行错误，按“全部有效才导入”未导入任何数据") % {"n": rejected}
            else:
                if result is None and job.kind == ImportJob.Kind.ENTITIES:
                    # The pipeline's writes were undone (a code repeated further down): the
                    # valid rows again, from the file, one step after another.
                    again = ParsedFile(job.kind)
                    rows = parse_rows(stream, job.filename, job.kind, ctx, again, limits=STORED,
                                      exclude=parsed.rejected, file_checks=False)
                    result = upsert_entities(actor=actor, records=(r.values for r in rows), present=parsed.present,
                                             progress=progress, note=note)
                elif result is None:
                    result = UPSERTS[job.kind](
                        actor=actor, records=[r.values for r in parsed.rows or []], present=parsed.present,
                        progress=progress, note=note,
                    )
                job.created_count, job.updated_count, job.unchanged_count = result.created, result.updated, result.unchanged
                run.status = Job.Status.DONE
                run.message = _("导入完成：新增 %(c)s，更新 %(u)s，未变化 %(n)s，拒绝 %(r)s") % {
                    "c": result.created, "u": result.updated, "n": result.unchanged, "r": rejected}
            run.progress = 100
            run.finished_at = run.heartbeat_at = timezone.now()
            run.save(update_fields=["status", "message", "progress", "finished_at", "heartbeat_at", "updated_at"])
            job.save()
            record(
                actor=actor, action="import" if job.status == ImportJob.Status.DONE else "import_refused", target=job,
                changes={"created": job.created_count, "updated": job.updated_count, "unchanged": job.unchanged_count,
                         "rejected": job.rejected_count, "mode": job.mode},
                note=job.message,
            )
    except ImportRefused as exc:
        return _fail(job, str(exc), report_progress)
    except Exception as exc:  # nothing was written (the transaction rolled back): say so, don't 500
        if not report_progress:
            raise
        _fail(job, _("导入失败，未写入任何数据：%(e)s") % {"e": exc.__class__.__name__}, report_progress)
        raise
    finally:
        if gc_was_enabled:
            gc.enable()
    return job


def _fail(job: ImportJob, message: str, report_progress: bool) -> ImportJob:
    _set_run(job, report_progress, status=Job.Status.FAILED, message=message, finished_at=timezone.now())
    return job
