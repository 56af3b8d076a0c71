"""A real Celery worker on Redis runs a draw and renders a long filing's PDF: the production
path, not the eager one.

Runs when REDIS_URL is set and the tests use PostgreSQL (as in CI); the worker is a separate
process on the test database, so the rows it sees are committed ones (transactional test).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from config.celery import app
from sampling import hashrank
from sampling.models import Draw, DrawSelection, Filing
from sampling.selectors.draws import draw_record
from sampling.services import draws as draw_services
from sampling.services import filings as filing_services
from sampling.tasks import draw_execute_task
from tenancy.audit import AuditEntry
from tenancy.jobs import job_create
from tenancy.models import Job
from tenancy.scoping import actor_scope
from tenancy.tasks import actor_ref
from tests.factories import make_ready_task
from tests.world import build_world

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("celery-worker")]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue(transactional_db):
    if not REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs REDIS_URL and PostgreSQL (CI sets both)")
    queue = f"test-{uuid.uuid4().hex[:10]}"  # our own queue: no other worker takes our tasks
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS_URL,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    # Sent for real, and what the code sends with a plain .delay() goes to this worker too.
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    try:
        yield queue
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = eager, default_queue
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output.decode(errors="replace")[-3000:])


def _wait_for(job_id: int, seconds: float = 90) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with scopes_disabled():
            job = Job.objects.get(pk=job_id)
        if job.status in (Job.Status.DONE, Job.Status.FAILED):
            return job
        time.sleep(0.3)
    raise AssertionError(f"the worker did not finish job {job_id} in {seconds}s (status {job.status})")


def test_a_real_worker_runs_a_draw_in_the_tenant_scope(worker_queue):
    world = build_world()
    task = make_ready_task(world, "A1", entities=80, inspectors=6)
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        draw = draw_services.draw_commit(actor=actor, task=task)
        job = job_create(actor=actor, kind="draw", label="worker test", params={})
    draw_execute_task.apply_async(
        args=(draw.pk, "41 07 93", ["见证人甲"], job.pk), kwargs={"actor": actor_ref(actor)}, queue=worker_queue
    )
    job = _wait_for(job.pk)
    assert job.status == Job.Status.DONE, job.message
    assert job.progress == 100 and job.result == {"draw_id": draw.pk}
    with actor_scope(actor):
        draw = Draw.objects.get(pk=draw.pk)
        assert draw.status == Draw.Status.COMPLETED and draw.public_entropy == "41 07 93"
        # 20 per stratum at 3/5/10/20 %: ceil gives 1 + 1 + 2 + 4 selected.
        assert DrawSelection.objects.filter(draw=draw, rank__isnull=False).count() == 8
        record = draw_record(draw, variant="filing")
    assert hashrank.verify(record) == []
    assert record["seed"] == draw.seed and len(record["assignments"]) == 8


def test_a_real_worker_attaches_a_long_filings_pdf_after_the_filing_commits(worker_queue, settings):
    settings.ASYNC_FILING_PDF_ROWS = 2
    world = build_world()
    task = make_ready_task(world, "A1", entities=80, inspectors=6)
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        draw = draw_services.draw_run(actor=actor, task=task, public_entropy="41 07 93", witnesses=["见证人"])
        filing = filing_services.filing_submit(actor=actor, draw=draw)
    assert not filing.pdf  # filed at once; the PDF is the worker's
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with scopes_disabled():
            filing = Filing.objects.get(pk=filing.pk)
        if filing.pdf:
            break
        time.sleep(0.3)
    assert filing.pdf, "the worker did not attach the PDF in 90 s"
    with filing.pdf.open("rb") as fh:
        assert fh.read(5) == b"%PDF-"
    with scopes_disabled():
        attached = AuditEntry.objects.get(target_type="sampling.filing", target_id=str(filing.pk), action="update")
    assert attached.changes["pdf"] == [None, filing.pdf.name] and attached.organization_id == filing.organization_id
    filing.pdf.storage.delete(filing.pdf.name)
