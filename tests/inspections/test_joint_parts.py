"""A joint visit on the inspection page (issue 12, 进一次门、查多项事): each department's inspectors
see their own part as a form first, then every other department's part read-only — its check
points, answers, notes, evidence thumbnails and who fills it — and can never write it: no input
for another part's point, and a save or an upload naming one is refused with nothing stored."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from inspections.models import Answer, Evidence, Inspection, InspectionPart
from inspections.services import inspections as svc
from sampling.models import Draw
from tenancy.scoping import actor_scope
from tenancy.uploads import check_upload
from tests.factories import ship_result_codes
from tests.inspections.conftest import Drawn, drawn
from tests.inspections.support import confirm_all, first, member_of, png, points_of

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


@pytest.fixture(autouse=True)
def _result_codes(db):
    ship_result_codes()


def _client(user, language: str | None = None) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if language:
        client.cookies["django_language"] = language
    return client


def _joint(world) -> tuple[Drawn, Inspection, int, int]:
    """A joint visit of A1 and A2, confirmed; A2's inspector has answered A2's part (an abnormal
    answer with a note, a photo on that point) and written the part's note."""
    d = drawn(world, "AO", entities=12, inspectors=3)
    inspection = first(d)
    confirm_all(world, inspection)
    a1, a2 = world.orgs["A1"].pk, world.orgs["A2"].pk
    actor = member_of(d, inspection, a2)
    [point, *rest] = points_of(inspection, a2)
    with actor_scope(actor):
        answers = {point.pk: {"status": "abnormal", "note": "灭火器过期两个月"}} | {p.pk: {"status": "normal"} for p in rest}
        svc.inspection_save(actor=actor, inspection=Inspection.objects.get(pk=inspection.pk),
                            part=InspectionPart.objects.get(inspection=inspection, organization_id=a2),
                            answers=answers, note="乙部门：仓库消防检查完毕")
        svc.evidence_add(actor=actor, inspection=Inspection.objects.get(pk=inspection.pk), upload=check_upload(png("仓库.png")),
                         point_id=point.pk, caption="过期灭火器")
    return d, inspection, a1, a2


def _member(d: Drawn, inspection: Inspection, org_id: int):
    """The account of a team member of ``org_id``'s part."""
    actor = member_of(d, inspection, org_id)
    return next(u for u in d.users.values() if u.pk == actor.user_id)


def _names(inspection: Inspection, org_id: int) -> list[str]:
    with scopes_disabled():
        part = InspectionPart.objects.get(inspection=inspection, organization_id=org_id)
        pool = {int(e["id"]): e["name"] for e in Draw.objects.get(pk=inspection.draw_id).inspector_pool}
    return [pool[int(i)] for i in part.inspectors]


def test_each_department_sees_the_other_parts_read_only_below_its_own(world):
    d, inspection, a1, a2 = _joint(world)
    client = _client(_member(d, inspection, a1))
    page = client.get(reverse("inspections:detail", args=[inspection.pk])).content.decode()
    own, other = points_of(inspection, a1), points_of(inspection, a2)
    assert own and other
    # Its own part: a form, first.
    assert all(f'name="point_{p.pk}"' in page for p in own)
    assert page.index(f'data-testid="part-{a1}"') < page.index(f'data-testid="part-{a2}"')
    # The other part: read-only, collapsible (closed on a phone by the page's script), whole.
    section = page[page.index(f'data-testid="part-{a2}"'):]
    section = section[:section.index("</details>")]
    assert "data-collapse-narrow" in page[page.rindex("<details", 0, page.index(f'data-testid="part-{a2}"')):][:200]
    assert "<input" not in section and "<textarea" not in section and "<select" not in section
    assert not any(f'name="point_{p.pk}"' in page or f'form="ev-{p.pk}"' in page or f'id="ev-{p.pk}"' in page for p in other)
    for p in other:
        assert f'data-testid="answer-{p.pk}"' in section and p.project in section
    assert 'class="badge bad">不正常</span>' in section and "灭火器过期两个月" in section
    assert "乙部门：仓库消防检查完毕" in section
    with scopes_disabled():
        photo = Evidence.objects.get(inspection=inspection, caption="过期灭火器")
    thumb = reverse("inspections:evidence_display", args=[inspection.pk, photo.pk])
    assert thumb in section and "撤回" not in section
    assert all(name in section for name in _names(inspection, a2))
    # The thumbnail is readable by whoever may see the visit.
    assert client.get(thumb).status_code == 200
    # The department's leader (not on the team) reads both parts, fills neither.
    leader = _client(world.user("A1", "leader")).get(reverse("inspections:detail", args=[inspection.pk])).content.decode()
    assert "灭火器过期两个月" in leader and not any(f'name="point_{p.pk}"' in leader for p in own + other)


