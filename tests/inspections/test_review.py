"""Confirm, fill, submit (with every reason it cannot be, in Chinese, keyed by field), return
with comments, approve, and correct after approval as a new version; a joint visit is approved
when every department's leader has approved its part."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from inspections.models import Answer, Inspection, InspectionPart, Review
from inspections.services import inspections as svc
from inspections.services import reviews
from tenancy.scoping import actor_scope
from tests.inspections.conftest import drawn
from tests.inspections.support import confirm_all, fill, first, fresh, member_of, points_of, submit

pytestmark = pytest.mark.django_db


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict


def test_submission_errors_each_in_chinese_keyed_by_field(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    actor = member_of(d, inspection)
    [p1, p2] = points_of(inspection)
    with actor_scope(actor), pytest.raises(ValidationError) as caught:
        reviews.inspection_submit(actor=actor, inspection=inspection)
    errors = _errors(caught.value)
    assert "尚未完成比对和确认" in errors["__all__"][0]
    assert errors["method"] == ["请选择检查方式。"]
    assert errors["started_on"] == ["请填写检查开始日期。"] and errors["ended_on"] == ["请填写检查结束日期。"]
    assert errors[f"point_{p1.pk}"] == ["请填写“检查项目1”的检查结果。"] and f"point_{p2.pk}" in errors
    assert errors["results"] == ["请选择检查结果。"]
    assert "signature" not in errors  # no method yet: only an on-site visit is signed for
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=inspection, visit={"method": "onsite"})
        with pytest.raises(ValidationError) as caught:
            reviews.inspection_submit(actor=actor, inspection=inspection)
    assert caught.value.message_dict["signature"] == [
        "实地检查须由被检查对象签字确认，拒绝签字的请如实记录（曲阳县实施细则第十八条）。"
    ]

    confirm_all(world, inspection)
    today = timezone.localdate()
    drawn_on = timezone.localdate(d.draw.drawn_at)
    with actor_scope(actor):
        svc.inspection_save(
            actor=actor, inspection=inspection,
            visit={"method": "onsite", "started_on": drawn_on - dt.timedelta(days=1), "ended_on": today + dt.timedelta(days=1),
                   "results": ["01", "02"], "signature_refused": True},
            answers={p1.pk: {"status": "abnormal"}, p2.pk: {"status": "normal"}},
        )
        with pytest.raises(ValidationError) as caught:
            reviews.inspection_submit(actor=actor, inspection=inspection)
    errors = _errors(caught.value)
    assert "__all__" not in errors and "method" not in errors and not any(k.startswith("point_") for k in errors)
    assert errors["started_on"] == [f"检查开始日期不能早于抽取日期（{drawn_on.isoformat()}）。"]
    assert errors["ended_on"] == ["检查结束日期不能晚于今天。"]
    assert errors["results"] == [
        "“未发现问题”不能与其他检查结果同时选择。",
        "检查要点中有“不正常”，检查结果不能为“未发现问题”，除非在结果说明中写明理由。",
    ]
    assert errors["refusal_reason"] == ["被检查对象拒绝签字的，请如实记录拒签情况。"]
    assert "signature" not in errors  # a refusal stands in for the signature

    with actor_scope(actor):
        svc.inspection_save(
            actor=actor, inspection=inspection,
            visit={"started_on": today, "ended_on": today, "results": ["10"], "refusal_reason": "负责人拒绝签字"},
        )
        with pytest.raises(ValidationError) as caught:
            reviews.inspection_submit(actor=actor, inspection=inspection)
    assert _errors(caught.value) == {"result_reason": ["选择“其他”时请在结果说明中写明具体情况。"]}

    # 未发现问题 with an abnormal point stands once the reason is written.
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=inspection, visit={"results": ["01"], "result_reason": "现场已整改到位"})
        reviews.inspection_submit(actor=actor, inspection=inspection)
    assert fresh(inspection).status == Inspection.Status.SUBMITTED


def test_bad_values_are_refused_with_the_field_and_nothing_is_saved(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    actor = member_of(d, inspection)
    [p1, _p2] = points_of(inspection)
    with actor_scope(actor):
        for visit, answers, key, message in (
            ({"started_on": "2026-13-01"}, {}, "started_on", "请输入有效的日期（如 2026-05-08）。"),
            ({"method": "phone"}, {}, "method", "请选择检查方式。"),
            ({"results": ["99"]}, {}, "results", "检查结果代码无效或已停用：99。"),
            ({}, {p1.pk: {"status": "maybe"}}, f"point_{p1.pk}", "请选择正常、不正常或不涉及。"),
            ({}, {p1.pk: {"number": "12"}}, f"point_{p1.pk}", "该检查要点的结果类型为“正常/不正常/不涉及”。"),
            ({}, {999999: {"status": "normal"}}, "point_999999", "该检查要点不属于本部门的检查事项。"),
        ):
            with pytest.raises(ValidationError) as caught:
                svc.inspection_save(actor=actor, inspection=inspection, visit=visit, answers=answers)
            assert caught.value.message_dict == {key: [message]}
    with scopes_disabled():
        assert not Answer.objects.filter(part__inspection=inspection).exists()
    assert fresh(inspection).revision == 1 and fresh(inspection).method == ""


def test_return_with_comments_then_approve_locks_and_a_correction_is_a_new_version(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    fill(d, inspection)
    submit(d, inspection)
    leader = world.actor("A1", "leader")
    with actor_scope(leader):
        with pytest.raises(ValidationError) as caught:
            reviews.inspection_return(actor=leader, inspection=inspection, comment="  ")
        assert caught.value.message_dict == {"comment": ["退回时请填写修改意见。"]}
        reviews.inspection_return(actor=leader, inspection=inspection, comment="照片不清晰，请补充")
    assert fresh(inspection).status == Inspection.Status.RETURNED
    actor = member_of(d, inspection)
    [p1, _p2] = points_of(inspection)
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=inspection, answers={p1.pk: {"note": "已补充说明"}})
    submit(d, inspection)
    with actor_scope(leader):
        reviews.inspection_approve(actor=leader, inspection=inspection, comment="同意")
    approved = fresh(inspection)
    assert approved.status == Inspection.Status.APPROVED and approved.approved_by_id == world.user("A1", "leader").pk
    with actor_scope(actor), pytest.raises(PermissionDenied):
        svc.inspection_save(actor=actor, inspection=inspection, answers={p1.pk: {"note": "改"}})

    with actor_scope(actor):
        with pytest.raises(ValidationError) as caught:
            reviews.inspection_correct(actor=actor, inspection=inspection, reason="")
        assert caught.value.message_dict == {"reason": ["请填写更正原因。"]}
        v2 = reviews.inspection_correct(actor=actor, inspection=inspection, reason="检查结束日期录入有误")
        with pytest.raises(PermissionDenied):  # one open correction at a time
            reviews.inspection_correct(actor=actor, inspection=inspection, reason="再次更正")
    with scopes_disabled():
        assert (v2.version, v2.previous_id, v2.status, v2.is_current) == (2, inspection.pk, "draft", False)
        assert Answer.objects.filter(part__inspection=v2).count() == Answer.objects.filter(part__inspection=inspection).count() == 2
        assert v2.signature_id is not None and v2.signature_id != approved.signature_id
        assert v2.signature.sha256 == approved.signature.sha256 and v2.signature.file.name == approved.signature.file.name
        assert list(v2.results.values_list("code", flat=True)) == ["01"]
    assert fresh(inspection).is_current  # the approved version stands until the correction is approved
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=v2, revision=v2.revision, visit={"result_reason": "更正后说明"})
        reviews.inspection_submit(actor=actor, inspection=v2)
    with actor_scope(leader):
        reviews.inspection_approve(actor=leader, inspection=v2)
    old, new = fresh(inspection), fresh(v2)
    assert (old.is_current, old.status, old.result_reason) == (False, "approved", "")
    assert (new.is_current, new.status, new.result_reason) == (True, "approved", "更正后说明")
    with scopes_disabled():
        assert list(Review.objects.filter(inspection=inspection).values_list("action", "comment")) == [
            ("submitted", ""), ("returned", "照片不清晰，请补充"), ("submitted", ""), ("approved", "同意"),
        ]
        assert list(Review.objects.filter(inspection=v2).values_list("action", "version")) == [
            ("corrected", 2), ("submitted", 2), ("approved", 2),
        ]
        with pytest.raises(ValidationError):
            Review.objects.filter(inspection=v2).first().save()


def test_a_joint_visit_is_approved_when_every_departments_leader_has(world):
    d = drawn(world, "AO", entities=12, inspectors=3)
    inspection = first(d)
    confirm_all(world, inspection)
    fill(d, inspection)
    submit(d, inspection)
    for key in ("A1", "A2"):
        leader = world.actor(key, "leader")
        assert fresh(inspection).status == Inspection.Status.SUBMITTED
        with actor_scope(leader):
            reviews.inspection_approve(actor=leader, inspection=fresh(inspection))
            with pytest.raises(PermissionDenied):  # its part is approved already
                reviews.inspection_approve(actor=leader, inspection=fresh(inspection))
    assert fresh(inspection).status == Inspection.Status.APPROVED
    with scopes_disabled():
        assert all(p.approved_at for p in InspectionPart.objects.filter(inspection=inspection))
    office = world.actor("AO", "leader")
    with actor_scope(office), pytest.raises(PermissionDenied):
        reviews.inspection_correct(actor=office, inspection=fresh(inspection), reason="办公室不能更正")
