"""Values PostgreSQL refuses never reach it: NUL in a URL is a 400 (JSON under /api/, a page
elsewhere), out-of-range or empty ``updated_since`` is a 400 field error, and an unhandled API
error under DEBUG=0 is JSON, never the HTML 500 page."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import make_entity

pytestmark = pytest.mark.django_db

PAGES_WITH_Q = [
    "/inventory/items/", "/inventory/items/export/", "/inventory/joint-items/", "/inventory/entities/",
    "/inventory/inspectors/", "/sampling/plans/", "/sampling/recusals/", "/audit/",
]


def api(world, org: str = "A1", role: str = "planner") -> APIClient:
    client = APIClient()
    client.force_login(world.user(org, role), backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("path", PAGES_WITH_Q)
def test_nul_in_a_page_query_is_a_400_page_in_chinese(world, login, path):
    client = login(world.user("A1", "admin"))
    response = client.get(path + "?q=%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "空字符" in response.content.decode()
    # The same page without the NUL still answers (the refusal is about the value, not the page).
    assert client.get(path + "?q=ok").status_code == 200


def test_nul_in_a_query_key_is_refused_too(world, login):
    assert login(world.user("A1", "admin")).get("/inventory/items/?a%00b=1").status_code == 400


def test_nul_in_an_api_path_or_query_is_a_json_400(world):
    make_entity(world, "A1", name="某公司")
    client = api(world)
    for response in (
        client.get("/api/v1/entities/%00/"),
        client.patch("/api/v1/entities/%00/", {"name": "x"}, format="json"),
        client.get("/api/v1/entities/?name=%00"),
        client.get("/api/v1/check-items/?q=a%00b"),
        client.get("/api/v1/organizations/%00/"),
    ):
        assert response.status_code == 400, response.content
        assert response["Content-Type"].startswith("application/json")
        assert "空字符" in response.json()["detail"]


@pytest.mark.parametrize(
    "value",
    [
        "0300-11-05T10:29:13-22:15",  # an offset PostgreSQL refuses
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
        "2026-13-01T00:00:00Z",
        "yesterday",
        "",  # an empty value was silently ignored
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/entities/", "/api/v1/inspectors/", "/api/v1/check-items/", "/api/v1/draws/"])
def test_updated_since_out_of_range_or_empty_is_a_400_field_error(world, path, value):
    response = api(world).get(path, {"updated_since": value})
    assert response.status_code == 400, response.content
    assert "updated_since" in response.json()


def test_updated_since_accepts_offsets_and_compares_in_utc(world):
    make_entity(world, "A1", name="某公司")
    client = api(world)
    assert len(client.get("/api/v1/entities/", {"updated_since": "2000-01-01T08:00:00+08:00"}).json()["results"]) == 1
    assert client.get("/api/v1/entities/", {"updated_since": "2999-01-01T00:00:00-12:00"}).json()["results"] == []
    # Without an offset the time is the installation's (Asia/Shanghai).
    assert len(client.get("/api/v1/entities/", {"updated_since": "2000-01-01T00:00:00"}).json()["results"]) == 1


def test_an_unhandled_api_error_under_debug_off_is_json(world, settings, monkeypatch):
    from tenancy.api_views import OrganizationViewSet

    def boom(self, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(OrganizationViewSet, "list", boom)
    settings.DEBUG = False
    client = APIClient(raise_request_exception=False)
    client.force_login(world.user("A1", "viewer"), backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/api/v1/organizations/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"] and "boom" not in response.content.decode()


def test_api_not_found_and_errors_are_json_under_debug_off(world, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(world.user("A1", "viewer"), backend="django.contrib.auth.backends.ModelBackend")
    missing = client.get("/api/v1/no-such-thing/")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("application/json")
    assert missing.json()["detail"]
    page = client.get("/inventory/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