def test_another_departments_part_cannot_be_written_from_the_page(world):
    d, inspection, a1, a2 = _joint(world)
    client = _client(_member(d, inspection, a1))
    [point, second, *_] = points_of(inspection, a2)
    with scopes_disabled():
        before = {a.point_id: (a.status, a.note) for a in Answer.objects.filter(part__inspection=inspection)}
        inspection = Inspection.objects.get(pk=inspection.pk)
        revision = inspection.revision
    save = reverse("inspections:save", args=[inspection.pk])
    # The page's script: a field of the other part.
    response = client.post(save, json.dumps({"fields": {f"point_{point.pk}": "normal", f"point_{second.pk}_note": "改"},
                                             "revision": revision}),
                           content_type="application/json", HTTP_ACCEPT="application/json")
    assert response.status_code in (400, 403), response.status_code
    assert response.json()["ok"] is False
    # A whole-form post without script naming it.
    response = client.post(save, {"full": "1", "revision": revision, f"point_{point.pk}": "normal"})
    assert response.status_code in (400, 403)
    # A photo on the other part's point.
    response = client.post(reverse("inspections:evidence_add", args=[inspection.pk]),
                           {"file": png("x.png"), "point": point.pk}, HTTP_ACCEPT="application/json")
    assert response.status_code in (400, 403)
    with scopes_disabled():
        after = {a.point_id: (a.status, a.note) for a in Answer.objects.filter(part__inspection=inspection)}
        assert after == before
        assert Evidence.objects.filter(inspection=inspection).count() == 1


def test_only_those_who_may_see_the_visit_see_its_parts(world):
    d, inspection, a1, a2 = _joint(world)
    url = reverse("inspections:detail", args=[inspection.pk])
    # A department of the other county, and an inspector of A1 who is not on the team: not found.
    assert _client(world.user("B1", "leader")).get(url).status_code == 404
    with scopes_disabled():
        outsider = next(u for i, u in d.users.items() if i not in inspection.team and d.actor_of(i).organization_id == a1)
    assert _client(outsider).get(url).status_code == 404
    # The office reads both parts, read-only.
    office = _client(world.user("AO", "leader")).get(url).content.decode()
    assert "灭火器过期两个月" in office and f'data-testid="part-{a1}"' in office and "<textarea" not in office


def test_the_joint_page_in_english(world):
    d, inspection, a1, a2 = _joint(world)
    page = _client(_member(d, inspection, a1), "en").get(reverse("inspections:detail", args=[inspection.pk]))
    translation.activate("zh-hans")
    body = page.content.decode()
    assert "Inspectors: " in body and "Check points" in body
    assert "Not normal" in body and "灭火器过期两个月" in body


@pytest.mark.browser
def test_on_a_phone_the_other_parts_start_collapsed(browser, live_server, transactional_db, settings, tmp_path):
    """At 390×844 one's own part comes first and the other department's part is a closed
    summary (its inspectors named) that opens to the read-only answers; on a wide screen it is open."""
    from tests.browser.support import log_in, open_page, shot
    from tests.world import build_world

    settings.MEDIA_ROOT = tmp_path
    ship_result_codes()
    world = build_world()
    d, inspection, a1, a2 = _joint(world)
    user = _member(d, inspection, a1)
    for viewport, opened in (({"width": 390, "height": 844}, False), ({"width": 1280, "height": 900}, True)):
        context, page = open_page(browser, live_server.url, viewport)
        log_in(page, user.username, "x")
        page.goto(f"{live_server.url}/inspections/{inspection.pk}/", wait_until="load")
        other = page.locator(f'details[data-testid="part-{a2}"]')
        assert other.evaluate("el => el.open") is opened
        assert page.locator(f'[data-testid="part-{a1}"] input').count() > 0
        assert all(n in other.locator("summary").inner_text() for n in _names(inspection, a2))
        if not opened:
            assert not page.get_by_text("灭火器过期两个月").is_visible()
            other.locator("summary").click()
            shot(page, "joint-visit-other-part-phone")
        assert page.get_by_text("灭火器过期两个月").is_visible()
        assert page.console_errors == [], page.console_errors
        context.close()
