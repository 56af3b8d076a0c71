"""The inspections API: the list (strict filters, the keyset cursor), the detail (answers, the
result in the national wording, follow-up), writes through the services and policies (the same
rules as the form: 400 keyed by field, 403 with the policy's reason, 404 for what one may not
see, never a 500), the record's PDF and the progress numbers per task."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from inspections.models import Inspection, InspectionPart
from inspections.services import handling as handling_services
from inspections.services import inspections as svc
from inspections.services import reviews
from inventory.models import Inspector
from tenancy.context import Role
from tenancy.scoping import actor_scope
from tests import factories
from tests.inspections.conftest import Drawn, drawn, link_inspectors
from tests.inspections.support import confirm_all, first, fresh, member_of, points_of

pytestmark = pytest.mark.django_db


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def complete(world, d: Drawn, inspection: Inspection, *, status: str = "normal", results=("01",), **visit) -> None:
    """Confirmed, every part answered, dates and result set; the firm refused to sign (recorded)."""
    confirm_all(world, inspection)
    today = timezone.localdate()
    values = {"method": "onsite", "started_on": today, "ended_on": today, "results": list(results),
              "signature_refused": True, "refusal_reason": "负责人不在场，店员拒绝签字", **visit}
    with scopes_disabled():
        orgs = list(InspectionPart.objects.filter(inspection=inspection).values_list("organization_id", flat=True))
    for n, org_id in enumerate(orgs):
        actor = member_of(d, inspection, org_id)
        with actor_scope(actor):
            answers = {p.pk: {"status": status} for p in points_of(inspection, org_id)}
            svc.inspection_save(actor=actor, inspection=fresh(inspection), visit=values if n == 0 else None, answers=answers)


def post(client: APIClient, path: str, data: dict | None = None):
    return client.post(path, data or {}, format="json")


# --------------------------------------------------------------------------------------------
# Reading


def test_the_list_filters_strictly_and_pages_by_the_cursor(world):
    d = drawn(world, "A1", entities=24, inspectors=4)
    other = drawn(world, "A1", entities=12, inspectors=4)
    with scopes_disabled():
        mine = list(Inspection.objects.filter(draw=d.draw).order_by("pk"))
        total = Inspection.objects.filter(organization=world.orgs["A1"]).count()
    client = client_of(world.user("A1", Role.PLANNER))
    body = client.get("/api/v1/inspections/", {"page_size": 4}).json()
    seen = [r["id"] for r in body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        seen += [r["id"] for r in body["results"]]
    assert len(seen) == len(set(seen)) == total

    rows = client.get("/api/v1/inspections/", {"draw": d.draw.pk, "page_size": 1000}).json()["results"]
    assert sorted(r["id"] for r in rows) == [i.pk for i in mine]
    assert {r["task"] for r in rows} == {d.draw.task_id} and rows[0]["status"] == "pending"
    assert rows[0]["status_label"] == "待确认" and rows[0]["task_uid"] == d.draw.task_uid
    assert client.get("/api/v1/inspections/", {"task": other.draw.task_id}).json()["results"][0]["task"] == other.draw.task_id
    code = mine[0].entity.code
    by_entity = client.get("/api/v1/inspections/", {"entity": code}).json()["results"]
    with scopes_disabled():  # the second draw may have drawn the same firm
        of_entity = sorted(Inspection.objects.filter(organization=world.orgs["A1"], entity__code=code).values_list("pk", flat=True))
    assert sorted(r["id"] for r in by_entity) == of_entity and mine[0].pk in of_entity
    assert {r["entity_code"] for r in by_entity} == {code}

    complete(world, d, mine[0])
    assert [r["id"] for r in client.get("/api/v1/inspections/", {"status": "draft"}).json()["results"]] == [mine[0].pk]
    for params in ({"status": "bogus"}, {"task": "x"}, {"draw": ""}, {"updated_since": "yesterday"}, {"page_size": "0"}):
        response = client.get("/api/v1/inspections/", params)
        assert response.status_code == 400 and set(response.json()) == set(params), params


def test_updated_since_finds_an_inspection_whose_answer_changed(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    client = client_of(world.user("A1", Role.PLANNER))
    with scopes_disabled():
        long_ago = timezone.now() - dt.timedelta(days=3)
        Inspection.objects.filter(draw=d.draw).update(updated_at=long_ago)
        InspectionPart.objects.filter(inspection__draw=d.draw).update(updated_at=long_ago)
    since = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/inspections/", {"updated_since": since}).json()["results"] == []
    actor = member_of(d, inspection)
    [point, *_rest] = points_of(inspection)
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=fresh(inspection), answers={point.pk: {"status": "normal"}})
    rows = client.get("/api/v1/inspections/", {"updated_since": since}).json()["results"]
    assert [r["id"] for r in rows] == [inspection.pk]


def test_an_inspector_lists_only_the_inspections_of_their_team(world):
    d = drawn(world, "A1", entities=24, inspectors=4)
    inspection = first(d)
    member = member_of(d, inspection)
    with scopes_disabled():
        on_team = list(Inspection.objects.filter(draw=d.draw).values_list("pk", "team"))
        inspector_id = next(i for i, user in d.users.items() if user.pk == member.user_id)
    expected = sorted(pk for pk, team in on_team if inspector_id in team)
    client = client_of(d.users[inspector_id])
    rows = client.get("/api/v1/inspections/", {"page_size": 1000}).json()["results"]
    assert sorted(r["id"] for r in rows) == expected and 0 < len(expected) < len(on_team)
    stranger = next(pk for pk, team in on_team if inspector_id not in team)
    assert client.get(f"/api/v1/inspections/{stranger}/").status_code == 404
    assert client.get(f"/api/v1/inspections/{stranger}/record.pdf").status_code == 404
    assert client.get(f"/api/v1/inspections/{expected[0]}/").status_code == 200


def test_the_detail_holds_answers_result_codes_and_follow_up(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    [p1, p2] = points_of(inspection)
    complete(world, d, inspection, results=("05",), result_reason="消防通道堆放杂物")
    actor = member_of(d, inspection)
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=fresh(inspection), answers={p1.pk: {"status": "abnormal", "note": "通道堵塞"}})
    client = client_of(actor_user(d, actor))
    assert post(client, f"/api/v1/inspections/{inspection.pk}/submit/").status_code == 200
    planner = world.actor("A1", Role.PLANNER)
    due = timezone.localdate() + dt.timedelta(days=10)
    with actor_scope(planner):
        handling = handling_services.handling_add(
            actor=planner, inspection=fresh(inspection), measure="rectify", description="清理消防通道", due_on=due,
        )
    body = client_of(world.user("A1", Role.VIEWER)).get(f"/api/v1/inspections/{inspection.pk}/").json()
    assert body["status"] == "submitted" and body["status_label"] == "已提交"
    assert body["results"] == [{"code": "05", "name": "发现问题待后续处理", "is_problem": True, "needs_followup": True}]
    assert body["result_reason"] == "消防通道堆放杂物" and body["signature_refused"] and not body["signed"]
    [part] = body["parts"]
    assert part["department"] == "T-A1" and [i["points"][0]["id"] for i in part["items"]] == [p1.pk]
    answers = {a["point"]: a for a in part["answers"]}
    assert answers[p1.pk]["status"] == "abnormal" and answers[p1.pk]["note"] == "通道堵塞"
    assert answers[p2.pk]["status_label"] == "正常"
    with scopes_disabled():
        names = {i.pk: i.name for i in Inspector.objects.filter(pk__in=inspection.team)}
    assert [(m["id"], m["name"]) for m in body["team"]] == [(i, names[i]) for i in inspection.team]
    [h] = body["handlings"]
    assert h["id"] == handling.pk and h["measure_label"] == "责令改正" and h["status"] == "open" and h["due_on"] == due.isoformat()
    assert [s["status_to"] for s in h["steps"]] == ["open"]
    assert [r["action"] for r in body["reviews"]] == ["submitted"]
    assert body["record_pdf"].endswith(f"/api/v1/inspections/{inspection.pk}/record.pdf")


def actor_user(d: Drawn, actor):
    return next(u for u in d.users.values() if u.pk == actor.user_id)


# --------------------------------------------------------------------------------------------
# Writing: the same services and rules as the form


def test_a_draft_saves_through_the_service_and_reports_errors_by_field(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    [p1, p2] = points_of(inspection)
    actor = member_of(d, inspection)
    client = client_of(actor_user(d, actor))
    url = f"/api/v1/inspections/{inspection.pk}/draft/"
    detail = client.get(f"/api/v1/inspections/{inspection.pk}/").json()
    revision, part_revision = detail["revision"], detail["parts"][0]["revision"]

    response = post(client, url, {"revision": revision, "part_revision": part_revision,
                                  "visit": {"method": "onsite", "results": ["01"]},
                                  "answers": {str(p1.pk): {"status": "normal", "note": "证照齐全"}}, "note": "现场检查"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body["applied"]) >= {"method", "results", f"point_{p1.pk}", "note"} and body["conflict"] is None
    assert body["inspection"]["status"] == "draft" and body["inspection"]["results"][0]["name"] == "未发现问题"

    # Values the service refuses: 400 keyed as the form keys them, nothing saved.
    for data, key in (
        ({"answers": {str(p2.pk): {"text": "文字"}}}, f"point_{p2.pk}"),  # a status point takes a status
        ({"answers": {"999999": {"status": "normal"}}}, "point_999999"),  # not a point of this part
        ({"visit": {"results": ["99"]}}, "results"),  # no such result code
        ({"visit": {"method": "phone"}}, "visit"),  # not a method
        ({"answers": {"abc": {"status": "normal"}}}, "answers"),
        ({"visit": {"started_on": "2026-13-01"}}, "visit"),
        ({}, "non_field_errors"),
    ):
        response = post(client, url, data)
        assert response.status_code == 400 and key in response.json(), (data, response.json())
    assert fresh(inspection).method == "onsite"

    # A save based on the revision loaded before: both texts kept, the conflict reported.
    other = next(d.actor_of(i) for i in fresh(inspection).team if d.actor_of(i).user_id != actor.user_id)
    post(client_of(actor_user(d, other)), url, {"part_revision": part_revision + 1, "note": "另一名检查员的说明"})
    stale = post(client, url, {"part_revision": part_revision + 1, "note": "我的说明"})
    assert stale.status_code == 200 and stale.json()["conflict"]["fields"][0]["field"] == "note"
    note = stale.json()["inspection"]["parts"][0]["note"]
    assert "另一名检查员的说明" in note and "我的说明" in note


def test_submit_approve_return_through_the_api(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    actor = member_of(d, inspection)
    client = client_of(actor_user(d, actor))
    url = f"/api/v1/inspections/{inspection.pk}/"
    refused = post(client, url + "submit/")
    assert refused.status_code == 400
    errors = refused.json()
    assert "尚未完成比对和确认" in errors["non_field_errors"][0] and errors["method"] == ["请选择检查方式。"]
    assert "__all__" not in errors  # one key for an error of no field, as draft/ and every serializer use
    assert errors["results"] == ["请选择检查结果。"]

    complete(world, d, inspection)
    assert post(client, url + "submit/", {"comment": "已检查"}).json()["status"] == "submitted"
    leader = client_of(world.user("A1", Role.LEADER))
    planner = client_of(world.user("A1", Role.PLANNER))
    denied = post(planner, url + "approve/")
    assert denied.status_code == 403 and "分管领导" in denied.json()["detail"]
    assert post(leader, url + "return/").json() == {"comment": ["退回时请填写修改意见。"]}
    returned = post(leader, url + "return/", {"comment": "请补充现场照片说明"})
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert post(client, url + "submit/").json()["status"] == "submitted"
    approved = post(leader, url + "approve/", {"comment": "同意"}).json()
    assert approved["status"] == "approved" and [r["action"] for r in approved["reviews"]] == [
        "submitted", "returned", "submitted", "approved",
    ]
    # Locked once approved: a draft is refused by the policy.
    locked = post(client, url + "draft/", {"visit": {"result_reason": "补充"}})
    assert locked.status_code == 403 and "尚未提交" in locked.json()["detail"]
    # Other county: not found, whatever the method.
    stranger = client_of(world.user("B1", Role.LEADER))
    assert post(stranger, url + "approve/").status_code == 404 and stranger.get(url).status_code == 404


def test_confirm_through_the_api(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    planner = client_of(world.user("A1", Role.PLANNER))
    response = post(planner, f"/api/v1/inspections/{inspection.pk}/confirm/", {"note": "已比对"})
    assert response.status_code == 200 and response.json()["status"] == "todo" and response.json()["confirmed_at"]
    again = post(planner, f"/api/v1/inspections/{inspection.pk}/confirm/")
    assert again.status_code == 403


# --------------------------------------------------------------------------------------------
# The record and the progress


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_record_pdf(world, settings, tmp_path):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    complete(world, d, inspection)
    client = client_of(world.user("A1", Role.VIEWER))
    for accept in ("*/*", "application/pdf"):
        response = client.get(f"/api/v1/inspections/{inspection.pk}/record.pdf", HTTP_ACCEPT=accept)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].lower().startswith("attachment; filename*=utf-8''")
    text = subprocess.run(["pdftotext", "-raw", "-", "-"], input=response.content, capture_output=True, check=True).stdout.decode()
    compact = "".join(text.split())
    assert "抽查检查记录表" in compact and "".join(inspection.entity.name.split()) in compact
    assert "被检查对象拒绝签字：负责人不在场，店员拒绝签字" in compact
    missing = client.get("/api/v1/inspections/999999999/record.pdf", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"


def test_progress_per_task(world):
    """Drawn 20 days ago: the department's confirmation of the dispatch is late (1 working day),
    a draft that ended then is late (5 working days), a follow-up measure past its date is late."""
    task = factories.make_ready_task(world, "A1", entities=24, inspectors=4)
    users = link_inspectors(task)
    drawn_at = timezone.now() - dt.timedelta(days=20)
    d = Drawn(draw=factories.draw_task(world, task, drawn_at=drawn_at), users=users)
    with scopes_disabled():
        inspections = list(Inspection.objects.filter(draw=d.draw).order_by("pk"))
    drawn_count = len(inspections)
    assert drawn_count >= 5
    a, b, c = inspections[:3]
    day = timezone.localdate(drawn_at)
    dates = {"started_on": day, "ended_on": day}
    complete(world, d, a, **dates)  # a draft, confirmed
    complete(world, d, b, status="abnormal", results=("05",), result_reason="未公示许可证", **dates)
    complete(world, d, c, status="abnormal", results=("04",), result_reason="当场整改", **dates)
    for inspection in (b, c):
        actor = member_of(d, inspection)
        with actor_scope(actor):
            reviews.inspection_submit(actor=actor, inspection=fresh(inspection))
    leader = world.actor("A1", Role.LEADER)
    with actor_scope(leader):
        reviews.inspection_approve(actor=leader, inspection=fresh(c))
    planner = world.actor("A1", Role.PLANNER)
    with actor_scope(planner):
        handling_services.handling_add(actor=planner, inspection=fresh(b), measure="rectify",
                                       description="公示许可证", due_on=day + dt.timedelta(days=3))
    client = client_of(world.user("A1", Role.VIEWER))
    body = client.get(f"/api/v1/inspection-progress/{d.draw.task_id}/").json()
    assert body | {} == {
        **body, "task": d.draw.task_id, "drawn": drawn_count, "confirmed": 3, "inspected": 2, "approved": 1,
        "problems": 2, "handled": 0,
        # the dispatch's confirmation, a's result (5 working days), b's measure past its date
        "overdue": 3,
    }
    rows = client.get("/api/v1/inspection-progress/").json()["results"]
    assert [r["task"] for r in rows] == [d.draw.task_id]
    assert client_of(world.user("B1", Role.VIEWER)).get(f"/api/v1/inspection-progress/{d.draw.task_id}/").status_code == 404
    assert client_of(world.user("B1", Role.VIEWER)).get("/api/v1/inspection-progress/").json()["results"] == []


def test_the_schema_builds_with_the_inspection_endpoints(world):
    client = client_of(world.user("A1", Role.VIEWER))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for path in ("/api/v1/inspections/", "/api/v1/inspections/{id}/", "/api/v1/inspections/{id}/draft/",
                 "/api/v1/inspections/{id}/submit/", "/api/v1/inspections/{id}/approve/",
                 "/api/v1/inspections/{id}/return/", "/api/v1/inspections/{id}/confirm/",
                 "/api/v1/inspections/{id}/record.pdf", "/api/v1/inspection-progress/",
                 "/api/v1/inspection-progress/{id}/"):
        assert path in paths, path
    names = {p["name"] for p in paths["/api/v1/inspections/"]["get"]["parameters"]}
    assert names >= {"task", "draw", "status", "entity", "updated_since", "cursor", "page_size"}
    assert "application/pdf" in paths["/api/v1/inspections/{id}/record.pdf"]["get"]["responses"]["200"]["content"]


def test_the_provincial_platform_reads_its_provinces_inspections_only(world):
    """The provincial platform syncs every inspection of its province (county A is in 山西,
    county B in 河北), read-only: a write is refused by the policy."""
    from tests.deadlines.conftest import add_platform

    a = drawn(world, "A1", entities=12, inspectors=4)
    b = drawn(world, "B1", entities=12, inspectors=4)
    _org, user = add_platform(world)
    with scopes_disabled():
        a_ids = sorted(Inspection.objects.filter(draw=a.draw).values_list("pk", flat=True))
        b_id = Inspection.objects.filter(draw=b.draw).values_list("pk", flat=True).first()
    client = client_of(user)
    rows = client.get("/api/v1/inspections/", {"page_size": 1000}).json()["results"]
    assert sorted(r["id"] for r in rows) == a_ids and a_ids
    assert client.get(f"/api/v1/inspections/{a_ids[0]}/").json()["id"] == a_ids[0]
    assert client.get(f"/api/v1/inspections/{b_id}/").status_code == 404
    refused = post(client, f"/api/v1/inspections/{a_ids[0]}/confirm/")
    assert refused.status_code == 400 and refused.json() == {"non_field_errors": ["本单位不参与该检查，无需确认。"]}
    with scopes_disabled():
        assert not InspectionPart.objects.filter(inspection_id=a_ids[0], confirmed_at__isnull=False).exists()
