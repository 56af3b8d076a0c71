"""An inspection on a phone (390×844) in Chromium: the inspector opens "我的检查" and their
inspection, answers every check point, attaches a photo, draws the firm's signature on the screen,
loses the connection mid-way and keeps typing, comes back online, reloads — nothing typed is lost —
and submits; the leader returns it once with a comment and approves it the second time.

Also: what was typed while saves failed is offered back after a reload and saved on request, and
the autosave's round trip is measured under a throttled connection (CDP
Network.emulateNetworkConditions), printed for the record. A problem result gets its follow-up
on the phone — the inspector orders a 责令改正 with a deadline, the leader moves it to 待复查 and
closes it after the re-check — and the record PDF downloaded from the inspection page carries the
measure in the bundled CJK font's own glyphs (read back as an image, as test_documents does)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import statistics
import time

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image
from playwright.sync_api import expect

from inspections.models import Answer, Handling, HandlingStep, Inspection, InspectionPart
from inspections.policies import TEAM_PERMISSION
from inspections.services import inspections as inspection_services
from inspections.services import reviews
from tenancy.actors import actor_for
from tenancy.context import Role
from tenancy.grants import objects_granted
from tenancy.models import Membership, User
from tenancy.scoping import actor_scope
from tests.browser.support import PHONE, log_in, open_page, shot
from tests.factories import ship_result_codes
from tests.inspections.conftest import drawn
from tests.inspections.support import confirm_all, fill, first, fresh, points_of, submit
from tests.inspections.test_documents import assert_glyphs_are_the_fonts, pdf_text
from tests.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser]

# Slow mobile: 400 ms round trip, 400 kbit/s down, 150 kbit/s up.
SLOW = {"offline": False, "latency": 400, "downloadThroughput": 50 * 1024, "uploadThroughput": 19 * 1024}


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (90, 140, 190)).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _phone(browser, live_server):
    # A failed request while offline is logged by the browser itself; anything else is a bug
    # (a script error, a CSP refusal).
    return open_page(browser, live_server.url, PHONE, ignore=("net::ERR_",))


def _saved(page) -> None:
    page.wait_for_selector('#draft-form[data-save-state="saved"]')


def _no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def _draw_signature(page) -> None:
    box = page.locator('[data-testid="signature-pad"]').bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 20, y + box["height"] * 0.6)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x + 20 + i * 10, y + box["height"] * (0.6 - 0.3 * ((i % 6) / 6)), steps=2)
    page.mouse.up()
    page.mouse.move(x + 60, y + 30)
    page.mouse.down()
    page.mouse.move(x + 120, y + 110, steps=8)
    page.mouse.up()


def test_an_inspection_on_a_phone_survives_a_lost_connection_and_is_returned_then_approved(
    browser, live_server, transactional_db, settings, tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    ship_result_codes()
    world = build_world()
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    [p1, p2] = points_of(inspection)
    inspector = d.users[inspection.team[0]]
    today = timezone.localdate().isoformat()

    context, page = _phone(browser, live_server)
    log_in(page, inspector.username, "x")
    page.click(".menu-toggle")
    page.click('[data-testid="nav-inspections.mine"]')
    assert page.inner_text('[data-testid="list-title"]') == "我的检查"
    _no_overflow(page)
    shot(page, "inspections-mine-phone")
    page.click(f'[data-testid="inspection-link"]:text("{inspection.entity.name}")')
    assert page.inner_text('[data-testid="inspection-entity"]') == inspection.entity.name

    # Answers, saved as one goes.
    page.click('label.choice:has(input[name="method"][value="onsite"])')
    page.fill('input[name="started_on"]', today)
    page.fill('input[name="ended_on"]', today)
    page.click(f'label.choice:has(input[name="point_{p1.pk}"][value="normal"])')
    page.click(f'label.choice:has(input[name="point_{p2.pk}"][value="normal"])')
    page.fill(f'textarea[name="point_{p1.pk}_note"]', "营业执照悬挂于显著位置")
    _saved(page)

    # A photo of the first point, uploaded at once, shown as a thumbnail.
    page.set_input_files(f'[data-testid="evidence-input-{p1.pk}"]',
                         files=[{"name": "现场照片.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
    page.wait_for_selector(f'[data-testid="evidence-{p1.pk}"] [data-testid="evidence-thumb"]')
    thumb = page.locator(f'[data-testid="evidence-{p1.pk}"] img')
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert thumb.evaluate("img => img.naturalWidth") == 640  # the reduced rendition, not the camera's 1200 px

    # The firm's signature, drawn on the screen.
    page.locator('[data-testid="signature-pad"]').scroll_into_view_if_needed()
    _draw_signature(page)
    page.click('[data-testid="signature-save"]')
    page.wait_for_selector('[data-testid="signature-image"]:visible')
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=page.locator('[data-testid="signature-image"]').element_handle())

    # The connection drops while the inspector writes the part's note: kept on the phone.
    context.set_offline(True)
    lost = "负责人称消防器材月底更换；现场未发现其他问题"
    page.fill('textarea[name="note"]', lost)
    page.wait_for_selector('#draft-form[data-save-state="offline"]')
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('ssj-draft:inspection:{inspection.pk}'))")
    assert stored["fields"]["note"] == lost
    with scopes_disabled():
        assert InspectionPart.objects.get(inspection=inspection).note == ""
    context.set_offline(False)
    _saved(page)  # sent by itself when the connection came back
    assert page.evaluate(f"localStorage.getItem('ssj-draft:inspection:{inspection.pk}')") is None
    page.reload()
    assert page.input_value('textarea[name="note"]') == lost
    assert page.input_value(f'textarea[name="point_{p1.pk}_note"]') == "营业执照悬挂于显著位置"
    assert page.is_checked(f'input[name="point_{p1.pk}"][value="normal"]')

    # Saves failing (the request never gets through): after a reload the unsent text is offered back.
    page.route("**/save/", lambda route: route.abort())
    page.fill(f'textarea[name="point_{p2.pk}_note"]', "消防通道畅通")
    page.wait_for_selector('#draft-form[data-save-state="offline"]')
    page.unroute("**/save/")
    page.reload()
    page.wait_for_selector('[data-testid="draft-local"]:visible')
    assert "1 项尚未发送" in page.inner_text('[data-testid="draft-local"]')
    assert page.input_value(f'textarea[name="point_{p2.pk}_note"]') == ""
    page.click('[data-testid="draft-local-restore"]')
    _saved(page)
    with scopes_disabled():
        assert Answer.objects.get(part__inspection=inspection, point=p2).note == "消防通道畅通"

    page.click('label[for="code-01"]')
    _saved(page)
    _no_overflow(page)
    shot(page, "inspection-form-phone")
    page.click('[data-testid="submit-button"]')
    page.wait_for_selector('[data-testid="inspection-status"]:text("已提交")')
    assert page.console_errors == [], page.console_errors
    context.close()

    # The leader returns it with a comment.
    context, leader = _phone(browser, live_server)
    log_in(leader, world.user("A1", "leader").username, PASSWORD)
    leader.goto(f"{live_server.url}/inspections/{inspection.pk}/review/")
    assert "负责人称消防器材月底更换" in leader.inner_text("main")
    leader.click('label.choice:has(input[name="decision"][value="return"])')
    leader.fill('textarea[name="comment"]', "请补充灭火器照片")
    leader.click('[data-testid="review-submit"]')
    leader.wait_for_selector('[data-testid="inspection-status"]:text("已退回")')
    _no_overflow(leader)

    # The inspector reads the comment, adds to the draft and submits again.
    context2, page = _phone(browser, live_server)
    log_in(page, inspector.username, "x")
    page.goto(f"{live_server.url}/inspections/{inspection.pk}/")
    assert "请补充灭火器照片" in page.inner_text('[data-testid="returned-comment"]')
    page.set_input_files(f'[data-testid="evidence-input-{p2.pk}"]',
                         files=[{"name": "灭火器.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
    page.wait_for_selector(f'[data-testid="evidence-{p2.pk}"] [data-testid="evidence-thumb"]')
    page.click('[data-testid="submit-button"]')
    page.wait_for_selector('[data-testid="inspection-status"]:text("已提交")')
    assert page.console_errors == [], page.console_errors
    context2.close()

    # The second time the leader approves: the result is locked.
    leader.goto(f"{live_server.url}/inspections/{inspection.pk}/review/")
    leader.click('label.choice:has(input[name="decision"][value="approve"])')
    leader.click('[data-testid="review-submit"]')
    leader.wait_for_selector('[data-testid="inspection-status"]:text("已通过")')
    assert "已审核通过并锁定" in leader.inner_text('[data-testid="locked-note"]')
    assert leader.locator('[data-testid="review-row"]').count() == 4  # submitted, returned, submitted, approved
    shot(leader, "inspection-approved-phone")
    assert leader.console_errors == [], leader.console_errors
    context.close()
    with scopes_disabled():
        final = Inspection.objects.get(pk=inspection.pk)
        assert final.status == "approved" and final.signature_id is not None
        assert InspectionPart.objects.get(inspection=inspection).note == lost


def test_autosave_round_trip_on_a_slow_connection(browser, live_server, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ship_result_codes()
    world = build_world()
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    [p1, _p2] = points_of(inspection)
    context, page = _phone(browser, live_server)
    log_in(page, d.users[inspection.team[0]].username, "x")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW)
    page.goto(f"{live_server.url}/inspections/{inspection.pk}/", wait_until="load")
    loaded = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " const r = performance.getEntriesByType('resource');"
        " return {ms: n.loadEventEnd, bytes: n.transferSize + r.reduce((a, e) => a + e.transferSize, 0)}; }"
    )
    print(f"\nthe inspection page on that connection (site's CSS and scripts cached by the login): loaded in "
          f"{loaded['ms']:.0f} ms, {loaded['bytes'] / 1024:.0f} KB transferred")
    timings = []
    for n in range(6):
        started = time.monotonic()
        page.fill(f'textarea[name="point_{p1.pk}_note"]', f"第 {n} 次记录：" + "现场情况说明。" * 20)
        page.wait_for_function("() => document.getElementById('draft-form').dataset.saveState === 'saving'")
        _saved(page)
        timings.append(time.monotonic() - started)
    rtts = page.evaluate(
        "performance.getEntriesByType('resource').filter(e => e.name.endsWith('/save/')).map(e => e.duration)"
    )
    print(f"\nautosave on a slow connection (400 ms RTT, 400/150 kbit/s): request {statistics.median(rtts):.0f} ms median "
          f"(max {max(rtts):.0f}); typed → saved {statistics.median(timings) * 1000:.0f} ms median incl. the 800 ms pause")
    assert len(rtts) >= 6 and statistics.median(rtts) >= 400  # throttled indeed
    assert statistics.median(timings) < 5  # saved within seconds on a slow line
    with scopes_disabled():
        assert Answer.objects.get(part__inspection=inspection, point=p1).note.startswith("第 5 次记录")
    assert page.console_errors == [], page.console_errors
    context.close()


def _fill_every_point(page, jpeg: bytes) -> None:
    """Answer each check point of the page as its kind asks (choice, text, number, date, photo)."""
    today = timezone.localdate().isoformat()
    for point in page.locator("fieldset.point:has([data-evidence-input])").all():
        point.scroll_into_view_if_needed()
        radios = point.locator('label.choice:has(input[value="normal"])')
        if radios.count():
            radios.first.click()
        for field in point.locator("[data-field^='point_']:not([data-field$='_note']) input, "
                                   "[data-field^='point_']:not([data-field$='_note']) textarea").all():
            kind = field.get_attribute("type") or "textarea"
            if kind == "date":
                field.fill(today)
            elif field.get_attribute("inputmode") == "decimal":
                field.fill("12")
            elif kind in ("text", "textarea"):
                field.fill("符合要求")
        if point.locator(".text-warn, .muted:text('本要点以照片为结果')").count():
            before = point.locator('[data-testid="evidence-thumb"]').count()
            point.locator("[data-evidence-input]").set_input_files(
                files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": jpeg}])
            point.locator('[data-testid="evidence-thumb"]').nth(before).wait_for()


def _demo_target() -> Inspection:
    """An inspection the demo's inspector is on, confirmed and still to be filled (the draw is
    random: when all of theirs wait for confirmation, the department's planner confirms one)."""
    with scopes_disabled():
        user = User.objects.get(username="yc_wl_inspector")
        membership = Membership.objects.select_related("organization").get(user=user, is_inspector=True)
        planner_membership = Membership.objects.filter(organization=membership.organization, is_planner=True).first()
    actor = actor_for(user, membership.organization)
    with actor_scope(actor):
        mine = objects_granted(actor, TEAM_PERMISSION, Inspection.objects.filter(is_current=True)).select_related("entity")
        target = mine.filter(status__in=("todo", "draft")).order_by("pk").first()
        pending = mine.filter(status="pending").order_by("pk").first()
    if target is None:
        planner = actor_for(planner_membership.user, membership.organization)
        with actor_scope(planner):
            inspection_services.inspection_confirm(actor=planner, inspection=pending)
        target = pending
    assert target is not None, "the demo inspector is on no inspection"
    return target


