"""English pages: no Chinese left outside user data, lists and plurals composed per language,
the spreadsheets' and stored records' Chinese vocabulary shown translated, import errors stored
in Chinese read in English."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from inventory import codes
from inventory.importer.columns import ENTITY_COLUMNS
from inventory.models import CheckItem, ImportJob, Inspector, MarketEntity
from inventory.services.imports import entity_bulk_upsert, import_preview
from tenancy.i18n import fixed_labels, join_clauses, join_list, translate_stored
from tenancy.scoping import actor_scope
from tests.factories import make_conflict, make_entity, make_inspector, make_item, make_joint_item

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
LANGUAGE_MENU = re.compile(r'<select name="language".*?</select>', re.S)


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _user_data() -> list[str]:
    """Every text a user or an import typed (names, addresses, tags, file names, an import's cells
    and headers): what an English page may show in Chinese. Choice fields hold codes, not labels."""
    found: set[str] = set()
    with scopes_disabled():
        for model in apps.get_models():
            if model._meta.app_label not in ("tenancy", "inventory", "sampling"):
                continue
            names = [
                f.name for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField) and not f.choices
            ]
            if names:
                for row in model._base_manager.values_list(*names):
                    found.update(str(v) for v in row if v)
        for errors in ImportJob.objects.values_list("errors", flat=True):
            for error in errors:
                found.update(str(error.get(k) or "") for k in ("column", "value"))
    return sorted((s for s in found if len(s) > 1), key=len, reverse=True)


def chinese_left(content: str, user_data: list[str]) -> list[str]:
    """The Chinese text of a page once user data and the language menu (each language in its own
    name) are taken out; each run with a little context."""
    text = html.unescape(LANGUAGE_MENU.sub("", content))
    text = text.replace('aria-label="Language / 语言"', "")
    for value in user_data:
        text = text.replace(value, "\u2016")
    return [text[max(0, m.start() - 30): m.end() + 30].replace("\n", " ") for m in re.finditer(CJK.pattern + "+", text)]


# ---------------------------------------------------------------------------------------- helpers


def test_join_list_and_clauses_follow_the_language():
    with translation.override("zh-hans"):
        assert join_list(["计划编制", "查看"]) == "计划编制、查看"
        assert join_clauses(["甲", "乙"]) == "甲；乙"
    with translation.override("en"):
        assert join_list(["Planner", "Viewer"]) == "Planner, Viewer"
        assert join_clauses(["one", "two"]) == "one; two"


def test_stored_chinese_is_translated_when_shown():
    with translation.override("zh-hans"):
        stored_length = codes.classify_code("9114052").error  # as the importer stores it
        stored_summary = "表头在第 3 行；未识别的列（将忽略）：备注、联系人"
    assert stored_length == "长度错误：统一社会信用代码应为 18 位，旧版注册号应为 15 位，实为 7 位"
    with translation.override("en"):
        # A msgid, a formatted msgid (parameters recovered), clauses, and user data untouched.
        assert translate_stored("必填项为空") == "Required field is empty"
        english = translate_stored(stored_length)
        assert "7" in english and not CJK.search(english)
        summary = translate_stored(stored_summary)
        assert summary.startswith("Header in row 3; ") and "备注、联系人" in summary  # the file's own headers
        assert translate_stored("阳城县某旅行社") == "阳城县某旅行社"
        # A parameter is shown as stored, even when it happens to be a msgid: it is the file's header.
        assert translate_stored("表头在第 1 行；未识别的列（将忽略）：备注") == "Header in row 1; Unrecognized columns (ignored): 备注"
        assert translate_stored("") == "" and translate_stored(None) == ""
    with translation.override("zh-hans"):
        assert translate_stored(stored_length) == stored_length


def test_spreadsheet_vocabulary_stays_chinese_whatever_the_language(world):
    with translation.override("en"):
        assert str(MarketEntity.Risk.A.label) == "A (low risk)"  # pages translate …
        assert fixed_labels(MarketEntity.Risk)["A"] == "A 低风险"  # … the spreadsheets do not
        assert fixed_labels(MarketEntity.EntityType)["individual"] == "个体工商户"
        column = {c.field: c for c in ENTITY_COLUMNS}["risk_class"]
        assert column.export("D") == "D 高风险" and "D 高风险" in column.choices
    code = codes.make_uscc("91", "140522", "MA0K00001")
    actor = world.actor("A1", "planner")
    with translation.override("en"), actor_scope(actor):
        # The API's bulk upsert and the spreadsheets share the column parsers: Chinese labels.
        result = entity_bulk_upsert(
            actor=actor,
            records=[{"code": code, "name": "甲公司", "entity_type": "个体工商户", "risk_class": "C 较高风险", "status": "注销"}],
        )
        assert not result.errors, result.errors
        entity = MarketEntity.objects.get(code=code)
    assert (entity.entity_type, entity.risk_class, entity.status) == ("individual", "C", "deregistered")


def test_export_requested_in_english_writes_the_chinese_vocabulary(world, login):
    make_entity(world, "A1", risk_class="D", entity_type="individual", status="revoked")
    client = _english(login(world.user("A1", "viewer")))
    response = client.get(reverse("inventory:entity_export"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content if response.streaming else [response.content]))).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    values = dict(zip(header, rows[1], strict=False))
    assert values["信用风险分类"] == "D 高风险" and values["主体类型"] == "个体工商户" and values["登记状态"] == "吊销"


# ---------------------------------------------------------------------------------------- menu


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_language_menu_names_each_language_in_itself(world, login, language):
    client = login(world.user("A1", "viewer"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    menu = LANGUAGE_MENU.search(client.get(reverse("dashboard")).content.decode()).group(0)
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', menu)
    assert options == [("zh-hans", "简体中文"), ("en", "English")]
    assert "英语" not in menu and "Simplified Chinese" not in menu


def test_dashboard_roles_joined_per_language(world, login):
    from tenancy.models import Membership

    user = world.user("A1", "planner")
    with scopes_disabled():
        Membership.objects.filter(user=user).update(is_viewer=True)
    client = login(user)
    zh = client.get(reverse("dashboard")).content.decode()
    assert re.search(r'data-testid="roles">角色：计划编制、查看<', zh), re.search(r'data-testid="roles">[^<]*', zh)
    en = _english(client).get(reverse("dashboard")).content.decode()
    assert re.search(r'data-testid="roles">Roles: Planner, Viewer<', en), re.search(r'data-testid="roles">[^<]*', en)


# ---------------------------------------------------------------------------------------- pages


def _world_with_data(world) -> dict[str, object]:
    entity = make_entity(
        world, "A1", risk_class="C", entity_type="cooperative", status="deregistered", on_abnormal_list=True,
        established_on=dt.date(2015, 3, 1), industry_code="F5211", industry_name="百货零售",
    )
    legacy = make_entity(world, "A1", code=codes.make_regno("140522" + "00000001"), risk_class="A")
    make_entity(world, "AO")
    item = make_item(world, "A1", points=2)
    with scopes_disabled():
        item.points.update(answer_kind="photo")
        CheckItem.objects.filter(pk=item.pk).update(category="key", method="online")
    joint = make_joint_item(world, "AO")
    with scopes_disabled():
        joint.partners.add(world.orgs["A1"], world.orgs["A2"])
    inspector = make_inspector(world, "A1", status=Inspector.Status.SECONDED, cert_expires_on=dt.date(2020, 1, 1))
    conflict = make_conflict(world, "A1")
    with translation.override("zh-hans"), actor_scope(world.actor("A1", "planner")):
        job = import_preview(
            actor=world.actor("A1", "planner"), kind=ImportJob.Kind.ENTITIES, filename="registry.csv",
            data=(
                # Header spellings no page uses as a label: stripping them as user data hides nothing.
                "统一代码,企业名称,开业日期,投诉次数\n"
                "9114052,Too Short Ltd,2019-01-01,0\n"
                f"{codes.make_uscc('91', '140522', 'MA0K00009')},,2019-01-01,x\n"
                f"{codes.make_uscc('91', '140522', 'MA0K00010')},Future Ltd,2999-01-01,1\n"
            ).encode(),
        )
    return {"entity": entity, "legacy": legacy, "item": item, "inspector": inspector, "conflict": conflict, "job": job}


PAGES = {
    # role: pages it uses
    ("A1", "planner"): [
        "dashboard", "inventory:entity_list", "inventory:entity_detail", "inventory:entity_detail:legacy",
        "inventory:entity_create", "inventory:entity_edit", "inventory:item_list", "inventory:item_detail",
        "inventory:item_edit", "inventory:item_create", "inventory:joint_list", "inventory:inspector_list",
        "inventory:inspector_detail", "inventory:inspector_edit", "inventory:inspector_create",
        "inventory:import_list", "inventory:import_detail", "inventory:import_upload",
    ],
    ("A1", "viewer"): [
        "dashboard", "inventory:entity_list", "inventory:entity_detail", "inventory:item_list",
        "inventory:item_detail", "inventory:inspector_list", "inventory:inspector_detail", "inventory:joint_list",
    ],
    ("AO", "admin"): [
        "dashboard", "inventory:entity_list", "inventory:item_list", "inventory:inspector_list",
        "inventory:joint_list",
    ],
}


@pytest.mark.parametrize(("org", "role"), list(PAGES))
def test_english_pages_show_no_chinese_outside_user_data(world, client, org, role):
    data = _world_with_data(world)
    user_data = _user_data()
    client.force_login(world.user(org, role), backend="django.contrib.auth.backends.ModelBackend")
    _english(client)
    leftovers = {}
    for name in PAGES[(org, role)]:
        legacy = name.endswith(":legacy")
        base = name.removesuffix(":legacy")
        if base in ("inventory:entity_detail", "inventory:entity_edit"):
            url = reverse(base, kwargs={"pk": (data["legacy"] if legacy else data["entity"]).pk})
        elif base in ("inventory:item_detail", "inventory:item_edit"):
            url = reverse(base, kwargs={"pk": data["item"].pk})
        elif base in ("inventory:inspector_detail", "inventory:inspector_edit"):
            url = reverse(base, kwargs={"pk": data["inspector"].pk})
        elif base == "inventory:import_detail":
            url = reverse(base, kwargs={"pk": data["job"].pk})
        else:
            url = reverse(base)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        left = chinese_left(response.content.decode(), user_data)
        if left:
            leftovers[url] = left
    assert not leftovers, leftovers


def test_import_errors_stored_in_chinese_read_in_english(world, login):
    data = _world_with_data(world)
    job = data["job"]
    reasons = [e["reason"] for e in job.errors]
    assert all(CJK.search(r) for r in reasons)  # stored as the importer wrote them, in Chinese
    client = login(world.user("A1", "planner"))
    zh = client.get(reverse("inventory:import_detail", kwargs={"pk": job.pk})).content.decode()
    assert "长度错误：统一社会信用代码应为 18 位，旧版注册号应为 15 位，实为 7 位" in zh
    en = _english(client).get(reverse("inventory:import_detail", kwargs={"pk": job.pk})).content.decode()
    assert "长度错误" not in en and "必填项为空" not in en
    assert "Required field is empty" in en
    assert f"cannot be later than today ({timezone.localdate().isoformat()})" in en
    assert "Header in row 1" in en


def test_plurals_in_english(world, login):
    make_inspector(world, "A1")
    make_item(world, "A1")
    make_item(world, "A1")
    client = _english(login(world.user("A1", "viewer")))
    inspectors = client.get(reverse("inventory:inspector_list")).content.decode()
    assert re.search(r'data-testid="inspector-count">1 inspector<', inspectors)
    items = client.get(reverse("inventory:item_list")).content.decode()
    assert re.search(r'data-testid="item-count">2 items<', items)
    make_entity(world, "A1")
    entities = client.get(reverse("inventory:entity_list")).content.decode()
    assert re.search(r'data-testid="entity-count">1 target<', entities)


# ---------------------------------------------------------------------------------------- sampling


def test_stored_record_words_stay_chinese_and_pages_translate_them(world, login):
    from sampling.models import RecusalRequest, Substitution
    from sampling.pool import REASON_CAP, RISK_LABELS
    from sampling.services import recusals as recusal_services
    from tests.factories import make_ready_task, make_recusal

    request = make_recusal(world, "A1")
    leader = world.actor("A1", "leader")
    with translation.override("en"):
        assert str(RecusalRequest.Kind.RECUSAL.label) == "Statutory recusal"
        assert translate_stored(RISK_LABELS["D"]) == "D (high risk)"
        assert translate_stored(REASON_CAP % {"n": 3}) == "Times drawn this year: 3"
        with actor_scope(leader):
            recusal_services.recusal_decide(actor=leader, request=request, approve=True, note="ok")
            substitution = Substitution.objects.get(request=request)
    # Written into the draw's record while the page was English: the record's word stays Chinese.
    assert substitution.reason.startswith("依法回避：")
    client = _english(login(world.user("A1", "leader")))
    listing = client.get(reverse("sampling:recusal_list") + "?status=approved").content.decode()
    assert "Statutory recusal" in listing and "依法回避" not in listing
    task = make_ready_task(world, "A1", entities=8)
    page = _english(login(world.user("A1", "planner"))).get(reverse("sampling:task_detail", kwargs={"pk": task.pk}))
    body = page.content.decode()
    assert "A (low risk)" in body and "D (high risk)" in body and "低风险" not in body


def test_form_errors_read_in_english(world, login):
    existing = make_entity(world, "A1", name="已登记公司")
    client = _english(login(world.user("A1", "planner")))
    form = {"name": "New Co", "entity_type": "enterprise", "status": "active", "risk_class": "B", "complaint_count": 0}
    good = codes.make_uscc("91", "140522", "MA0K40001")
    bad = client.post(reverse("inventory:entity_create"), {**form, "code": good[:-1] + ("0" if good[-1] != "0" else "1")})
    assert "Wrong check character of the unified social credit code" in bad.content.decode()
    duplicate = client.post(reverse("inventory:entity_create"), {**form, "code": existing.code}).content.decode()
    assert f"Code {existing.code} is already registered as “已登记公司”" in html.unescape(duplicate)
    future = client.post(reverse("inventory:entity_create"), {**form, "code": good, "established_on": "2030-01-01"}).content.decode()
    assert "The establishment date cannot be later than today" in future


# ---------------------------------------------------------------------------------------- the story


def test_compositions_stored_in_chinese_read_back_in_english(world):
    """A due item's description and a notification are stored in Chinese; English pages read
    them back with their words translated (a kind, a batch, a period, a rule's source) and their
    names as stored — a name is never taken for a composition."""
    from deadlines import builtin
    from sampling.models import SamplingPlan
    from sampling.services.plans import batch_period
    from tenancy.i18n import stored_format, translate_composed

    plan = SamplingPlan(name="阳城县2026年度抽查计划", year=2026, frequency="semiannual", version=2)
    with translation.override("en"):
        # Stored in Chinese whatever the language of the request.
        assert str(plan) == "阳城县2026年度抽查计划（第2版）"
        batch = batch_period(plan, 2)[0]
        assert batch == "2026年下半年"
        described = stored_format(translation.pgettext_lazy("stored format", "%(plan)s：%(batch)s抽取"), {"plan": plan, "batch": batch})
        assert described == "阳城县2026年度抽查计划（第2版）：2026年下半年抽取"
        assert translate_composed(described) == "阳城县2026年度抽查计划 (version 2): draw for second half of 2026"
        assert translate_composed("甲任务（140522-WLJ-2026-1）") == "甲任务 (140522-WLJ-2026-1)"
        assert translate_composed(builtin.FILING_SOURCE).startswith("Yangcheng County Development and Reform Bureau")
        # Names stay as stored: brackets in a name, a name that reads like a word of ours.
        assert translate_composed("县发改局2027年度抽查计划（送审稿）") == "县发改局2027年度抽查计划（送审稿）"
        assert translate_composed("抽取") == "Draw"  # a whole msgid is a word of ours …
        assert translate_composed("抽取（140522-1）") == "抽取 (140522-1)"  # … a task's name is a name
        notification = "测试单位A1的“抽取结果报送备案”（甲任务（T-1））已于 2026-12-08 到期，仍未办理（2 个工作日；依据：" + builtin.FILING_SOURCE + "）。"
        english = translate_composed(notification + "\n注意：2027 年节假日安排尚未录入，按周一至周五推算，可能有误。")
        assert english.startswith("“File the draw result” of 测试单位A1 (甲任务 (T-1)) was due on 2026-12-08 and is still open (2 working days; basis: Yangcheng")
        assert english.endswith("\nNote: The holiday arrangements of 2027 have not been entered; working days are counted Monday to Friday and may be wrong.")
    with translation.override("zh-hans"):
        assert translate_composed(described) == described


def _story_user_data() -> list[str]:
    """What a user typed in the story's world: the apps' text fields, what deadlines keeps that a
    user typed (a waiver's reason, an office's own rule source, a holiday year's source and
    names), a draw record's witnesses and inspectors as recorded, and the spreadsheets'
    vocabulary an import error names (a file must use it whatever the page's language)."""
    from deadlines.models import DueItem, HolidayDate, HolidayYear, RuleSetting
    from sampling.models import Draw

    found = set(_user_data())
    with scopes_disabled():
        found.update(DueItem.objects.values_list("state_reason", flat=True))
        found.update(RuleSetting.objects.values_list("source", flat=True))
        for source, note in HolidayYear.objects.values_list("source", "note"):
            found.update((source, note))
        found.update(HolidayDate.objects.values_list("name", flat=True))
        for witnesses, pool in Draw.objects.values_list("witnesses", "inspector_pool"):
            found.update(str(w.get("name", "")) if isinstance(w, dict) else str(w) for w in witnesses or [])
            found.update(str(e.get("name", "")) for e in pool or [] if isinstance(e, dict))
        for errors in ImportJob.objects.values_list("errors", flat=True):
            for error in errors:
                found.update(re.findall(r"无法识别的取值，应为：([^；]+)", str(error.get("reason") or "")))
    return sorted((s for s in found if s and len(s) > 1), key=len, reverse=True)


def _story_pages(story, org: str, role: str) -> list[str]:
    """The pages a user of the story reads (each answers 200): the dashboard, the deadlines pages
    with one item of each rule and state, plans, tasks, draws, filings, recusals and imports."""
    from deadlines.models import DueItem
    from sampling.models import RecusalRequest
    from tests.crawler.story import DEPARTMENT

    with scopes_disabled():
        items = {}
        for item in DueItem.objects.filter(organization=story.orgs[org]).order_by("rule", "state", "pk"):
            items.setdefault((item.rule, item.state), item.pk)
        recusals = list(RecusalRequest.objects.filter(draw=story.draw).order_by("pk").values_list("pk", flat=True))
    due_list = reverse("deadlines:due_list")
    pages = [
        reverse("dashboard"), due_list, due_list + "?tab=overdue", due_list + "?tab=done", due_list + "?mine=1",
        reverse("deadlines:notification_list"), reverse("deadlines:notification_bell"), reverse("deadlines:rule_list"),
        reverse("deadlines:holiday_list"), *(reverse("deadlines:due_detail", kwargs={"pk": pk}) for pk in items.values()),
        reverse("sampling:plan_list"), reverse("sampling:task_list"), reverse("sampling:filing_list"),
        reverse("sampling:recusal_list"), reverse("sampling:recusal_list") + "?status=approved",
        reverse("sampling:filing_detail", kwargs={"pk": story.resubmitted_filing.pk}),
    ]
    if org == DEPARTMENT:
        pages += [
            reverse("sampling:plan_detail", kwargs={"pk": story.plan.pk}),  # returned once: its review history
            reverse("sampling:plan_detail", kwargs={"pk": story.adjusted_plan.pk}),
            reverse("sampling:task_detail", kwargs={"pk": story.draw.task_id}),
            reverse("sampling:draw_detail", kwargs={"pk": story.draw.pk}),
            reverse("sampling:filing_detail", kwargs={"pk": story.returned_filing.pk}),
            *(reverse("sampling:recusal_decide", kwargs={"pk": pk}) for pk in recusals),
            reverse("inventory:import_list"),
            reverse("inventory:import_detail", kwargs={"pk": story.import_job.pk}),
            reverse("inventory:import_detail", kwargs={"pk": story.refused_job.pk}),
        ]
        if role == "planner":
            pages.append(reverse("sampling:recusal_request", kwargs={"pk": story.draw.pk}))
    else:
        pages.append(reverse("sampling:draw_detail", kwargs={"pk": story.joint_draw.pk}))
    return pages


def test_english_pages_of_the_story_show_no_chinese_outside_user_data(settings, tmp_path):
    """The demo county after a season (tests/crawler/story.py), read in English by a department's
    planner and leader and by the office's leader: the dashboard and the panels it loads (from
    its own hx-get URLs, so a panel a later app registers is read too), the deadlines pages,
    notifications, a plan with its review history, tasks, draws, filings, recusals and imports."""
    from tests.crawler.story import DEPARTMENT, OFFICE, SETTINGS, build_story

    settings.MEDIA_ROOT = str(tmp_path)
    for key, value in SETTINGS.items():
        setattr(settings, key, value)
    with translation.override(settings.LANGUAGE_CODE):  # as a Chinese user's requests write it
        story = build_story()
    # A notice keeps the firm's name as it was sent (the demo's, before the story's old data).
    user_data = sorted({*_story_user_data(), *story.former_names}, key=len, reverse=True)
    leftovers, refused, read = {}, {}, {}
    for org, role in ((DEPARTMENT, "planner"), (DEPARTMENT, "leader"), (OFFICE, "leader")):
        client = _english(Client())
        client.force_login(story.user(org, role), backend="django.contrib.auth.backends.ModelBackend")
        pages = _story_pages(story, org, role)
        panels = re.findall(r'hx-get="(/[^"]*/panels/[^"]*)"', client.get(reverse("dashboard")).content.decode())
        assert panels, "the dashboard loads its panels"
        for url in pages + panels:
            response = client.get(url)
            if response.status_code != 200:
                refused[(org, role, url)] = response.status_code
                continue
            body = response.content.decode()
            read[(org, role, url)] = body
            left = chinese_left(body, user_data)
            if left:
                leftovers[(org, role, url)] = left
    assert not refused, refused
    assert not leftovers, leftovers
    # What the panels and the deadlines pages say, in English.
    joint = read[(OFFICE, "leader", reverse("deadlines:panel_joint"))]
    assert all(f"<th>{m}</th>" in joint for m in ("Drawn", "Recusals decided", "Filed", "Acknowledged"))
    assert "Due this week (until " in read[(DEPARTMENT, "planner", reverse("deadlines:panel_mine"))]
    region = read[(OFFICE, "leader", reverse("deadlines:panel_region"))]
    assert "<th>Matter and basis</th>" in region and "Basis: Yangcheng County" in region
    notes = read[(OFFICE, "leader", reverse("deadlines:notification_list"))]
    assert "Overdue: File the draw result — " in notes and "basis: Yangcheng County" in notes
    rules = read[(DEPARTMENT, "leader", reverse("deadlines:rule_list"))]
    assert "after the draw: 2 working days" in rules and "Quyang County rules for joint spot checks, article 16" in rules
