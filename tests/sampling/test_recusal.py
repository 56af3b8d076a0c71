"""Recusal and substitutes (回避/递补, DRAW.md §5), and target replacement from the reserve."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_scopes import scopes_disabled

from inventory.models import ConflictOfInterest, Inspector, MarketEntity
from sampling import hashrank, teams
from sampling.models import DrawSelection, Filing, RecusalRequest, Substitution, TargetReplacement
from sampling.selectors import draws as draw_selectors
from sampling.services import recusals as svc
from tenancy.scoping import actor_scope
from tests.factories import make_completed_draw

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _filing(settings, tmp_path):
    """Approved changes are filed with the office (曲阳 §16): their files go to a temporary media
    root, and each 备案表 is a stub PDF (tests/sampling/test_pdf_filing.py renders real ones)."""
    settings.MEDIA_ROOT = tmp_path
    with mock.patch("sampling.pdf.filing_form_pdf", return_value=b"%PDF-1.7 stub"):
        yield


def filed(draw) -> list[Filing]:
    """What was filed with the office about ``draw``, oldest first."""
    with scopes_disabled():
        return list(Filing.objects.filter(draw=draw).select_related("office").order_by("pk"))


def _link_user(world, inspector_id: int, org_key: str = "A1"):
    user = world.user(org_key, "inspector")
    with scopes_disabled():
        Inspector.objects.filter(pk=inspector_id).update(user=user)
    return world.actor(org_key, "inspector")


def test_inspector_requests_leader_approves_substitute_per_spec(world):
    draw = make_completed_draw(world, "A1", entities=40, inspectors=6)
    with scopes_disabled():
        first = DrawSelection.objects.get(draw=draw, rank=1)
        out_id = first.team[0]
    inspector_actor = _link_user(world, out_id)
    with actor_scope(inspector_actor):
        record_before = draw_selectors.draw_record(draw)
        req = svc.recusal_request(
            actor=inspector_actor, draw=draw, selection=first, inspector=Inspector.objects.get(pk=out_id),
            kind="recusal", reason="与该企业负责人系亲属",
        )
        assert req.status == "pending"
    leader = world.actor("A1", "leader")
    with actor_scope(leader):
        svc.recusal_decide(actor=leader, request=req, approve=True, note="同意")
        req.refresh_from_db()
        assert req.status == "approved" and req.decided_by_id == world.user("A1", "leader").pk
        sub = Substitution.objects.get(draw=draw)
        first.refresh_from_db()
        record = draw_selectors.draw_record(draw)
    assert sub.seq == 1 and sub.request_id == req.pk
    assert first.initial_team[0] == out_id and first.team[0] == sub.in_inspector_id  # same position
    assert first.team[1] == first.initial_team[1]

    # Reproduce with the engine directly: assignment, then §5 with the stored inputs.
    seed = bytes.fromhex(record["seed"])
    assignments, loads = hashrank.assign_teams(
        seed, [s["key"] for s in record["selected"]], teams.refs_of(record["inspector_pool"]),
        teams.requirement_refs(record["requirements"]), teams.conflict_refs(record["conflicts"]),
    )
    out_key = record_before["assignments"][0]["inspectors"][0]
    [expected] = hashrank.apply_substitutions(
        seed, assignments, loads, teams.refs_of(record["inspector_pool"]), teams.conflict_refs(record["conflicts"]),
        [hashrank.SubstitutionEvent(first.key, out_key, sub.reason)],
    )
    assert record["substitutions"] == [expected]
    assert record["assignments"] == assignments
    assert hashrank.verify(record) == []
    # Filed with the county office: the substitution, and the record as it stands after it.
    [filing] = filed(draw)
    assert (filing.kind, filing.substitution_id, filing.office.name) == ("substitution", sub.pk, "测试单位AO")
    assert filing.record["substitutions"] == [expected] and filing.record["assignments"] == assignments


def test_second_substitution_uses_earlier_events(world):
    draw = make_completed_draw(world, "A1", entities=40, inspectors=4)
    leader = world.actor("A1", "leader")
    planner = world.actor("A1", "planner")
    with scopes_disabled():
        first = DrawSelection.objects.get(draw=draw, rank=1)
    for _round in range(2):
        with actor_scope(planner):
            first.refresh_from_db()
            req = svc.recusal_request(
                actor=planner, draw=draw, selection=first, inspector=Inspector.objects.get(pk=first.team[0]),
                kind="absence", reason="出差",
            )
        with actor_scope(leader):
            svc.recusal_decide(actor=leader, request=req, approve=True)
    with actor_scope(leader):
        record = draw_selectors.draw_record(draw)
        first.refresh_from_db()
    assert len(record["substitutions"]) == 2
    # The first recused inspector never comes back to this target (DRAW.md §5).
    assert record["substitutions"][1]["in"] != record["substitutions"][0]["out"]
    assert hashrank.verify(record) == []


def test_reject_needs_a_note_and_changes_no_team(world):
    draw = make_completed_draw(world, "A1")
    planner = world.actor("A1", "planner")
    with actor_scope(planner):
        first = DrawSelection.objects.get(draw=draw, rank=1)
        req = svc.recusal_request(
            actor=planner, draw=draw, selection=first, inspector=Inspector.objects.get(pk=first.team[1]),
            kind="recusal", reason="理由",
        )
    leader = world.actor("A1", "leader")
    with actor_scope(leader):
        with pytest.raises(ValidationError):
            svc.recusal_decide(actor=leader, request=req, approve=False, note="")
        svc.recusal_decide(actor=leader, request=req, approve=False, note="理由不成立")
        assert RecusalRequest.objects.get(pk=req.pk).status == "rejected"
        assert not Substitution.objects.filter(draw=draw).exists()
        assert DrawSelection.objects.get(pk=first.pk).team == first.team
        with pytest.raises(ValidationError, match="已经审批"):
            svc.recusal_decide(actor=leader, request=req, approve=True)
    assert filed(draw) == []


def test_recusal_permissions(world):
    draw = make_completed_draw(world, "A1")
    with scopes_disabled():
        first = DrawSelection.objects.get(draw=draw, rank=1)
        second = DrawSelection.objects.get(draw=draw, rank=2)
        ins = Inspector.objects.get(pk=first.team[0])
    inspector_actor = _link_user(world, ins.pk)
    with actor_scope(inspector_actor):
        if ins.pk not in second.team:
            # An inspector can ask only for a team they are on.
            with pytest.raises(ValidationError):
                svc.recusal_request(actor=inspector_actor, draw=draw, selection=second, inspector=ins, kind="recusal", reason="x")
        other = Inspector.objects.get(pk=first.team[1])
        with pytest.raises(PermissionDenied):  # …and only for themself
            svc.recusal_request(actor=inspector_actor, draw=draw, selection=first, inspector=other, kind="recusal", reason="x")
    viewer = world.actor("A1", "viewer")
    with actor_scope(viewer), pytest.raises(PermissionDenied):
        svc.recusal_request(actor=viewer, draw=draw, selection=first, inspector=ins, kind="recusal", reason="x")
    planner = world.actor("A1", "planner")
    with actor_scope(planner):
        req = svc.recusal_request(actor=planner, draw=draw, selection=first, inspector=ins, kind="recusal", reason="x")
        with pytest.raises(PermissionDenied):  # a planner does not approve
            svc.recusal_decide(actor=planner, request=req, approve=True)


def test_replacement_takes_next_reserve_of_the_stratum_in_order(world):
    draw = make_completed_draw(world, "A1", entities=40, inspectors=6, reserve_size=2)
    leader = world.actor("A1", "leader")
    with actor_scope(leader):
        target = DrawSelection.objects.get(draw=draw, rank=1)
        reserves = list(
            DrawSelection.objects.filter(draw=draw, stratum=target.stratum, status="reserve").order_by("reserve_order")
        )
        rep = svc.replacement_create(actor=leader, draw=draw, selection=target, reason="已注销")
        target.refresh_from_db()
        new = DrawSelection.objects.get(pk=rep.replacement_id)
        assert new.pk == reserves[0].pk and new.status == "replacement" and target.status == "replaced"
        assert new.team == target.team
        rep2 = svc.replacement_create(actor=leader, draw=draw, selection=new, reason="无法联系")
        assert rep2.replacement_id == reserves[1].pk and rep2.seq == 2
        with pytest.raises(ValidationError, match="用完"):
            svc.replacement_create(actor=leader, draw=draw, selection=DrawSelection.objects.get(pk=reserves[1].pk), reason="又无法联系")
        record = draw_selectors.draw_record(draw)
        public = draw_selectors.draw_record(draw, variant="public")
    assert [(r["replaced"], r["replacement"]) for r in record["x"]["replacements"]] == [
        (target.key, reserves[0].key), (reserves[0].key, reserves[1].key)
    ]
    assert "inspectors" not in public["x"]["replacements"][0]
    assert hashrank.verify(record) == [] and hashrank.verify(public) == []
    filings = filed(draw)
    assert [(f.kind, f.replacement_id) for f in filings] == [("replacement", rep.pk), ("replacement", rep2.pk)]
    assert [(r["replaced"], r["replacement"]) for r in filings[-1].record["x"]["replacements"]] == [
        (target.key, reserves[0].key), (reserves[0].key, reserves[1].key)
    ]
    planner = world.actor("A1", "planner")
    with actor_scope(planner), pytest.raises(PermissionDenied):
        svc.replacement_create(actor=planner, draw=draw, selection=DrawSelection.objects.get(draw=draw, rank=2), reason="x")


def test_replacement_substitutes_a_member_in_conflict_with_the_new_target(world):
    draw = make_completed_draw(world, "A1", entities=40, inspectors=6, reserve_size=1)
    with scopes_disabled():
        target = DrawSelection.objects.get(draw=draw, rank=1)
        reserve = DrawSelection.objects.get(draw=draw, stratum=target.stratum, status="reserve")
        member = Inspector.objects.get(pk=target.team[0])
        ConflictOfInterest.objects.create(
            organization=world.orgs["A1"], region=world.orgs["A1"].region, inspector=member,
            entity=MarketEntity.objects.get(pk=reserve.entity_id), reason="股东",
        )
        # The frozen conflicts are the draw's; add the pair as if it had been declared before the commitment.
        draw.conflicts = [*draw.conflicts, {"inspector": member.cert_no, "target": reserve.key}]
        draw.save()
    leader = world.actor("A1", "leader")
    with actor_scope(leader):
        svc.replacement_create(actor=leader, draw=draw, selection=target, reason="无法联系")
        reserve.refresh_from_db()
        record = draw_selectors.draw_record(draw)
        assert TargetReplacement.objects.filter(draw=draw).count() == 1
    assert member.pk not in reserve.team and len(reserve.team) == 2
    assert reserve.initial_team[0] == member.pk
    [extra] = record["x"]["substitutions"]
    assert extra["target"] == reserve.key and extra["out"] == member.cert_no
    assert record["substitutions"] == []


def test_approved_substitution_and_replacement_are_filed_with_the_office(world):
    draw = make_completed_draw(world, "A1")
    planner = world.actor("A1", "planner")
    leader = world.actor("A1", "leader")
    with actor_scope(planner):
        first = DrawSelection.objects.get(draw=draw, rank=1)
        req = svc.recusal_request(
            actor=planner, draw=draw, selection=first, inspector=Inspector.objects.get(pk=first.team[0]),
            kind="absence", reason="病假",
        )
    with actor_scope(leader):
        svc.recusal_decide(actor=leader, request=req, approve=True)
        svc.replacement_create(actor=leader, draw=draw, selection=DrawSelection.objects.get(draw=draw, rank=2), reason="已注销")
        filings = list(Filing.objects.filter(draw=draw).order_by("pk"))
    assert [f.kind for f in filings] == ["substitution", "replacement"]
    assert all(f.office_id == world.orgs["AO"].pk for f in filings)
    assert filings[0].substitution.request_id == req.pk


def test_a_request_keeps_its_attachments_checked_by_content(world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sampling.models import RecusalAttachment
    from tenancy.uploads import check_upload

    settings.MEDIA_ROOT = tmp_path
    draw = make_completed_draw(world, "A1")
    planner = world.actor("A1", "planner")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    with pytest.raises(ValidationError, match="扩展名与文件内容（PNG）不符"):
        check_upload(SimpleUploadedFile("证明.pdf", png, "application/octet-stream"))
    uploads = [
        check_upload(SimpleUploadedFile("证明.png", png, "image/png")),
        check_upload(SimpleUploadedFile("申请书.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")),
    ]
    with actor_scope(planner):
        first = DrawSelection.objects.get(draw=draw, rank=1)
        req = svc.recusal_request(
            actor=planner, draw=draw, selection=first, inspector=Inspector.objects.get(pk=first.team[0]),
            kind="recusal", reason="亲属", attachments=uploads,
        )
        stored = list(RecusalAttachment.objects.filter(request=req).order_by("id"))
    assert [(a.original_name, a.content_type, a.organization_id) for a in stored] == [
        ("证明.png", "image/png", world.orgs["A1"].pk), ("申请书.pdf", "application/pdf", world.orgs["A1"].pk),
    ]
    assert all(a.file.name.startswith("attachments/sampling/recusalattachment/") for a in stored)
    with actor_scope(world.actor("A1", "leader")):  # the leader who decides sees them
        assert RecusalAttachment.objects.filter(request=req).count() == 2
    with actor_scope(world.actor("B1", "leader")):
        assert not RecusalAttachment.objects.filter(request=req).exists()
