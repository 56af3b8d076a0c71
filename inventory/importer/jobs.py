"""Running a confirmed import job: :func:`import_run` re-reads the stored file and upserts the valid
rows in one transaction, inline or in a Celery worker (``inventory.tasks``), which reports its
progress and a heartbeat; :func:`fail_if_stale` marks failed a job whose worker died.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import ImportJob
from tenancy import db
from tenancy.audit import record
from tenancy.bulk import (
    reads_beside_see_all,
)
from tenancy.context import Actor
from tenancy.jobs import PROGRESS_DB

from . import upserts
from .entity_upsert import BulkResult
from .pipeline import stream_entities
from .reading import STORED, ImportRefused, job_source
from .rows import ParsedFile, parse_context, parse_rows, parse_table
from .upserts import UPSERTS, upsert_entities

RUNNING_STATUSES = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)


def fail_if_stale(job: ImportJob) -> bool:
    """A queued or running job whose worker gave no sign of life (``heartbeat_at``, or its last
    save for older rows) for ``IMPORT_STALE_AFTER_SECONDS`` died with it: mark it failed, with
    the reason, so it can be confirmed again. Its transaction was rolled back with the worker:
    nothing of it was written. Called wherever a job is looked at (page, poll, confirm)."""
    if job.status not in RUNNING_STATUSES:
        return False
    now = timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)
    message = _("后台导入中断：超过 %(m)s 分钟没有进展（处理进程可能已退出），未写入任何数据。可以重新确认导入。") % {
        "m": round(settings.IMPORT_STALE_AFTER_SECONDS / 60)}
    fields = {"status": ImportJob.Status.FAILED, "message": message, "finished_at": now}
    stale = ImportJob.objects.filter(pk=job.pk, status__in=RUNNING_STATUSES).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, updated_at__lt=cutoff))
    if not stale.update(**fields):
        return False
    for name, value in fields.items():
        setattr(job, name, value)
    return True


@contextmanager
def _heartbeat(job_id: int) -> Iterator[None]:
    """While the block runs, a thread writes ``heartbeat_at`` through a connection of its own
    every tenth of the stale time: the job looks alive as long as its process is, whatever the
    import waits for (a long statement, a lock). On PostgreSQL, when the import opens its own
    transaction (the worker's case; inside another one the job row may be locked by it): SQLite
    has one writer, and there the progress updates beat instead."""
    if not db.is_postgresql(connections[PROGRESS_DB]) or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        yield
        return
    stop = threading.Event()
    interval = max(1.0, settings.IMPORT_STALE_AFTER_SECONDS / 10)
    progress = connections[PROGRESS_DB]
    # The thread's connection: the settings of this one (a test database's too), its own socket.
    wrapper, settings_dict = progress.__class__, dict(progress.settings_dict)

    def beat() -> None:
        own = wrapper(settings_dict, PROGRESS_DB)
        connections[PROGRESS_DB] = own  # for this thread only
        try:
            while not stop.wait(interval):
                try:
                    ImportJob.objects.using(PROGRESS_DB).filter(pk=job_id).update(heartbeat_at=timezone.now())
                except Exception:  # a lost connection: the next beat tries again
                    own.close()
        finally:
            own.close()
            del connections[PROGRESS_DB]

    thread = threading.Thread(target=contextvars.copy_context().run, args=(beat,), name=f"import-{job_id}-heartbeat",
                              daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def import_claim(*, job_id: int, organization_id: int) -> bool:
    """The worker takes a queued job, once: a task delivered twice, or a job confirmed again
    while an old task of it still waited in the queue, runs one import."""
    return bool(ImportJob.objects.filter(pk=job_id, organization_id=organization_id, status=ImportJob.Status.QUEUED)
                .update(status=ImportJob.Status.RUNNING, progress=0, heartbeat_at=timezone.now()))


def _set_progress(job_id: int, **fields: Any) -> None:
    # Through the "progress" connection so the page sees it while the import's transaction is open.
    ImportJob.objects.using(PROGRESS_DB).filter(pk=job_id).update(heartbeat_at=timezone.now(), **fields)


def pause_gc() -> bool:
    """Hundreds of thousands of live rows make every cyclic-GC pass slower and slower (an import
    got slower per row as files grew); parsing and upserting create no cycles worth collecting."""
    was_enabled = gc.isenabled()
    gc.disable()
    return was_enabled


def import_run(*, actor: Actor, job: ImportJob, report_progress: bool = True) -> ImportJob:
    """Re-read and re-validate the stored file, then upsert the valid rows in ONE transaction.

    ``report_progress`` is for the Celery path only: inside a request the job row is already
    locked by the request's transaction, and a second connection would wait for it forever."""
    if report_progress:
        _set_progress(job.pk, status=ImportJob.Status.RUNNING, progress=0)
    # Lookups may run on a second connection only when it sees all this one does: before the
    # import's own transaction opens, nothing of this connection is uncommitted.
    beside = reads_beside_see_all()
    gc_was_enabled = pause_gc()
    try:
        with _heartbeat(job.pk) if report_progress else nullcontext(), transaction.atomic(), job_source(job) as stream:
            total = max(1, job.valid_rows or job.total_rows)  # from the preview: the stream's size
            step = max(upserts.CHUNK, total // 20)
            last = [0]

            def progress(done: int) -> None:
                if report_progress and (done - last[0] >= step or done >= total):
                    last[0] = done
                    _set_progress(job.pk, progress=min(99, done * 100 // total))

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
                job.status = ImportJob.Status.REFUSED
                job.message = _("有 %(n)s 行错误，按“全部有效才导入”未导入任何数据") % {"n": rejected}
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
                job.status = ImportJob.Status.DONE
                job.message = _("导入完成：新增 %(c)s，更新 %(u)s，未变化 %(n)s，拒绝 %(r)s") % {
                    "c": result.created, "u": result.updated, "n": result.unchanged, "r": rejected}
            job.progress = 100
            job.finished_at = timezone.now()
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
    fields = {"status": ImportJob.Status.FAILED, "message": message, "finished_at": timezone.now()}
    if report_progress:
        _set_progress(job.pk, **fields)
    else:
        ImportJob.objects.filter(pk=job.pk).update(**fields)
    for k, v in fields.items():
        setattr(job, k, v)
    return job
