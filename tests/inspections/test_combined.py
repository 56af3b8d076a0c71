"""综合查一次: an office accepts an offer (two departments' inspections of one firm in overlapping
windows) as one visit on an agreed day, each refused condition says why in Chinese, it can be
cancelled (kept, audited), each department sees the day and the other team and nothing more of
the other's inspection, the annual cap counts it once, and its one record holds every
department's part for the office."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from deadlines.calendar import current_calendar
from inspections.documents.combined import combined_record
from inspections.documents.render import document_pdf
from inspections.extensions import inspected_times_excluded
from inspections.models import CombinedVisit, CombinedVisitMember, Inspection, InspectionPart
from inspections.selectors.ledger import inspected_times, joint_visit_offers
from inspections.selectors.sections import office_visits_panel
from inspections.services import combined as svc
from inventory.models import Inspector, MarketEntity
from sampling.models import SamplingPlan
from tenancy.context import Role
from tenancy.models import AuditEntry
from tenancy.scoping import actor_scope
from tests import factories
from tests.leak.cases_inspections_integration import make_joint_visit_offer

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _workday(after: dt.date, n: int = 1) -> dt.date:
    """The ``n``-th working day after ``after``."""
    calendar, day = current_calendar(), after
    while n:
        day += dt.timedelta(days=1)
        n -= calendar.is_workday(day)
    return day


def _rest_day(after: dt.date) -> dt.date:
    calendar, day = current_calendar(), after + dt.timedelta(days=1)
    while calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _offer(world, *, start: dt.date | None = TODAY, end: dt.date | None = TODAY + dt.timedelta(days=30), team: bool = False):
    """A firm drawn by A1 and by A2 — (entity, A1's inspection, A2's) — their windows set to
    ``start``–``end``. ``team``: A1's inspectors are the world's A1 inspector's account."""
    if team:
        with scopes_disabled():
            for _n in range(3):
                factories.make_inspector(world, "A1")
            Inspector.objects.filter(organization=world.orgs["A1"], user__isnull=True).update(user=world.user("A1", Role.INSPECTOR))
    entity = make_joint_visit_offer(world, "A1")
    with scopes_disabled():
        Inspection.objects.filter(entity=entity).update(window_start=start, window_end=end)
        rows = {i.organization_id: i for i in Inspection.objects.filter(entity=entity).select_related("task", "organization")}
    return entity, rows[world.orgs["A1"].pk], rows[world.orgs["A2"].pk]


def _accept(world, inspections, *, visit_on=None, note="", org="AO", role=Role.PLANNER):
    actor = world.actor(org, role)
    with actor_scope(actor):
        return svc.combined_visit_accept(
            actor=actor, inspections=[i.pk for i in inspections], visit_on=visit_on or _workday(TODAY), note=note,
        )


def _refused(world, inspections, **options) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        _accept(world, inspections, **options)
    return caught.value.message_dict


def _names(inspection: Inspection) -> list[str]:
    with scopes_disabled():
        pool = {int(e["id"]): e["name"] for e in inspection.draw.inspector_pool}
    return [pool[int(i)] for i in inspection.team]


# --------------------------------------------------------------------------------------------
# Accepting


