"""The documents' pages: the record and the notice as HTML and PDF for whoever may see the
inspection (404 otherwise), and a task's records as one zip — started from its page, built by the
worker (eager here) with its progress on the job, downloaded by the one who asked, holding what
they may read."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import zipfile

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from inspections.documents.archive import JOB_KIND
from inspections.models import Inspection
from tenancy.context import Role
from tenancy.models import Job
from tests.inspections.conftest import drawn
from tests.inspections.support import first, member_of
from tests.inspections.test_api import actor_user, complete

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed"),
]


def text_of(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return "".join(out.split())


def test_record_and_notice_pages(world, login, client):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    complete(world, d, inspection)
    login(world.user("A1", Role.VIEWER))
    for name, title in (("record_preview", "抽查检查记录表"), ("notice_preview", "检查结果告知书")):
        body = client.get(reverse(f"inspections:{name}", args=[inspection.pk])).content.decode()
        assert title in body and inspection.entity.name in body and "style=" not in body
        # No inline script under the CSP: only the toolbar's file of our own.
        assert re.findall(r"<script[^>]*>", body) == ['<script src="/static/js/sheet-toolbar.js" defer>']
    for name, title in (("record_pdf", "抽查检查记录表"), ("notice_pdf", "检查结果告知书")):
        response = client.get(reverse(f"inspections:{name}", args=[inspection.pk]))
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].lower().startswith("attachment; filename*=utf-8''")
        compact = text_of(response.content)
        assert title in compact and "".join(inspection.entity.name.split()) in compact
    # Another county's viewer, or an inspector not on the team: the 404 of a foreign object.
    login(world.user("B1", Role.VIEWER))
    assert client.get(reverse("inspections:record_pdf", args=[inspection.pk])).status_code == 404
    login(world.user("A1", Role.INSPECTOR))
    assert client.get(reverse("inspections:record_preview", args=[inspection.pk])).status_code == 404


def test_a_tasks_records_as_one_zip(world, login, client, django_capture_on_commit_callbacks):
    d = drawn(world, "A1", entities=24, inspectors=4)
    with scopes_disabled():
        inspections = list(Inspection.objects.filter(draw=d.draw).select_related("entity").order_by("selection__rank", "pk"))
    complete(world, d, inspections[0])
    login(world.user("A1", Role.PLANNER))
    page = client.get(reverse("inspections:task_records", args=[d.draw.task_id])).content.decode()
    assert f'data-testid="records-count">{len(inspections)}<' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("inspections:task_records", args=[d.draw.task_id]))
    with scopes_disabled():
        job = Job.objects.get(kind=JOB_KIND)
    assert response.status_code == 302 and response["Location"] == reverse("inspections:records_job", args=[job.pk])
    assert job.status == Job.Status.DONE and job.progress == 100 and job.result["count"] == len(inspections)
    progress = client.get(reverse("inspections:records_job", args=[job.pk])).content.decode()
    assert 'data-testid="job-download"' in progress and 'hx-trigger="every 2s"' not in progress  # done: no polling
    download = client.get(reverse("inspections:records_job_download", args=[job.pk]))
    assert download["Content-Type"] == "application/zip"
    data = b"".join(download.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert len(names) == len(inspections)
    assert names[0] == f"0001-{inspections[0].entity.code}-{inspections[0].entity.name}.pdf"
    first_pdf = archive.read(names[0])
    assert first_pdf.startswith(b"%PDF") and "未发现问题" in text_of(first_pdf)
    assert all(archive.read(n).startswith(b"%PDF") for n in names)
    assert hashlib.sha256(data).hexdigest() == job.result["sha256"]
    # The job is its creator's: the leader of the same department does not find it.
    login(world.user("A1", Role.LEADER))
    assert client.get(reverse("inspections:records_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("inspections:records_job_download", args=[job.pk])).status_code == 404


def test_an_inspectors_zip_holds_their_own_inspections(world, login, client, django_capture_on_commit_callbacks):
    d = drawn(world, "A1", entities=24, inspectors=4)
    inspection = first(d)
    member = member_of(d, inspection)
    with scopes_disabled():
        inspector_id = next(i for i, u in d.users.items() if u.pk == member.user_id)
        mine = [i for i in Inspection.objects.filter(draw=d.draw) if inspector_id in i.team]
        total = Inspection.objects.filter(draw=d.draw).count()
    assert 0 < len(mine) < total
    login(actor_user(d, member))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("inspections:task_records", args=[d.draw.task_id]))
    with scopes_disabled():
        job = Job.objects.get(kind=JOB_KIND)
    assert job.result["count"] == len(mine)
    data = b"".join(client.get(reverse("inspections:records_job_download", args=[job.pk])).streaming_content)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert sorted(n.split("-", 2)[1] for n in names) == sorted(i.entity.code for i in mine)


def test_a_running_job_polls_and_a_task_without_records_offers_nothing(world, login, client):
    d = drawn(world, "B1", entities=12, inspectors=4)
    login(world.user("A1", Role.PLANNER))
    assert client.get(reverse("inspections:task_records", args=[d.draw.task_id])).status_code == 404
    login(world.user("B1", Role.PLANNER))
    with scopes_disabled():
        job = Job.objects.create(
            organization=world.orgs["B1"], region=world.orgs["B1"].region, kind=JOB_KIND, label="打包",
            status=Job.Status.RUNNING, progress=40, message="已生成 4 / 10 份", created_by=world.user("B1", Role.PLANNER),
            params={"task_id": d.draw.task_id},
        )
    panel = client.get(reverse("inspections:records_job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in panel and '<progress value="40" max="100"' in panel and "已生成 4 / 10 份" in panel
    assert "<html" not in panel  # the panel alone, swapped in place
    assert client.get(reverse("inspections:records_job_download", args=[job.pk])).status_code == 404
    # A department's inspector on no team of the task: nothing to download, no button.
    login(world.user("B1", Role.INSPECTOR))
    page = client.get(reverse("inspections:task_records", args=[d.draw.task_id])).content.decode()
    assert 'data-testid="records-count">0<' in page and 'data-testid="records-start"' not in page
    assert client.post(reverse("inspections:task_records", args=[d.draw.task_id])).status_code == 200
    with scopes_disabled():
        assert Job.objects.filter(kind=JOB_KIND).count() == 1
