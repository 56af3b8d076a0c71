"""The inspection pages as each role reads them: an inspector's "我的检查" and the inspection they
are on (404 for one they are not on), a department's and an office's lists with filters, the check
form saved by the page's script (JSON) and without it, a stale save kept as a conflict with both
texts, evidence and signature uploads, submission errors at their fields, the leader's review,
corrections as new versions, and the follow-up pages."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image

from inspections.models import (
    Answer,
    DraftConflict,
    Evidence,
    Handling,
    Inspection,
    InspectionPart,
    ResultCode,
)
from inventory.models import CheckPoint
from tenancy.models import Membership
from tests.factories import ship_result_codes
from tests.inspections.conftest import Drawn, drawn
from tests.inspections.support import as_user, confirm_all, detail, fill, first, fresh, png, points_of, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _result_codes(db):
    # A live-server test run before this one emptied the tables, the shipped codes too.
    ship_result_codes()


def member_client(d: Drawn, inspection: Inspection, n: int = 0) -> Client:
    return as_user(d.users[inspection.team[n]])


def save(client: Client, inspection: Inspection, fields: dict, **revisions) -> tuple[int, dict]:
    body = {"fields": fields, **revisions}
    response = client.post(reverse("inspections:save", args=[inspection.pk]), json.dumps(body),
                           content_type="application/json", HTTP_ACCEPT="application/json")
    return response.status_code, response.json()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def mine(d: Drawn, user) -> list[Inspection]:
    inspector = next(i for i, u in d.users.items() if u.pk == user.pk)
    with scopes_disabled():
        rows = Inspection.objects.filter(draw=d.draw).order_by("window_end", "entity__name", "pk")
        return [row for row in rows if inspector in row.team]  # JSON contains is PostgreSQL's only


def jpeg(size: tuple[int, int] = (1600, 1200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 160, 200)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Lists


def test_an_inspector_lists_exactly_their_inspections_and_cannot_open_others(world):
    d = drawn(world, "A1", entities=24, inspectors=4)
    inspection = first(d)
    user = d.users[inspection.team[0]]
    own = mine(d, user)
    with scopes_disabled():
        others = list(Inspection.objects.filter(draw=d.draw).exclude(pk__in=[i.pk for i in own]))
        with_address = own[0].entity
        with_address.address = "阳城县凤城镇新建路 8 号"
        with_address.save(update_fields=["address"])
    assert own and others, "the draw must give the inspector some inspections and not others"
    client = as_user(user)
    page = client.get(reverse("inspections:list")).content.decode()
    names = re.findall(r'data-testid="inspection-link">([^<]+)</a>', page)
    assert names == [i.entity.name for i in own]
    assert "我的检查" in page and 'href="https://uri.amap.com/search?keyword=%E9%98%B3%E5%9F%8E%E5%8E%BF' in page
    assert "待确认" in page and "LEAKA1MARK 事项" in page
    dues = re.findall(r'data-testid="row-due">([^<]+)', page)
    assert [x.strip() for x in dues] == [i.window_end.isoformat() for i in own]  # not ended yet: the window's end
    for other in others:
        assert client.get(detail(other)).status_code == 404
        assert f">{other.entity.name}<" not in page
    shown = client.get(detail(own[0])).content.decode()
    assert with_address.name in shown and "阳城县凤城镇新建路 8 号" in shown and 'data-testid="map-link"' in shown
    # An inspector who also reads the department's list finds their own under 我的检查.
    with scopes_disabled():
        Membership.objects.filter(user=user).update(is_viewer=True)
    staff = client.get(reverse("inspections:list")).content.decode()
    assert "检查实施" in staff and 'data-testid="mine-link"' in staff
    mine_page = client.get(reverse("inspections:mine")).content.decode()
    assert re.findall(r'data-testid="inspection-link">([^<]+)</a>', mine_page) == [i.entity.name for i in own]
    assert as_user(world.user("A1", "planner")).get(reverse("inspections:mine")).status_code == 403
    # Another department's inspector and another county's never see it.
    for key in ("A2", "B1"):
        assert as_user(world.user(key, "planner")).get(detail(own[0])).status_code == 404


def test_department_staff_filter_by_task_status_and_name_and_the_office_sees_joint_ones(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    joint = drawn(world, "AO", entities=12, inspectors=3)
    with scopes_disabled():
        ours = list(Inspection.objects.filter(draw=d.draw))
        joint_ones = list(Inspection.objects.filter(draw=joint.draw))
    confirm_all(world, ours[0])
    planner = as_user(world.user("A1", "planner"))
    page = planner.get(reverse("inspections:list")).content.decode()
    assert "检查实施" in page
    shown = set(re.findall(r'data-testid="inspection-link">([^<]+)</a>', page))
    # The department's own and the joint visits it takes part in.
    assert shown == {i.entity.name for i in ours + joint_ones}
    todo = planner.get(reverse("inspections:list") + "?status=todo").content.decode()
    assert re.findall(r'data-testid="inspection-link">([^<]+)</a>', todo) == [ours[0].entity.name]
    by_task = planner.get(reverse("inspections:list") + f"?status=all&task={d.draw.task_id}").content.decode()
    assert f'href="{reverse("inspections:task_records", args=[d.draw.task_id])}"' in by_task
    assert set(re.findall(r'data-testid="inspection-link">([^<]+)</a>', by_task)) == {i.entity.name for i in ours}
    # Fixture names end in a number, so "对象7-1" is also in "对象7-10": search for one that is in no other.
    listed = [i.entity.name for i in ours + joint_ones]
    unique = next(n for n in listed if sum(n in other for other in listed) == 1)
    named = planner.get(reverse("inspections:list") + f"?status=all&q={unique}").content.decode()
    assert re.findall(r'data-testid="inspection-link">([^<]+)</a>', named) == [unique]
    # Hostile filters answer with the whole list, never an error.
    for query in ("?task=" + "9" * 5000, "?task=-1&status=nope", "?page=" + "9" * 5000, "?q=" + "名" * 500):
        assert planner.get(reverse("inspections:list") + query).status_code == 200
    by_code = planner.get(reverse("inspections:list") + f"?status=all&q={ours[1].entity.code}").content.decode()
    assert re.findall(r'data-testid="inspection-link">([^<]+)</a>', by_code) == [ours[1].entity.name]
    office = as_user(world.user("AO", "leader")).get(reverse("inspections:list")).content.decode()
    assert set(re.findall(r'data-testid="inspection-link">([^<]+)</a>', office)) == {i.entity.name for i in joint_ones}
    other = as_user(world.user("A2", "planner")).get(reverse("inspections:list")).content.decode()
    assert set(re.findall(r'data-testid="inspection-link">([^<]+)</a>', other)) == {i.entity.name for i in joint_ones}
    # An inspector of A1 with no grant sees none of them.
    empty = as_user(world.user("A1", "inspector")).get(reverse("inspections:list")).content.decode()
    assert "您目前没有需要办理的检查。" in empty


def test_the_department_confirms_the_targets_dispatched_to_it_from_its_list(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    with scopes_disabled():
        count = Inspection.objects.filter(draw=d.draw).count()
    planner = as_user(world.user("A1", "planner"))
    page = planner.get(reverse("inspections:list")).content.decode()
    assert 'data-testid="dispatch-row"' in page and f"待确认 {count} / {count}</td>" in page
    assert 'data-testid="dispatches"' not in as_user(world.user("A1", "viewer")).get(reverse("inspections:list")).content.decode()
    [url] = re.findall(r'action="(/inspections/dispatches/\d+/confirm/)"', page)
    response = planner.post(url, {"note": "已与名录库核对"})
    assert response.status_code == 302
    with scopes_disabled():
        assert set(Inspection.objects.filter(draw=d.draw).values_list("status", flat=True)) == {"todo"}
    page = planner.get(response["Location"]).content.decode()
    assert 'data-testid="dispatches"' not in page and f"（{count} 户可以开始检查）" in page
    assert as_user(world.user("A2", "planner")).post(url).status_code == 404


def test_the_sidebar_offers_my_inspections_to_inspectors_and_the_list_to_staff(world):
    inspector = as_user(world.user("A1", "inspector")).get("/").content.decode()
    assert 'data-testid="nav-inspections.mine"' in inspector and 'data-testid="nav-inspections.list"' not in inspector
    planner = as_user(world.user("A1", "planner")).get("/").content.decode()
    assert 'data-testid="nav-inspections.list"' in planner and 'data-testid="nav-inspections.handlings"' in planner
    assert 'data-testid="nav-inspections.mine"' not in planner
    office = as_user(world.user("AO", "leader")).get("/").content.decode()
    assert 'data-testid="nav-inspections.list"' in office


# --------------------------------------------------------------------------------------------
# The check form


def test_autosave_stores_each_field_and_a_stale_save_keeps_both_texts(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    [p1, p2] = points_of(inspection)
    confirm_all(world, inspection)
    a, b = member_client(d, inspection, 0), member_client(d, inspection, 1)
    page = a.get(detail(inspection)).content.decode()
    assert 'data-autosave' in page and 'name="revision" value="1"' in page and 'name="part_revision" value="1"' in page
    assert "inspection-autosave.js" in page and "inspection-signature.js" in page
    status, body = save(a, inspection, {"method": "onsite", f"point_{p1.pk}": "abnormal",
                                        f"point_{p1.pk}_note": "灭火器过期", "note": "甲写的说明"},
                        revision=1, part_revision=1)
    assert status == 200 and body["ok"] and not body["conflict"]
    assert body["revision"] == 2 and body["part_revision"] == 2 and body["status_label"] == "草稿"
    with scopes_disabled():
        answer = Answer.objects.get(part__inspection=inspection, point=p1)
        assert (answer.status, answer.note) == ("abnormal", "灭火器过期")
        assert InspectionPart.objects.get(inspection=inspection).note == "甲写的说明"
        assert fresh(inspection).method == "onsite"
    # B loaded the page before A's save: same note, older revision — both texts are kept.
    status, body = save(b, inspection, {"note": "乙写的说明", f"point_{p2.pk}": "normal"}, revision=1, part_revision=1)
    assert status == 200 and body["conflict"] is True
    merged = body["values"]["note"]
    assert merged.startswith("甲写的说明") and merged.endswith("乙写的说明")
    assert "乙写的说明" in body["conflicts_html"] and "甲写的说明" in body["conflicts_html"]
    with scopes_disabled():
        assert InspectionPart.objects.get(inspection=inspection).note == merged
        assert Answer.objects.get(part__inspection=inspection, point=p2).status == "normal"  # nobody else changed it
        [conflict] = DraftConflict.objects.filter(inspection=inspection)
    page = a.get(detail(inspection)).content.decode()
    assert 'data-testid="conflicts"' in page and "乙写的说明" in page
    # A reload shows the stored draft.
    assert re.search(rf'name="point_{p1.pk}" value="abnormal"[^>]*checked', page)
    assert re.search(r'name="method" value="onsite"[^>]*checked', page)
    a.post(reverse("inspections:conflict_resolve", args=[inspection.pk, conflict.pk]))
    assert 'data-testid="conflicts"' not in a.get(detail(inspection)).content.decode()


def test_bad_values_answer_with_field_errors_and_the_form_keeps_what_was_typed(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    [p1, p2] = points_of(inspection)
    with scopes_disabled():
        CheckPoint.objects.filter(pk=p1.pk).update(answer_kind="number")
        CheckPoint.objects.filter(pk=p2.pk).update(answer_kind="date")
    client = member_client(d, inspection)
    status, body = save(client, inspection, {f"point_{p1.pk}": "十二", "result_reason": "写了一半"}, revision=1, part_revision=1)
    assert status == 400 and body["errors"] == {f"point_{p1.pk}": ["请输入数字。"]}
    with scopes_disabled():
        assert not Answer.objects.filter(part__inspection=inspection).exists()
        assert fresh(inspection).result_reason == ""
    # Without script: the whole form, refused with the error at its field, what was typed kept.
    response = client.post(reverse("inspections:save", args=[inspection.pk]), {
        "full": "1", "revision": "1", "part_revision": "1", "method": "document", f"point_{p1.pk}": "12.5",
        f"point_{p2.pk}": "2026-02-30", "result_reason": "现场说明文字",
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert "请输入有效的日期（如 2026-05-08）。" in page and 'value="2026-02-30"' in page and 'value="12.5"' in page
    assert "现场说明文字" in page
    response = client.post(reverse("inspections:save", args=[inspection.pk]), {
        "full": "1", "revision": "1", "part_revision": "1", "method": "document", f"point_{p1.pk}": "12.5",
        f"point_{p2.pk}": "2026-02-28", "result_reason": "现场说明文字",
    })
    assert response.status_code == 302
    with scopes_disabled():
        assert str(Answer.objects.get(part__inspection=inspection, point=p1).number) == "12.5000"
        assert fresh(inspection).result_reason == "现场说明文字"


def test_evidence_photos_and_pdfs_with_thumbnails_and_content_checks(world, settings):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    [p1, _p2] = points_of(inspection)
    client = member_client(d, inspection)
    url = reverse("inspections:evidence_add", args=[inspection.pk])
    photo = io.BytesIO(jpeg())
    photo.name = "现场.jpg"
    response = client.post(url, {"point": p1.pk, "file": photo, "caption": "灭火器"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and 'data-testid="evidence-thumb"' in response.json()["html"]
    with scopes_disabled():
        evidence = Evidence.objects.get(inspection=inspection)
        assert (evidence.kind, evidence.answer.point_id, evidence.width, evidence.height) == ("photo", p1.pk, 1600, 1200)
    thumb = client.get(reverse("inspections:evidence_display", args=[inspection.pk, evidence.pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert max(image.size) == 640
    assert len(thumb.content) < evidence.size
    download = client.get(reverse("inspections:evidence_file", args=[inspection.pk, evidence.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    pdf = io.BytesIO(b"%PDF-1.7\n%%EOF\n")
    pdf.name = "告知书.pdf"
    assert client.post(url, {"file": pdf}, HTTP_ACCEPT="application/json").status_code == 200
    fake = io.BytesIO(b"<script>alert(1)</script>")
    fake.name = "照片.jpg"
    response = client.post(url, {"point": p1.pk, "file": fake}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "内容不是" in response.json()["error"]
    settings.ATTACHMENT_MAX_BYTES = 1000
    big = io.BytesIO(jpeg())
    big.name = "大.jpg"
    response = client.post(url, {"point": p1.pk, "file": big}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "大小上限" in response.json()["error"]
    page = client.get(detail(inspection)).content.decode()
    assert page.count('data-testid="evidence-thumb"') == 1 and "告知书.pdf" in page
    # Someone not on the team does not get the file.
    assert as_user(world.user("A2", "planner")).get(
        reverse("inspections:evidence_file", args=[inspection.pk, evidence.pk])).status_code == 404
    # Withdrawn with a reason: kept, no longer shown.
    response = client.post(reverse("inspections:evidence_withdraw", args=[inspection.pk, evidence.pk]), {"reason": "拍错了"})
    assert response.status_code == 302
    assert 'data-testid="evidence-thumb"' not in client.get(detail(inspection)).content.decode()
    with scopes_disabled():
        assert Evidence.objects.get(pk=evidence.pk).withdrawn_reason == "拍错了"


def test_the_signature_drawn_on_the_page_is_stored_and_shown(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    client = member_client(d, inspection)
    response = client.post(reverse("inspections:signature", args=[inspection.pk]), {"file": png("signature.png")},
                           HTTP_ACCEPT="application/json")
    body = response.json()
    assert response.status_code == 200 and body["ok"] and body["revision"] == 2
    with scopes_disabled():
        signature = fresh(inspection).signature
        assert signature.kind == "signature" and signature.content_type == "image/png"
    assert body["url"] == reverse("inspections:evidence_display", args=[inspection.pk, signature.pk])
    assert client.get(body["url"])["Content-Type"] == "image/png"
    page = client.get(detail(inspection)).content.decode()
    assert f'src="{body["url"]}"' in page
    fake = io.BytesIO(b"%PDF-1.7\n")
    fake.name = "sig.pdf"
    response = client.post(reverse("inspections:signature", args=[inspection.pk]), {"file": fake}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "PNG" in response.json()["error"]


# --------------------------------------------------------------------------------------------
# Submit, review, correct


def test_submission_errors_at_their_fields_then_submitted_and_locked(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    [p1, _p2] = points_of(inspection)
    client = member_client(d, inspection)
    page = client.get(detail(inspection)).content.decode()
    assert 'data-testid="missing"' in page and "尚未完成比对和确认" in page
    response = client.post(reverse("inspections:submit", args=[inspection.pk]))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="submit-errors"' in page and "请选择检查方式。" in page and "请填写“检查项目1”的检查结果。" in page
    assert f'data-errors-for="point_{p1.pk}"><li>请填写“检查项目1”的检查结果。</li>' in page
    assert fresh(inspection).status == "pending"
    confirm_all(world, inspection)
    fill(d, inspection)
    response = client.post(reverse("inspections:submit", args=[inspection.pk]), {"comment": "已完成"})
    assert response.status_code == 302 and fresh(inspection).status == "submitted"
    page = client.get(detail(inspection)).content.decode()
    assert "检查结果已提交审核，审核期间不能修改。" in page and "data-autosave" not in page
    assert f'href="{reverse("inspections:record_pdf", args=[inspection.pk])}"' in page
    assert f'href="{reverse("inspections:notice_pdf", args=[inspection.pk])}"' in page
    assert 'data-testid="result-shown"' in page and "未发现问题" in page
    status, body = save(client, inspection, {"result_reason": "改"}, revision=fresh(inspection).revision)
    assert status == 403 and "尚未提交" in body["error"]


def test_the_leader_returns_with_a_comment_then_approves_and_a_correction_is_a_new_version(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    fill(d, inspection)
    submit(d, inspection)
    leader = as_user(world.user("A1", "leader"))
    assert 'data-testid="review-link"' in leader.get(detail(inspection)).content.decode()
    url = reverse("inspections:review", args=[inspection.pk])
    assert as_user(world.user("A1", "planner")).get(url).status_code == 403
    response = leader.post(url, {"decision": "return", "comment": ""})
    assert response.status_code == 400 and "退回时请填写修改意见。" in response.content.decode()
    assert leader.post(url, {"decision": "return", "comment": "请补充现场照片"}).status_code == 302
    assert fresh(inspection).status == "returned"
    client = member_client(d, inspection)
    page = client.get(detail(inspection)).content.decode()
    assert 'data-testid="returned-comment"' in page and "请补充现场照片" in page and "data-autosave" in page
    assert client.post(reverse("inspections:submit", args=[inspection.pk])).status_code == 302
    assert leader.post(url, {"decision": "approve", "comment": "同意"}).status_code == 302
    approved = fresh(inspection)
    assert approved.status == "approved"
    page = client.get(detail(inspection)).content.decode()
    assert "已审核通过并锁定" in page and 'data-testid="correct-link"' in page
    assert text_of(page).count("审核通过") >= 1 and "请补充现场照片" in page  # the history
    correct = reverse("inspections:correct", args=[inspection.pk])
    response = client.post(correct, {"reason": ""})
    assert response.status_code == 400 and "该字段是必填项。" in response.content.decode()
    response = client.post(correct, {"reason": "检查结束日期录入有误"})
    with scopes_disabled():
        v2 = Inspection.objects.get(previous=inspection)
    assert response.status_code == 302 and response["Location"] == detail(v2)
    page = client.get(detail(v2)).content.decode()
    assert 'data-testid="inspection-version">第 2 版' in page and "检查结束日期录入有误" in page and "data-autosave" in page
    assert 'data-testid="version-row"' in page and f'href="{detail(inspection)}"' in page
    old = client.get(detail(inspection)).content.decode()
    assert "data-autosave" not in old and 'data-testid="correct-link"' not in old  # one correction at a time
    assert f'href="{detail(v2)}">第 2 版</a>' in old and "已审核通过并锁定" in old


# --------------------------------------------------------------------------------------------
# Follow-up


def test_follow_up_measures_with_their_own_fields_updated_and_closed(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    fill(d, inspection, status="abnormal", results=["05"], result_reason="消防通道堵塞")
    submit(d, inspection)
    planner = as_user(world.user("A1", "planner"))
    assert 'data-testid="handling-add-link"' in planner.get(detail(inspection)).content.decode()
    add = reverse("inspections:handling_add", args=[inspection.pk])
    page = planner.get(add).content.decode()
    assert 'data-measures="rectify"' in page and 'data-measures="penalty"' in page and "inspection-handling.js" in page
    response = planner.post(add, {"measure": "rectify", "description": "限期清理消防通道"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "责令改正须写明整改期限。" in page and "限期清理消防通道" in page
    due = (timezone.localdate() + timezone.timedelta(days=15)).isoformat()
    response = planner.post(add, {"measure": "rectify", "description": "限期清理消防通道", "due_on": due, "case_no": "不属于本措施"})
    with scopes_disabled():
        handling = Handling.objects.get(inspection=inspection)
    assert response.status_code == 302 and handling.case_no == "" and handling.due_on.isoformat() == due
    page = planner.get(reverse("inspections:handling_detail", args=[handling.pk])).content.decode()
    assert "责令改正" in page and due in page and 'data-testid="handling-update-form"' in page
    update = reverse("inspections:handling_update", args=[handling.pk])
    assert planner.post(update, {"revision": handling.revision, "status": "in_progress", "note": "已送达整改通知",
                                 "description": "限期清理消防通道", "due_on": due}).status_code == 302
    close = reverse("inspections:handling_close", args=[handling.pk])
    response = planner.post(close, {"outcome": "已整改", "recheck_result": ""})
    assert response.status_code == 400 and "责令改正须复查后办结，请填写复查结果。" in response.content.decode()
    assert planner.post(close, {"outcome": "已整改", "recheck_result": "复查通道畅通"}).status_code == 302
    page = planner.get(reverse("inspections:handling_detail", args=[handling.pk])).content.decode()
    assert 'data-testid="handling-status">已办结' in page and "复查通道畅通" in page and "已送达整改通知" in page
    listed = planner.get(reverse("inspections:handling_list") + "?status=all").content.decode()
    assert inspection.entity.name in listed and "已办结" in listed
    assert inspection.entity.name not in planner.get(reverse("inspections:handling_list")).content.decode()
    assert as_user(world.user("A2", "planner")).get(reverse("inspections:handling_detail", args=[handling.pk])).status_code == 404
    assert 'data-testid="handling-row"' in planner.get(detail(inspection)).content.decode()


def test_a_joint_visit_each_department_fills_its_own_part(world):
    d = drawn(world, "AO", entities=12, inspectors=3)
    inspection = first(d)
    a1, a2 = world.orgs["A1"].pk, world.orgs["A2"].pk
    client = as_user(d.users[next(i for i in inspection.team if d.actor_of(i).organization_id == a1)])
    page = client.get(detail(inspection)).content.decode()
    own_points, other_points = points_of(inspection, a1), points_of(inspection, a2)
    assert all(f'name="point_{p.pk}"' in page for p in own_points)
    assert not any(f'name="point_{p.pk}"' in page for p in other_points)
    assert f'data-testid="part-{a2}"' in page and "测试单位A2" in page and "测试单位A1" in page
    assert "该部门的检查要点由其检查人员填写。" in page


def test_a_refusal_stands_for_the_signature_and_result_codes_show_as_a_table_of_groups(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    with scopes_disabled():
        group = ResultCode.objects.create(code="11", name="其他发现问题情形", order=500)
        ResultCode.objects.create(code="1101", name="超范围经营", parent=group, is_problem=True, order=510)
    [p1, p2] = points_of(inspection)
    client = member_client(d, inspection)
    page = client.get(detail(inspection)).content.decode()
    assert "<th colspan=\"2\">其他发现问题情形</th>" in page and 'value="1101"' in page and 'value="11"' not in page
    today = timezone.localdate().isoformat()
    status, body = save(client, inspection, {
        "method": "onsite", "started_on": today, "ended_on": today, "results": ["1101"],
        f"point_{p1.pk}": "abnormal", f"point_{p2.pk}": "normal",
        "signature_refused": True, "refusal_reason": "负责人拒绝在检查记录上签字",
    }, revision=1, part_revision=1)
    assert status == 200 and body["ok"]
    status, body = save(client, inspection, {"results": ["11"]}, revision=body["revision"])
    assert status == 400 and body["errors"] == {"results": ["“其他发现问题情形”是分组，请选择其下的具体结果。"]}
    assert client.post(reverse("inspections:submit", args=[inspection.pk])).status_code == 302
    page = client.get(detail(inspection)).content.decode()
    assert "拒绝签字" in page and "负责人拒绝在检查记录上签字" in page and "超范围经营" in page


def test_a_transfer_names_the_department_it_goes_to(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    fill(d, inspection, status="abnormal", results=["05"], result_reason="涉嫌无证经营")
    submit(d, inspection)
    planner = as_user(world.user("A1", "planner"))
    add = reverse("inspections:handling_add", args=[inspection.pk])
    page = planner.get(add).content.decode()
    assert f'<option value="{world.orgs["A2"].pk}">测试单位A2</option>' in page and "测试单位B1" not in page
    response = planner.post(add, {"measure": "transfer", "description": "移送主管部门"})
    assert response.status_code == 400 and "请选择或填写移送的部门。" in response.content.decode()
    assert planner.post(add, {"measure": "transfer", "transfer_to": world.orgs["A2"].pk}).status_code == 302
    with scopes_disabled():
        handling = Handling.objects.get(inspection=inspection)
    assert (handling.measure, handling.transfer_to_id) == ("transfer", world.orgs["A2"].pk)
    page = planner.get(reverse("inspections:handling_detail", args=[handling.pk])).content.decode()
    assert "移送其他部门" in page and "测试单位A2" in page
