"""Deadlines on a real Celery worker and beat over Redis (not eager), on the test database.

(a) beat fires the scan (every 2 s here, from the schedule the code defines), the worker fans it
    out per organization, and the reminders and escalations land in PostgreSQL, e-mailed once;
(b) a worker killed (SIGKILL) inside a scan's transaction leaves nothing written; the message,
    acknowledged late, is delivered again to the next worker, which completes the scan — once.

Runs when REDIS_URL is set and the tests use PostgreSQL (as in CI); transactional, like
tests/integration/test_celery_worker.py. Processes run with the clock fixed to a working
Wednesday morning (DEADLINES_TEST_NOW), so the test does not depend on today's date.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from config.celery import app
from deadlines.models import DueItem, Notification
from deadlines.tasks import scan_organization_task
from tenancy.audit import AuditEntry
from tenancy.models import User
from tests.factories import filing_due_item, make_completed_draw

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "")
NOW = "2026-12-09T09:00:00"  # Wednesday: the filing of a draw completed Friday 16:30 was due Tuesday

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("celery-worker")]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Processes:
    """Celery processes of one test, on a queue of their own."""

    def __init__(self, tmp_path: Path) -> None:
        self.queue = f"test-deadlines-{uuid.uuid4().hex[:10]}"
        self.tmp = tmp_path
        self.running: list[tuple[str, subprocess.Popen]] = []

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": REDIS_URL,
            "DJANGO_CELERY_QUEUE": self.queue,
            "DJANGO_DEADLINES_TEST_NOW": NOW,
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            **extra,
        }

    def start(self, name: str, args: list[str], **extra: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115  (closed with the process)
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args], cwd=ROOT, env=self.env(**extra),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.running.append((name, process))
        return process

    def worker(self, name: str = "worker", **extra: str) -> subprocess.Popen:
        return self.start(name, ["worker", "--pool", "solo", "-Q", self.queue, "--without-gossip", "--without-mingle",
                                 "--without-heartbeat", "-l", "info"], **extra)

    def beat(self) -> subprocess.Popen:
        return self.start("beat", ["beat", "-l", "info", "--schedule", str(self.tmp / "beat-schedule"), "--max-interval", "1"],
                          DJANGO_DEADLINES_SCAN_SECONDS="2")

    def stop(self) -> None:
        for name, process in self.running:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            print(f"--- {name} ---\n" + (self.tmp / f"{name}.log").read_text(errors="replace")[-2500:])
        client = redis.Redis.from_url(REDIS_URL)
        client.delete(self.queue)


@pytest.fixture
def processes(transactional_db, tmp_path):
    if not REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs REDIS_URL and PostgreSQL (CI sets both)")
    procs = Processes(tmp_path)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # sent for real, to the processes' queue
    try:
        yield procs
    finally:
        app.conf.task_always_eager = eager
        procs.stop()


def _overdue_filing(world):
    """A draw A1 completed on Friday 16:30, its filing due Tuesday: overdue on Wednesday."""
    with scopes_disabled():
        for (org, role), user in world.users.items():
            User.objects.filter(pk=user.pk).update(email=f"{org.lower()}.{role}@example.cn")
    drawn = timezone.make_aware(dt.datetime(2026, 12, 4, 16, 30))
    return filing_due_item(make_completed_draw(world, "A1", drawn_at=drawn, targets=3))


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {seconds} s")


def _escalations(item: DueItem) -> list[tuple[str, str, bool]]:
    """The notifications of the filing's item (the draw also opens items of later apps' rules,
    such as the targets' confirmation, which escalate on their own)."""
    with scopes_disabled():
        return sorted(
            (n.user.username, n.kind, n.emailed_at is not None)
            for n in Notification.objects.filter(due_item_id=item.pk).select_related("user")
        )


EXPECTED = [
    ("a1_leader", "escalation", True), ("ao_admin", "escalation", True),
    ("ao_leader", "escalation", True), ("ao_planner", "escalation", True),
]


def test_beat_and_a_worker_escalate_an_overdue_filing(world, processes):
    item = _overdue_filing(world)
    processes.worker()
    processes.beat()
    # Beat fires every 2 s; each run fans out to A1; the notifications (and their e-mail) commit.
    _wait(lambda: _escalations(item) == EXPECTED, 45, "beat + worker escalation")
    time.sleep(3)  # more beats come and go: nothing is sent twice
    assert _escalations(item) == EXPECTED
    with scopes_disabled():
        item.refresh_from_db()
        assert item.state == DueItem.State.OVERDUE and item.escalated_at is not None
        assert AuditEntry.objects.filter(target_id=str(item.pk), action="dueitem_overdue").count() == 1
    log = (processes.tmp / "beat.log").read_text(errors="replace")
    assert "deadlines.scan" in log and "Sending due task" in log


def test_a_worker_killed_mid_scan_leaves_nothing_and_the_redelivered_scan_completes(world, processes, tmp_path):
    item = _overdue_filing(world)
    pause = tmp_path / "pause"
    pause.write_text("hold")
    first = processes.worker("worker-1", DJANGO_DEADLINES_TEST_PAUSE_FILE=str(pause))
    scan_organization_task.apply_async((world.orgs["A1"].pk,), {"now": NOW}, queue=processes.queue)
    # The scan has written its notifications and marked the item, and waits before committing.
    _wait(lambda: Path(f"{pause}.reached").exists(), 40, "the scan reaching its commit")
    taken = time.monotonic()
    assert _escalations(item) == []  # uncommitted: invisible
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    pause.unlink()
    # PostgreSQL rolls the dead connection's transaction back: nothing partial remains.
    with scopes_disabled():
        item.refresh_from_db()
    assert item.state == DueItem.State.OPEN and item.escalated_at is None and _escalations(item) == []

    # The message was never acknowledged (acks_late): once the visibility timeout (5 s here) has
    # passed, the next worker takes it back from Redis and runs the scan to the end.
    time.sleep(max(0.0, 6 - (time.monotonic() - taken)))
    processes.worker("worker-2", DJANGO_CELERY_VISIBILITY_TIMEOUT="5")
    _wait(lambda: _escalations(item) == EXPECTED, 45, "the redelivered scan")
    with scopes_disabled():
        item.refresh_from_db()
        assert item.state == DueItem.State.OVERDUE and item.escalated_at is not None
        assert AuditEntry.objects.filter(target_id=str(item.pk), action="dueitem_overdue").count() == 1
        assert Notification.objects.filter(due_item_id=item.pk).count() == 4
