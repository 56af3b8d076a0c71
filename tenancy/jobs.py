"""Background jobs: the one place their state, progress and heartbeat are written.

Every kind of job — a spreadsheet import (its ``inventory.ImportJob`` points to its ``Job``), a
batch draw, a PDF batch — is a ``Job`` row a page polls. The work of a job runs in one
transaction, so nothing half-done is ever visible; its progress must be visible while it runs,
so it is written through a second connection (the ``progress`` database alias) that commits on
its own. SQLite allows one writer only: there progress goes through the default connection and
shows when the job ends (eager mode runs jobs inline anyway).

A worker gives signs of life: every ``job_update`` stamps ``heartbeat_at``, and ``job_heartbeat``
beats from a thread while the work waits on something long (a statement, a lock). A queued or
running job without a beat for ``JOB_STALE_AFTER_SECONDS`` died with its worker:
``job_fail_if_stale`` marks it failed when it is looked at, and the periodic
``tenancy.stale_jobs`` sweeps every kind. Its transaction was rolled back with the worker, so the
message can say that nothing was written.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from . import db
from .context import Actor
from .models import Job

PROGRESS_DB = "progress" if "progress" in settings.DATABASES else "default"
ACTIVE = (Job.Status.QUEUED, Job.Status.RUNNING)
ENDED = (Job.Status.DONE, Job.Status.REFUSED, Job.Status.FAILED, Job.Status.CANCELLED)


def job_create(
    *, actor: Actor, kind: str, label: str, params: dict[str, Any] | None = None, status: str = Job.Status.QUEUED,
    message: str = "", using: str = PROGRESS_DB,
) -> Job:
    """A new job of ``actor``'s organization, saved at once through the progress connection (or
    ``using``: the default one writes it in the caller's transaction, with what it belongs to).
    A queued one counts its staleness from now."""
    job = Job(kind=kind, label=label[:200], params=params or {}, created_by_id=actor.user_id, status=status,
              message=message, heartbeat_at=timezone.now() if status in ACTIVE else None)
    job.set_tenant(actor)
    job.save(using=using)
    return job


def job_update(job_id: int, **fields: Any) -> None:
    """Write ``fields`` at once (through the progress connection); every update is a beat. By id,
    from the code that runs the job (a worker in its actor's scope): not a read, not scoped."""
    now = timezone.now()
    if fields.get("status") == Job.Status.RUNNING and "started_at" not in fields:
        fields["started_at"] = now
    if fields.get("status") in ENDED:
        fields.setdefault("finished_at", now)
    fields["updated_at"] = now
    fields.setdefault("heartbeat_at", now)
    Job._base_manager.using(PROGRESS_DB).filter(pk=job_id).update(**fields)


def job_claim(job_id: int) -> bool:
    """The worker takes a queued job, once: a task delivered twice, or a job queued again while an
    old task of it still waited, runs once."""
    now = timezone.now()
    return bool(
        Job._base_manager.using(PROGRESS_DB).filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING, progress=0, started_at=now, heartbeat_at=now, updated_at=now,
        )
    )


def stale_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)


def _stale(now: dt.datetime) -> Q:
    # Rows from before heartbeats: their last save stands in for the beat.
    cutoff = stale_cutoff(now)
    return Q(status__in=ACTIVE) & (Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, updated_at__lt=cutoff))


def stale_message() -> str:
    return _("后台任务中断：超过 %(m)s 分钟没有进展（处理进程可能已退出），未写入任何数据。") % {
        "m": round(settings.JOB_STALE_AFTER_SECONDS / 60)}


def job_fail_if_stale(job: Job, *, message: str | Promise | None = None) -> bool:
    """Mark ``job`` failed, with ``message`` (or the general one), if its worker stopped beating;
    ``job`` is updated in place. Called wherever a job is looked at (page, poll, confirm)."""
    if job.status not in ACTIVE:
        return False
    now = timezone.now()
    fields = {"status": Job.Status.FAILED, "message": str(message or stale_message()), "finished_at": now}
    if not Job.objects.filter(Q(pk=job.pk) & _stale(now)).update(updated_at=now, **fields):
        return False
    for name, value in fields.items():
        setattr(job, name, value)
    return True


def fail_stale_jobs(*, now: dt.datetime | None = None) -> int:
    """Every organization's stale jobs of every kind, failed at once (the periodic ``tenancy.stale_jobs``)."""
    now = now or timezone.now()
    return Job._base_manager.filter(_stale(now)).update(
        status=Job.Status.FAILED, message=stale_message(), finished_at=now, updated_at=now,
    )


@contextmanager
def job_heartbeat(job_id: int) -> Iterator[None]:
    """While the block runs, a thread writes ``heartbeat_at`` through a connection of its own
    every tenth of the stale time: the job looks alive as long as its process is, whatever the
    work waits for (a long statement, a lock). On PostgreSQL, when the work opens its own
    transaction (the worker's case; inside another one the job row may be locked by it): SQLite
    has one writer, and there the progress updates beat instead."""
    if not db.is_postgresql(connections[PROGRESS_DB]) or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        yield
        return
    stop = threading.Event()
    interval = max(1.0, settings.JOB_STALE_AFTER_SECONDS / 10)
    progress = connections[PROGRESS_DB]
    # The thread's connection: the settings of this one (a test database's too), its own socket.
    wrapper, settings_dict = progress.__class__, dict(progress.settings_dict)

    def beat() -> None:
        own = wrapper(settings_dict, PROGRESS_DB)
        connections[PROGRESS_DB] = own  # for this thread only
        try:
            while not stop.wait(interval):
                try:
                    Job._base_manager.using(PROGRESS_DB).filter(pk=job_id).update(heartbeat_at=timezone.now())
                except Exception:  # a lost connection: the next beat tries again
                    own.close()
        finally:
            own.close()
            del connections[PROGRESS_DB]

    thread = threading.Thread(target=contextvars.copy_context().run, args=(beat,), name=f"job-{job_id}-heartbeat",
                              daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