def test_the_office_accepts_an_offer_and_each_department_sees_the_day_and_the_other_team(world, client, login):
    entity, a1, a2 = _offer(world)
    office = login(world.user("AO", Role.PLANNER))
    panel = office.get(reverse("inspections:panel_visits")).content.decode()
    accept_url = reverse("inspections:combined_accept", kwargs={"entity": entity.pk})
    assert accept_url in panel
    form = office.get(accept_url).content.decode()
    assert form.count('name="inspections"') == 2 and "checked" in form
    day = _workday(TODAY, 2)
    assert f"{TODAY:%Y-%m-%d} ~ {TODAY + dt.timedelta(days=30):%Y-%m-%d}" in form  # the common window
    response = office.post(accept_url, {"inspections": [a1.pk, a2.pk], "visit_on": day.isoformat(), "note": "九点在门口集合"})
    with scopes_disabled():
        combined = CombinedVisit.objects.get(entity=entity)
        members = sorted(CombinedVisitMember.objects.filter(combined_visit=combined, active=True).values_list("inspection_id", flat=True))
        entry = AuditEntry.objects.get(target_type="inspections.combinedvisit", target_id=str(combined.pk), action="create")
    assert response.status_code == 302 and response["Location"] == reverse("inspections:combined_detail", kwargs={"pk": combined.pk})
    assert members == sorted([a1.pk, a2.pk])
    assert combined.organization_id == world.orgs["AO"].pk and combined.visit_on == day and combined.note == "九点在门口集合"
    assert entry.user_id == world.user("AO", Role.PLANNER).pk
    # The offer is gone from the panel and from both tasks' pages.
    panel = office.get(reverse("inspections:panel_visits")).content.decode()
    assert accept_url not in panel and entity.code not in panel.split('data-testid="visit-counts"')[0]
    for task_id in (a1.task_id, a2.task_id):
        page = office.get(reverse("sampling:task_detail", kwargs={"pk": task_id})).content.decode()
        assert entity.code not in page.split("joint-visit-offers")[-1] or "joint-visit-offers" not in page
    client.logout()

    # Each department: its own inspection's page names the other department, its team and the day.
    for key, mine, other in (("A1", a1, a2), ("A2", a2, a1)):
        page = login(world.user(key, Role.PLANNER)).get(reverse("inspections:detail", kwargs={"pk": mine.pk})).content.decode()
        box = page.split('data-testid="inspection-combined"')[1].split("</div>")[0]
        assert day.isoformat() in box and other.organization.name in box
        assert all(name in box for name in _names(other))
        assert other.task.name not in page  # nothing else of the other department's inspection
        assert reverse("inspections:detail", kwargs={"pk": other.pk}) not in page
        assert client.get(reverse("inspections:detail", kwargs={"pk": other.pk})).status_code == 404
        detail = client.get(reverse("inspections:combined_detail", kwargs={"pk": combined.pk})).content.decode()
        assert other.organization.name in detail and mine.task.name in detail and other.task.name not in detail
        assert 'data-testid="combined-cancel-form"' not in detail  # a department asks the office
        client.logout()
    # Another county sees none of it.
    other_county = login(world.user("B1", Role.PLANNER))
    assert other_county.get(reverse("inspections:combined_detail", kwargs={"pk": combined.pk})).status_code == 404
    assert entity.name not in other_county.get(reverse("inspections:combined_list")).content.decode()


def test_a_refused_form_says_why_and_keeps_what_was_typed(world, client, login):
    entity, a1, a2 = _offer(world)
    office = login(world.user("AO", Role.LEADER))
    url = reverse("inspections:combined_accept", kwargs={"entity": entity.pk})
    sunday = _rest_day(TODAY)
    response = office.post(url, {"inspections": [a1.pk, a2.pk], "visit_on": sunday.isoformat(), "note": "带好执法证"})
    page = response.content.decode()
    assert response.status_code == 400
    assert f"{sunday.isoformat()} 不是工作日，请选择工作日上门。" in page
    assert "带好执法证" in page and f'value="{sunday.isoformat()}"' in page
    response = office.post(url, {"inspections": [a1.pk], "visit_on": _workday(TODAY).isoformat()})
    assert response.status_code == 400 and "请至少选择两个部门的检查，才能综合查一次。" in response.content.decode()
    with scopes_disabled():
        assert not CombinedVisit.objects.filter(entity=entity).exists()
    client.logout()
    assert login(world.user("AO", Role.VIEWER)).get(url).status_code == 403
    client.logout()
    assert login(world.user("A1", Role.LEADER)).get(url).status_code == 403


