"""The ceremony in a real browser (CSP-strict pages, htmx verify, phone width)."""

from __future__ import annotations

import pytest

from tests.browser.support import log_in, shot
from tests.factories import make_completed_draw, make_ready_task
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def live_world(transactional_db):
    return build_world()


def test_planner_runs_a_ceremony_with_a_witness_and_verifies(page, live_world):
    task = make_ready_task(live_world, "A1", entities=40, inspectors=6)
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm asks before commit and draw
    log_in(page, "a1_planner", PASSWORD)
    page.goto(f"{page.base}/sampling/tasks/{task.pk}/draw/")
    assert page.get_by_test_id("pool-size").inner_text() == "40"
    page.get_by_test_id("commit-form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=execute-form]")
    commitment = page.get_by_test_id("commitment").inner_text()
    page.fill("#id_witnesses", "王五、赵六")
    page.fill("#id_public_entropy", "31 07 19")
    page.get_by_test_id("execute-form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=seed-panel]")
    assert page.get_by_test_id("draw-status").inner_text() == "已完成"
    assert page.get_by_test_id("witnesses").inner_text() == "王五、赵六"
    assert page.locator("[data-testid=selected-row]").count() == 5
    page.get_by_test_id("verify-button").click()
    page.wait_for_selector("[data-testid=verify-result]")
    assert "验证通过" in page.get_by_test_id("verify-result").inner_text()
    assert commitment in page.content()
    shot(page, "draw-results")
    # Phone width: the results stay usable (tables scroll inside their card, no page overflow).
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    shot(page, "draw-results-phone")
    assert not page.console_errors, page.console_errors


def _heights(page, url: str) -> tuple[int, int]:
    sizes = []
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(url)
        sizes.append(page.evaluate("document.documentElement.scrollHeight"))
    return sizes[0], sizes[1]


@pytest.fixture
def demo_county(transactional_db):
    """The demo county at its default size (2,000 entities per department), as `make run` loads it."""
    from django.core.management import call_command

    call_command("seed_demo", "--password", "Demo-Pass-2026", "--quiet-accounts")
    return "Demo-Pass-2026"


def test_results_page_of_a_demo_draw_measured(page, demo_county):
    """The results page of the demo 文旅局's quarterly draw, desktop and phone."""
    from django_scopes import scopes_disabled

    from sampling.models import SamplingTask
    from sampling.services import draws as draw_services
    from tenancy.actors import actor_for
    from tenancy.models import User
    from tenancy.scoping import actor_scope

    with scopes_disabled():
        task = SamplingTask.objects.select_related("organization").filter(organization__code="140522-WLJ", status="ready").get()
        user = User.objects.get(username="yc_wl_planner")
    actor = actor_for(user, task.organization)
    with actor_scope(actor):
        draw = draw_services.draw_run(actor=actor, task=task, public_entropy="08 15 23", witnesses=["县纪委监督员李明"])
    selected = sum(a["selected"] for a in draw.allocation)
    log_in(page, "yc_wl_planner", demo_county)
    url = f"{page.base}/sampling/draws/{draw.pk}/"
    desktop, phone = _heights(page, url)
    print(f"\nresults page of a {selected}-target demo draw: desktop {desktop} px, phone {phone} px")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    shot(page, "draw-results-demo")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    shot(page, "draw-results-demo-phone")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1


def test_lists_and_recusal_pages_read_on_a_phone(page, live_world):
    """390×844: no page scrolls sideways; the recusal list's reason and status are readable."""
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from inventory.models import Inspector, MarketEntity
    from sampling.models import DrawSelection, SamplingTask
    from sampling.services import recusals as recusal_services
    from tenancy.scoping import actor_scope

    draw = make_completed_draw(live_world, "A1", entities=40, inspectors=6)
    with scopes_disabled():
        first = DrawSelection.objects.get(draw=draw, rank=1)
        MarketEntity.objects.filter(pk=first.entity_id).update(name="阳城县凤城镇黄河源文化娱乐有限公司", address="阳城县凤城镇东关街128号")
        SamplingTask.objects.filter(pk=draw.task_id).update(window_start=timezone.localdate(), window_end=timezone.localdate())
        member = Inspector.objects.get(pk=first.team[0])
    planner = live_world.actor("A1", "planner")
    with actor_scope(planner):
        req = recusal_services.recusal_request(
            actor=planner, draw=draw, selection=first, inspector=member, kind="absence",
            reason="该同志本周在省局参加执法资格培训，无法按期参加本次检查，申请按规则递补。",
        )
    pages = {
        "tasks": "/sampling/tasks/", "plans": "/sampling/plans/", "recusals": "/sampling/recusals/",
        "recusal-decide": f"/sampling/recusals/{req.pk}/", "recusal-request": f"/sampling/draws/{draw.pk}/recusal/",
        "replacement": f"/sampling/draws/{draw.pk}/replace/", "plan-new": "/sampling/plans/new/",
        "plan": f"/sampling/plans/{draw.plan_id}/",
    }
    for role in ("planner", "leader"):
        page.context.clear_cookies()
        log_in(page, f"a1_{role}", PASSWORD)
        for name, path in pages.items():
            for width, height, suffix in ((1280, 900, ""), (390, 844, "-phone")):
                page.set_viewport_size({"width": width, "height": height})
                response = page.goto(page.base + path)
                if response.status == 403:
                    continue
                assert response.status == 200, (role, name, response.status)
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 1, (role, name, width, overflow)
                shot(page, f"lists-{role}-{name}{suffix}")
    # The recusal list on a phone: the reason has the card's width, the status sits inside the screen.
    page.goto(page.base + "/sampling/recusals/")
    reason = page.locator("[data-testid=recusal-row] td.reason").bounding_box()
    status = page.locator("[data-testid=recusal-row] .badge").first.bounding_box()
    assert reason["width"] > 200, reason
    assert status["x"] + status["width"] <= 390, status
    errors = [e for e in page.console_errors if "403" not in e]  # the pages a role may not open
    assert not errors, errors
