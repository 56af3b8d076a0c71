"""The inspections' pages and documents in English: the demo county's inspections in every state
(``inspections.demo``) read by the inspector, the planner and the leader — the lists, each
inspection, the review, the follow-up, a correction, the record and notice previews and a task's
zip page — show no Chinese outside what users typed or imported (firm names, addresses, notes);
the shipped result codes read in English there while the API keeps the stored Chinese; the
Chinese pages read as before (dates in 年月日, "、" joins, full-width brackets)."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django_scopes import scopes_disabled

from inspections import demo
from inspections.models import Handling, Inspection, ResultCode
from inspections.result_codes import NATIONAL
from sampling.models import Draw
from tenancy.models import Organization, User

pytestmark = [pytest.mark.xdist_group("inspections-english"), pytest.mark.django_db]

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
LANGUAGE_MENU = re.compile(r'<select name="language".*?</select>', re.S)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict[str, Inspection]]:
    """The demo seeded once for the module (in a transaction rolled back at the end): the
    department's inspections by state."""
    media = tmp_path_factory.mktemp("english-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), transaction.atomic():
        with translation.override(settings.LANGUAGE_CODE):  # as a Chinese user's requests write it
            call_command("seed_demo", "--entities", "48", "--password", "x", "--quiet-accounts", stdout=io.StringIO())
        with scopes_disabled():
            org = Organization.objects.get(code=demo.DEPARTMENT)
            rows = list(Inspection.objects.filter(task__uid=demo.task_uid(org, timezone.localdate().year)))
        by_state = _by_state(rows)
        assert set(by_state) == set(demo.STATES), sorted(by_state)
        yield by_state
        transaction.set_rollback(True)


def _by_state(rows: list[Inspection]) -> dict[str, Inspection]:
    with scopes_disabled():
        found: dict[str, Inspection] = {}
        for row in rows:
            handlings = list(Handling.objects.filter(inspection=row))
            if handlings:
                state = "followup_closed" if all(h.status == "closed" for h in handlings) else "followup_open"
            else:
                state = row.status
            found.setdefault(state, row)
        return found


def _user(role: str) -> User:
    with scopes_disabled():
        return User.objects.get(username=f"yc_wl_{role}")


def _client(role: str, language: str = "en") -> Client:
    client = Client()
    client.force_login(_user(role), backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _user_data() -> list[str]:
    """What users typed or imported (names, addresses, notes, captions, comments, item texts) and
    the names a draw froze: what an English page may show in Chinese. The result codes are not
    user data: the shipped ones must read in English."""
    found: set[str] = set()
    with scopes_disabled():
        for model in apps.get_models():
            if model._meta.app_label not in ("tenancy", "inventory", "sampling", "inspections") or model is ResultCode:
                continue
            names = [
                f.name for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField) and not f.choices
            ]
            if names:
                for row in model._base_manager.values_list(*names):
                    found.update(str(v) for v in row if v)
        for witnesses, pool in Draw.objects.values_list("witnesses", "inspector_pool"):
            found.update(str(w.get("name", "")) if isinstance(w, dict) else str(w) for w in witnesses or [])
            found.update(str(e.get("name", "")) for e in pool or [] if isinstance(e, dict))
    return sorted((s for s in found if CJK.search(s)), key=len, reverse=True)


def chinese_left(content: str, user_data: list[str]) -> list[str]:
    text = html.unescape(LANGUAGE_MENU.sub("", content))
    text = text.replace('aria-label="Language / 语言"', "")
    for value in user_data:
        text = text.replace(value, "\u2016")
    return [text[max(0, m.start() - 40): m.end() + 40].replace("\n", " ") for m in re.finditer(CJK.pattern + "+", text)]


def _pages(by_state: dict[str, Inspection]) -> dict[str, list[str]]:
    """Role → the pages it reads."""
    with scopes_disabled():
        handlings = {s: Handling.objects.filter(inspection=by_state[s]).first() for s in ("followup_open", "followup_closed")}
        task = by_state["approved"].task_id
    detail = [reverse("inspections:detail", args=[i.pk]) for i in by_state.values()]
    documents = [
        reverse(name, args=[i.pk]) for i in by_state.values()
        for name in ("inspections:record_preview", "inspections:notice_preview")
    ]
    return {
        "inspector": [reverse("inspections:mine"), reverse("inspections:list"),
                      reverse("inspections:detail", args=[by_state["draft"].pk]),
                      reverse("inspections:detail", args=[by_state["returned"].pk])],
        "planner": [reverse("inspections:list"), reverse("inspections:list") + "?status=all", *detail,
                    reverse("inspections:handling_list"), reverse("inspections:task_records", args=[task])],
        "leader": [
            reverse("inspections:list") + f"?status=all&task={task}", *detail, *documents,
            reverse("inspections:review", args=[by_state["submitted"].pk]),
            reverse("inspections:correct", args=[by_state["approved"].pk]),
            reverse("inspections:handling_list"), reverse("inspections:handling_list") + "?status=closed",
            reverse("inspections:handling_add", args=[by_state["followup_open"].pk]),
            *(reverse("inspections:handling_detail", args=[h.pk]) for h in handlings.values()),
        ],
    }


def test_english_inspection_pages_show_no_chinese_outside_user_data(seeded):
    user_data = _user_data()
    leftovers: dict[tuple[str, str], list[str]] = {}
    refused: dict[tuple[str, str], int] = {}
    read: dict[tuple[str, str], str] = {}
    for role, pages in _pages(seeded).items():
        client = _client(role)
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:
                refused[(role, url)] = response.status_code
                continue
            body = response.content.decode()
            read[(role, url)] = body
            left = chinese_left(body, user_data)
            if left:
                leftovers[(role, url)] = left
    assert not refused, refused
    assert not leftovers, leftovers
    # What they say, in English: the shipped result codes, the lists joined with commas, the
    # documents' dates spelled out, the follow-up's deadline under its own label.
    by_state = seeded
    approved = read[("leader", reverse("inspections:detail", args=[by_state["approved"].pk]))]
    assert '<span class="badge ok">No problems found</span>' in approved
    problem = read[("leader", reverse("inspections:detail", args=[by_state["followup_open"].pk]))]
    assert "Problems found, pending follow-up" in problem and "<th>Follow-up deadline</th>" in problem
    form = read[("inspector", reverse("inspections:detail", args=[by_state["draft"].pk]))]
    assert '<label for="code-07">Cannot be reached at the registered domicile (place of business)</label>' in form
    assert re.search(r'data-testid="inspection-team">[^<,]+, [^<]+</dd>', form)
    with scopes_disabled():
        ended = Inspection.objects.get(pk=by_state["approved"].pk).ended_on
    day = dateformat.format(ended, "F j, Y")
    notice = read[("leader", reverse("inspections:notice_preview", args=[by_state["approved"].pk]))]
    assert f"From {day} to {day}, " in notice and "No problems found" in notice and '<html lang="en">' in notice
    record = read[("leader", reverse("inspections:record_preview", args=[by_state["followup_closed"].pk]))]
    assert f'<div class="sig-date">{day}</div>' in record and "Date: ____" not in record
    blank = read[("leader", reverse("inspections:record_preview", args=[by_state["todo"].pk]))]
    assert '<div class="sig-date">Date: ____________</div>' in blank
    assert "(enforcement certificate no. " in record and "Problems found, pending follow-up" in record
    handlings = read[("leader", reverse("inspections:handling_list"))]
    assert "<th>Follow-up deadline</th>" in handlings


def test_a_notice_with_a_start_and_no_end_reads_as_one_day(seeded):
    """A draft has its start date and no end yet: the notice's preview names the day, never a
    range with a gap ("From X to ,"), in either language."""
    draft = seeded["draft"]
    with scopes_disabled():
        started = Inspection.objects.get(pk=draft.pk).started_on
    assert started is not None
    url = reverse("inspections:notice_preview", args=[draft.pk])
    english = _client("leader").get(url).content.decode()
    assert f"On {dateformat.format(started, 'F j, Y')}, " in english and " to ," not in english
    chinese = _client("leader", "zh-hans").get(url).content.decode()
    assert f"于{started.year}年{started.month}月{started.day}日依法对你单位" in chinese and "至依法" not in chinese


def test_chinese_documents_read_as_before(seeded):
    """The Chinese pages keep their punctuation and dates: 年月日, "、" joins, full-width brackets."""
    state = seeded["followup_closed"]
    client = _client("leader", "zh-hans")
    with scopes_disabled():
        inspection = Inspection.objects.get(pk=state.pk)
    day = f"{inspection.ended_on.year}年{inspection.ended_on.month}月{inspection.ended_on.day}日"
    record = client.get(reverse("inspections:record_preview", args=[state.pk])).content.decode()
    assert '<html lang="zh-Hans">' in record and "记录编号：" in record and f'<div class="sig-date">{day}</div>' in record
    assert "（执法证号 <span" in record and "</span>）、" in record and "发现问题待后续处理" in record
    notice = client.get(reverse("inspections:notice_preview", args=[state.pk])).content.decode()
    assert f"于{day}至{day}依法对你单位开展了" in notice and "（已办结）。" in notice
    page = client.get(reverse("inspections:detail", args=[state.pk])).content.decode()
    assert re.search(r'data-testid="inspection-team">[^<、]+、[^<]+</dd>', page)
    assert "<th>处置期限</th>" in page and "检查记录表：<a" in page


def test_the_api_keeps_the_stored_chinese_names(seeded):
    """The provincial platform syncs the national wording in Chinese, whatever the caller's language."""
    state = seeded["followup_open"]
    client = _client("leader")
    body = client.get(f"/api/v1/inspections/{state.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [c["name"] for c in body["results"]] == ["发现问题待后续处理"]
    listed = client.get("/api/v1/inspections/", {"status": "approved"}, HTTP_ACCEPT_LANGUAGE="en").json()
    names = {c["name"] for row in listed["results"] for c in row["results"]}
    assert names and names <= {row[1] for row in NATIONAL}


# --------------------------------------------------------------------------------------------
# What code composes: the PDF's page footer, the due filter, joined errors, the pixel limit


def _pdf_text(content: bytes) -> str:
    import shutil  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    return subprocess.run(["pdftotext", "-raw", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()


def test_the_pdf_page_footer_reads_in_the_readers_language(seeded):
    """print.css says 第 X 页 / 共 Y 页; an English PDF says Page X of Y (the template's rule)."""
    state = seeded["followup_closed"]
    url = reverse("inspections:record_pdf", args=[state.pk])
    english = _pdf_text(_client("leader").get(url).content)
    assert re.search(r"Page 1 of \d+", english) and "第 1 页" not in english
    chinese = _pdf_text(_client("leader", "zh-hans").get(url).content)
    assert re.search(r"第 1 页 / 共 \d+ 页", chinese) and "Page 1" not in chinese
    # The preview keeps its strict CSP: no inline style there (the rule is the PDF's input only).
    preview = _client("leader").get(reverse("inspections:record_preview", args=[state.pk])).content.decode()
    assert "<style>" not in preview and "counter(pages)" not in preview


def test_the_due_filter_label_reads_in_both_languages(seeded):
    english = _client("inspector").get(reverse("inspections:mine") + "?due=soon").content.decode()
    assert "Due within 7 days" in english and "日内到期" not in english
    chinese = _client("inspector", "zh-hans").get(reverse("inspections:mine") + "?due=soon").content.decode()
    assert "7 日内到期" in chinese


def test_joined_errors_and_the_pixel_limit_read_in_the_language(db):
    from django.core.exceptions import ValidationError  # noqa: PLC0415

    from inspections.services.images import JPEG_MAX_PIXELS, PNG_MAX_PIXELS, _too_large  # noqa: PLC0415
    from inspections.views.common import error_text  # noqa: PLC0415

    with translation.override("en"):
        assert error_text(ValidationError(["A.", "B."])) == "A.; B."
        assert "(over 20 megapixels)" in _too_large("scan.png", PNG_MAX_PIXELS).messages[0]
        assert "(over 80 megapixels)" in _too_large("photo.jpg", JPEG_MAX_PIXELS).messages[0]
    with translation.override("zh-hans"):
        assert error_text(ValidationError(["甲。", "乙。"])) == "甲。；乙。"
        assert "（超过 2000 万像素）" in _too_large("签到表.png", PNG_MAX_PIXELS).messages[0]
