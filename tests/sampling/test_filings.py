"""Filing (备案): submit, deadlines, the office's inbox, acknowledge/return, resubmit, visibility,
the record variants and the API."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from sampling import hashrank, record_codec
from sampling.models import Draw, Filing, FilingDecision, SamplingPlan
from sampling.selectors import draws as draw_selectors
from sampling.selectors import filings as selectors
from sampling.services import filings as services
from tenancy.audit import AuditEntry
from tenancy.context import Role
from tenancy.models import Organization
from tenancy.scoping import actor_scope
from tests.factories import make_abandoned_draw, make_completed_draw


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def submit(world, org_key="A1", draw=None, **kwargs) -> Filing:
    draw = draw or make_completed_draw(world, org_key, targets=3)
    with actor_scope(world.actor(org_key, Role.PLANNER)) as actor:
        return services.filing_submit(actor=actor, draw=draw, **kwargs)


def decide(world, filing, decision, reason="", org_key="AO", role=Role.LEADER):
    with actor_scope(world.actor(org_key, role)) as actor:
        return services.filing_decide(actor=actor, filing=filing, decision=decision, reason=reason)


# --------------------------------------------------------------------------------------------
# Services


def test_submit_addresses_the_county_office_with_a_two_working_day_deadline(world):
    # 阳城: 2 日内报备 — two working days on China's calendar (the deadlines engine's time limit):
    # a draw completed on a Friday afternoon is due by the end of Tuesday.
    drawn = timezone.make_aware(dt.datetime(2026, 12, 4, 16, 30))
    filing = submit(world, draw=make_completed_draw(world, "A1", drawn_at=drawn, targets=3), note="按时报送")
    assert filing.office_id == world.orgs["AO"].pk
    assert timezone.localtime(filing.due_at) == timezone.make_aware(dt.datetime(2026, 12, 8, 23, 59, 59))
    assert filing.organization_id == world.orgs["A1"].pk
    assert filing.kind == Filing.Kind.DRAW
    # The record is the filing variant (inspectors included), hashed canonically, pool included.
    assert filing.record["inspector_pool"] and filing.record["assignments"][0]["inspectors"]
    whole = record_codec.with_pool(filing.record, filing.draw)
    assert len(whole["pool"]) == 6
    canonical = json.dumps(whole, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert filing.record_sha256 == hashlib.sha256(canonical).hexdigest()
    with filing.pdf.open("rb") as fh:
        assert fh.read(5) == b"%PDF-"
    with scopes_disabled():
        assert AuditEntry.objects.filter(target_type="sampling.filing", target_id=str(filing.pk), action="create").exists()


def test_without_a_registered_time_limit_the_setting_counts_calendar_days(world, settings):
    from tenancy import timelimits

    settings.FILING_DEADLINE_DAYS = 5
    engine = timelimits.TIME_LIMITS.get(services.FILING_TIME_LIMIT)
    timelimits.TIME_LIMITS.unregister(services.FILING_TIME_LIMIT)
    try:
        drawn = timezone.now()
        filing = submit(world, draw=make_completed_draw(world, "A1", drawn_at=drawn, targets=3))
    finally:
        timelimits.TIME_LIMITS.register(engine)
    assert filing.due_at == drawn + dt.timedelta(days=5)


def test_a_draw_is_filed_once_unless_returned(world):
    draw = make_completed_draw(world, "A1", targets=3)
    first = submit(world, draw=draw)
    with pytest.raises(ValidationError, match="已报送备案"):
        submit(world, draw=draw)
    decide(world, first, FilingDecision.Decision.RETURNED, "缺少见证人签字")
    second = submit(world, draw=draw, note="已补签")
    assert second.previous_id == first.pk
    with pytest.raises(ValidationError, match="已报送备案"):
        submit(world, draw=draw)


def test_only_completed_draws_of_ones_own_department_by_submitter_roles(world):
    draw = make_abandoned_draw(world, "A1", targets=3)  # a commitment given up, never drawn
    with pytest.raises(ValidationError, match="已完成"):
        submit(world, draw=draw)
    draw2 = make_completed_draw(world, "A1", targets=3)
    with actor_scope(world.actor("A1", Role.INSPECTOR)) as actor, pytest.raises(PermissionDenied):
        services.filing_submit(actor=actor, draw=draw2)
    # The office sees the department's draw but did not organize it.
    with actor_scope(world.actor("AO", Role.PLANNER)) as actor, pytest.raises(PermissionDenied):
        services.filing_submit(actor=actor, draw=draw2)


def test_no_office_up_the_tree_is_a_clear_error(world):
    with scopes_disabled():
        Organization.objects.filter(kind="office").update(is_active=False)
    with pytest.raises(ValidationError, match="未设立双随机办"):
        submit(world)


def test_office_is_found_up_the_region_tree(world):
    with scopes_disabled():
        ao = world.orgs["AO"]
        ao.region = world.regions["A"].parent  # the city office of 晋城市
        ao.save()
    assert submit(world).office_id == world.orgs["AO"].pk


def test_a_joint_draw_filed_by_the_office_itself_is_acknowledged_at_once(world):
    draw = make_completed_draw(world, "AO", targets=3)  # an office draws joint plans only
    assert draw.plan.kind == SamplingPlan.Kind.JOINT
    filing = submit(world, "AO", draw=draw)
    with scopes_disabled():
        decision = FilingDecision.objects.get(filing=filing)
    assert decision.decision == FilingDecision.Decision.ACKNOWLEDGED
    assert decision.reason == "联合抽查由本办组织"


def test_acknowledge_and_return_rules(world):
    filing = submit(world)
    with pytest.raises(ValidationError) as exc:
        decide(world, filing, FilingDecision.Decision.RETURNED, "  ")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        decide(world, filing, "maybe")
    assert "decision" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        decide(world, filing, FilingDecision.Decision.ACKNOWLEDGED, org_key="A1")
    with pytest.raises(PermissionDenied):
        decide(world, filing, FilingDecision.Decision.ACKNOWLEDGED, role=Role.INSPECTOR)
    row = decide(world, filing, FilingDecision.Decision.ACKNOWLEDGED)
    assert row.organization_id == world.orgs["AO"].pk
    with pytest.raises(ValidationError, match="已办理"):
        decide(world, filing, FilingDecision.Decision.RETURNED, "再退回")


def test_other_countys_office_cannot_see_or_decide(world):
    filing = submit(world)
    with actor_scope(world.actor("BO", Role.LEADER)) as actor:
        assert not selectors.filing_list(actor=actor, tab="all").exists()
        with pytest.raises(Filing.DoesNotExist):
            selectors.filing_get(actor=actor, pk=filing.pk)
        # Not even visible: the scoped lookup inside the service finds nothing (404 upstream).
        with pytest.raises(Filing.DoesNotExist):
            services.filing_decide(actor=actor, filing=filing, decision="acknowledged")


def test_inbox_tabs_and_overdue(world):
    late = submit(world, draw=make_completed_draw(world, "A1", drawn_at=timezone.now() - dt.timedelta(days=3), targets=3))
    fresh = submit(world, "A2")
    acked = submit(world)
    returned = submit(world, "A2")
    decide(world, acked, "acknowledged")
    decide(world, returned, "returned", "抽取对象范围有误")
    with actor_scope(world.actor("AO", Role.VIEWER)) as actor:
        ids = lambda tab: {f.pk for f in selectors.filing_list(actor=actor, tab=tab)}  # noqa: E731
        assert ids("pending") == {late.pk, fresh.pk}
        assert ids("overdue") == {late.pk}
        assert ids("acknowledged") == {acked.pk}
        assert ids("returned") == {returned.pk}
        assert {f.pk for f in selectors.filing_list(actor=actor, tab="all", department_id=world.orgs["A2"].pk)} == {
            fresh.pk, returned.pk}
        assert selectors.filing_state(selectors.filing_get(actor=actor, pk=late.pk)) == "overdue"
        cards = selectors.dashboard_cards(actor=actor)
        assert cards[0]["value"] == 2 and cards[0]["state"] == "bad" and "1" in cards[0]["note"]
    with actor_scope(world.actor("A2", Role.VIEWER)) as actor:
        cards = {c["key"]: c for c in selectors.dashboard_cards(actor=actor)}
        assert cards["filings-returned"]["value"] == 1
        assert {f.pk for f in selectors.returned_unanswered(actor=actor)} == {returned.pk}


def test_department_sees_draws_awaiting_filing(world):
    waiting = make_completed_draw(world, "A1", targets=3)
    submit(world)
    with actor_scope(world.actor("A1", Role.VIEWER)) as actor:
        assert [d.pk for d in selectors.draws_awaiting_filing(actor=actor)] == [waiting.pk]
        assert {c["key"]: c["value"] for c in selectors.dashboard_cards(actor=actor)}["filings-awaiting"] == 1


def test_filed_sheet_keeps_the_record_as_filed(world):
    filing = submit(world)
    with actor_scope(world.actor("AO", Role.VIEWER)) as actor:
        sheet = selectors.filing_sheet(actor=actor, filing=selectors.filing_get(actor=actor, pk=filing.pk))
    assert [t["rank"] for t in sheet["targets"]] == [1, 2, 3]
    assert all(len(t["team"]) == 2 and "—" not in t["team"] for t in sheet["targets"])
    assert sheet["allocation_total"] == {"eligible": 6, "selected": 3}
    assert len(sheet["reserve"]) == 2


# --------------------------------------------------------------------------------------------
# Pages


def test_full_flow_through_the_pages(world, login, client):
    draw = make_completed_draw(world, "A1", name="2026年第一批食品经营抽查", targets=3)
    login(world.user("A1", Role.PLANNER))
    page = client.get(reverse("sampling:filing_list"))
    assert "2026年第一批食品经营抽查" in page.content.decode() and 'data-testid="filing-awaiting"' in page.content.decode()
    confirm = client.get(reverse("sampling:filing_submit", args=[draw.pk]))
    assert "测试单位AO" in confirm.content.decode()
    response = client.post(reverse("sampling:filing_submit", args=[draw.pk]), {"note": "请审核"})
    with scopes_disabled():
        filing = Filing.objects.get(draw=draw)
    assert response.status_code == 302 and response.url == reverse("sampling:filing_detail", args=[filing.pk])
    # Twice: the form says why, keeping the note.
    again = client.post(reverse("sampling:filing_submit", args=[draw.pk]), {"note": "再次报送"})
    assert again.status_code == 400 and "已报送备案" in again.content.decode() and "再次报送" in again.content.decode()

    client.logout()
    login(world.user("AO", Role.LEADER))
    inbox = client.get(reverse("sampling:filing_list")).content.decode()
    assert "2026年第一批食品经营抽查" in inbox and "测试单位A1" in inbox
    # Returning without a reason keeps the form and says so.
    bad = client.post(reverse("sampling:filing_decide", args=[filing.pk]), {"decision": "returned", "reason": ""})
    assert bad.status_code == 400 and "退回时必须填写退回原因" in bad.content.decode()
    ok = client.post(reverse("sampling:filing_decide", args=[filing.pk]), {"decision": "returned", "reason": "见证人信息不全"})
    assert ok.status_code == 302

    client.logout()
    login(world.user("A1", Role.PLANNER))
    detail = client.get(reverse("sampling:filing_detail", args=[filing.pk])).content.decode()
    assert "见证人信息不全" in detail and 'data-testid="filing-resubmit"' in detail
    listing = client.get(reverse("sampling:filing_list")).content.decode()
    assert 'data-testid="filing-returned"' in listing and "见证人信息不全" in listing
    resubmit = client.post(reverse("sampling:filing_resubmit", args=[filing.pk]), {"note": "已补充"})
    assert resubmit.status_code == 302
    with scopes_disabled():
        new = Filing.objects.get(previous=filing)
    assert new.note == "已补充"

    client.logout()
    login(world.user("AO", Role.PLANNER))
    client.post(reverse("sampling:filing_decide", args=[new.pk]), {"decision": "acknowledged", "reason": ""})
    with scopes_disabled():
        assert FilingDecision.objects.get(filing=new).decision == "acknowledged"
    acked = client.get(reverse("sampling:filing_list") + "?tab=acknowledged").content.decode()
    assert "2026年第一批食品经营抽查" in acked


def test_department_cannot_decide_and_other_office_gets_404(world, login, client):
    filing = submit(world)
    login(world.user("A1", Role.ADMIN))
    assert client.post(reverse("sampling:filing_decide", args=[filing.pk]), {"decision": "acknowledged"}).status_code == 403
    client.logout()
    login(world.user("BO", Role.ADMIN))
    assert client.get(reverse("sampling:filing_detail", args=[filing.pk])).status_code == 404
    assert client.get(reverse("sampling:filing_detail", args=[filing.pk]) + "?part=pdf").status_code == 404
    assert client.post(reverse("sampling:filing_decide", args=[filing.pk]), {"decision": "acknowledged"}).status_code == 404
    with scopes_disabled():
        assert not FilingDecision.objects.exists()


def test_overdue_is_red_for_the_department(world, login, client):
    submit(world, draw=make_completed_draw(world, "A1", drawn_at=timezone.now() - dt.timedelta(days=4), targets=3))
    login(world.user("A1", Role.VIEWER))
    body = client.get(reverse("sampling:filing_list")).content.decode()
    assert 'class="row-bad" data-testid="filing-row"' in body and "已逾期" in body


def test_record_download_variants(world, login, client):
    filing = submit(world)
    url = reverse("sampling:filing_record", args=[filing.pk])
    login(world.user("AO", Role.VIEWER))
    full = json.loads(b"".join(client.get(url + "?variant=filing").streaming_content))
    assert full == record_codec.with_pool(filing.record, filing.draw) and full["inspector_pool"] and len(full["pool"]) == 6
    public = json.loads(b"".join(client.get(url + "?variant=public").streaming_content))
    assert public["pool"] == full["pool"]
    assert "inspector_pool" not in public and "conflicts" not in public
    assert all(set(a) == {"target"} for a in public["assignments"])
    assert public["selected"] == full["selected"]
    client.logout()
    # The department that filed gets the full record too.
    login(world.user("A1", Role.VIEWER))
    assert "inspector_pool" in json.loads(b"".join(client.get(url).streaming_content))


def test_record_filing_variant_refused_to_a_joint_participant(world, login, client):
    draw = make_completed_draw(world, "AO", targets=3)  # the office's joint draw, A1 and A2 taking part
    with scopes_disabled():
        assert world.orgs["A2"].pk in set(draw.plan.participants.values_list("department_id", flat=True))
    filing = submit(world, "AO", draw=draw)
    login(world.user("A2", Role.PLANNER))
    url = reverse("sampling:filing_record", args=[filing.pk])
    assert client.get(url + "?variant=filing").status_code == 403
    assert "inspector_pool" not in json.loads(b"".join(client.get(url).streaming_content))


# --------------------------------------------------------------------------------------------
# API


def test_api_list_detail_and_decide(world, login, client):
    filing = submit(world)
    submit(world, "B1")
    login(world.user("AO", Role.LEADER))
    rows = client.get(reverse("api:filing-list")).json()
    rows = rows.get("results", rows)
    assert [r["id"] for r in rows] == [filing.pk] and rows[0]["state"] == "pending"
    url = reverse("api:filing-decide", args=[filing.pk])
    bad = client.post(url, {"decision": "returned", "reason": ""}, content_type="application/json")
    assert bad.status_code == 400 and "reason" in bad.json()
    assert client.post(url, {"decision": "nope"}, content_type="application/json").json().keys() >= {"decision"}
    ok = client.post(url, {"decision": "returned", "reason": "材料不全"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["state"] == "returned" and ok.json()["decision"]["reason"] == "材料不全"
    again = client.post(url, {"decision": "acknowledged"}, content_type="application/json")
    assert again.status_code == 400
    client.logout()
    login(world.user("A1", Role.ADMIN))
    assert client.get(reverse("api:filing-detail", args=[filing.pk])).json()["decision"]["reason"] == "材料不全"
    assert client.post(url, {"decision": "acknowledged"}, content_type="application/json").status_code == 403
    client.logout()
    login(world.user("BO", Role.ADMIN))
    assert client.get(reverse("api:filing-detail", args=[filing.pk])).status_code == 404
    assert client.post(url, {"decision": "acknowledged"}, content_type="application/json").status_code == 404


# --------------------------------------------------------------------------------------------
# A long 备案表 is rendered by a worker


def test_a_long_sheet_is_filed_at_once_and_its_pdf_attached_by_a_worker(world, settings, django_capture_on_commit_callbacks):
    settings.ASYNC_FILING_PDF_ROWS = 2  # the simple draw has 3 selected + 2 reserve rows
    draw = make_completed_draw(world, "A1", targets=3)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        filing = submit(world, draw=draw)
    # Filed, hashed and audited now; the PDF not yet, its job waits for the commit.
    assert filing.record_sha256 and not filing.pdf
    assert len(queued) == 1
    with scopes_disabled():
        created = AuditEntry.objects.get(target_type="sampling.filing", target_id=str(filing.pk), action="create")
    assert created.changes["pdf"] == [None, None]
    queued[0]()  # the commit happens: the (eager) worker renders and attaches it
    with scopes_disabled():
        filing.refresh_from_db()
        attached = AuditEntry.objects.get(target_type="sampling.filing", target_id=str(filing.pk), action="update")
    with filing.pdf.open("rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert attached.changes["pdf"] == [None, filing.pdf.name]
    # A second delivery of the job finds the PDF and renders nothing.
    with actor_scope(world.actor("A1", Role.PLANNER)) as actor:
        again = services.filing_attach_pdf(actor=actor, filing=filing)
    assert again.pdf.name == filing.pdf.name
    with scopes_disabled():
        assert AuditEntry.objects.filter(target_type="sampling.filing", target_id=str(filing.pk), action="update").count() == 1


def test_the_pages_show_a_pending_pdf_and_asking_for_it_queues_it_again(world, settings, login, client, django_capture_on_commit_callbacks):
    settings.ASYNC_FILING_PDF_ROWS = 2
    with django_capture_on_commit_callbacks(execute=False):
        filing = submit(world)  # its job lost: the callback never runs
    login(world.user("AO", Role.LEADER))
    detail = client.get(reverse("sampling:filing_detail", args=[filing.pk])).content.decode()
    assert 'data-testid="filing-pdf-pending"' in detail and 'data-testid="filing-pdf"' not in detail
    # The button polls for itself alone, not for the whole sheet.
    slot = client.get(reverse("sampling:filing_detail", args=[filing.pk]) + "?part=pdf").content.decode()
    assert slot.strip().startswith('<span id="filing-pdf-slot"') and "hx-trigger" in slot and "<table" not in slot
    # The download link of a pending PDF queues the job again and says so on the detail page
    # (the eager worker of the tests renders it there and then).
    response = client.get(reverse("sampling:filing_pdf", args=[filing.pk]), follow=True)
    assert response.redirect_chain == [(reverse("sampling:filing_detail", args=[filing.pk]), 302)]
    assert "正在后台生成" in response.content.decode()
    with scopes_disabled():
        filing.refresh_from_db()
    assert filing.pdf
    detail = client.get(reverse("sampling:filing_detail", args=[filing.pk])).content.decode()
    assert 'data-testid="filing-pdf"' in detail and 'data-testid="filing-pdf-pending"' not in detail
    slot = client.get(reverse("sampling:filing_detail", args=[filing.pk]) + "?part=pdf").content.decode()
    assert slot.strip().startswith('<a id="filing-pdf-slot"') and "hx-trigger" not in slot  # polling stops
    pdf = client.get(reverse("sampling:filing_pdf", args=[filing.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_a_long_sheets_missing_file_is_rendered_again_by_the_worker(world, settings, django_capture_on_commit_callbacks):
    settings.ASYNC_FILING_PDF_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True):
        filing = submit(world)
    with scopes_disabled():
        filing.refresh_from_db()
    old = filing.pdf.name
    filing.pdf.storage.delete(old)
    with actor_scope(world.actor("A1", Role.PLANNER)) as actor:
        assert selectors.filing_pdf_get(actor=actor, filing=filing) is None
        again = services.filing_attach_pdf(actor=actor, filing=filing)
    with again.pdf.open("rb") as fh:
        assert fh.read(5) == b"%PDF-"


# --------------------------------------------------------------------------------------------
# The pool is referred to, not copied (the draw's frozen pool never changes)

POOL_MIGRATION = importlib.import_module("sampling.migrations.0011_filing_record_pool_by_reference")


def _download(client, filing, variant: str) -> bytes:
    url = reverse("sampling:filing_record", args=[filing.pk]) + f"?variant={variant}"
    return b"".join(client.get(url).streaming_content)


def test_a_filing_stores_its_pool_by_reference_and_downloads_it_whole(world, login, client):
    draw = make_completed_draw(world, "A1", targets=3)
    filing = submit(world, draw=draw)
    with scopes_disabled():
        stored = Filing.objects.get(pk=filing.pk).record
    assert stored["pool"] == {"$ref": "draw.pool", "draw": draw.pk, "pool_hash": draw.pool_hash}
    login(world.user("AO", Role.VIEWER))
    body = _download(client, filing, "filing")
    with actor_scope(world.actor("A1", Role.VIEWER)):
        whole = draw_selectors.draw_record(Draw.objects.get(pk=draw.pk), variant="filing")
    # The whole record, pool included (in the key order the database keeps: jsonb sorts keys).
    assert json.loads(body) == whole and len(whole["pool"]) == 6
    assert hashlib.sha256(selectors.canonical_json(json.loads(body))).hexdigest() == filing.record_sha256


def _file_the_old_way(world, org_key="A1"):
    """A filing as stored before the pool was referred to: the whole record, pool inline."""
    draw = make_completed_draw(world, org_key, targets=3)
    filing = submit(world, org_key, draw=draw)
    with actor_scope(world.actor(org_key, Role.VIEWER)):
        whole = draw_selectors.draw_record(Draw.objects.get(pk=draw.pk), variant="filing")
    with scopes_disabled():
        Filing.objects.filter(pk=filing.pk).update(record=whole)
        return Filing.objects.get(pk=filing.pk)


def test_the_migration_refers_existing_filings_to_their_pool_with_identical_downloads(world, login, client):
    from django.apps import apps

    old = _file_the_old_way(world)
    tampered = _file_the_old_way(world)
    with scopes_disabled():
        record = tampered.record
        record["pool"][0]["key"] = "X" + record["pool"][0]["key"]  # no longer the draw's pool
        Filing.objects.filter(pk=tampered.pk).update(record=record)
        tampered.refresh_from_db()
    # What the download sent before: the stored record as loaded, written compactly.
    before = {
        f.pk: {v: record_codec.record_json(f.record if v == "filing" else hashrank.public_record(f.record)).encode()
               for v in ("filing", "public")}
        for f in (old, tampered)
    }
    login(world.user("AO", Role.VIEWER))
    assert _download(client, old, "filing") == before[old.pk]["filing"]  # an inline pool is served as stored

    with scopes_disabled():
        POOL_MIGRATION.pool_by_reference(apps, None)
        converted = Filing.objects.get(pk=old.pk)
        kept = Filing.objects.get(pk=tampered.pk)
    assert converted.record["pool"] == {"$ref": "draw.pool", "draw": old.draw_id, "pool_hash": old.draw.pool_hash}
    assert isinstance(kept.record["pool"], list) and kept.record == tampered.record
    for filing in (old, tampered):
        for variant in ("filing", "public"):
            after = _download(client, filing, variant)
            assert after == before[filing.pk][variant], (filing.pk, variant)
    assert hashlib.sha256(selectors.canonical_json(json.loads(before[old.pk]["filing"]))).hexdigest() == old.record_sha256
    with scopes_disabled():
        assert record_codec.record_sha256(converted.record, draw=converted.draw) == old.record_sha256

    # And back: the reference becomes the inline pool again.
    with scopes_disabled():
        POOL_MIGRATION.pool_inline(apps, None)
        assert Filing.objects.get(pk=old.pk).record == old.record


# --------------------------------------------------------------------------------------------
# Attachments: a signed scan with the filing, the office's receipt with its decision

SCAN = "%PDF-1.7\n% 签字盖章的备案表\n%%EOF\n".encode()
PHOTO = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


def _upload(name: str, content: bytes, content_type: str = "application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_filing_and_a_decision_carry_attachments_through_the_pages(world, login, client):
    from sampling.models import FilingAttachment

    draw = make_completed_draw(world, "A1", targets=3)
    login(world.user("A1", Role.PLANNER))
    response = client.post(
        reverse("sampling:filing_submit", args=[draw.pk]),
        {"note": "附签字扫描件", "attachments": [_upload("备案表签字.pdf", SCAN), _upload("现场.png", PHOTO, "image/png")]},
    )
    assert response.status_code == 302
    with scopes_disabled():
        filing = Filing.objects.get(draw=draw)
        scan, photo = FilingAttachment.objects.filter(filing=filing).order_by("id")
        entry = AuditEntry.objects.get(target_type="sampling.filingattachment", target_id=str(scan.pk), action="create")
    assert (scan.original_name, scan.content_type, scan.size) == ("备案表签字.pdf", "application/pdf", len(SCAN))
    assert scan.sha256 == hashlib.sha256(SCAN).hexdigest() and photo.content_type == "image/png"
    assert scan.organization_id == world.orgs["A1"].pk and scan.decision_id is None
    assert scan.uploaded_by_id == world.user("A1", Role.PLANNER).pk
    assert entry.changes["sha256"] == [None, scan.sha256] and entry.changes["file"][1] == scan.file.name
    assert "备案表签字" not in scan.file.name  # the stored name is generated, never the user's

    client.logout()
    login(world.user("AO", Role.LEADER))
    page = client.get(reverse("sampling:filing_detail", args=[filing.pk])).content.decode()
    assert "备案表签字.pdf" in page and scan.sha256 in page
    download = client.get(reverse("sampling:filing_attachment", args=[scan.pk]))
    assert b"".join(download.streaming_content) == SCAN
    assert download["Content-Type"] == "application/pdf" and download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;") and "utf-8''" in download["Content-Disposition"].lower()
    # The office returns it with its own scan.
    receipt = _upload("退回意见.pdf", SCAN + b"office")
    client.post(reverse("sampling:filing_decide", args=[filing.pk]), {"decision": "returned", "reason": "缺少负责人签字", "attachments": [receipt]})
    with scopes_disabled():
        office_file = FilingAttachment.objects.get(filing=filing, decision__isnull=False)
    assert office_file.organization_id == world.orgs["AO"].pk and office_file.decision.decision == "returned"

    client.logout()
    login(world.user("A1", Role.VIEWER))
    page = client.get(reverse("sampling:filing_detail", args=[filing.pk])).content.decode()
    reason_card = page[page.index('data-testid="filing-return-reason"'):page.index('data-testid="filing-attachments"')]
    assert "退回意见.pdf" in reason_card  # the office's file beside its reason
    assert b"".join(client.get(reverse("sampling:filing_attachment", args=[office_file.pk])).streaming_content) == SCAN + b"office"

    client.logout()
    login(world.user("BO", Role.ADMIN))
    assert client.get(reverse("sampling:filing_attachment", args=[scan.pk])).status_code == 404
    assert client.get(reverse("sampling:filing_attachment", args=[office_file.pk])).status_code == 404


def test_a_disguised_file_is_refused_next_to_the_field_keeping_the_note(world, login, client):
    draw = make_completed_draw(world, "A1", targets=3)
    login(world.user("A1", Role.PLANNER))
    response = client.post(
        reverse("sampling:filing_submit", args=[draw.pk]),
        {"note": "请审核", "attachments": [_upload("签字.pdf", b"<html><script>x()</script></html>")]},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "“签字.pdf”的内容不是 PDF、JPG、PNG 文件" in body and "请审核" in body
    field = body[body.index('name="attachments"') - 600:]
    assert "errorlist" in field[:1500]
    with scopes_disabled():
        assert not Filing.objects.filter(draw=draw).exists()


def test_the_filer_adds_attachments_later_append_only(world, login, client, settings):
    from sampling.models import FilingAttachment

    settings.ATTACHMENT_MAX_BYTES = 1024
    filing = submit(world)
    url = reverse("sampling:filing_attach", args=[filing.pk])
    login(world.user("A1", Role.PLANNER))
    first = client.post(url, {"attachments": [_upload("签字1.pdf", SCAN)]})
    assert first.status_code == 302 and first.url.endswith("#filing-attachments")
    second = client.post(url, {"attachments": [_upload("签字2.pdf", SCAN + b"2")]})
    assert second.status_code == 302
    too_big = client.post(url, {"attachments": [_upload("大.pdf", SCAN + b"x" * 2000)]})
    assert too_big.status_code == 400 and "超过了 1 KB 的大小上限" in too_big.content.decode()
    nothing = client.post(url, {})
    assert nothing.status_code == 400 and "请选择要上传的文件" in nothing.content.decode()
    with scopes_disabled():
        assert [a.original_name for a in FilingAttachment.objects.filter(filing=filing).order_by("id")] == ["签字1.pdf", "签字2.pdf"]
    client.logout()
    # The office sees the filing but did not file it; a viewer may not upload.
    login(world.user("AO", Role.ADMIN))
    assert client.post(url, {"attachments": [_upload("x.pdf", SCAN)]}).status_code == 403
    client.logout()
    login(world.user("A1", Role.VIEWER))
    assert client.post(url, {"attachments": [_upload("x.pdf", SCAN)]}).status_code == 403
    with scopes_disabled():
        assert FilingAttachment.objects.filter(filing=filing).count() == 2


# --------------------------------------------------------------------------------------------
# Where things sit on the filing page


def test_the_decision_form_sits_above_the_long_tables_and_its_errors_with_it(world, login, client):
    filing = submit(world, draw=make_completed_draw(world, "A1", targets=30))
    login(world.user("AO", Role.LEADER))
    url = reverse("sampling:filing_detail", args=[filing.pk])
    for body in (
        client.get(url).content.decode(),
        client.post(reverse("sampling:filing_decide", args=[filing.pk]), {"decision": "returned", "reason": ""}).content.decode(),
    ):
        form = body.index('data-testid="filing-decide"')
        assert form < body.index('data-testid="filing-allocation"') < body.index('data-testid="filing-targets"')
        # The form posts to its own anchor: a refused submission opens at the form, not the top.
        assert f'action="{reverse("sampling:filing_decide", args=[filing.pk])}#filing-decide"' in body
        assert 'id="filing-decide"' in body
    assert body.index("退回时必须填写退回原因") < body.index('data-testid="filing-targets"')


def test_a_substitution_filing_shows_what_changed_first(world, login, client):
    from inventory.models import Inspector
    from sampling.models import DrawSelection, Substitution

    draw = make_completed_draw(world, "A1", targets=30)
    with scopes_disabled():
        target = DrawSelection.objects.filter(draw=draw, rank=1).get()
        out_id = target.team[0]
        spare = Inspector.objects.get(pk=next(e["id"] for e in draw.inspector_pool if e["id"] not in target.team))
        spare.name = "递补人员周七"
        spare.save()
        substitution = Substitution.objects.create(
            organization=draw.organization, region=draw.region, draw=draw, plan=draw.plan, seq=1, selection=target,
            out_inspector_id=out_id, in_inspector=spare, reason="与检查对象负责人系亲属",
        )
    submit(world, draw=draw)  # the draw itself, filed first
    filing = submit(world, draw=draw, kind=Filing.Kind.SUBSTITUTION, substitution=substitution)
    login(world.user("AO", Role.LEADER))
    body = client.get(reverse("sampling:filing_detail", args=[filing.pk])).content.decode()
    assert body.count('data-testid="filing-changes"') == 1
    changes = body.index('data-testid="filing-changes"')
    assert changes < body.index('data-testid="filing-decide"') < body.index('data-testid="filing-targets"')
    row = body[body.index('data-testid="filing-filed-event"'):]
    assert "递补人员周七" in row[:600] and "本次备案" in row[:600]
    # The 备案表 opens with the event too.
    sheet = client.get(reverse("sampling:filing_preview", args=[filing.pk])).content.decode()
    assert sheet.index('data-testid="sheet-filed-event"') < sheet.index("一、承诺与种子")
    assert "递补人员周七" in sheet[sheet.index('data-testid="sheet-filed-event"'):sheet.index("一、承诺与种子")]


def test_the_filing_page_lists_the_first_rows_and_says_how_many(world, login, client, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_ROWS", 10)
    filing = submit(world, draw=make_completed_draw(world, "A1", targets=30))
    login(world.user("AO", Role.VIEWER))
    body = client.get(reverse("sampling:filing_detail", args=[filing.pk])).content.decode()
    table = body[body.index('data-testid="filing-targets"'):]
    table = table[: table.index("</table>")]
    assert table.count("<tr") == 1 + 10
    assert "显示前 10 个，共 30 个" in body


# --------------------------------------------------------------------------------------------
# The sheet reads a stored record in parts (a worker never decodes 93,000 targets at once)


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("[]", []), (" [ ] ", []), ('[{"a": 1}, {"b": [1, 2]}]', [{"a": 1}, {"b": [1, 2]}]),
        ('[{"a":"x,]"},2,"三"]', [{"a": "x,]"}, 2, "三"]), ("\n[1 ,\n 2]\n", [1, 2]), (None, []),
    ],
)
def test_json_array_items_decode_one_at_a_time(text, items):
    assert list(selectors.json_array_items(text)) == items


def test_the_sheet_from_the_stored_parts_is_the_sheet_of_the_whole_record(world, monkeypatch):
    filing = submit(world, draw=make_completed_draw(world, "A1", targets=30))
    with actor_scope(world.actor("AO", Role.VIEWER)) as actor:
        whole = selectors.filing_sheet(actor=actor, filing=selectors.filing_get(actor=actor, pk=filing.pk), limit=12)
        deferred = selectors.filing_queryset(actor=actor).get(pk=filing.pk)
        assert "record" in deferred.get_deferred_fields()
        source = selectors.record_source(deferred)
        assert type(source).__name__ == "_RecordInDatabase"
        parts = selectors.filing_sheet(actor=actor, filing=deferred, limit=12, source=source)
        assert "record" in deferred.get_deferred_fields()  # never loaded whole
        for key in ("targets", "reserve", "targets_total", "reserve_total", "allocation", "record"):
            assert parts[key] == whole[key], key
        assert len(parts["targets"]) == 12 and parts["targets_total"] == 30 and parts["record"]["seed"] == filing.record["seed"]
        assert all(len(t["team"]) == 2 and "—" not in t["team"] for t in parts["targets"])
        # Teams out of rank order are still found by target.
        record = dict(filing.record)
        record["assignments"] = list(reversed(record["assignments"]))
        with scopes_disabled():
            Filing.objects.filter(pk=filing.pk).update(record=record)
        shuffled = selectors.filing_sheet(actor=actor, filing=selectors.filing_queryset(actor=actor).get(pk=filing.pk), limit=12)
        assert shuffled["targets"] == whole["targets"]


def test_the_worker_never_reads_a_filed_record_whole(world, settings, django_capture_on_commit_callbacks):
    """The 备案表 job reads the record's short fields and its lists as text, element by element:
    a 93,000-target record decoded whole is 200 MB of the worker that then lays out the PDF."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.FILING_PDF_MAX_ROWS = 2
    with django_capture_on_commit_callbacks(execute=False) as queued:
        filing = submit(world, draw=make_completed_draw(world, "A1", targets=5))
    with CaptureQueriesContext(connection) as queries:
        queued[0]()  # the worker's job (eager)
    # The column itself in a select list (a JSON function's argument is a part of it).
    whole = re.compile(r'(?<!\()"sampling_filing"\."record"\s*(,|FROM)')
    assert not [q["sql"] for q in queries.captured_queries if whole.search(q["sql"])]
    with scopes_disabled():
        filing.refresh_from_db()
    assert filing.pdf and filing.annex
