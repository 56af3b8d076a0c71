"""Inspectors added or changed by the spreadsheet import get their certificate-renewal item as
those saved one by one do: the importer emits ``inventory.inspector.saved`` for each row it
writes, and the rule opens, moves and closes the items."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines import builtin
from deadlines.models import DueItem
from inventory.models import ImportJob, Inspector
from inventory.services.imports import import_confirm, import_preview
from tenancy.context import Role
from tenancy.scoping import actor_scope
from tests.inventory.fixtures.sheets import xlsx

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "执法证号", "有效期至", "状态"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def run(world, rows) -> ImportJob:
    actor = world.actor("A1", Role.PLANNER)
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="inspectors", data=xlsx([HEADER, *rows]), filename="人员.xlsx")
        job = import_confirm(actor=actor, job=job, mode="valid")
    assert job.status == ImportJob.Status.DONE, job.message
    return job


def cert_items() -> dict[str, list[tuple[str, str]]]:
    """Inspector name -> [(state, due day)] of its renewal items, oldest first."""
    with scopes_disabled():
        names = dict(Inspector.objects.values_list("pk", "name"))
        found: dict[str, list[tuple[str, str]]] = {}
        for item in DueItem.objects.filter(rule=builtin.CERT_EXPIRY).order_by("id"):
            found.setdefault(names[int(item.target_id)], []).append((item.state, item.due_on.isoformat()))
    return found


def test_imported_inspectors_get_open_move_and_close_their_certificate_items(world):
    today = timezone.localdate()
    soon, later, renewed = (today + dt.timedelta(days=d) for d in (20, 200, 900))
    job = run(world, [
        ["张即将", "IMP-001", soon.isoformat(), "在岗"],
        ["李明年", "IMP-002", later.isoformat(), ""],
        ["王长期", "IMP-003", "", ""],
        ["赵离职", "IMP-004", soon.isoformat(), "离职"],
    ])
    assert job.created_count == 4
    assert cert_items() == {
        "张即将": [("open", (soon - dt.timedelta(days=30)).isoformat())],
        "李明年": [("open", (later - dt.timedelta(days=30)).isoformat())],
    }
    with scopes_disabled():
        item = DueItem.objects.get(rule=builtin.CERT_EXPIRY, target_id=str(Inspector.objects.get(cert_no="IMP-001").pk))
        assert item.organization == world.orgs["A1"] and item.roles == ["admin", "planner"]
        assert item.target_repr == f"张即将（IMP-001）执法证 {soon.isoformat()} 到期"

    # Renewed, left, unchanged: the old obligation met, a new one due; a leaver's item closed.
    job = run(world, [
        ["张即将", "IMP-001", renewed.isoformat(), "在岗"],
        ["李明年", "IMP-002", later.isoformat(), "离职"],
        ["王长期", "IMP-003", "", ""],
    ])
    assert (job.updated_count, job.unchanged_count) == (2, 1)
    assert cert_items() == {
        "张即将": [("done", (soon - dt.timedelta(days=30)).isoformat()), ("open", (renewed - dt.timedelta(days=30)).isoformat())],
        "李明年": [("done", (later - dt.timedelta(days=30)).isoformat())],
    }
