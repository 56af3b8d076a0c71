"""Periodic jobs, and work done for an organization by the system rather than by a user.

* ``JOBS``: the periodic jobs later apps register from ``ready()``. ``config/celery.py`` builds
  Celery beat's schedule from it (the schedule is defined in code, nowhere else): each entry
  calls the task ``tenancy.run_periodic_job`` with the job's key, which runs
  ``job.run(now=<aware datetime>)`` under the system scope. A job picks the organizations with
  work and queues one task per organization (``fan_out``), passing ids only (pretix's
  ``process_waitinglist``); it must be idempotent: beat may fire twice, a task may run twice.
* ``organization_scope(org)``: the scope of an organization's **system actor** — no user, no
  roles, ``via="system"`` — for work that organization's rows need but nobody of it asked for
  (the scan of its due items; a due item it owns opened by another organization's action).
  Only code running as the system (periodic jobs, event handlers) uses it.
* ``acting_for(actor, org)``: the actor itself when it is a member of ``org``, else ``org``'s
  system actor — for a row of another organization a service writes as its owner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .actors import actor_for
from .context import Actor
from .models import Organization
from .registry import Registry
from .scoping import actor_scope, system_scope

SYSTEM_VIA = "system"


@dataclass(frozen=True)
class PeriodicJob:
    """``run(now=...)`` on ``schedule`` (a ``celery.schedules`` crontab or a timedelta).

    ``key`` names the beat entry (``"<app>.<name>"``); ``expires`` (seconds) drops a run that
    waited in the queue longer than that (a stopped worker does not come back to a backlog).
    """

    key: str
    schedule: Any
    run: Callable[..., Any]
    order: int = 100
    expires: float | None = None
    description: str = field(default="", compare=False)


JOBS: Registry[PeriodicJob] = Registry("periodic jobs", doc="Jobs Celery beat runs; built into beat_schedule.")

RUN_TASK = "tenancy.run_periodic_job"


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery's ``beat_schedule`` for every registered job."""
    schedule: dict[str, dict[str, Any]] = {}
    for job in JOBS:
        entry: dict[str, Any] = {"task": RUN_TASK, "schedule": job.schedule, "args": (job.key,)}
        if job.expires:
            entry["options"] = {"expires": job.expires}
        schedule[job.key] = entry
    return schedule


def system_actor(organization: Organization) -> Actor:
    """The organization acting as itself: sees what it sees, with no user and no role."""
    return actor_for(None, organization, via=SYSTEM_VIA, roles=frozenset())


@contextmanager
def organization_scope(organization_id: int) -> Iterator[Actor]:
    """Open the scope of ``organization_id``'s system actor (nested scopes restore the outer one)."""
    with system_scope():
        organization = Organization.objects.select_related("region").get(pk=organization_id)
    actor = system_actor(organization)
    with actor_scope(actor):
        yield actor


@contextmanager
def acting_for(actor: Actor, organization_id: int) -> Iterator[Actor]:
    """``actor`` when it acts for ``organization_id`` (a member of it); else that organization's
    system actor (``organization_scope``): another organization's row written as its owner."""
    if actor.organization_id == organization_id and actor.is_member:
        yield actor
        return
    with organization_scope(organization_id) as owner:
        yield owner


def fan_out(task: Any, organization_ids: Iterable[int], **kwargs: Any) -> int:
    """Queue ``task`` once per organization (the organization id first, then ``kwargs``)."""
    count = 0
    for organization_id in sorted(set(organization_ids)):
        task.delay(organization_id, **kwargs)
        count += 1
    return count


def run_job(key: str, *, now: dt.datetime | None = None) -> Any:
    """Run one registered job under the system scope (what beat's entry does in a worker)."""
    from django.utils import timezone  # noqa: PLC0415

    job = JOBS.get(key)
    with system_scope():
        return job.run(now=now or timezone.now())
