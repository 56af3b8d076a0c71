"""The draws API: list/detail scoped, the record in the variant the caller may see."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sampling import hashrank
from tests.factories import make_committed_draw, make_completed_draw

pytestmark = pytest.mark.django_db


def _api(world, org: str, role: str = "viewer") -> APIClient:
    client = APIClient()
    client.force_login(world.user(org, role), backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_record_variants(world):
    draw = make_completed_draw(world, "A1")
    url = f"/api/v1/draws/{draw.pk}/record/"
    owner = _api(world, "A1").get(url)
    assert owner.status_code == 200 and "inspector_pool" in owner.json()
    assert hashrank.verify(owner.json()) == []
    office = _api(world, "AO").get(url).json()
    assert "inspector_pool" in office
    asked_public = _api(world, "A1").get(url + "?variant=public").json()
    assert "inspector_pool" not in asked_public and hashrank.verify(asked_public) == []
    assert _api(world, "A2").get(url).status_code == 404
    assert _api(world, "B1").get(url).status_code == 404


def test_list_and_detail_hide_the_secret_before_the_draw(world):
    committed = make_committed_draw(world, "A1")
    completed = make_completed_draw(world, "A1")
    client = _api(world, "A1")
    rows = {r["id"]: r for r in client.get("/api/v1/draws/").json()["results"]}
    assert set(rows) == {committed.pk, completed.pk}
    assert rows[committed.pk]["secret"] is None and rows[committed.pk]["record_url"] is None
    assert rows[completed.pk]["secret"] == completed.secret
    assert client.get(f"/api/v1/draws/{committed.pk}/record/").status_code == 404
    detail = client.get(f"/api/v1/draws/{completed.pk}/").json()
    assert detail["commitment"] == completed.commitment and detail["status"] == "completed"
    assert _api(world, "B1").get("/api/v1/draws/").json()["results"] == []
