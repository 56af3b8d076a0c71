"""Where inspections meets sampling and deadlines: the annual cap (曲阳 §17) counted from real
inspections in place of selections, the task page's progress for a department planner and the
office leader, the office's joint-task milestones with the inspection columns, and the firms two
departments are to visit in overlapping windows offered to the office as one visit (综合查一次)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from inspections.extensions import REASON_INSPECTED
from inspections.models import Inspection
from inspections.services import handling as handling_svc
from inspections.services import reviews
from inventory.models import RegistryEntry
from sampling.extensions import DRAW_EXCLUSIONS
from sampling.models import DrawSelection, SamplingTask
from sampling.pool import REASON_CAP
from sampling.record_codec import decode_excluded
from sampling.selectors.pool import task_pool
from sampling.services import recusals as recusal_services
from tenancy.scoping import actor_scope
from tests import factories
from tests.inspections.conftest import Drawn, drawn, link_inspectors
from tests.inspections.support import confirm_all, fill, fresh, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def without_inspections_cap():
    """Inspections' annual cap unregistered for the test (sampling's own applies again)."""
    entry = DRAW_EXCLUSIONS.get("inspections.annual_cap")
    DRAW_EXCLUSIONS.unregister(entry.key)
    yield
    DRAW_EXCLUSIONS.register(entry)


def _visits(draw) -> list[Inspection]:
    with scopes_disabled():
        return list(Inspection.objects.filter(draw=draw).select_related("entity").order_by("selection__rank", "pk"))


def _replace(world, draw, inspection: Inspection) -> None:
    leader = world.actor("A1", "leader")
    with actor_scope(leader):
        selection = DrawSelection.objects.get(pk=inspection.selection_id)
        recusal_services.replacement_create(actor=leader, draw=draw, selection=selection, reason="经营场所无法联系")


def _capped_world(world):
    """A1's firm X inspected twice this year (two draws); firm Y selected twice, but its first
    target was replaced by a reserve before anyone visited it (one real inspection)."""
    d = drawn(world, "A1", entities=12, inspectors=4)
    x, y = (v.entity for v in _visits(d.draw)[:2])
    _replace(world, d.draw, _visits(d.draw)[1])
    factories.draw_selecting(factories.make_approved_plan(world, "A1"), [x])
    factories.draw_selecting(factories.make_approved_plan(world, "A1"), [y])
    with scopes_disabled():
        assert DrawSelection.objects.filter(entity=y).count() == 2
        assert Inspection.objects.filter(entity=x).count() == 2
        assert Inspection.objects.filter(entity=y).count() == 1
    task = factories.make_task(world, "A1", plan=factories.make_plan(world, "A1", status="approved", annual_cap=2), ready=True)
    return x, y, task


def test_inspections_cap_stands_in_for_samplings_while_registered():
    assert DRAW_EXCLUSIONS.replaced() == {"sampling.annual_cap": "inspections.annual_cap"}
    in_effect = DRAW_EXCLUSIONS.keys()
    assert "inspections.annual_cap" in in_effect and "sampling.annual_cap" not in in_effect
    assert "sampling.annual_cap" in DRAW_EXCLUSIONS  # registered still, standing aside


def test_a_firm_inspected_twice_this_year_is_left_out_of_the_draw_with_the_reason_on_record(world):
    x, y, task = _capped_world(world)
    draw = factories.draw_task(world, task)
    reasons = {e["key"]: e["reason"] for e in decode_excluded(draw.excluded_blob)}
    assert reasons[x.code] == REASON_INSPECTED % {"n": 2} == "本年度已检查2次"
    assert y.code not in reasons  # selected twice, inspected once
    assert REASON_CAP % {"n": 2} not in reasons.values()  # sampling's count of selections stood aside
    with scopes_disabled():
        assert not DrawSelection.objects.filter(draw=draw, entity=x).exists()


def test_without_the_inspections_provider_the_cap_counts_selections_again(world, without_inspections_cap):
    x, y, task = _capped_world(world)
    assert DRAW_EXCLUSIONS.replaced() == {} and "sampling.annual_cap" in [e.key for e in DRAW_EXCLUSIONS]
    planner = world.actor("A1", "planner")
    with actor_scope(planner):
        pool = task_pool(actor=planner, task=task)
    reasons = {e.key: e.reason for e in pool.excluded}
    assert reasons[x.code] == "本年度已被抽查2次"
    assert y.code not in reasons  # a replaced selection is not counted by sampling's rule either


def _stat(page: str, name: str) -> int:
    found = re.search(rf'data-testid="progress-{name}">(\d+)<', page)
    assert found, name
    return int(found.group(1))


def _worked(world, d: Drawn) -> tuple[Inspection, Inspection, int]:
    """Two inspections of ``d``: one approved with a problem whose follow-up is closed, one
    submitted clean; every other left unconfirmed. Returns them and how many were drawn."""
    problem, clean = _visits(d.draw)[:2]
    for visit in (problem, clean):
        confirm_all(world, visit)
    fill(d, problem, status="abnormal", results=["05"], result_reason="消防通道堵塞")
    submit(d, problem)
    fill(d, clean)
    submit(d, clean)
    keys = {o.pk: k for k, o in world.orgs.items()}
    with scopes_disabled():
        departments = [keys[p.organization_id] for p in fresh(problem).parts.all()]
    for key in departments:
        with actor_scope(world.actor(key, "leader")) as leader:
            reviews.inspection_approve(actor=leader, inspection=fresh(problem))
    planner = world.actor(departments[0], "planner")
    with actor_scope(planner):
        penalty = handling_svc.handling_add(actor=planner, inspection=fresh(problem), measure="penalty")
        handling_svc.handling_close(actor=planner, handling=penalty, outcome="罚款", case_no="阳文旅罚〔2026〕7号")
    return problem, clean, len(_visits(d.draw))


def test_the_task_page_shows_progress_to_the_department_planner_and_the_office_leader(world, client, login):
    d = drawn(world, "A1", entities=12, inspectors=4)
    _problem, _clean, total = _worked(world, d)
    url = reverse("sampling:task_detail", kwargs={"pk": d.draw.task_id})
    expected = {"drawn": total, "confirmed": 2, "inspected": 2, "approved": 1, "problems": 1, "handled": 1, "overdue": 0}
    page = login(world.user("A1", "planner")).get(url).content.decode()
    assert 'data-testid="task-section-inspections-progress"' in page and "检查进度" in page
    assert {name: _stat(page, name) for name in expected} == expected
    assert reverse("inspections:list") + f"?task={d.draw.task_id}&amp;status=all" in page
    assert 'data-testid="task-section-inspections-joint_visits"' not in page
    client.logout()
    office = login(world.user("AO", "leader")).get(url).content.decode()
    assert {name: _stat(office, name) for name in expected} == expected
    # The office lists the joint inspections only: no link to a department's list.
    assert 'data-testid="progress-list"' not in office


def test_a_task_not_yet_drawn_has_no_progress_card(world, client, login):
    task = factories.make_ready_task(world, "A1", entities=8, inspectors=3)
    page = login(world.user("A1", "planner")).get(reverse("sampling:task_detail", kwargs={"pk": task.pk})).content.decode()
    assert "检查进度" not in page and 'data-testid="task-progress"' not in page


def test_a_joint_tasks_progress_and_milestones_for_a_participant_and_the_office(world, client, login):
    d = drawn(world, "AO", entities=12, inspectors=3)
    _problem, _clean, total = _worked(world, d)
    url = reverse("sampling:task_detail", kwargs={"pk": d.draw.task_id})
    expected = {"drawn": total, "confirmed": 2, "inspected": 2, "approved": 1, "problems": 1, "handled": 1}
    participant = login(world.user("A1", "planner")).get(url).content.decode()
    assert {name: _stat(participant, name) for name in expected} == expected
    client.logout()
    office = login(world.user("AO", "leader"))
    page = office.get(url).content.decode()
    assert {name: _stat(page, name) for name in expected} == expected
    assert 'data-testid="progress-list"' in page  # the office lists its joint task's inspections
    panel = office.get(reverse("deadlines:panel_joint")).content.decode()
    assert d.draw.task.name in panel
    for milestone, done in (("inspections.inspected", 2), ("inspections.approved", 1)):
        cells = re.findall(rf'data-milestone="{milestone}"[^>]*>(.*?)</td>', panel, re.S)
        assert len(cells) == 2, milestone  # one per participating department
        assert all(f"{done}/{total} 户" in cell for cell in cells), (milestone, cells)
    assert "检查" in panel and "审核" in panel


def test_firms_two_departments_visit_in_overlapping_windows_are_offered_to_the_office(world, client, login):
    today = timezone.localdate()
    task = factories.make_ready_task(world, "A1", entities=12, inspectors=4)
    with scopes_disabled():
        SamplingTask.objects.filter(pk=task.pk).update(window_start=today, window_end=today + dt.timedelta(days=20))
    task.refresh_from_db()
    d = Drawn(draw=factories.draw_task(world, task), users=link_inspectors(task))
    visits = _visits(d.draw)
    both, alone = [v.entity for v in visits[:2]], visits[2].entity
    a2 = world.orgs["A2"]
    with scopes_disabled():
        RegistryEntry.objects.bulk_create(RegistryEntry(organization=a2, region=a2.region, entity=e) for e in both)
    other = factories.draw_selecting(factories.make_approved_plan(world, "A2"), both, name="市场监管专项")
    url = reverse("sampling:task_detail", kwargs={"pk": task.pk})

    page = login(world.user("AO", "leader")).get(url).content.decode()
    assert 'data-testid="task-section-inspections-joint_visits"' in page and "综合查一次" in page
    offers = re.findall(r'<tr data-testid="joint-visit-offer">(.*?)</tr>', page, re.S)
    assert len(offers) == 2
    for entity in both:
        [row] = [o for o in offers if entity.code in o]
        assert entity.name in row and task.name in row and "市场监管专项" in row
        assert f"{today:%Y-%m-%d} ~ {today + dt.timedelta(days=20):%Y-%m-%d}" in row  # the common window
        assert reverse("sampling:task_detail", kwargs={"pk": other.task_id}) in row
        assert reverse("inspections:combined_accept", kwargs={"entity": entity.pk}) in row  # the office accepts it
    assert alone.code not in page.split('data-testid="joint-visit-offers"')[1]
    client.logout()
    # A department reads no other department's visits: no offer on its page.
    mine = login(world.user("A1", "planner")).get(url).content.decode()
    assert "joint-visit-offer" not in mine and "市场监管专项" not in mine


def test_the_offices_panel_lists_the_regions_offers_and_how_often_firms_were_inspected(world, client, login):
    from tests.leak.cases_inspections_integration import make_joint_visit_offer

    shared = make_joint_visit_offer(world, "A1")  # drawn by A1 and by A2
    elsewhere = make_joint_visit_offer(world, "B1")  # another county's
    x, _y, _task = _capped_world(world)  # x inspected twice by A1
    url = reverse("inspections:panel_visits")
    office = login(world.user("AO", "leader"))
    dashboard = office.get(reverse("dashboard")).content.decode()
    assert url in dashboard  # loaded after the page
    panel = office.get(url).content.decode()
    offers = re.findall(r'<tr data-testid="joint-visit-offer">(.*?)</tr>', panel, re.S)
    assert [shared.code in o for o in offers] == [True]  # x is A1's alone: no offer
    assert elsewhere.name not in panel
    frequent = dict(re.findall(r'data-testid="frequent-firm">.*?<a [^>]*>([^<]+)</a>.*?data-testid="firm-scheduled">(\d+)</td>', panel, re.S))
    assert frequent == {shared.name: "2", x.name: "2"}
    counts = re.search(r'data-testid="visit-counts">(.*?)</p>', panel, re.S).group(1)
    with scopes_disabled():
        visited = Inspection.objects.filter(organization__region=world.regions["A"]).values("entity").distinct().count()
    assert f"已安排检查 {visited} 户" in counts and "2 次 2 户" in counts and "3 次及以上 0 户" in counts
    client.logout()
    assert login(world.user("A1", "leader")).get(url).status_code == 403
    assert url not in client.get(reverse("dashboard")).content.decode()
