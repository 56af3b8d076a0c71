"""The import pipeline (inventory/importer/entity_upsert.py, importer/pipeline.py): when the import opens its own transaction on
PostgreSQL, a second thread looks chunks up through a connection of its own and prepares them
while this one writes. It must leave exactly what the one-step-after-another upsert leaves.

These tests commit (the second connection sees only committed rows), so they run in a
transactional test database, and on PostgreSQL only.
"""

from __future__ import annotations

import io
from contextlib import nullcontext

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from inventory.importer import entity_upsert, jobs, upserts
from inventory.importer.jobs import import_run
from inventory.models import ImportJob, MarketEntity, RegistryEntry
from inventory.services.entities import registry_bulk_retire
from inventory.services.imports import import_confirm, import_preview
from tenancy.jobs import job_update
from tenancy.models import AuditEntry, Job
from tenancy.scoping import actor_scope

from .fixtures.sheets import CODES, xlsx

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the pipeline runs on PostgreSQL only"),
]


@pytest.fixture(autouse=True)
def small_chunks(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(upserts, "CHUNK", 3)


def import_file(actor, table, *, mode="valid", beside=True, monkeypatch=None):
    """Run an import the way the Celery task does (inventory.tasks.import_job_run): the preview
    committed, then ``import_run`` outside any transaction of the caller."""
    used = []
    original = jobs.reads_beside_see_all

    def spy():
        outcome = original() and beside
        used.append(outcome)
        return outcome

    monkeypatch.setattr(jobs, "reads_beside_see_all", spy)
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=xlsx(table), filename="名录.xlsx")
        if mode == ImportJob.Mode.ALL and job.rejected_count:
            return import_confirm(actor=actor, job=job, mode=mode)  # refused before any run
        job.mode = mode
        job.save()
        job_update(job.run_id, status=Job.Status.QUEUED)
        job = import_run(actor=actor, job=job, report_progress=True)
    assert used == [beside], "the import did not take the path the test meant"
    return job


HEADER = ["统一社会信用代码", "企业名称", "信用风险分类", "分类标注"]


def first_file() -> list[list[str]]:
    return [HEADER] + [[CODES[i], f"对象{i}", "ABCD"[i % 4], ["", "重点", "食品、重点"][i % 3]] for i in range(14)]


def second_file() -> list[list[str]]:
    rows = [HEADER]
    for i in range(18):
        risk = "D" if i < 5 else "ABCD"[i % 4]  # rows 0–4 change their risk class
        tags = "旅游" if i in (1, 2) else ["", "重点", "食品、重点"][i % 3]  # 1, 2: tags replaced
        rows.append([CODES[i], f"对象{i}", risk, tags])  # 14–17 are new (16 exists, in another registry)
    return rows


def state(world, county: str, org: str) -> dict:
    """What the imports left in one county, by code (ids differ between counties)."""
    with scopes_disabled():
        entities = {e.code: (e.name, e.risk_class) for e in MarketEntity.objects.filter(region=world.regions[county])}
        entries = {
            e.entity.code: (e.status, sorted(t.name for t in e.tags.all()))
            for e in RegistryEntry.objects.filter(organization=world.orgs[org]).select_related("entity")
        }
        code_of = {str(e.pk): e.code for e in MarketEntity.objects.filter(region=world.regions[county])}
        name = world.orgs[org].name  # "put into the registry of <the department>": the same in both counties
        audit = sorted(
            (code_of[a.target_id], a.action, sorted(a.changes.items()))
            for a in AuditEntry.objects.filter(organization=world.orgs[org], target_type="inventory.marketentity")
        )
        audit = [(code, action, repr(changes).replace(name, "<本部门>")) for code, action, changes in audit]
    return {"entities": entities, "entries": entries, "audit": audit}


def scenario(world, county: str, beside: bool, monkeypatch) -> tuple[dict, list[tuple[int, int, int]]]:
    dept, other = f"{county}1", f"{county}2"
    counts = []
    job = import_file(world.actor(dept, "planner"), first_file(), beside=beside, monkeypatch=monkeypatch)
    counts.append((job.created_count, job.updated_count, job.unchanged_count))
    # Entity 16 is already in the county (another department's registry): a new entry, not a new entity.
    import_file(world.actor(other, "planner"), [HEADER, [CODES[16], "对象16", "B", ""]], beside=beside, monkeypatch=monkeypatch)
    actor = world.actor(dept, "planner")
    with actor_scope(actor), scopes_disabled():
        retired = list(MarketEntity.objects.filter(region=world.regions[county], code__in=CODES[6:8]).values_list("pk", flat=True))
    with actor_scope(actor):
        registry_bulk_retire(actor=actor, entity_ids=retired, reason="已迁出")  # back in by the second file
    job = import_file(actor, second_file(), beside=beside, monkeypatch=monkeypatch)
    counts.append((job.created_count, job.updated_count, job.unchanged_count))
    return state(world, county, dept), counts