@pytest.fixture
def codes(transactional_db):
    # Before the demo is seeded: its inspections' results are these codes.
    ship_result_codes()


def test_the_demo_inspector_fills_an_inspection_and_the_leader_returns_it_once_then_approves(
    browser, live_server, codes, demo,
):
    target = _demo_target()
    context, page = _phone(browser, live_server)
    log_in(page, "yc_wl_inspector", demo)
    page.click(".menu-toggle")
    page.click('[data-testid="nav-inspections.mine"]')
    assert page.inner_text('[data-testid="list-title"]') == "我的检查"
    _no_overflow(page)
    name = target.entity.name
    page.click(f'[data-testid="inspection-link"]:text("{name}")')
    assert page.inner_text('[data-testid="inspection-entity"]') == name
    today = timezone.localdate().isoformat()
    page.click('label.choice:has(input[name="method"][value="onsite"])')
    page.fill('input[name="started_on"]', today)
    page.fill('input[name="ended_on"]', today)
    _fill_every_point(page, _jpeg())
    _saved(page)
    page.locator('[data-testid="signature-pad"]').scroll_into_view_if_needed()
    if page.locator('[data-testid="signature-pad"]').is_visible():
        _draw_signature(page)
        page.click('[data-testid="signature-save"]')
        page.wait_for_selector('[data-testid="signature-image"]:visible')
    context.set_offline(True)
    page.fill('textarea[name="note"]', "演示：离线时补记的检查情况")
    page.wait_for_selector('#draft-form[data-save-state="offline"]')
    context.set_offline(False)
    _saved(page)
    page.reload()
    assert page.input_value('textarea[name="note"]') == "演示：离线时补记的检查情况"
    page.click('label[for="code-01"]')
    _saved(page)
    page.click('[data-testid="submit-button"]')
    page.wait_for_selector('[data-testid="inspection-status"]:text("已提交")')
    url = page.url
    assert page.console_errors == [], page.console_errors

    lead_context, leader = _phone(browser, live_server)
    log_in(leader, "yc_wl_leader", demo)
    leader.goto(url + "review/")
    leader.click('label.choice:has(input[name="decision"][value="return"])')
    leader.fill('textarea[name="comment"]', "请补充经营许可证照片")
    leader.click('[data-testid="review-submit"]')
    leader.wait_for_selector('[data-testid="inspection-status"]:text("已退回")')

    page.goto(url)
    assert "请补充经营许可证照片" in page.inner_text('[data-testid="returned-comment"]')
    page.set_input_files('[data-testid="evidence-input-part"]',
                         files=[{"name": "许可证.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
    page.wait_for_selector('[data-testid="evidence-general"] [data-testid="evidence-thumb"]')
    page.click('[data-testid="submit-button"]')
    page.wait_for_selector('[data-testid="inspection-status"]:text("已提交")')

    leader.goto(url + "review/")
    leader.click('label.choice:has(input[name="decision"][value="approve"])')
    leader.click('[data-testid="review-submit"]')
    leader.wait_for_selector('[data-testid="inspection-status"]:text("已通过")')
    _no_overflow(leader)
    shot(leader, "inspection-demo-approved-phone")
    # The follow-up pages on the phone: the demo's open 责令改正 and its forms.
    leader.goto(f"{live_server.url}/inspections/handlings/")
    _no_overflow(leader)
    leader.locator('[data-testid="handling-row"] a').first.click()
    assert leader.inner_text('[data-testid="handling-title"]') == "责令改正"
    leader.wait_for_selector('[data-testid="handling-close-form"]')
    _no_overflow(leader)
    shot(leader, "inspection-demo-handling-phone")
    assert page.console_errors == [] and leader.console_errors == [], (page.console_errors, leader.console_errors)
    lead_context.close()
    context.close()


def _errors(page) -> list[str]:
    return [e.inner_text() for e in page.locator(".errorlist li").all()]


def _refused_once(page) -> None:
    """A refused form answers 400, which the browser logs: that one entry and nothing else."""
    assert len(page.console_errors) == 1 and "status of 400" in page.console_errors[0], page.console_errors
    page.console_errors.clear()


@pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                    reason="poppler-utils (pdftotext, pdftoppm) not installed")
def test_a_problem_result_gets_a_follow_up_closed_after_a_recheck_and_the_record_pdf_shows_it(
    browser, live_server, transactional_db, settings, tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    ship_result_codes()
    world = build_world()
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    # The result found a problem (the form's own path is the tests above): submitted, approved.
    fill(d, inspection, status="abnormal", results=["05"], result_reason="旅行社业务经营许可证已过期")
    submit(d, inspection)
    leader_actor = world.actor("A1", Role.LEADER)
    with actor_scope(leader_actor):
        reviews.inspection_approve(actor=leader_actor, inspection=fresh(inspection), comment="同意")
    inspection = fresh(inspection)
    assert inspection.status == "approved"
    ended = inspection.ended_on
    due = ended + dt.timedelta(days=10)
    recheck = ended + dt.timedelta(days=11)
    inspector = d.users[inspection.team[0]]

    # On site, the inspector orders the firm to put it right: 责令改正 with a deadline.
    context, page = _phone(browser, live_server)
    log_in(page, inspector.username, "x")
    page.goto(f"{live_server.url}/inspections/{inspection.pk}/")
    page.click('[data-testid="handling-add-link"]')
    page.wait_for_load_state()
    page.select_option('select[name="measure"]', "rectify")
    # Only the measure's own fields are shown (the page's script hides the others).
    for name in ("due_on", "recheck_on"):
        expect(page.locator(f'[data-testid="field-{name}"]')).to_be_visible()
    for name in ("case_no", "transfer_to", "transfer_to_name"):
        expect(page.locator(f'[data-testid="field-{name}"]')).to_be_hidden()
    _no_overflow(page)
    description = "责令十日内办理许可证延续并在经营场所悬挂"
    page.fill('textarea[name="description"]', description)
    page.click('[data-testid="handling-submit"]')
    # No deadline: refused, in Chinese, with what was typed still there.
    page.wait_for_selector('[data-testid="field-due_on"] .errorlist')
    assert _errors(page) == ["责令改正须写明整改期限。"]
    assert page.input_value('textarea[name="description"]') == description
    assert page.input_value('select[name="measure"]') == "rectify"
    with scopes_disabled():
        assert not Handling.objects.filter(inspection=inspection).exists()
    _refused_once(page)
    page.fill('input[name="due_on"]', due.isoformat())
    page.fill('input[name="recheck_on"]', recheck.isoformat())
    page.click('[data-testid="handling-submit"]')
    page.wait_for_selector('[data-testid="handling-title"]')
    assert page.inner_text('[data-testid="handling-title"]') == "责令改正"
    assert page.inner_text('[data-testid="handling-status"]') == "待处置"
    assert page.inner_text('[data-testid="handling-due"]') == due.isoformat()
    # Closing is for the department's staff, not the team: the inspector gets no closing form.
    assert page.locator('[data-testid="handling-close-form"]').count() == 0
    _no_overflow(page)
    handling_url = page.url
    assert page.console_errors == [], page.console_errors
    context.close()
    with scopes_disabled():
        row = Handling.objects.get(inspection=inspection)
        assert (row.measure, row.status, row.due_on, row.recheck_on) == ("rectify", "open", due, recheck)
        assert row.created_by_id == inspector.pk

    # The leader: the firm says it has applied — 待复查; the re-check finds it done — 已办结.
    context, leader = _phone(browser, live_server)
    log_in(leader, world.user("A1", "leader").username, PASSWORD)
    leader.goto(handling_url)
    leader.select_option('[data-testid="handling-update-form"] select[name="status"]', "recheck")
    leader.fill('[data-testid="handling-update-form"] textarea[name="note"]', "企业已提交许可证延续申请")
    leader.click('[data-testid="handling-update-submit"]')
    leader.wait_for_selector('[data-testid="handling-status"]:text("待复查")')
    # Closing is the re-check: its day is today's, not the planned one still ahead.
    today = timezone.localdate()
    assert leader.input_value('[data-testid="handling-close-form"] input[name="recheck_on"]') == today.isoformat()
    outcome = "已整改到位"
    leader.fill('[data-testid="handling-close-form"] textarea[name="outcome"]', outcome)
    leader.click('[data-testid="handling-close-submit"]')
    # A 责令改正 closes only after its re-check: refused without one, the outcome kept.
    leader.wait_for_selector('[data-testid="handling-close-form"] .errorlist')
    assert _errors(leader) == ["责令改正须复查后办结，请填写复查结果。"]
    assert leader.input_value('[data-testid="handling-close-form"] textarea[name="outcome"]') == outcome
    assert leader.inner_text('[data-testid="handling-status"]') == "待复查"
    _refused_once(leader)
    recheck_result = "复查：新许可证已悬挂于前台"
    leader.fill('[data-testid="handling-close-form"] textarea[name="recheck_result"]', recheck_result)
    leader.click('[data-testid="handling-close-submit"]')
    leader.wait_for_selector('[data-testid="handling-status"]:text("已办结")')
    assert leader.inner_text('[data-testid="handling-outcome"]') == outcome
    assert leader.locator('[data-testid="handling-close-form"]').count() == 0
    assert leader.locator('[data-testid="handling-update-form"]').count() == 0
    steps = leader.locator('[data-testid="handling-steps"] tbody tr')
    assert steps.count() == 3  # 待处置; 待处置 → 待复查; 待复查 → 已办结
    assert "待复查 → 已办结" in steps.nth(2).inner_text()
    _no_overflow(leader)
    shot(leader, "inspection-handling-closed-phone")
    with scopes_disabled():
        row = Handling.objects.get(inspection=inspection)
        assert (row.status, row.outcome, row.recheck_result, row.recheck_on) == ("closed", outcome, recheck_result, today)
        assert row.closed_by_id == world.user("A1", "leader").pk and row.closed_at is not None
        assert list(HandlingStep.objects.filter(handling=row).order_by("at", "pk").values_list("status_from", "status_to")) == [
            ("", "open"), ("open", "recheck"), ("recheck", "closed"),
        ]

    # The record PDF, downloaded from the inspection page, carries the measure — in the CJK font.
    leader.goto(f"{live_server.url}/inspections/{inspection.pk}/")
    with leader.expect_download() as download:
        leader.click('[data-testid="record-pdf"]')
    assert download.value.suggested_filename.endswith(".pdf")
    pdf = (tmp_path / "record.pdf")
    download.value.save_as(pdf)
    pdf = pdf.read_bytes()
    assert pdf.startswith(b"%PDF")
    compact = "".join(pdf_text(pdf, layout=False).split())
    with scopes_disabled():
        entity = fresh(inspection).entity
    assert "".join(entity.name.split()) in compact and entity.code in compact
    assert "发现问题待后续处理" in compact and "旅行社业务经营许可证已过期" in compact
    assert "责令改正" in compact and description in compact and "已办结" in compact
    assert_glyphs_are_the_fonts(pdf, "责令改正")
    assert leader.console_errors == [], leader.console_errors
    context.close()
