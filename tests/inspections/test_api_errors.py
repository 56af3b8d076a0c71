"""The inspections API's answers to a client's mistakes, as a sync client reads them (walk report
P17, P18): the entity filter by the payload's own name, one key for an error of no field, one clear
message for a NUL, and a body that is no JSON object said to be so."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from inspections.models import Inspection
from tenancy.context import Role
from tests.inspections.conftest import drawn
from tests.inspections.support import confirm_all, first, member_of
from tests.inspections.test_api import actor_user, client_of, post

pytestmark = pytest.mark.django_db


def test_entity_code_filters_as_the_payload_names_it_and_entity_stays_an_alias(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    code = inspection.entity.code
    with scopes_disabled():
        of_entity = sorted(Inspection.objects.filter(organization=world.orgs["A1"], entity__code=code).values_list("pk", flat=True))
        total = Inspection.objects.filter(organization=world.orgs["A1"]).count()
    assert total > len(of_entity) >= 1
    client = client_of(world.user("A1", Role.PLANNER))
    for name in ("entity_code", "entity"):
        rows = client.get("/api/v1/inspections/", {name: code, "page_size": 1000}).json()["results"]
        assert sorted(r["id"] for r in rows) == of_entity and {r["entity_code"] for r in rows} == {code}, name
    assert client.get("/api/v1/inspections/", {"entity_code": "91000000000000000X"}).json()["results"] == []
    # The misspelling of the walk: 400 naming it, not the 100 rows of other firms.
    refused = client.get("/api/v1/inspections/", {"entity_cod": code})
    assert refused.status_code == 400 and "未知的查询参数" in refused.json()["entity_cod"][0]
    assert "entity_code" in refused.json()["entity_cod"][0]
    # The combined visits' list takes the same name.
    assert client.get("/api/v1/combined-visits/", {"entity_code": code}).status_code == 200


def test_the_schema_documents_entity_code_and_marks_entity_deprecated(world):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/inspections/", "/api/v1/combined-visits/"):
        parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert "entity_code" in parameters and "已弃用" in parameters["entity"]["description"], path


def test_errors_of_no_field_come_under_non_field_errors_from_every_action(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    client = client_of(actor_user(d, member_of(d, inspection)))
    url = f"/api/v1/inspections/{inspection.pk}/"
    submit = post(client, url + "submit/").json()  # not confirmed: the service's error of no field
    draft = post(client, url + "draft/").json()  # nothing to save: the serializer's
    assert "尚未完成比对和确认" in submit["non_field_errors"][0] and "__all__" not in submit
    assert draft["non_field_errors"] and "__all__" not in draft


def test_a_nul_in_a_text_gives_the_projects_message_only(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    client = client_of(actor_user(d, member_of(d, inspection)))
    url = f"/api/v1/inspections/{inspection.pk}/"
    for path, body, key in (
        ("draft/", {"note": "a\u0000b"}, "note"),
        ("submit/", {"comment": "已\u0000检查"}, "comment"),
        ("confirm/", {"note": "\u0000"}, "note"),
    ):
        response = post(client, url + path, body)
        assert response.status_code == 400, response.content
        messages = response.json()[key]
        # DRF's own "不允许是用空字符串。" ("Null characters are not allowed", mistranslated) is gone.
        assert len(messages) == 1 and "U+0000" in messages[0] and "控制字符" in messages[0], messages


def test_a_body_that_is_no_json_object_is_said_to_be_so(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    client = client_of(actor_user(d, member_of(d, inspection)))
    url = f"/api/v1/inspections/{inspection.pk}/draft/"

    broken = client.post(url, "{not json", content_type="application/json")
    assert broken.status_code == 400
    assert broken.json()["detail"].startswith("请求体不是有效的 JSON（") and "line 1 column 2" in broken.json()["detail"]

    for body, kind in (('"{not json"', "字符串"), ("[1, 2]", "数组"), ("3", "数字")):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": [f"应为 JSON 对象（{{…}}），收到的是{kind}。"]}, response.json()
    # A nested value that is no object: the same words, under its field.
    nested = post(client, url, {"visit": "onsite"})
    assert nested.status_code == 400 and "应为 JSON 对象" in str(nested.json()["visit"])
