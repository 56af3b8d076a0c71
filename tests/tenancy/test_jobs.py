"""tenancy.jobs, the one progress mechanism of background jobs: every update beats, a job whose
worker stopped beating is failed when looked at or by the periodic sweep (any kind), a queued job
is claimed once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from tenancy.jobs import fail_stale_jobs, job_claim, job_create, job_fail_if_stale, job_update
from tenancy.models import Job
from tenancy.periodic import JOBS, run_job
from tenancy.scoping import actor_scope

pytestmark = pytest.mark.django_db


def _aged(job: Job, minutes: float, *, heartbeat: bool = True) -> None:
    then = timezone.now() - dt.timedelta(minutes=minutes)
    with scopes_disabled():
        Job.objects.filter(pk=job.pk).update(heartbeat_at=then if heartbeat else None, updated_at=then)


def test_every_update_beats_and_the_end_is_stamped(world):
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        job = job_create(actor=actor, kind="draw", label="抽取")
    assert job.status == Job.Status.QUEUED and job.heartbeat_at is not None
    _aged(job, 10)
    job_update(job.pk, status=Job.Status.RUNNING, progress=30)
    with scopes_disabled():
        job.refresh_from_db()
    assert job.started_at is not None and timezone.now() - job.heartbeat_at < dt.timedelta(seconds=5)
    job_update(job.pk, status=Job.Status.REFUSED, message="全部有效才导入")
    with scopes_disabled():
        job.refresh_from_db()
    assert job.finished_at is not None and job.status == "refused"


def test_a_queued_job_is_claimed_once(world):
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        job = job_create(actor=actor, kind="draw", label="抽取")
    assert job_claim(job.pk) is True
    assert job_claim(job.pk) is False  # a second delivery of the same task
    with scopes_disabled():
        assert Job.objects.get(pk=job.pk).status == Job.Status.RUNNING


def test_a_job_without_a_beat_is_failed_when_looked_at_whatever_its_kind(world, settings):
    settings.JOB_STALE_AFTER_SECONDS = 300
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        fresh, stale, done = (job_create(actor=actor, kind=kind, label=kind) for kind in ("draw", "records_zip", "draw_plan"))
    _aged(fresh, 4)
    _aged(stale, 6)
    job_update(done.pk, status=Job.Status.DONE)
    _aged(done, 60)
    with actor_scope(actor):
        assert [job_fail_if_stale(Job.objects.get(pk=j.pk)) for j in (fresh, stale, done)] == [False, True, False]
        stale = Job.objects.get(pk=stale.pk)
    assert stale.status == Job.Status.FAILED and "超过 5 分钟没有进展" in stale.message and stale.finished_at


def test_the_periodic_sweep_fails_the_stale_jobs_of_every_organization(world, settings):
    settings.JOB_STALE_AFTER_SECONDS = 300
    a1, b1 = world.actor("A1", "planner"), world.actor("B1", "planner")
    with actor_scope(a1):
        a1_stale = job_create(actor=a1, kind="draw", label="甲")
        a1_pending = job_create(actor=a1, kind="import", label="乙", status=Job.Status.PENDING)
    with actor_scope(b1):
        b1_stale = job_create(actor=b1, kind="records_zip", label="丙")
        job_create(actor=b1, kind="draw_plan", label="丁")
    for job in (a1_stale, b1_stale, a1_pending):
        _aged(job, 30)
    _aged(a1_stale, 30, heartbeat=False)  # rows from before heartbeats: their last save counts
    assert "tenancy.stale_jobs" in JOBS
    assert run_job("tenancy.stale_jobs") == 2
    with scopes_disabled():
        states = dict(Job.objects.values_list("label", "status"))
    assert states == {"甲": "failed", "乙": "pending", "丙": "failed", "丁": "queued"}
    assert fail_stale_jobs() == 0  # nothing left to fail