def test_pipeline_leaves_what_the_plain_upsert_leaves(world, monkeypatch):
    piped, piped_counts = scenario(world, "A", True, monkeypatch)
    plain, plain_counts = scenario(world, "B", False, monkeypatch)
    assert piped == plain
    assert piped_counts == plain_counts
    # And what that is: 14 created; then 4 risk changes (row 3 was D already; rows 1 and 2 also
    # change their tags), 2 back into the registry, 3 new entities and 1 existing one newly in
    # this registry (counted as created, like a new row), 8 unchanged.
    assert piped_counts == [(14, 0, 0), (4, 6, 8)]
    assert piped["entries"][CODES[1]] == ("active", ["旅游"]) and piped["entries"][CODES[6]][0] == "active"
    assert piped["entities"][CODES[0]] == ("对象0", "D") and len(piped["entities"]) == 18


def test_pipeline_with_a_repeated_code_imports_the_other_rows(world, monkeypatch):
    table = [HEADER] + [[CODES[i], f"对象{i}", "B", ""] for i in range(10)] + [[CODES[2], "重复", "B", ""]]
    job = import_file(world.actor("A1", "planner"), table, monkeypatch=monkeypatch)
    assert (job.status, job.created_count, job.rejected_count) == (ImportJob.Status.DONE, 9, 2)
    with scopes_disabled():
        assert sorted(MarketEntity.objects.values_list("code", flat=True)) == sorted(c for c in CODES[:10] if c != CODES[2])
        assert AuditEntry.objects.filter(target_type="inventory.marketentity").count() == 9


def test_pipeline_mode_all_with_a_late_error_writes_nothing(world, monkeypatch):
    good = [HEADER] + [[CODES[i], f"对象{i}", "B", "重点"] for i in range(11)]
    bad = [row[:] for row in good]
    bad[-1][0] = CODES[10][:-1] + ("0" if CODES[10][-1] != "0" else "1")  # wrong check character
    # The stored file changes under the job (as if the preview had been of another version): the
    # run re-validates, meets the error in its last chunk, and undoes the chunks it wrote.
    monkeypatch.setattr(jobs, "job_source", lambda _job: nullcontext(io.BytesIO(xlsx(bad))))
    job = import_file(world.actor("A1", "planner"), good, mode="all", monkeypatch=monkeypatch)
    assert job.status == ImportJob.Status.REFUSED and job.rejected_count == 1
    with scopes_disabled():
        assert not MarketEntity.objects.exists() and not RegistryEntry.objects.exists()


def test_a_running_import_beats_while_it_waits(world, monkeypatch, settings):
    """The worker's job writes heartbeat_at from a thread of its own while the import runs, even
    through a write that reports no progress (a lock wait, a long statement): only a dead
    process stops beating (inventory.importer.jobs.fail_if_stale)."""
    import time

    from django.utils import timezone

    from tenancy.jobs import PROGRESS_DB

    settings.JOB_STALE_AFTER_SECONDS = 10  # a beat every second
    seen = []
    original = entity_upsert.EntityUpsert.write

    def slow(self, plan):
        if not seen:
            started = timezone.now()
            time.sleep(2.5)
            beat = Job.objects.using(PROGRESS_DB).values_list("heartbeat_at", flat=True).get(import_job=job_id[0])
            seen.append(beat > started)
        return original(self, plan)

    monkeypatch.setattr(entity_upsert.EntityUpsert, "write", slow)
    actor = world.actor("A1", "planner")
    job_id = []
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="entities", data=xlsx(first_file()), filename="名录.xlsx")
        job_id.append(job.pk)
        job.mode = ImportJob.Mode.VALID
        job.save()
        job_update(job.run_id, status=Job.Status.RUNNING)
        job = import_run(actor=actor, job=job, report_progress=True)
    assert job.status == ImportJob.Status.DONE and seen == [True]
    import threading

    assert not [t for t in threading.enumerate() if t.name.endswith("-heartbeat")]
