"""Import pages: roles, upload → preview with errors → confirm, progress polling, downloads."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from inventory.models import ImportJob, MarketEntity
from tenancy.models import Job

from .fixtures.sheets import CODES, csv_bytes, xlsx

pytestmark = pytest.mark.django_db

ROWS = [["统一社会信用代码", "名称", "信用风险分类"], [CODES[0], "甲公司", "A"], ["9114", "乙公司", "B"], [CODES[1], "丙公司", "X级"]]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, data: bytes, name: str = "名录.xlsx", kind: str = "entities"):
    return client.post(reverse("inventory:import_upload"), {"kind": kind, "file": SimpleUploadedFile(name, data)})


def test_upload_preview_confirm_valid_rows(world, login):
    client = login(world.user("A1", "planner"))
    response = upload(client, xlsx(ROWS))
    with scopes_disabled():
        job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("inventory:import_detail", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert page.count('data-testid="error-row"') == 2
    assert "长度错误" in page and "X级" in page and 'data-testid="confirm-form"' in page
    assert 'data-testid="count-rejected">2<' in page
    response = client.post(reverse("inventory:import_confirm", args=[job.pk]), {"mode": "valid"}, follow=True)
    body = response.content.decode()
    assert 'data-testid="count-created">1<' in body and "导入完成" in body
    assert 'data-testid="confirm-form"' not in body  # a job is imported once
    with scopes_disabled():
        assert list(MarketEntity.objects.values_list("name", flat=True)) == ["甲公司"]
    rejected = client.get(reverse("inventory:import_rejected", args=[job.pk]))
    rows = list(load_workbook(io.BytesIO(rejected.content)).active.iter_rows(values_only=True))
    assert rows[0][-1] == "错误原因" and [r[1] for r in rows[1:]] == ["乙公司", "丙公司"]
    listing = client.get(reverse("inventory:import_list")).content.decode()
    assert "名录.xlsx" in listing and "已完成" in listing


def test_refused_file_keeps_the_form_and_writes_nothing(world, login):
    client = login(world.user("A1", "admin"))
    response = upload(client, b"just text", "名录.xlsx", kind="inspectors")
    body = response.content.decode()
    assert response.status_code == 200 and "不是 Excel 工作簿" in body
    assert '<option value="inspectors" selected' in body  # the chosen kind is kept
    response = upload(client, csv_bytes([["名称"], ["甲"]]), "a.csv")
    assert "缺少必填列" in response.content.decode()
    with scopes_disabled():
        assert not ImportJob.objects.exists()


def test_roles(world, login):
    viewer = login(world.user("A1", "viewer"))
    assert viewer.get(reverse("inventory:import_upload")).status_code == 403
    listing = viewer.get(reverse("inventory:import_list")).content.decode()
    assert 'data-testid="import-new"' not in listing and 'data-testid="template-entities"' in listing
    template = viewer.get(reverse("inventory:import_template", args=["entities"]))
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(template.content)).active["A1"].value == "统一社会信用代码"
    assert viewer.get(reverse("inventory:import_template", args=["nothing"])).status_code == 404


def test_office_may_import_entities_only(world, login):
    client = login(world.user("AO", "admin"))
    form = client.get(reverse("inventory:import_upload")).content.decode()
    assert 'value="entities"' in form and 'value="inspectors"' not in form
    response = upload(client, xlsx([["姓名", "执法证号"], ["张", "1"]]), kind="inspectors")
    assert response.status_code == 200 and "inspectors" in response.content.decode()  # invalid choice shown


def test_confirm_of_a_department_job_by_the_office_is_404(world, login):
    client = login(world.user("A1", "admin"))
    upload(client, xlsx(ROWS))
    with scopes_disabled():
        job = ImportJob.objects.get()
    office = login(world.user("AO", "admin"))
    assert "名录.xlsx" in office.get(reverse("inventory:import_detail", args=[job.pk])).content.decode()
    assert office.post(reverse("inventory:import_confirm", args=[job.pk]), {"mode": "valid"}).status_code == 404


def test_progress_partial_polls_while_queued(world, login):
    client = login(world.user("A1", "admin"))
    upload(client, xlsx(ROWS))
    with scopes_disabled():
        job = ImportJob.objects.get()
        Job.objects.filter(pk=job.run_id).update(status="running", progress=40)
    partial = client.get(reverse("inventory:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert 'hx-trigger="every 2s"' in body and '<progress value="40" max="100"' in body and "HX-Refresh" not in partial
    detail = client.get(reverse("inventory:import_detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-progress"' in detail and 'data-testid="confirm-form"' not in detail
    with scopes_disabled():
        Job.objects.filter(pk=job.run_id).update(status="done", progress=100, message="导入完成")
    done = client.get(reverse("inventory:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true" and "every 2s" not in done.content.decode()