def test_an_unknown_firm_is_not_found_whatever_the_method(world, client, login):
    office = login(world.user("AO", Role.PLANNER))
    with scopes_disabled():
        missing = (MarketEntity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    url = reverse("inspections:combined_accept", kwargs={"entity": missing})
    assert office.get(url).status_code == 404
    assert office.post(url, {"visit_on": _workday(TODAY).isoformat()}).status_code == 404


def test_acceptance_re_checks_every_condition(world):
    entity, a1, a2 = _offer(world)
    _other_entity, b1, b2 = _offer(world)
    # Who may: the office's staff only.
    for org, role in (("A1", Role.LEADER), ("A2", Role.PLANNER), ("AO", Role.VIEWER)):
        with pytest.raises(PermissionDenied, match="只有双随机办的计划编制人员、管理员或分管领导可以安排综合查一次。"):
            _accept(world, [a1, a2], org=org, role=role)
    assert _refused(world, [a1]) == {"inspections": ["请至少选择两个部门的检查，才能综合查一次。"]}
    assert "所选检查不是同一检查对象的，不能综合查一次。" in _refused(world, [a1, b2])["inspections"]
    foreign = factories.make_inspection(world, "B1")
    assert "所选检查有的不存在或不在本辖区，请刷新页面后重新选择。" in _refused(world, [a1, foreign])["inspections"]
    assert _refused(world, [a1, a2], visit_on=TODAY - dt.timedelta(days=1)) == {
        "visit_on": [f"上门日期不能早于今天（{TODAY.isoformat()}）。"]}
    late = _workday(TODAY + dt.timedelta(days=30))
    assert _refused(world, [a1, a2], visit_on=late) == {"visit_on": [
        f"上门日期须在各部门共同的检查时段内（{TODAY.isoformat()} 至 {(TODAY + dt.timedelta(days=30)).isoformat()}）。"]}
    rest = _rest_day(TODAY)
    assert _refused(world, [a1, a2], visit_on=rest) == {"visit_on": [f"{rest.isoformat()} 不是工作日，请选择工作日上门。"]}
    # Windows that do not overlap; a common window already over.
    with scopes_disabled():
        Inspection.objects.filter(pk=a2.pk).update(window_start=TODAY + dt.timedelta(days=40), window_end=TODAY + dt.timedelta(days=50))
    assert _refused(world, [a1, a2])["inspections"] == [
        f"各部门的检查时间没有重叠（共同时段 {(TODAY + dt.timedelta(days=40)).isoformat()} 至 "
        f"{(TODAY + dt.timedelta(days=30)).isoformat()} 不存在），不能综合查一次。"]
    ended = TODAY - dt.timedelta(days=1)
    with scopes_disabled():
        Inspection.objects.filter(pk__in=[a1.pk, a2.pk]).update(window_start=TODAY - dt.timedelta(days=20), window_end=ended)
    assert _refused(world, [a1, a2])["inspections"] == [f"共同检查时段已于 {ended.isoformat()} 结束，不能再综合查一次。"]
    with scopes_disabled():
        Inspection.objects.filter(pk__in=[a1.pk, a2.pk]).update(window_start=TODAY, window_end=TODAY + dt.timedelta(days=30))
        # A team that started (a draft) is no longer combined.
        Inspection.objects.filter(pk=b1.pk).update(status=Inspection.Status.DRAFT)
    assert _refused(world, [b1, b2])["inspections"] == [
        f"{b1.organization.short_name or b1.organization.name}的检查状态为“草稿”，只有尚未开始的检查可以综合查一次。"]
    # Two inspections of one department (a second A1 task drawing the same firm).
    plan = factories.make_plan(world, "A1", status=SamplingPlan.Status.APPROVED, annual_cap=0)
    factories.draw_selecting(plan, [entity])
    with scopes_disabled():
        again = Inspection.objects.filter(entity=entity, organization=world.orgs["A1"]).exclude(pk=a1.pk).get()
    assert "同一单位的两项检查不能综合查一次：每个部门选择一项检查。" in _refused(world, [a1, again, a2])["inspections"]
    # Accepted once; then taken.
    combined = _accept(world, [a1, a2])
    assert combined.visit_on == _workday(TODAY)
    name = a1.organization.short_name or a1.organization.name
    assert f"{name}的检查已在 {combined.visit_on.isoformat()} 的综合查一次中，不能重复安排。" in _refused(world, [a1, again])["inspections"]


def test_cancelling_keeps_the_record_and_frees_the_inspections(world, client, login):
    entity, a1, a2 = _offer(world)
    combined = _accept(world, [a1, a2])
    leader = world.actor("A1", Role.LEADER)
    with actor_scope(leader), pytest.raises(PermissionDenied, match="只有安排该综合查一次的双随机办可以取消"):
        svc.combined_visit_cancel(actor=leader, combined=combined, reason="人手不足")
    office = world.actor("AO", Role.LEADER)
    with actor_scope(office):
        with pytest.raises(ValidationError) as caught:
            svc.combined_visit_cancel(actor=office, combined=combined, reason="  ")
        assert caught.value.message_dict == {"reason": ["请填写取消原因。"]}
        assert joint_visit_offers(actor=office, entity_id=entity.pk) == []
    page = login(world.user("AO", Role.LEADER)).post(
        reverse("inspections:combined_cancel", kwargs={"pk": combined.pk}), {"reason": "企业停业整顿"}, follow=True,
    ).content.decode()
    assert 'data-testid="combined-cancelled"' in page and "企业停业整顿" in page
    with scopes_disabled():
        combined.refresh_from_db()
        assert combined.cancelled_by_id == world.user("AO", Role.LEADER).pk and combined.cancel_reason == "企业停业整顿"
        assert not CombinedVisitMember.objects.filter(combined_visit=combined, active=True).exists()
        assert CombinedVisitMember.objects.filter(combined_visit=combined).count() == 2  # kept
        entry = AuditEntry.objects.get(target_type="inspections.combinedvisit", target_id=str(combined.pk), action="cancel")
    assert entry.note == "企业停业整顿" and "cancelled_at" in entry.changes
    with actor_scope(office):
        assert [o.entity.pk for o in joint_visit_offers(actor=office, entity_id=entity.pk)] == [entity.pk]  # offered again
        with pytest.raises(ValidationError, match="该综合查一次已于"):
            svc.combined_visit_cancel(actor=office, combined=combined, reason="再次取消")
    # The inspection pages no longer show it; a new one can be arranged.
    detail = client.get(reverse("inspections:combined_detail", kwargs={"pk": combined.pk})).content.decode()
    assert 'data-testid="combined-cancel-form"' not in detail
    again = _accept(world, [a1, a2], visit_on=_workday(TODAY, 3))
    assert again.pk != combined.pk


# --------------------------------------------------------------------------------------------
# The annual cap: a combined visit is one visit of the firm (进一次门)


def test_the_annual_cap_counts_a_combined_visit_once(world):
    entity, a1, a2 = _offer(world)
    year = TODAY.year
    a1_planner = world.actor("A1", Role.PLANNER)
    plan = factories.make_plan(world, "A1", status=SamplingPlan.Status.APPROVED, annual_cap=2)

    def times() -> int:
        with actor_scope(a1_planner):
            return inspected_times(actor=a1_planner, year=year).get(entity.pk, 0)

    def capped() -> list[tuple[str, list[int]]]:
        with actor_scope(a1_planner):
            return [(reason, ids) for reason, ids in inspected_times_excluded(actor=a1_planner, plan=plan, year=year) if entity.pk in ids]

    def panel_count() -> int:
        office = world.actor("AO", Role.LEADER)
        with actor_scope(office):
            frequent = {e.pk: n for e, _done, n in office_visits_panel(actor=office)["frequent"]}
        return frequent.get(entity.pk, 0)

    assert times() == 2 and capped() == [("本年度已检查2次", [entity.pk])] and panel_count() == 2
    combined = _accept(world, [a1, a2])
    assert times() == 1 and capped() == [] and panel_count() == 0  # once: not among the firms visited twice
    # A third inspection (another A1 task) is a second visit of the firm.
    factories.draw_selecting(factories.make_plan(world, "A1", status=SamplingPlan.Status.APPROVED, annual_cap=0), [entity])
    assert times() == 2 and capped() == [("本年度已检查2次", [entity.pk])] and panel_count() == 2
    office = world.actor("AO", Role.PLANNER)
    with actor_scope(office):
        svc.combined_visit_cancel(actor=office, combined=combined, reason="改为分别检查")
    assert times() == 3 and capped() == [("本年度已检查3次", [entity.pk])]


# --------------------------------------------------------------------------------------------
# Who sees it


def test_who_sees_a_combined_visit(world, client, login):
    entity, a1, a2 = _offer(world, team=True)
    day = _workday(TODAY, 2)
    combined = _accept(world, [a1, a2], visit_on=day, note="各带执法记录仪")
    url = reverse("inspections:combined_list")
    expected = {
        ("AO", Role.PLANNER): True, ("AO", Role.VIEWER): True, ("A1", Role.PLANNER): True, ("A1", Role.VIEWER): True,
        ("A2", Role.LEADER): True, ("A1", Role.INSPECTOR): True, ("A2", Role.INSPECTOR): False,
        ("B1", Role.PLANNER): False, ("BO", Role.LEADER): False,
    }
    seen = {}
    for (org, role) in expected:
        page = login(world.user(org, role)).get(url).content.decode()
        seen[(org, role)] = "各带执法记录仪" in page
        detail = client.get(reverse("inspections:combined_detail", kwargs={"pk": combined.pk}))
        assert (detail.status_code == 200) == expected[(org, role)], (org, role, detail.status_code)
        client.logout()
    assert seen == expected
    # The inspector on A1's team finds the day in 我的检查.
    mine = login(world.user("A1", Role.INSPECTOR)).get(reverse("inspections:mine")).content.decode()
    rows = re.findall(r'<tr data-testid="inspection-row">(.*?)</tr>', mine, re.S)
    [row] = [r for r in rows if entity.name in r]
    assert f"综合查一次：{day.isoformat()} 上门" in row


def test_the_api_shows_the_combined_visit(world):
    entity, a1, a2 = _offer(world)
    day = _workday(TODAY, 2)
    combined = _accept(world, [a1, a2], visit_on=day)
    api = APIClient()
    api.force_login(world.user("A1", Role.PLANNER), backend="django.contrib.auth.backends.ModelBackend")
    detail = api.get(f"/api/v1/inspections/{a1.pk}/").json()
    assert detail["combined_visit"] == combined.pk and detail["combined_visit_on"] == day.isoformat()
    listed = {row["id"]: row for row in api.get(f"/api/v1/inspections/?entity={entity.code}").json()["results"]}
    assert listed[a1.pk]["combined_visit"] == combined.pk
    visits = api.get("/api/v1/combined-visits/").json()["results"]
    [visit] = [v for v in visits if v["id"] == combined.pk]
    assert visit["visit_on"] == day.isoformat() and visit["entity_code"] == entity.code and visit["active"] is True
    parties = {tuple(p["departments"]): p for p in visit["parties"]}
    mine, other = parties[(world.orgs["A1"].name,)], parties[(world.orgs["A2"].name,)]
    assert mine["inspection"] == a1.pk and mine["task_name"] == a1.task.name
    assert other["inspection"] is None and other["task_name"] == "" and other["team"] == _names(a2)
    assert api.get("/api/v1/combined-visits/?state=cancelled").json()["results"] == []
    foreign = APIClient()
    foreign.force_login(world.user("B1", Role.PLANNER), backend="django.contrib.auth.backends.ModelBackend")
    assert foreign.get(f"/api/v1/combined-visits/{combined.pk}/").status_code == 404
    assert foreign.get("/api/v1/combined-visits/").json()["results"] == []


# --------------------------------------------------------------------------------------------
# One record for the firm (一企一表)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_the_record_holds_every_departments_part_for_the_office(world):
    from tests.inspections.test_documents import pdf_text

    _entity, a1, a2 = _offer(world)
    combined = _accept(world, [a1, a2], note="九点集合")
    with scopes_disabled():
        # draw_selecting's tasks carry no items: each part gets its plan's, as a task's would.
        for inspection in (a1, a2):
            for part in InspectionPart.objects.filter(inspection=inspection):
                part.items.set(inspection.plan.items.all())
        items = {
            i.organization_id: [item.name for p in InspectionPart.objects.filter(inspection=i) for item in p.items.all()]
            for i in (a1, a2)
        }
    a1_items, a2_items = items[a1.organization_id], items[a2.organization_id]
    assert a1_items and a2_items and not set(a1_items) & set(a2_items)

    office = world.actor("AO", Role.PLANNER)
    with actor_scope(office):
        record = combined_record(actor=office, combined=CombinedVisit.objects.get(pk=combined.pk))
    compact = "".join(pdf_text(document_pdf("combined", record)).split())
    assert "综合查一次检查记录表" in compact and "九点集合" in compact
    for inspection, names in ((a1, a1_items), (a2, a2_items)):
        assert "".join(inspection.organization.name.split()) in compact
        assert "".join(inspection.task.name.split()) in compact
        assert all("".join(n.split()) in compact for n in names)
        assert all(n in compact for n in _names(inspection))

    department = world.actor("A1", Role.PLANNER)
    with actor_scope(department):
        record = combined_record(actor=department, combined=CombinedVisit.objects.get(pk=combined.pk))
    compact = "".join(pdf_text(document_pdf("combined", record)).split())
    assert all("".join(n.split()) in compact for n in a1_items)
    assert not any("".join(n.split()) in compact for n in a2_items)  # the other's part stays its own
    assert "".join(a2.organization.name.split()) in compact and all(n in compact for n in _names(a2))
    assert "该部门的检查情况由该部门记录，您所在单位无权查看。" in compact
