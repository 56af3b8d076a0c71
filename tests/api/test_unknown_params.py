"""A query parameter nobody reads is a 400 keyed by its name, on every list of the API: a sync
client that misspelt a filter (``?taks=9``, ``?entity_code=`` where the filter was ``entity``)
got every row as if filtered. Each list still takes every parameter its OpenAPI schema documents
(and ``format``), all at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from config.api_urls import router
from tenancy.context import Role
from tenancy.pagination import CodeCursorPagination
from tests.factories import make_completed_draw, make_due_item, make_entity, make_filled_inspection

pytestmark = pytest.mark.django_db

UNKNOWN = "未知的查询参数"
LISTS = sorted(basename for _prefix, viewset, basename in router.registry if hasattr(viewset, "list"))


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def list_path(basename: str) -> str:
    return reverse(f"api:{basename}-list")


def documented(schema: dict, path: str) -> dict[str, str]:
    """A valid value for each query parameter the schema documents for ``GET path``."""
    values: dict[str, str] = {}
    for parameter in schema["paths"][path]["get"].get("parameters", []):
        if parameter["in"] != "query":
            continue
        name, spec = parameter["name"], parameter.get("schema", {})
        if name == "cursor":
            values[name] = CodeCursorPagination().encode_cursor((dt.datetime(2000, 1, 1, tzinfo=dt.UTC), 0))
        elif name == "page_size":
            values[name] = "1"
        elif spec.get("enum"):
            values[name] = str(spec["enum"][0])
        elif spec.get("type") == "integer":
            values[name] = "1"
        elif spec.get("type") == "boolean":
            values[name] = "true"
        elif spec.get("format") == "date-time":
            values[name] = "2000-01-01T00:00:00+08:00"
        else:
            values[name] = "x"
    return values


def test_the_router_has_the_lists_this_test_names():
    # A new list joins the parametrized tests below by itself; this pins the ones known today.
    assert {
        "region", "organization", "checkitem", "entity", "inspector", "registryentry", "plan", "task", "draw",
        "filing", "dueitem", "inspection", "inspectionprogress", "combinedvisit",
    } <= set(LISTS)


@pytest.mark.parametrize("basename", LISTS)
def test_a_list_refuses_an_unknown_parameter_by_name_and_takes_its_documented_ones(world, schema, basename):
    make_entity(world, "A1", name="某公司")
    client = client_of(world.user("A1", Role.PLANNER))
    path = list_path(basename)

    refused = client.get(path, {"taks": "9"})
    assert refused.status_code == 400, refused.content
    body = refused.json()
    assert list(body) == ["taks"] and UNKNOWN in body["taks"][0]
    # The message names what the list does read, among them its paging.
    if "page_size" in documented(schema, path):
        assert "page_size" in body["taks"][0] and "cursor" in body["taks"][0]

    # Next to valid ones, only the unknown one is named; DRF's format override is no filter.
    params = {**documented(schema, path), "format": "json"}
    mixed = client.get(path, {**params, "ordering": "password"})
    assert mixed.status_code == 400 and list(mixed.json()) == ["ordering"], mixed.content

    accepted = client.get(path, params)
    assert accepted.status_code == 200, (params, accepted.content)
    rows = accepted.json()
    assert isinstance(rows, list) or ("results" in rows and "next" in rows), rows


def test_every_documented_filter_still_filters(world):
    """The unknown-parameter check changes nothing for a known one: a filter still narrows."""
    make_entity(world, "A1", name="甲公司")
    target = make_entity(world, "A1", name="乙公司")
    client = client_of(world.user("A1", Role.PLANNER))
    rows = client.get("/api/v1/entities/", {"name": "乙"}).json()["results"]
    assert [r["code"] for r in rows] == [target.code]
    assert len(client.get("/api/v1/entities/").json()["results"]) >= 2
    # The misspelt name gives nothing at all, rather than every firm.
    assert client.get("/api/v1/entities/", {"nmae": "乙"}).status_code == 400


def test_lists_with_rows_refuse_a_misspelt_filter_instead_of_returning_everything(world):
    inspection = make_filled_inspection(world, "A1")
    make_completed_draw(world, "A1")
    make_due_item(world, "A1")
    client = client_of(world.user("A1", Role.PLANNER))
    for path, good, bad in (
        ("/api/v1/inspections/", {"task": inspection.task_id}, {"taks": inspection.task_id}),
        ("/api/v1/draws/", {"task": inspection.task_id}, {"task_id": inspection.task_id}),
        ("/api/v1/due-items/", {"state": "open"}, {"status": "open"}),
    ):
        assert client.get(path, good).status_code == 200
        assert client.get(path).json()["results"], path  # there are rows a misspelling would have returned
        refused = client.get(path, bad)
        assert refused.status_code == 400 and list(refused.json()) == list(bad), (path, refused.content)


def test_a_detail_and_an_action_keep_their_own_parameters(world):
    inspection = make_filled_inspection(world, "A1")
    client = client_of(world.user("A1", Role.PLANNER))
    assert client.get(f"/api/v1/inspections/{inspection.pk}/", {"format": "json"}).json()["id"] == inspection.pk
    # The draw record reads ?variant= itself (no filters there): still accepted.
    record = client.get(f"/api/v1/draws/{inspection.draw_id}/record/", {"variant": "public"})
    assert record.status_code == 200 and "inspector_pool" not in record.json()
