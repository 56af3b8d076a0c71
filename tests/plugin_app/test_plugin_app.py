"""The plug-in app (tests/plugin_app) shows up everywhere it registered, with no line of tenancy,
inventory or sampling naming it: the sidebar, an entity's page, Celery beat, the public projections."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from config.celery import app as celery_app
from inventory.models import Inspector, MarketEntity
from sampling.models import SamplingPlan
from tenancy.context import Role
from tenancy.periodic import JOBS, RUN_TASK, beat_schedule
from tenancy.projections import PROJECTIONS, check_projections, project
from tenancy.scoping import system_scope
from tenancy.tasks import run_periodic_job
from tests.plugin_app import tasks

ROOT = Path(__file__).resolve().parents[2]
PLUGGED = pytest.mark.urls("tests.plugin_app.root_urls")
SIDEBAR = re.compile(r'<nav class="sidenav".*?</nav>', re.S)
TOKEN = re.compile(r'<div class="section">([^<]*)</div>|data-testid="nav-([\w.]+)"')


def as_user(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def sidebar(client: Client) -> list[str]:
    """The dashboard's sidebar in order: headings by their text, links by their key."""
    nav = SIDEBAR.search(client.get("/").content.decode())
    assert nav, "no sidebar"
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in TOKEN.finditer(nav.group(0))]


def test_no_earlier_app_names_the_plugin():
    named = [
        str(path.relative_to(ROOT))
        for app in ("tenancy", "inventory", "sampling")
        for path in (ROOT / app).rglob("*")
        if path.suffix in {".py", ".html"} and ("plugin_app" in path.read_text(encoding="utf-8") or "tests_plugin" in path.read_text(encoding="utf-8"))
    ]
    assert named == []


@PLUGGED
@pytest.mark.django_db
def test_the_sidebar_offers_the_link_to_department_inspectors_only(world):
    inspector = as_user(world.user("A1", Role.INSPECTOR))
    links = sidebar(inspector)
    heading = links.index("现场检查")
    assert links[heading + 1] == "tests_plugin.workbench"
    assert links.index("sampling.tasks") < heading  # its section's order (40) puts it after 随机抽查
    for org, role in (("A1", Role.VIEWER), ("A1", Role.PLANNER), ("A1", Role.LEADER), ("AO", Role.INSPECTOR)):
        assert "tests_plugin.workbench" not in sidebar(as_user(world.user(org, role))), (org, role)
        assert "现场检查" not in sidebar(as_user(world.user(org, role)))  # a heading with nothing under it is dropped

    page = inspector.get("/plugin/")
    assert page.status_code == 200 and 'data-testid="plugin-workbench"' in page.content.decode()
    assert 'class="active" data-testid="nav-tests_plugin.workbench"' in page.content.decode()
    assert as_user(world.user("A1", Role.VIEWER)).get("/plugin/").status_code == 403  # the view asks the same policy


@pytest.mark.django_db
def test_where_the_app_is_not_mounted_its_link_is_skipped(world):
    assert "tests_plugin.workbench" not in sidebar(as_user(world.user("A1", Role.INSPECTOR)))


@pytest.mark.django_db
def test_the_entity_page_shows_the_plugins_section(world):
    org = world.orgs["A1"]
    with system_scope():
        shop = MarketEntity.objects.create(
            organization=org, region=org.region, code="92140522MA0PLUG1", name="老王面馆", entity_type="individual",
            legal_representative="王建国", address="山西省阳城县凤城镇新阳东街12号",
        )
        firm = MarketEntity.objects.create(organization=org, region=org.region, code="91140522MA0PLUG2", name="阳城煤业")
    client = as_user(world.user("A1", Role.VIEWER))

    body = client.get(reverse("inventory:entity_detail", args=[shop.pk])).content.decode()
    section = body.split('data-testid="history-tests_plugin-public_view"')[1].split("</table>")[0]
    assert "<h2>公示信息</h2>" in section
    assert '<td data-label="公示内容">王**</td>' in section and "山西省阳城县凤城镇****" in section
    assert "王建国" not in section and "新阳东街" not in section
    # After inventory's own sections (its order, 90, is the last).
    assert body.index("history-inventory-conflicts") < body.index("history-tests_plugin-public_view")

    body = client.get(reverse("inventory:entity_detail", args=[firm.pk])).content.decode()
    assert "不公示。" in body.split('data-testid="history-tests_plugin-public_view"')[1].split("</table>")[0]

    # In English from the plug-in's own catalog (tests/plugin_app/locale), the masked values unchanged.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("inventory:entity_detail", args=[shop.pk])).content.decode()
    section = body.split('data-testid="history-tests_plugin-public_view"')[1].split("</table>")[0]
    assert "<h2>Public view</h2>" in section and '<td data-label="What the public sees">王**</td>' in section
    assert "<td data-label=\"Field\">Operator</td>" in section
    body = client.get(reverse("inventory:entity_detail", args=[firm.pk])).content.decode()
    assert "Not published." in body.split('data-testid="history-tests_plugin-public_view"')[1].split("</table>")[0]


def test_the_job_is_in_celery_beats_schedule():
    assert "tests_plugin.census" in JOBS
    entry = beat_schedule()["tests_plugin.census"]
    assert entry["task"] == RUN_TASK and entry["args"] == ("tests_plugin.census",) and entry["options"] == {"expires": 3600}
    celery_app.finalize()
    assert celery_app.conf.beat_schedule["tests_plugin.census"]["args"] == ("tests_plugin.census",)
    assert "tests_plugin.census_organization" in celery_app.tasks


@pytest.mark.django_db
def test_the_job_runs_once_per_department_each_in_its_own_scope(world):
    with system_scope():
        for org_key, count in (("A1", 2), ("B1", 1), ("AO", 4)):
            org = world.orgs[org_key]
            for i in range(count):
                Inspector.objects.create(organization=org, region=org.region, name=f"人{org_key}{i}", cert_no=f"P{org_key}{i}")
    tasks.RUNS.clear()

    queued = run_periodic_job.apply(args=("tests_plugin.census",)).get()

    ids = {key: world.orgs[key].pk for key in ("A1", "A2", "B1", "B2")}
    assert queued == 4
    assert sorted(tasks.RUNS) == sorted([
        (ids["A1"], ids["A1"], "system", 2), (ids["A2"], ids["A2"], "system", 0),
        (ids["B1"], ids["B1"], "system", 1), (ids["B2"], ids["B2"], "system", 0),
    ])


@pytest.mark.django_db
def test_the_public_projections_are_listed_and_read(world):
    plugin = [p.key for p in PROJECTIONS if p.key.startswith("tests_plugin.")]
    assert plugin == [
        "tests_plugin.published_plans", "tests_plugin.draws", "tests_plugin.drawn_entities", "tests_plugin.individual_businesses",
    ]
    assert check_projections() == []  # every field resolves on sampling's and inventory's models

    org = world.orgs["A1"]
    with system_scope():
        SamplingPlan.objects.create(organization=org, region=org.region, year=2026, name="2026年度抽查计划", status="published",
                                    doc_no="阳发改〔2026〕3号")
        SamplingPlan.objects.create(organization=org, region=org.region, year=2026, name="草案", status="draft")
    assert project("tests_plugin.published_plans") == [
        {"year": 2026, "name": "2026年度抽查计划", "doc_no": "阳发改〔2026〕3号", "organization__name": "测试单位A1",
         "published_at": None},
    ]
    assert project("tests_plugin.drawn_entities") == []
