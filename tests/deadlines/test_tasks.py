"""The Celery side without a worker: the schedule defined in code, the fan-out, retries on a
transient error (a mail server away), and a task that fails for good recorded for admins."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.schedules import crontab
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from config.celery import app
from deadlines import jobs
from deadlines.models import Notification
from deadlines.tasks import recount_organization_task, scan_organization_task
from tenancy.context import Role
from tenancy.models import TaskFailure, User
from tenancy.periodic import JOBS, RUN_TASK, beat_schedule
from tests.deadlines import flaky_mail
from tests.factories import make_completed_draw


def at(text: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(text))


def test_the_beat_schedule_is_the_registered_jobs():
    schedule = beat_schedule()
    assert set(schedule) >= {"deadlines.scan", "deadlines.morning", "deadlines.recount"}
    assert schedule["deadlines.scan"]["schedule"] == dt.timedelta(minutes=15)
    assert schedule["deadlines.scan"]["options"] == {"expires": 900.0}
    assert schedule["deadlines.morning"]["schedule"] == crontab(hour=8, minute=30)
    assert all(entry["task"] == RUN_TASK and entry["args"] == (key,) for key, entry in schedule.items())
    # The Celery app built its beat schedule from the registry (config/celery.py).
    app.finalize()
    assert set(schedule) <= set(app.conf.beat_schedule)
    assert RUN_TASK in app.tasks and "deadlines.scan_organization" in app.tasks
    assert [job.key for job in JOBS if job.key.startswith("deadlines.")] == [
        "deadlines.scan", "deadlines.morning", "deadlines.recount",
    ]


@pytest.mark.django_db
def test_the_morning_job_runs_on_working_days_only(world):
    with scopes_disabled():
        assert jobs.morning_job(now=at("2026-12-05T08:30:00")) == "not a working day"  # Saturday
        assert jobs.morning_job(now=at("2026-12-07T08:30:00")) == 0  # Monday: nothing due anywhere


def _due_tomorrow(world):
    with scopes_disabled():
        for role in (Role.PLANNER, Role.ADMIN):
            User.objects.filter(pk=world.user("A1", role).pk).update(email=f"a1.{role}@example.cn")
    make_completed_draw(world, "A1", drawn_at=at("2026-12-04T16:30:00"), targets=3)


@pytest.mark.django_db
def test_a_mail_server_away_is_retried_and_each_mail_still_goes_once(world, settings):
    settings.EMAIL_BACKEND = "tests.deadlines.flaky_mail.EmailBackend"
    flaky_mail.FAILURES["left"] = 1
    _due_tomorrow(world)
    # Eager, not propagating: Celery runs the automatic retry at once instead of raising it.
    result = scan_organization_task.apply((world.orgs["A1"].pk,), {"now": "2026-12-07T09:00:00"}, throw=False)
    assert result.get() == {"due": 1, "overdue": 0, "sent": 0, "emails": 2}  # the retry's own report
    assert flaky_mail.FAILURES["left"] == 0  # the first attempt met the failure...
    with scopes_disabled():
        rows = list(Notification.objects.order_by("id"))
    assert len(rows) == 2 and all(r.emailed_at for r in rows)  # ...the retry sent the rest
    assert sorted(m.to[0] for m in mail.outbox) == ["a1.admin@example.cn", "a1.planner@example.cn"]
    with scopes_disabled():
        assert not TaskFailure.objects.exists()


@pytest.mark.django_db
def test_a_task_that_fails_for_good_is_recorded(world):
    result = recount_organization_task.apply((987654,), throw=False)
    assert result.failed()
    with scopes_disabled():
        failure = TaskFailure.objects.get()
    assert failure.task_name == "deadlines.recount_organization" and failure.args == [987654]
    assert failure.organization_id == 987654 and "DoesNotExist" in failure.exception
    assert "organization_scope" in failure.traceback


@pytest.mark.django_db
def test_a_scan_task_is_idempotent(world):
    _due_tomorrow(world)
    org = world.orgs["A1"].pk
    first = scan_organization_task.delay(org, now="2026-12-07T09:00:00").get()
    second = scan_organization_task.delay(org, now="2026-12-07T09:00:00").get()
    assert (first["sent"], first["emails"], second["sent"], second["emails"]) == (2, 2, 0, 0)
