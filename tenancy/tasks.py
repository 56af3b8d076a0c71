"""The Celery entry points: tasks take ids, rebuild the actor and re-open its scope.

Every task base here records a task that fails for good (``on_failure``: its retries spent, or
an error not worth retrying) as a ``TaskFailure`` an administrator sees. ``ReliableTask`` adds
what periodic and fan-out work needs: retries with backoff and jitter on transient errors
(database, SMTP, Redis, network), ``acks_late`` (the message is acknowledged after the task, so
a worker killed mid-task leaves it to be delivered again: the task must be idempotent and do its
work in one transaction).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from . import periodic
from .actors import actor_for
from .context import Actor
from .models import Organization, TaskFailure, User
from .scoping import actor_scope, system_scope

logger = logging.getLogger(__name__)

# Errors that a later attempt may not meet: the database restarting, the mail server or Redis
# away for a moment, the network. Anything else is a bug or bad data: retrying would not help.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError, InterfaceError, smtplib.SMTPException, ConnectionError, TimeoutError,
    RedisConnectionError, RedisTimeoutError, BrokerError,
)


class RecordsFailures(Task):
    """Records a task that failed for good as a ``TaskFailure`` (shown to administrators)."""

    abstract = True

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        try:
            record_failure(self, exc, task_id, args, kwargs, einfo)
        except Exception:  # the failure must still reach the log when the database is the problem
            logger.exception("could not record the failure of %s %s", self.name, task_id)
        super().on_failure(exc, task_id, args, kwargs, einfo)


def _organization_of(args: Any, kwargs: Any) -> int | None:
    ref = (kwargs or {}).get("actor")
    if isinstance(ref, dict) and isinstance(ref.get("organization_id"), int):
        return ref["organization_id"]
    if isinstance((kwargs or {}).get("organization_id"), int):
        return kwargs["organization_id"]
    return None


def record_failure(task: Task, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> TaskFailure:
    organization_id = getattr(task, "failure_organization", _organization_of)(args, kwargs)
    with system_scope():
        return TaskFailure.objects.create(
            organization_id=organization_id,
            task_name=task.name,
            task_id=task_id or "",
            args=_jsonable(list(args or ())),
            kwargs=_jsonable({k: v for k, v in (kwargs or {}).items() if k != "actor"}),
            retries=getattr(task.request, "retries", 0) or 0,
            exception=f"{type(exc).__name__}: {exc}"[:500],
            traceback=str(getattr(einfo, "traceback", "") or "")[-20000:],
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


class ReliableTask(RecordsFailures):
    """Retried with exponential backoff (5 s doubling, at most 10 min, jittered) on transient
    errors, 8 times at most; acknowledged late. Subclasses keep their work idempotent."""

    abstract = True
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 5
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 8
    acks_late = True
    reject_on_worker_lost = True


def actor_ref(actor: Actor) -> dict[str, Any]:
    """What a task needs to rebuild the actor: ids only (tasks never carry tenant data)."""
    return {"user_id": actor.user_id, "organization_id": actor.organization_id, "via": actor.via}


class TenantTask(RecordsFailures):
    """Base class of every task on tenant data. Call with ``actor=actor_ref(actor)`` as a kwarg;
    the task body receives the rebuilt ``Actor`` as ``actor`` and runs inside its scope."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        ref = kwargs.pop("actor")
        with system_scope():
            organization = Organization.objects.select_related("region").get(pk=ref["organization_id"])
            user = User.objects.filter(pk=ref.get("user_id")).first() if ref.get("user_id") else None
        actor = actor_for(user, organization, via=ref.get("via") or "task")
        with actor_scope(actor):
            return super().__call__(*args, actor=actor, **kwargs)

    def retry(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        # The request's kwargs hold the rebuilt actor: a retry sends its reference again.
        if kwargs is None:
            kwargs = dict(self.request.kwargs or {})
            if isinstance(kwargs.get("actor"), Actor):
                kwargs["actor"] = actor_ref(kwargs["actor"])
        return super().retry(args=args, kwargs=kwargs, **options)


class OrganizationTask(ReliableTask):
    """Base of a task the system runs for one organization (a periodic job's fan-out): called as
    ``task.delay(organization_id, ...)``; the body receives the organization's system actor as
    ``actor`` and runs inside its scope (``tenancy.periodic.organization_scope``)."""

    abstract = True
    # ``actor`` is the body's keyword-only argument but never the caller's: no signature check at .delay().
    typing = False

    def __call__(self, organization_id: int, *args: Any, **kwargs: Any) -> Any:
        with periodic.organization_scope(organization_id) as actor:
            return super().__call__(organization_id, *args, actor=actor, **kwargs)

    def retry(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        # The request's kwargs hold the rebuilt actor; the message carries ids only.
        if kwargs is None:
            kwargs = {k: v for k, v in (self.request.kwargs or {}).items() if k != "actor"}
        return super().retry(args=args, kwargs=kwargs, **options)

    @staticmethod
    def failure_organization(args: Any, kwargs: Any) -> int | None:
        first = (args or [None])[0]
        return first if isinstance(first, int) else None


@shared_task(base=ReliableTask, name=periodic.RUN_TASK)
def run_periodic_job(key: str, now: str | None = None) -> Any:
    """Beat's entry for every ``tenancy.periodic.JOBS`` job (``now``: ISO datetime, for tests)."""
    moment = dt.datetime.fromisoformat(now) if now else timezone.now()
    moment = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    return periodic.run_job(key, now=moment)
