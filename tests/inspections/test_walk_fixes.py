"""What a new user of the demo county ran into (the walk of issue 12, /work/walk/report.md), fixed:
an inspector's home is their inspections (P1); a pending inspection says what it waits for and
我的检查 puts what one can act on first (P2); a leader finds the results awaiting review and a
dispatch says how many targets still wait (P3); a POST-only URL opened by GET leads back to its
page (P4); a review link of a result no longer submitted says so (P5); a 责令改正 closes with
its actual re-check date, never a day still ahead (P6), its re-check result written once (P7)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines.models import DueItem
from inspections import due
from inspections.models import Dispatch, Handling, Inspection, InspectionPart
from inspections.services import handling as handling_svc
from inspections.services import inspections as svc
from inspections.services import reviews
from inventory.models import CheckPoint
from tenancy.models import Membership
from tenancy.scoping import actor_scope
from tenancy.uploads import check_upload
from tests.browser.support import PHONE, log_in, open_page, shot
from tests.factories import make_approved_inspection, make_handling, make_inspection, ship_result_codes
from tests.inspections.conftest import Drawn, drawn
from tests.inspections.support import (
    as_user,
    confirm_all,
    detail,
    fill,
    first,
    fresh,
    member_of,
    png,
    points_of,
    submit,
)

pytestmark = pytest.mark.django_db

CARD = re.compile(r'data-testid="card-([\w-]+)"')
LINK = re.compile(r'data-testid="inspection-link">([^<]+)</a>')
STATUS = re.compile(r'data-testid="row-status">([^<]+)<')


@pytest.fixture(autouse=True)
def _result_codes(db):
    ship_result_codes()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def lead_of(page: str) -> str:
    match = re.search(r'<section class="card dash-panel dash-lead" data-testid="lead-inspections-mine">(.*?)</section>', page, re.S)
    assert match, "no 我的检查 on the dashboard"
    return match.group(1)


def count(lead: str, key: str) -> int:
    return int(re.search(rf'data-testid="lead-count-{key}"[^>]*><span class="value">(\d+)<', lead).group(1))


def inspections_of(d: Drawn, user) -> list[Inspection]:
    inspector = next(i for i, u in d.users.items() if u.pk == user.pk)
    with scopes_disabled():
        rows = Inspection.objects.filter(draw=d.draw).order_by("window_end", "entity__name", "pk")
        return [row for row in rows if inspector in row.team]


def in_every_state(world) -> tuple[Drawn, object, dict[str, Inspection]]:
    """An inspector with one returned, one draft and one to-do inspection, the rest pending."""
    d = drawn(world, "A1", targets=12, inspectors=3)
    user = d.users[first(d).team[0]]
    own = inspections_of(d, user)
    assert len(own) >= 7
    returned, draft, todo = own[-1], own[-2], own[-3]  # the latest windows: the order is by state first
    for inspection in (returned, draft, todo):
        confirm_all(world, inspection)
    fill(d, returned)
    submit(d, returned)
    with actor_scope(world.actor("A1", "leader")) as leader:
        reviews.inspection_return(actor=leader, inspection=fresh(returned), comment="请补充现场照片")
    actor = member_of(d, draft)
    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=fresh(draft), visit={"method": "onsite"})
    states = {"returned": fresh(returned), "draft": fresh(draft), "todo": fresh(todo)}
    assert {k: v.status for k, v in states.items()} == {"returned": "returned", "draft": "draft", "todo": "todo"}
    return d, user, states


# --------------------------------------------------------------------------------------------
# P1: an inspector's home


def test_an_inspector_only_sees_my_inspections_first_and_no_registry_counts(world):
    d, user, states = in_every_state(world)
    own = inspections_of(d, user)
    page = as_user(user).get("/").content.decode()
    lead = lead_of(page)
    assert (count(lead, "returned"), count(lead, "draft"), count(lead, "todo"), count(lead, "pending")) == (
        1, 1, 1, len(own) - 3,
    )
    assert 'class="bad" href="/inspections/mine/?status=returned"' in lead  # the returned one highlighted
    assert f"查看全部 {len(own)} 项" in text_of(lead)
    rows = re.findall(r'data-testid="lead-row">\s*<a href="/inspections/(\d+)/">([^<]+)</a>', lead)
    assert [int(pk) for pk, _name in rows[:3]] == [states["returned"].pk, states["draft"].pk, states["todo"].pk]
    assert len(rows) == 5
    # Registry statistics, plans and filings are not an inspector's work: no card at all.
    assert CARD.findall(page) == []
    assert "名录库检查对象" not in page and "待报送备案" not in page and "待抽取的抽查任务" not in page
    # The lead comes before the panels (我的待办 still loads below it).
    assert page.index('data-testid="lead-inspections-mine"') < page.index('data-testid="panel-deadlines-mine"')
    # Another inspector's visits are not counted or listed.
    with scopes_disabled():
        others = [i for i in Inspection.objects.filter(draw=d.draw) if i.pk not in {o.pk for o in own}]
    assert others and not {o.entity.name for o in others} & {name for _pk, name in rows}


def test_an_inspector_who_also_plans_sees_my_inspections_then_the_counts(world):
    d, user, _states = in_every_state(world)
    with scopes_disabled():
        Membership.objects.filter(user=user).update(is_planner=True)
    page = as_user(user).get("/").content.decode()
    cards = CARD.findall(page)
    assert "entities" in cards and "tasks-ready" in cards
    assert page.index('data-testid="lead-inspections-mine"') < page.index('data-testid="card-')


def test_a_planner_who_is_not_an_inspector_gets_no_my_inspections(world):
    make_inspection(world, "A1")
    page = as_user(world.user("A1", "planner")).get("/").content.decode()
    assert 'data-testid="lead-inspections-mine"' not in page
    assert CARD.findall(page)[:3] == ["items", "entities", "inspectors"]


def test_late_and_soon_due_counted_and_listed_by_the_links(world):
    d, user, states = in_every_state(world)
    today = timezone.localdate()
    with scopes_disabled():
        Inspection.objects.filter(pk=states["todo"].pk).update(window_end=today - dt.timedelta(days=1))
        Inspection.objects.filter(pk=states["draft"].pk).update(window_end=today + dt.timedelta(days=3))
        # Everything else of theirs far ahead: only these two count.
        Inspection.objects.filter(pk__in=[i.pk for i in inspections_of(d, user)]).exclude(
            pk__in=[states["todo"].pk, states["draft"].pk]
        ).update(window_end=today + dt.timedelta(days=60))
        # The returned result's own due day (5 working days after its visit) far ahead too.
        parts = [str(pk) for pk in InspectionPart.objects.filter(inspection=states["returned"]).values_list("pk", flat=True)]
        DueItem.objects.filter(rule=due.RESULT, target_id__in=parts).update(due_on=today + dt.timedelta(days=60))
    client = as_user(user)
    lead = lead_of(client.get("/").content.decode())
    assert (count(lead, "late"), count(lead, "soon")) == (1, 1)
    assert 'class="bad" href="/inspections/mine/?due=late"' in lead
    late = client.get(reverse("inspections:mine") + "?due=late").content.decode()
    assert LINK.findall(late) == [states["todo"].entity.name] and "只显示：已逾期" in text_of(late)
    soon = client.get(reverse("inspections:mine") + "?due=soon").content.decode()
    assert LINK.findall(soon) == [states["draft"].entity.name]
    assert len(LINK.findall(client.get(reverse("inspections:mine") + "?due=nonsense").content.decode())) > 2


def test_an_inspector_with_nothing_open_is_told_so(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    user = d.users[first(d).team[0]]
    with scopes_disabled():
        Inspection.objects.filter(draw=d.draw).update(status=Inspection.Status.APPROVED)
    lead = lead_of(as_user(user).get("/").content.decode())
    assert "您目前没有需要办理的检查。" in lead and count(lead, "pending") == 0


# --------------------------------------------------------------------------------------------
# P2: what a pending inspection waits for; 我的检查's order


def test_a_pending_inspection_says_it_waits_for_the_departments_confirmation(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    inspector = as_user(d.users[inspection.team[0]])
    page = inspector.get(detail(inspection)).content.decode()
    note = re.search(r'data-testid="pending-note">(.*?)</div>', page, re.S).group(1)
    assert "比对和确认后方可提交结果" in note and "可以先填写并保存草稿" in note
    planner_page = as_user(world.user("A1", "planner")).get(detail(inspection)).content.decode()
    assert "请在下方确认" in planner_page and 'data-testid="confirm-form"' in planner_page
    confirm_all(world, inspection)
    assert 'data-testid="pending-note"' not in inspector.get(detail(inspection)).content.decode()


def test_a_joint_visit_names_the_departments_still_to_confirm(world):
    d = drawn(world, "AO", entities=12, inspectors=3)
    inspection = first(d)
    with scopes_disabled():
        parts = list(InspectionPart.objects.filter(inspection=inspection).select_related("organization").order_by("pk"))
    assert len(parts) == 2
    keys = {o.pk: k for k, o in world.orgs.items()}
    with actor_scope(world.actor(keys[parts[0].organization_id], "planner")) as planner:
        svc.inspection_confirm(actor=planner, inspection=inspection)
    page = as_user(d.users[inspection.team[0]]).get(detail(inspection)).content.decode()
    assert re.findall(r'data-testid="pending-department">([^<]+)<', page) == [parts[1].organization.name]


def test_my_inspections_put_returned_drafts_and_visits_to_make_before_pending_ones(world):
    d, user, states = in_every_state(world)
    page = as_user(user).get(reverse("inspections:mine")).content.decode()
    statuses = STATUS.findall(page)
    assert statuses[:3] == ["已退回", "草稿", "待检查"] and set(statuses[3:]) == {"待确认"}
    names = LINK.findall(page)
    assert names[:3] == [states[k].entity.name for k in ("returned", "draft", "todo")]
    dues = [x.strip()[:10] for x in re.findall(r'data-testid="row-due">([^<]+)', page)][3:]
    assert dues == sorted(dues)  # within a state, soonest due first


# --------------------------------------------------------------------------------------------
# P3: the leader's list and the dispatch box


def test_a_leader_finds_the_results_awaiting_review_and_the_dispatch_counts_what_still_waits(world):
    d, _user, states = in_every_state(world)
    submitted = states["todo"]
    fill(d, submitted)
    submit(d, submitted)
    leader = as_user(world.user("A1", "leader"))
    page = leader.get(reverse("inspections:list")).content.decode()
    link = re.search(r'<a class="btn primary" href="([^"]+)" data-testid="to-review-link">([^<]+)</a>', page)
    assert link and link.group(1) == "?status=submitted" and link.group(2).strip() == "待审核 1"
    everything = leader.get(reverse("inspections:list") + "?status=all").content.decode()
    assert STATUS.findall(everything)[0] == "已提交" and LINK.findall(everything)[0] == submitted.entity.name
    # The planner's list: what the department acts on first, the returned one before the rest.
    planner = as_user(world.user("A1", "planner"))
    open_rows = STATUS.findall(planner.get(reverse("inspections:list")).content.decode())
    assert open_rows[0] == "已退回" and open_rows[-1] == "待确认"
    assert 'data-testid="to-review-link"' not in planner.get(reverse("inspections:list")).content.decode()
    # 3 of the draw's targets confirmed one by one: the dispatch says how many still wait.
    with scopes_disabled():
        dispatch = Dispatch.objects.get(draw=d.draw, organization=world.orgs["A1"])
        waiting = InspectionPart.objects.filter(
            inspection__draw=d.draw, organization=world.orgs["A1"], confirmed_at__isnull=True,
        ).count()
    assert 0 < waiting < dispatch.count
    cell = re.search(r'data-testid="dispatch-waiting">([^<]+)<', planner.get(reverse("inspections:list")).content.decode())
    assert cell.group(1).strip() == f"待确认 {waiting} / {dispatch.count}"


# --------------------------------------------------------------------------------------------
# P4: GET on a POST-only URL


def test_a_post_only_url_opened_by_get_leads_to_its_page(world):
    handling = make_handling(world, "A1")
    inspection = handling.inspection
    planner = as_user(world.user("A1", "planner"))
    for name in ("handling_update", "handling_close"):
        response = planner.get(reverse(f"inspections:{name}", args=[handling.pk]))
        assert response.status_code == 302 and response["Location"] == reverse("inspections:handling_detail", args=[handling.pk])
    for name in ("evidence_add", "save", "confirm", "signature"):
        response = planner.get(reverse(f"inspections:{name}", args=[inspection.pk]))
        assert response.status_code == 302 and response["Location"] == detail(inspection), name
    response = as_user(world.user("A1", "inspector")).get(reverse("inspections:submit", args=[inspection.pk]))
    assert response.status_code == 302 and response["Location"] == detail(inspection)
    response = planner.get(reverse("inspections:conflict_resolve", args=[inspection.pk, 999]))
    assert response["Location"] == detail(inspection)
    response = planner.get(reverse("inspections:dispatch_confirm", args=[1]))
    assert response.status_code == 302 and response["Location"] == reverse("inspections:list")
    # Only GET is led back; other methods are still not allowed, and a foreign user learns nothing.
    assert planner.put(reverse("inspections:handling_close", args=[handling.pk])).status_code == 405
    outsider = as_user(world.user("B1", "planner"))
    followed = outsider.get(reverse("inspections:handling_close", args=[handling.pk]), follow=True)
    assert followed.status_code == 404
    # And the POST still works as before.
    response = planner.post(reverse("inspections:handling_close", args=[handling.pk]), {"outcome": "已执行罚款"})
    assert response.status_code == 302
    with scopes_disabled():
        assert Handling.objects.get(pk=handling.pk).status == Handling.Status.CLOSED


# --------------------------------------------------------------------------------------------
# P5: a review link of a result no longer submitted


def test_the_review_link_of_an_approved_result_says_it_was_approved(world):
    inspection = make_approved_inspection(world, "A1")
    leader = as_user(world.user("A1", "leader"))
    response = leader.get(reverse("inspections:review", args=[inspection.pk]))
    assert response.status_code == 302 and response["Location"] == detail(inspection)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["该检查结果已审核（已通过），无需再审。"]
    # Not a reviewer: still refused.
    assert as_user(world.user("A1", "inspector")).get(reverse("inspections:review", args=[inspection.pk])).status_code == 403
    assert as_user(world.user("B1", "leader")).get(reverse("inspections:review", args=[inspection.pk])).status_code == 404


def test_the_review_link_of_a_returned_result_says_it_went_back(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    fill(d, inspection)
    submit(d, inspection)
    leader = as_user(world.user("A1", "leader"))
    assert leader.get(reverse("inspections:review", args=[inspection.pk])).status_code == 200
    with actor_scope(world.actor("A1", "leader")) as actor:
        reviews.inspection_return(actor=actor, inspection=fresh(inspection), comment="补充照片")
    response = leader.get(reverse("inspections:review", args=[inspection.pk]), follow=True)
    assert response.redirect_chain == [(detail(inspection), 302)]
    assert "该检查结果已退回检查组修改，重新提交后再审核。" in response.content.decode()


# --------------------------------------------------------------------------------------------
# P6, P7: closing a 责令改正


def _rectify(world, *, recheck_on: dt.date | None) -> Handling:
    inspection = make_approved_inspection(world, "A1")
    today = timezone.localdate()
    with actor_scope(world.actor("A1", "planner")) as planner:
        return handling_svc.handling_add(
            actor=planner, inspection=inspection, measure="rectify", description="限期公示许可证件",
            due_on=today + dt.timedelta(days=10), recheck_on=recheck_on,
        )


def test_a_rectification_is_not_closed_with_its_recheck_still_ahead(world):
    today = timezone.localdate()
    row = _rectify(world, recheck_on=today + dt.timedelta(days=11))
    with actor_scope(world.actor("A1", "planner")) as planner:
        with pytest.raises(ValidationError) as caught:
            handling_svc.handling_close(actor=planner, handling=row, outcome="已整改", recheck_result="已公示")
        later = (today + dt.timedelta(days=11)).isoformat()
        assert caught.value.message_dict == {
            "recheck_on": [f"复查日期（{later}）晚于办结日期（{today.isoformat()}），请填写实际复查日期。"],
        }
        with pytest.raises(ValidationError) as caught:
            handling_svc.handling_close(actor=planner, handling=row, outcome="已整改", recheck_result="已公示",
                                        recheck_on=today + dt.timedelta(days=1))
        assert list(caught.value.message_dict) == ["recheck_on"]
        closed = handling_svc.handling_close(actor=planner, handling=row, outcome="已整改", recheck_result="已公示",
                                             recheck_on=today)
    assert (closed.status, closed.recheck_on) == (Handling.Status.CLOSED, today)


def test_the_close_form_takes_the_actual_recheck_date_and_marks_what_is_required(world):
    today = timezone.localdate()
    row = _rectify(world, recheck_on=today + dt.timedelta(days=11))
    planner = as_user(world.user("A1", "planner"))
    url = reverse("inspections:handling_detail", args=[row.pk])
    page = planner.get(url).content.decode()
    close = re.search(r'data-testid="handling-close-form">(.*?)</form>', page, re.S).group(1)
    update = re.search(r'data-testid="handling-update-form">(.*?)</form>', page, re.S).group(1)
    # The planned day is ahead: the form offers today, not later than today.
    assert re.search(rf'name="recheck_on" value="{today.isoformat()}"[^>]*max="{today.isoformat()}"', close) or re.search(
        rf'max="{today.isoformat()}"[^>]*name="recheck_on" value="{today.isoformat()}"', close)
    assert re.search(r'<label for="close_recheck_result" class="required">', close)
    assert 'name="recheck_result"' not in update  # written once, when closing
    # Without a re-check result: refused at the field, what was typed kept.
    response = planner.post(reverse("inspections:handling_close", args=[row.pk]),
                            {"outcome": "经复查已公示", "recheck_on": today.isoformat(), "recheck_result": ""})
    assert response.status_code == 400
    shown = response.content.decode()
    assert "责令改正须复查后办结，请填写复查结果。" in shown and "经复查已公示" in shown
    # A day ahead typed in: refused at the date.
    ahead = (today + dt.timedelta(days=2)).isoformat()
    response = planner.post(reverse("inspections:handling_close", args=[row.pk]),
                            {"outcome": "经复查已公示", "recheck_on": ahead, "recheck_result": "已公示"})
    assert response.status_code == 400 and f"复查日期（{ahead}）晚于办结日期" in response.content.decode()
    response = planner.post(reverse("inspections:handling_close", args=[row.pk]),
                            {"outcome": "经复查已公示", "recheck_on": today.isoformat(), "recheck_result": "已公示"})
    assert response.status_code == 302
    with scopes_disabled():
        row = Handling.objects.get(pk=row.pk)
    assert (row.status, row.recheck_on, row.recheck_result) == (Handling.Status.CLOSED, today, "已公示")


def test_a_penalty_close_form_marks_the_case_number_required(world):
    row = make_handling(world, "A1")
    with scopes_disabled():
        Handling.objects.filter(pk=row.pk).update(case_no="")
    planner = as_user(world.user("A1", "planner"))
    page = planner.get(reverse("inspections:handling_detail", args=[row.pk])).content.decode()
    close = re.search(r'data-testid="handling-close-form">(.*?)</form>', page, re.S).group(1)
    assert '<label for="close_case_no" class="required">' in close and 'name="recheck_on"' not in close
    response = planner.post(reverse("inspections:handling_close", args=[row.pk]), {"outcome": "罚款"})
    assert response.status_code == 400 and "行政处罚须填写案件编号。" in response.content.decode()


# --------------------------------------------------------------------------------------------
# P8: a refused submission lists each problem once; a photo point with its photo is not amber


def test_a_refused_submission_lists_each_problem_once(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    client = as_user(d.users[inspection.team[0]])
    response = client.post(reverse("inspections:submit", args=[inspection.pk]))
    assert response.status_code == 400
    section = re.search(r'data-testid="submit-form">(.*?)</form>', response.content.decode(), re.S).group(1)
    assert section.count("请选择检查方式。") == 1 and section.count("请填写“检查项目1”的检查结果。") == 1
    assert "未能提交：请先完成下列各项" in section and '<details class="missing" data-testid="missing" open>' in section


def test_a_photo_point_is_amber_only_until_its_photo_is_there(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    [p1, _p2] = points_of(inspection)
    with scopes_disabled():
        CheckPoint.objects.filter(pk=p1.pk).update(photo_required=True)
    client = as_user(d.users[inspection.team[0]])
    marker = f'data-testid="photo-required-{p1.pk}"'
    assert f'class="small text-warn" {marker}' in client.get(detail(inspection)).content.decode()
    actor = member_of(d, inspection)
    with actor_scope(actor):
        svc.evidence_add(actor=actor, inspection=inspection, upload=check_upload(png("现场.png")), point_id=p1.pk)
    assert f'class="small muted" {marker}' in client.get(detail(inspection)).content.decode()


def test_the_notice_of_a_result_under_review_is_marked_a_draft(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    fill(d, inspection)
    submit(d, inspection)
    client = as_user(d.users[inspection.team[0]])
    assert 'data-testid="notice-draft"' in client.get(detail(inspection)).content.decode()
    with actor_scope(world.actor("A1", "leader")) as leader:
        reviews.inspection_approve(actor=leader, inspection=fresh(inspection))
    page = client.get(detail(inspection)).content.decode()
    assert 'data-testid="notice-pdf"' in page and 'data-testid="notice-draft"' not in page


# --------------------------------------------------------------------------------------------
# P1 on a phone: the demo county's inspector sees 我的检查 in the first screen


@pytest.mark.browser
def test_the_demo_inspector_sees_my_inspections_in_the_first_screen_of_a_phone(browser, live_server, demo):
    context, page = open_page(browser, live_server.url, PHONE, touch=True, ignore=("favicon",))
    try:
        log_in(page, "yc_wl_inspector", demo)
        lead = page.locator('[data-testid="lead-inspections-mine"]')
        counts = page.locator('[data-testid="lead-counts"]').bounding_box()
        first_row = page.locator('[data-testid="lead-row"]').first.bounding_box()
        assert counts["y"] + counts["height"] <= 844 and first_row["y"] + first_row["height"] <= 844
        assert int(page.inner_text('[data-testid="lead-count-returned"] .value')) >= 1
        assert "bad" in page.get_attribute('[data-testid="lead-count-returned"]', "class")
        assert page.locator('[data-testid^="card-"]').count() == 0
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        shot(page, "walk-dashboard-inspector-phone")
        assert lead.locator('[data-testid="lead-row"]').first.locator(".badge").inner_text() == "已退回"
        page.click('[data-testid="lead-count-returned"]')
        page.wait_for_url("**/inspections/mine/?status=returned")
        assert page.locator('[data-testid="inspection-row"]').count() >= 1
        assert set(page.locator('[data-testid="row-status"]').all_inner_texts()) == {"已退回"}
        assert page.console_errors == [], page.console_errors
    finally:
        context.close()
