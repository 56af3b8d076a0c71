"""The API says what it does: what the schema promises is what the responses hold (the findings of
a bounded schemathesis run, each fixed at its root), and phone numbers are phone numbers."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from inventory.codes import classify_code
from inventory.models import Inspector

pytestmark = pytest.mark.django_db


def api(world, org: str = "A1", role: str = "admin") -> APIClient:
    client = APIClient()
    client.force_login(world.user(org, role), backend="django.contrib.auth.backends.ModelBackend")
    return client


def schema(client) -> dict:
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_region_parent_is_null_for_a_province_and_the_schema_says_so(world):
    client = api(world, role="viewer")
    regions = {r["code"]: r for r in client.get("/api/v1/regions/").json()}
    assert regions["140000"]["parent"] is None and regions["140522"]["parent"] == "140500"
    parent = schema(client)["components"]["schemas"]["Region"]["properties"]["parent"]
    assert parent.get("nullable") is True


def test_the_bulk_upsert_example_is_a_valid_code(world):
    operation = schema(api(world))["paths"]["/api/v1/entities/bulk_upsert/"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    codes = [record["code"] for example in examples.values() for record in example["value"]]
    assert codes and all(classify_code(code).valid for code in codes), codes


@pytest.mark.parametrize("phone", ["[", "_3t", "12345", "4221234"])
def test_the_api_refuses_what_is_not_a_phone_number(world, phone):
    response = api(world).post("/api/v1/inspectors/", {"name": "孙一", "cert_no": "A-1", "phone": phone}, format="json")
    assert response.status_code == 400 and "手机号" in response.json()["phone"][0]
    with scopes_disabled():
        assert not Inspector.objects.exists()


def test_the_api_takes_mobile_and_landline_numbers_as_typed(world):
    client = api(world)
    mobile = client.post("/api/v1/inspectors/", {"name": "孙一", "cert_no": "A-1", "phone": "+86 138 0013 8000"}, format="json")
    assert mobile.status_code == 201 and mobile.json()["phone"] == "+86 138 0013 8000"
    landline = client.patch(f"/api/v1/inspectors/{mobile.json()['id']}/", {"phone": "0356-4221234 转 12"}, format="json")
    assert landline.status_code == 200 and landline.json()["phone"] == "0356-4221234 转 12"
    assert client.patch(f"/api/v1/inspectors/{mobile.json()['id']}/", {"phone": ""}, format="json").json()["phone"] == ""


def test_the_inspector_form_refuses_a_bad_phone_and_keeps_what_was_typed(world, login):
    client = login(world.user("A1", "admin"))
    url = reverse("inventory:inspector_create")
    response = client.post(url, {"name": "张三", "cert_no": "14052200001", "status": "active", "phone": "_3t"})
    body = response.content.decode()
    assert response.status_code == 200 and "带区号的固定电话" in body and 'value="_3t"' in body
    client.post(url, {"name": "张三", "cert_no": "14052200001", "status": "active", "phone": "０３５６-4221234"})
    with scopes_disabled():
        assert Inspector.objects.get(cert_no="14052200001").phone == "0356-4221234"


def test_the_import_uses_the_same_phone_rule(world, settings, tmp_path):
    from inventory.services.imports import import_preview
    from tenancy.scoping import actor_scope
    from tests.inventory.fixtures.sheets import csv_bytes

    settings.MEDIA_ROOT = tmp_path
    actor = world.actor("A1", "admin")
    data = csv_bytes([["姓名", "执法证号", "联系电话"], ["甲", "C-1", "138 0013 8000"], ["乙", "C-2", "_3t"], ["丙", "C-3", "0356-4221234"]])
    with actor_scope(actor):
        job = import_preview(actor=actor, kind="inspectors", data=data, filename="人员.csv")
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "联系电话")]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/entities/", {"entity_type": ""}),
        ("/api/v1/entities/", {"on_abnormal_list": "maybe"}),
        ("/api/v1/entities/", {"risk_class": "E"}),
        ("/api/v1/inspectors/", {"unit": "1.5"}),
        ("/api/v1/organizations/", {"kind": ""}),
        ("/api/v1/plans/", {"year": "abc"}),
        ("/api/v1/plans/", {"status": "nonsense"}),
        ("/api/v1/tasks/", {"plan": "x"}),
        ("/api/v1/draws/", {"task": "1.5"}),
        ("/api/v1/filings/", {"tab": "bogus"}),
    ],
)
def test_a_filter_value_the_api_cannot_use_is_a_400_not_ignored(world, path, params):
    response = api(world, role="viewer").get(path, params)
    assert response.status_code == 400, response.content
    assert set(params) <= set(response.json())


def test_plan_and_task_filters_are_documented_and_filter(world):
    from tests.factories import make_plan, make_task

    plan = make_plan(world, "A1")
    task = make_task(world, "A1")
    client = api(world, role="viewer")
    assert [p["id"] for p in client.get("/api/v1/plans/", {"year": plan.year, "status": "draft"}).json()["results"]] == [plan.pk]
    assert client.get("/api/v1/plans/", {"year": plan.year + 5}).json()["results"] == []
    assert [t["id"] for t in client.get("/api/v1/tasks/", {"plan": task.plan_id}).json()["results"]] == [task.pk]
    assert client.get("/api/v1/plans/", {"updated_since": "2999-01-01T00:00:00Z"}).json()["results"] == []
    paths = schema(client)["paths"]
    assert {p["name"] for p in paths["/api/v1/plans/"]["get"]["parameters"]} >= {"year", "status", "kind", "updated_since"}
    assert {p["name"] for p in paths["/api/v1/tasks/"]["get"]["parameters"]} >= {"year", "status", "plan", "updated_since"}
    assert {p["name"] for p in paths["/api/v1/filings/"]["get"]["parameters"]} >= {"tab"}
    unit = next(p for p in paths["/api/v1/inspectors/"]["get"]["parameters"] if p["name"] == "unit")
    assert unit["schema"]["type"] == "integer"


def test_the_draw_record_refuses_a_variant_it_does_not_have(world):
    from tests.factories import make_completed_draw

    draw = make_completed_draw(world, "A1")
    client = api(world, role="viewer")
    assert client.get(f"/api/v1/draws/{draw.pk}/record/", {"variant": "public"}).status_code == 200
    response = client.get(f"/api/v1/draws/{draw.pk}/record/", {"variant": "0"})
    assert response.status_code == 400 and "variant" in response.json()


def test_request_bodies_are_json_and_the_schema_says_so(world):
    from tests.factories import make_entity

    entity = make_entity(world, "A1", name="甲公司")
    client = api(world)
    response = client.generic("PATCH", f"/api/v1/entities/{entity.code}/", "--x\r\nNone--x--\r\n", "multipart/form-data; boundary=x")
    assert response.status_code == 415
    assert client.patch(f"/api/v1/entities/{entity.code}/", "null", content_type="application/json").status_code == 400
    body = schema(client)["paths"]["/api/v1/entities/{code}/"]["patch"]["requestBody"]["content"]
    assert set(body) == {"application/json"}
