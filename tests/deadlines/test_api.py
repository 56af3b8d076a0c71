"""GET /api/v1/due-items/ and /api/v1/due-items/{id}/: read-only, scoped like the pages (a
department its own, an office its region's, the provincial platform its province's), strict
filters (state, rule, organization, updated_since), keyset pages, in the OpenAPI schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines import builtin
from deadlines.models import DueItem
from tenancy.context import Role
from tests.deadlines.conftest import add_platform
from tests.factories import filing_due_item, make_completed_draw, make_due_item, make_late_due_item

pytestmark = pytest.mark.django_db

URL = "/api/v1/due-items/"


def api(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def items(world):
    """A1: one overdue filing, one open; A2: one open; B1: one overdue. Each draw's plan (and
    whatever else its services started) has items of its own too: ``of`` counts them in."""
    return {
        "a1_late": make_late_due_item(world, "A1"), "a1_open": make_due_item(world, "A1"),
        "a2_open": make_due_item(world, "A2"), "b1_late": make_late_due_item(world, "B1"),
    }


def of(world, *org_keys: str) -> set[int]:
    """Every item of these organizations."""
    with scopes_disabled():
        return set(DueItem.objects.filter(organization__in=[world.orgs[k] for k in org_keys]).values_list("pk", flat=True))


def test_lists_are_scoped_like_the_pages(world, items):
    a1 = {items["a1_late"].pk, items["a1_open"].pk}
    assert a1 <= of(world, "A1") and items["a2_open"].pk in of(world, "A2")
    assert set(ids(api(world.user("A1", Role.VIEWER)).get(URL))) == of(world, "A1")
    assert set(ids(api(world.user("AO", Role.LEADER)).get(URL))) == of(world, "A1", "A2")
    _org, platform = add_platform(world)  # 山西: county A's province, not county B's
    assert set(ids(api(platform).get(URL))) == of(world, "A1", "A2")


def test_filters_state_rule_organization_and_updated_since(world, items):
    client = api(world.user("AO", Role.PLANNER))
    assert ids(client.get(URL, {"state": "overdue"})) == [items["a1_late"].pk]
    assert set(ids(client.get(URL, {"organization": "T-A2"}))) == of(world, "A2")
    assert ids(client.get(URL, {"organization": "T-B1"})) == []  # another county's: not seen
    assert len(ids(client.get(URL, {"rule": builtin.FILING}))) == 3
    assert ids(client.get(URL, {"rule": builtin.CERT_EXPIRY})) == []
    later = (timezone.now() + dt.timedelta(minutes=5)).isoformat()
    assert ids(client.get(URL, {"updated_since": later})) == []
    with scopes_disabled():
        DueItem.objects.filter(pk=items["a2_open"].pk).update(updated_at=timezone.now() + dt.timedelta(minutes=10))
    assert ids(client.get(URL, {"updated_since": later})) == [items["a2_open"].pk]
    # What a filter cannot use is a 400 naming the parameter, never the whole list.
    for params, field in (({"state": "late"}, "state"), ({"rule": "sampling.nothing"}, "rule"),
                          ({"state": ""}, "state"), ({"updated_since": "yesterday"}, "updated_since")):
        response = client.get(URL, params)
        assert response.status_code == 400 and field in response.json(), (params, response.content)


def test_keyset_pages_read_every_item_once(world, items):
    client = api(world.user("AO", Role.PLANNER))
    seen: list[int] = []
    response = client.get(URL, {"page_size": 1})
    while True:
        seen += ids(response)
        nxt = response.json()["next"]
        if not nxt:
            break
        response = client.get(nxt)
    assert len(seen) == len(set(seen)) and set(seen) == of(world, "A1", "A2")
    assert {items["a1_late"].pk, items["a1_open"].pk, items["a2_open"].pk} <= set(seen)


def test_detail_says_whose_action_by_when_and_why_and_the_calendar_warning(world, items):
    draw = make_completed_draw(world, "A1", targets=3, drawn_at=timezone.make_aware(dt.datetime(2026, 12, 30, 10)))
    assumed = filing_due_item(draw)
    body = api(world.user("A1", Role.PLANNER)).get(f"{URL}{assumed.pk}/").json()
    assert body["rule"] == builtin.FILING and body["rule_label"] == "抽取结果报送备案"
    assert body["organization"] == "T-A1" and body["escalate_to"] == "T-AO" and body["roles"] == ["planner", "admin"]
    assert body["due_on"] == "2027-01-01" and body["period"] == 2 and body["unit"] == "workdays"
    assert body["source"].startswith("阳城县发改局 2023 方案") and body["state"] == "open"
    assert body["assumed_years"] == [2027] and "2027 年节假日安排尚未录入" in body["assumed_warning"]
    # Another county's item, or another department's, is not found.
    assert api(world.user("A1", Role.PLANNER)).get(f"{URL}{items['b1_late'].pk}/").status_code == 404
    assert api(world.user("A1", Role.PLANNER)).get(f"{URL}{items['a2_open'].pk}/").status_code == 404
    assert api(world.user("AO", Role.VIEWER)).get(f"{URL}{items['a2_open'].pk}/").status_code == 200


def test_read_only(world, items):
    client = api(world.user("A1", Role.ADMIN))
    url = f"{URL}{items['a1_open'].pk}/"
    assert client.post(URL, {}, content_type="application/json").status_code == 405
    assert client.patch(url, {"state": "done"}, content_type="application/json").status_code == 405
    assert client.delete(url).status_code == 405
    with scopes_disabled():
        assert DueItem.objects.get(pk=items["a1_open"].pk).state == DueItem.State.OPEN


def test_in_the_openapi_schema(world):
    schema = api(world.user("A1", Role.VIEWER)).get("/api/schema/?format=json").json()
    listing = schema["paths"]["/api/v1/due-items/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"state", "rule", "organization", "updated_since", "cursor", "page_size"}
    rule = next(p for p in listing["parameters"] if p["name"] == "rule")
    assert builtin.FILING in rule["schema"]["enum"] and builtin.CERT_EXPIRY in rule["schema"]["enum"]
    assert set(schema["paths"]["/api/v1/due-items/{id}/"]) == {"get"}
    fields = schema["components"]["schemas"]["DueItem"]["properties"]
    assert {"rule_label", "source", "due_on", "assumed_warning", "organization", "target_url"} <= set(fields)
