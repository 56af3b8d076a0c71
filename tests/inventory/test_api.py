"""API /api/v1/: reads with filters and cursor paging, writes through services, bulk upsert."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from inventory.codes import make_uscc
from inventory.models import CheckItem, MarketEntity
from sampling.models import SamplingPlan, SamplingTask
from tests.factories import make_entity, make_inspector, make_item

pytestmark = pytest.mark.django_db


def api(world, org: str, role: str) -> APIClient:
    client = APIClient()
    client.force_login(world.user(org, role), backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_entity_list_filters_cursor_and_lookup_by_code(world):
    rows = [make_entity(world, "A1", name=f"超市{i}", risk_class="D" if i % 2 else "A") for i in range(5)]
    make_entity(world, "B1", name="外县超市")
    client = api(world, "A1", "viewer")
    body = client.get(reverse("api:entity-list"), {"page_size": 2}).json()
    assert len(body["results"]) == 2 and body["next"]
    seen = [r["code"] for r in body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        seen += [r["code"] for r in body["results"]]
    assert sorted(seen) == sorted(e.code for e in rows)
    risky = client.get(reverse("api:entity-list"), {"risk_class": "D"}).json()["results"]
    assert {r["name"] for r in risky} == {"超市1", "超市3"}
    assert client.get(reverse("api:entity-list"), {"updated_since": "2999-01-01T00:00:00Z"}).json()["results"] == []
    detail = client.get(reverse("api:entity-detail", kwargs={"code": rows[0].code.lower()}))
    assert detail.status_code == 200 and detail.json()["name"] == "超市0"
    with scopes_disabled():
        foreign = MarketEntity.objects.get(name="外县超市")
    assert client.get(reverse("api:entity-detail", kwargs={"code": foreign.code})).status_code == 404


def test_entity_create_and_patch_via_services_with_field_errors(world):
    client = api(world, "A1", "planner")
    code = make_uscc("91", "140522", "MA0K77777")
    bad = client.post(reverse("api:entity-list"), {"code": code[:-1] + "Z", "name": "某公司"}, format="json")
    assert bad.status_code == 400 and "code" in bad.json()
    ok = client.post(reverse("api:entity-list"), {"code": code, "name": "阳城县某宾馆", "risk_class": "C"}, format="json")
    assert ok.status_code == 201 and ok.json()["risk_class"] == "C"
    dup = client.post(reverse("api:entity-list"), {"code": code, "name": "again"}, format="json")
    assert dup.status_code == 400 and "已登记" in dup.json()["code"][0]
    patched = client.patch(reverse("api:entity-detail", kwargs={"code": code}), {"complaint_count": 4}, format="json")
    assert patched.status_code == 200 and patched.json()["complaint_count"] == 4
    viewer = api(world, "A1", "viewer")
    assert viewer.patch(reverse("api:entity-detail", kwargs={"code": code}), {"complaint_count": 1}, format="json").status_code == 403


def test_bulk_upsert_is_idempotent_and_all_or_nothing(world):
    client = api(world, "A1", "planner")
    records = [{"code": make_uscc("91", "140522", f"MA0K{i:05d}"), "name": f"批量公司{i}", "risk_class": "B"} for i in range(3)]
    url = reverse("api:entity-bulk-upsert")
    first = client.post(url, records, format="json")
    assert first.status_code == 200 and first.json()["created"] == 3
    again = client.post(url, records, format="json")
    assert again.status_code == 200 and again.json()["created"] == 0 and again.json()["unchanged"] == 3
    broken = [*records, {"code": "91140522MA0K0000XX", "name": "坏代码"}]
    broken[0] = {**records[0], "name": "改名"}
    bad = client.post(url, broken, format="json")
    assert bad.status_code == 400 and bad.json()["errors"] and bad.json()["errors"][0]["row"] == 3
    with scopes_disabled():
        assert MarketEntity.objects.filter(name="改名").count() == 0  # nothing written
    assert client.post(url, {"code": "x"}, format="json").status_code == 400
    assert client.post(url, [{"code": "x"}] * 1001, format="json").status_code == 400
    assert api(world, "A1", "viewer").post(url, records, format="json").status_code == 403


def test_inspector_phone_only_for_own_organization(world):
    make_inspector(world, "A1", name="钱电话", phone="13600000000")
    own = api(world, "A1", "viewer").get(reverse("api:inspector-list")).json()["results"]
    assert own[0]["phone"] == "13600000000" and own[0]["eligible"] is True
    office = api(world, "AO", "viewer").get(reverse("api:inspector-list")).json()["results"]
    assert office[0]["name"] == "钱电话" and "phone" not in office[0]


def test_inspector_create_via_api(world):
    client = api(world, "A1", "admin")
    response = client.post(reverse("api:inspector-list"), {"name": "孙一", "cert_no": "A-001", "specialties": ["网吧"]}, format="json")
    assert response.status_code == 201 and response.json()["specialties"] == ["网吧"]
    dup = client.post(reverse("api:inspector-list"), {"name": "孙二", "cert_no": "A-001"}, format="json")
    assert dup.status_code == 400 and "cert_no" in dup.json()


def test_checkitem_patch_in_use_returns_new_version(world):
    item = make_item(world, "A1")
    org = world.orgs["A1"]
    with scopes_disabled():
        plan = SamplingPlan.objects.create(organization=org, region=org.region, year=2026, name="计划")
        SamplingTask.objects.create(organization=org, region=org.region, plan=plan, name="任务", uid="API-T1").items.add(item)
    client = api(world, "A1", "planner")
    response = client.patch(reverse("api:checkitem-detail", args=[item.pk]), {"name": "新版", "change_reason": "修法"}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2 and response.json()["previous"] == item.pk
    assert len(response.json()["points"]) == 2
    with scopes_disabled():
        assert CheckItem.objects.get(pk=item.pk).name != "新版"
    created = client.post(reverse("api:checkitem-list"), {"code": "N-1", "name": "新事项", "points": [{"project": "一"}]}, format="json")
    assert created.status_code == 201 and created.json()["points"][0]["project"] == "一"
    assert api(world, "B1", "admin").get(reverse("api:checkitem-detail", args=[item.pk])).status_code == 404


def test_registry_entries_read_only(world):
    make_entity(world, "A1", name="登记条目")
    client = api(world, "A1", "viewer")
    rows = client.get(reverse("api:registryentry-list")).json()["results"]
    assert rows[0]["entity_name"] == "登记条目"
    assert client.post(reverse("api:registryentry-list"), {}, format="json").status_code == 405
