"""The walk of issue 12 (/work/walk/report.md), second round: the 告知书's 签收 box is left for the
firm's hand signature on delivery (P9); the documents' previews have a toolbar that never reaches
paper or PDF, and the firm's code stays whole on a phone (P11); the task page leads to its zip,
which the embedded default builds in the request only for a small task (P12); the office's
joint-task milestones carry 比对确认, the problems found and their follow-up (P14); 综合查一次
names the departments that visit and each task's code (P15); the office's yearly count tells
visits done from visits scheduled (P16)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from PIL import Image

from inspections.documents.archive import JOB_KIND
from inspections.documents.records import record_of
from inspections.documents.render import document_html, document_pdf
from inspections.models import Inspection
from tenancy.context import Role
from tenancy.models import Job
from tenancy.scoping import actor_scope
from tests.browser.support import PHONE, log_in, open_page, shot
from tests.factories import ship_result_codes
from tests.inspections.conftest import drawn
from tests.inspections.support import as_user, first
from tests.inspections.test_documents import _approved, pdf_text
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db

POPPLER = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfimages") is None, reason="poppler-utils not installed"
)


@pytest.fixture(autouse=True)
def _result_codes(db):
    ship_result_codes()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def images_in(pdf: bytes) -> int:
    listing = subprocess.run(["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return len([line for line in listing.splitlines()[2:] if line.strip()])


def _record(world, inspection: Inspection, org_key: str = "A1") -> dict:
    with actor_scope(world.actor(org_key, Role.VIEWER)):
        return record_of(inspection)


# --------------------------------------------------------------------------------------------
# P9: the notice's 签收 box


@POPPLER
def test_the_notice_leaves_the_receipt_blank_while_the_record_keeps_the_visits_signature(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = _approved(world, d, first(d))
    record = _record(world, inspection)
    assert record["signature"].startswith("data:image/png;base64,")  # signed at the visit
    # The record: the signature drawn at the visit, in its 被检查对象（签字） box.
    record_pdf = document_pdf("record", record)
    assert images_in(record_pdf) == 1
    # The notice: no image at all, its 签收 box empty above a blank date for the hand signature.
    notice_pdf = document_pdf("notice", record)
    assert images_in(notice_pdf) == 0
    compact = "".join(pdf_text(notice_pdf).split())
    assert "被检查对象签收送达人" in compact, compact[-200:]
    html = document_html("notice", record)
    receipt = re.search(r'data-testid="notice-receipt">(.*?)</td>', html, re.S).group(1)
    assert "<img" not in receipt and text_of(receipt).split() == ["被检查对象签收", "年", "月", "日"]
    assert "data:image" not in html


@POPPLER
def test_a_refusal_at_the_visit_is_not_printed_as_a_refusal_to_sign_for_the_notice(world):
    from tests.inspections.support import refuse_signature

    d = drawn(world, "A1", entities=12, inspectors=4)
    record = _record(world, refuse_signature(world, d, first(d), "负责人拒绝签字"))
    assert record["signature_refused"]
    assert "拒绝签字" in "".join(pdf_text(document_pdf("record", record), layout=False).split())
    assert "拒绝签字" not in "".join(pdf_text(document_pdf("notice", record), layout=False).split())


# --------------------------------------------------------------------------------------------
# P11: the previews' toolbar


TOOLBAR = re.compile(r'<nav class="sheet-toolbar".*?</nav>', re.S)


@pytest.mark.parametrize("kind", ["record", "notice"])
def test_the_preview_has_a_toolbar_back_to_the_inspection_and_to_its_pdf(world, kind):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = _approved(world, d, first(d))
    page = as_user(world.user("A1", Role.LEADER)).get(reverse(f"inspections:{kind}_preview", args=[inspection.pk]))
    html = page.content.decode()
    toolbar = TOOLBAR.search(html).group(0)
    links = {label: href for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', toolbar)}
    assert links == {
        "返回检查": reverse("inspections:detail", args=[inspection.pk]),
        "下载 PDF": reverse(f"inspections:{kind}_pdf", args=[inspection.pk]),
    }
    # 打印 is a button a script of the site's own wires (no inline handler under the CSP).
    assert re.search(r"<button[^>]*data-print[^>]*>打印</button>", toolbar)
    assert '<script src="/static/js/sheet-toolbar.js" defer></script>' in html
    assert " onclick=" not in html
    # The PDF's input has no toolbar, and the PDF no trace of it.
    record = _record(world, inspection)
    assert "sheet-toolbar" not in document_html(kind, record, for_pdf=True)
    if shutil.which("pdftotext"):
        compact = "".join(pdf_text(document_pdf(kind, record)).split())
        assert "返回检查" not in compact and "下载PDF" not in compact and "打印" not in compact.replace("打印时间", "")


def test_the_toolbar_is_hidden_on_paper_and_the_code_cell_stays_whole_on_a_phone():
    """The previews' own stylesheet (WeasyPrint never reads it): the toolbar hidden by @media
    print; at a phone's width the labels wrap and the code does not."""
    from pathlib import Path

    from django.conf import settings

    css = (Path(settings.BASE_DIR) / "static" / "css" / "inspection_preview.css").read_text(encoding="utf-8")
    assert re.search(r"@media print\s*{\s*\.sheet-toolbar\s*{\s*display:\s*none;", css)
    narrow = re.search(r"@media screen and \(max-width: 640px\)\s*{(.*?)\n}", css, re.S).group(1)
    assert ".print-sheet .kv th { white-space: normal; }" in narrow
    assert re.search(r"\.kv td\.code[^{]*{ white-space: nowrap; word-break: keep-all; }", narrow)


def _log_in_to(page, username: str, url: str) -> None:
    """Log in straight to ``url``: the dashboard's panels, loaded at once after it, would overlap
    the next requests, which SQLite's test database answers with "table is locked" (walk P21)."""
    log_in(page, username, PASSWORD, to=url)
    page.wait_for_load_state("networkidle")


@pytest.mark.browser
def test_the_previews_on_a_phone_toolbar_on_screen_not_on_paper_code_whole(browser, live_server, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = _approved(world, d, first(d))
    leader = world.user("A1", Role.LEADER)
    context, page = open_page(browser, live_server.url, PHONE, touch=True, ignore=("favicon",))
    _log_in_to(page, leader.username, reverse("inspections:record_preview", args=[inspection.pk]))
    for kind in ("record", "notice"):
        page.goto(page.base + reverse(f"inspections:{kind}_preview", args=[inspection.pk]))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        toolbar = page.locator('[data-testid="sheet-toolbar"]')
        assert toolbar.is_visible()
        assert page.locator('[data-testid="sheet-print"]').is_visible()  # the script showed it
        # Each control a thumb can hit (≥ 36 px high) and all three in the first screen.
        for testid in ("sheet-back", "sheet-pdf", "sheet-print"):
            box = page.locator(f'[data-testid="{testid}"]').bounding_box()
            assert box["height"] >= 36 and box["y"] + box["height"] < 844, (testid, box)
        shot(page, f"walk2-{kind}-preview-phone")
        page.emulate_media(media="print")
        assert not toolbar.is_visible()
        page.emulate_media(media="screen")
    # The 18-character code of the record's entity cell on one line (its box one line high).
    page.goto(page.base + reverse("inspections:record_preview", args=[inspection.pk]))
    cell = page.locator('[data-testid="record-entity"] td.code')
    assert cell.inner_text().strip() == inspection.entity.code
    line = page.evaluate("(e) => parseFloat(getComputedStyle(e).lineHeight)", cell.element_handle())
    height = page.evaluate(
        "(e) => { const r = document.createRange(); r.selectNodeContents(e); return r.getBoundingClientRect().height; }",
        cell.element_handle(),
    )
    assert height < 1.5 * line, (height, line)
    assert page.get_attribute('[data-testid="sheet-back"]', "href") == reverse("inspections:detail", args=[inspection.pk])
    assert page.console_errors == []
    context.close()


# --------------------------------------------------------------------------------------------
# P12: the task's zip from the task page; the embedded default builds only a small one


def test_the_task_pages_progress_card_leads_to_the_zip_and_the_inline_build_says_so(world, django_capture_on_commit_callbacks):
    d = drawn(world, "A1", entities=12, inspectors=4)
    task_id = d.draw.task_id
    with scopes_disabled():
        n = Inspection.objects.filter(draw=d.draw).count()
    client = as_user(world.user("A1", Role.PLANNER))
    card = client.get(reverse("sampling:task_detail", args=[task_id])).content.decode()
    records = reverse("inspections:task_records", args=[task_id])
    assert re.search(rf'<a class="btn small" href="{records}" data-testid="progress-records">检查记录表打包下载</a>', card)
    page = client.get(records).content.decode()
    # The embedded default (tests: Celery eager) builds in the request: the page says so.
    assert f"点击后在本次请求中直接生成 {n} 份（每份约 0.25 秒），生成期间请勿关闭或刷新页面。" in text_of(page)
    assert 'data-testid="records-start"' in page and 'data-testid="records-inline-refused"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(records)
    with scopes_disabled():
        job = Job.objects.get(kind=JOB_KIND)
    assert response.status_code == 302 and job.status == Job.Status.DONE and job.result["count"] == n > 1


def test_without_a_worker_a_zip_above_the_limit_is_refused_with_what_to_do(world, settings, django_capture_on_commit_callbacks):
    d = drawn(world, "A1", entities=12, inspectors=4)
    with scopes_disabled():
        n = Inspection.objects.filter(draw=d.draw).count()
    settings.INSPECTION_RECORDS_INLINE_MAX = n - 1
    records = reverse("inspections:task_records", args=[d.draw.task_id])
    client = as_user(world.user("A1", Role.PLANNER))
    page = text_of(client.get(records).content.decode())
    assert f"本系统未启用后台任务（未配置 Redis 和 Celery worker），打包在网页请求中进行，每份约需 0.25 秒，因此一次最多打包 {n - 1} 份。" in page
    assert f"本任务有 {n} 份检查记录表：请系统管理员配置 REDIS_URL 并启动后台任务（make worker，或 docker-compose 的 worker 服务）后再打包；也可在各检查页面逐份下载 PDF。" in page
    assert "生成 zip 文件" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(records)
    assert response.status_code == 400 and f"一次最多打包 {n - 1} 份" in response.content.decode()
    with scopes_disabled():
        assert not Job.objects.filter(kind=JOB_KIND).exists()
    # The limit is for the inline build only: with a worker the same task is queued.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    page = text_of(client.get(records).content.decode())
    assert "未启用后台任务" not in page and "生成 zip 文件" in page
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(records)
    with scopes_disabled():
        job = Job.objects.get(kind=JOB_KIND)
    assert response.status_code == 302 and response["Location"] == reverse("inspections:records_job", args=[job.pk])
    assert job.params == {"task_id": d.draw.task_id, "count": n} and len(queued) == 1


@pytest.mark.browser
def test_the_zips_progress_bar_is_in_the_sites_red(browser, live_server, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ship_result_codes()
    world = build_world()
    d = drawn(world, "A1", entities=12, inspectors=4)
    context, page = open_page(browser, live_server.url, PHONE, touch=True, timeout=30000)
    _log_in_to(page, world.user("A1", Role.PLANNER).username, reverse("sampling:task_detail", args=[d.draw.task_id]))
    page.click('[data-testid="progress-records"]')
    assert "每份约 0.25 秒" in page.inner_text('[data-testid="records-inline"]')
    page.click('[data-testid="records-start"]')
    page.wait_for_selector('[data-testid="job-download"]')
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "walk2-records-job-phone")
    bar = Image.open(io.BytesIO(page.locator('[data-testid="job-progress"]').screenshot()))
    r, g, b = bar.convert("RGB").getpixel((bar.width // 2, bar.height // 2))
    assert abs(r - 0xB7) < 16 and g < 48 and b < 48, (r, g, b)  # --c-primary #b71c1c, not Chromium's blue
    context.close()


# --------------------------------------------------------------------------------------------
# P14: the office's joint-task milestones


def _cells(office, today) -> dict[tuple[str, str], object]:
    from deadlines.dashboard import joint_tasks

    with actor_scope(office):
        [row], total = joint_tasks(actor=office, today=today)
    assert total == 1
    return {(r.department.code, m.key): cell for r in row.rows for m, cell in r.cells}


def test_the_offices_joint_task_milestones_count_confirmation_problems_follow_up_and_overdue(world):
    import datetime as dt

    from django.utils import timezone

    from deadlines.milestones import DONE, LATE, OPEN, WAITING
    from inspections.models import Dispatch
    from inspections.services import handling as handling_services
    from inspections.services import inspections as svc
    from tests.inspections.support import fill, fresh, submit

    d = drawn(world, "AO", entities=12, inspectors=3)
    with scopes_disabled():
        visits = list(Inspection.objects.filter(draw=d.draw).order_by("selection__rank"))
    n = len(visits)
    assert n >= 4
    a1, a2 = world.orgs["A1"], world.orgs["A2"]
    office = world.actor("AO", Role.LEADER)
    today = timezone.localdate()
    cells = _cells(office, today)
    for org in (a1, a2):
        assert cells[(org.code, "inspections.confirmed")].state == OPEN
        assert cells[(org.code, "inspections.confirmed")].note == f"0/{n} 户"
        assert cells[(org.code, "inspections.followed_up")].state == WAITING
        assert cells[(org.code, "inspections.overdue")].note == "检查环节无逾期"
    # A1 confirms every target at once, A2 three of them; two visits end with a problem, one of
    # which gets a 责令改正 closed, the other one still open past its deadline.
    planner1 = world.actor("A1", Role.PLANNER)
    with actor_scope(planner1):
        dispatch = Dispatch.objects.get(draw=d.draw, organization=a1)
        svc.dispatch_confirm(actor=planner1, dispatch=dispatch)
    planner2 = world.actor("A2", Role.PLANNER)
    for visit in visits[:3]:
        with actor_scope(planner2):
            svc.inspection_confirm(actor=planner2, inspection=visit)
    for visit in visits[:2]:  # both departments have confirmed these
        fill(d, visit, status="abnormal", results=["05"], result_reason="消防通道堆放杂物")
        submit(d, visit)
    deadline = today + dt.timedelta(days=10)
    with actor_scope(planner1):
        closed = handling_services.handling_add(actor=planner1, inspection=fresh(visits[0]), measure="penalty",
                                                description="罚款", case_no="阳市监罚〔2026〕1号")
        handling_services.handling_close(actor=planner1, handling=closed, outcome="已缴纳罚款")
        handling_services.handling_add(actor=planner1, inspection=fresh(visits[1]), measure="rectify",
                                       description="清理消防通道", due_on=deadline)
    confirmed2 = 3 if n > 3 else n
    cells = _cells(office, today)
    assert cells[(a1.code, "inspections.confirmed")].state == DONE
    assert cells[(a1.code, "inspections.confirmed")].note == f"{n}/{n} 户"
    assert cells[(a2.code, "inspections.confirmed")].state == OPEN
    assert cells[(a2.code, "inspections.confirmed")].note == f"{confirmed2}/{n} 户"
    follow1 = cells[(a1.code, "inspections.followed_up")]
    assert (follow1.state, follow1.note, follow1.on) == (OPEN, "发现问题 2 户，已办结 1 户", deadline)
    # A2 took part in the same visits: the same problems, the measures are A1's.
    assert cells[(a2.code, "inspections.followed_up")].note == "发现问题 2 户，已办结 1 户"
    # Past the deadline: A1's measure is late, in its 后续处置 and its 逾期事项 (A2's own
    # confirmation is late as well by then: 1 working day).
    later = deadline + dt.timedelta(days=1)
    cells = _cells(office, later)
    follow1 = cells[(a1.code, "inspections.followed_up")]
    assert (follow1.state, follow1.note) == (LATE, "发现问题 2 户，已办结 1 户，1 项处置逾期")
    over1 = cells[(a1.code, "inspections.overdue")]
    assert (over1.state, over1.note, over1.on) == (LATE, "检查环节 1 项已逾期", deadline)
    assert cells[(a2.code, "inspections.confirmed")].state == LATE
    assert cells[(a2.code, "inspections.overdue")].state == LATE
    # The panel the office reads.
    page = as_user(world.user("AO", Role.LEADER)).get(reverse("deadlines:panel_joint")).content.decode()
    heads = re.findall(r"<th>([^<]+)</th>", page)
    assert heads[-6:] == ["确认备案", "比对确认", "检查", "审核", "后续处置", "逾期事项"]
    shown = {}
    for row in page.split('data-testid="joint-row"')[1:]:
        dept = re.search(r'data-department="([^"]*)"', row).group(1)
        for key, html in re.findall(r'data-milestone="([\w.]+)"[^>]*>(.*?)</td>', row, re.S):
            shown[(dept, key)] = text_of(html).strip()
    assert shown[(a1.code, "inspections.confirmed")].startswith("已完成") and f"{n}/{n} 户" in shown[(a1.code, "inspections.confirmed")]
    assert "已完成" not in shown[(a2.code, "inspections.confirmed")] and f"{confirmed2}/{n} 户" in shown[(a2.code, "inspections.confirmed")]
    assert shown[(a1.code, "inspections.followed_up")] == f"待办 截止 {deadline.isoformat()} 办理：{a1.short_name or a1.name} 发现问题 2 户，已办结 1 户"
    assert shown[(a1.code, "inspections.overdue")] == "— 检查环节无逾期"


# --------------------------------------------------------------------------------------------
# P15: 综合查一次 names who visits; P16: visits made beside visits scheduled


def _joint_and_department_offer(world):
    """A joint task of the county office (A1 + A2) and a task of A1 drawing two of its firms,
    in overlapping windows: two offers."""
    import datetime as dt

    from django.utils import timezone

    from inventory.models import RegistryEntry
    from sampling.models import SamplingTask
    from tests import factories
    from tests.inspections.conftest import link_inspectors

    today = timezone.localdate()
    task = factories.make_ready_task(world, "AO", entities=12, inspectors=3)
    with scopes_disabled():
        SamplingTask.objects.filter(pk=task.pk).update(window_start=today, window_end=today + dt.timedelta(days=20))
    task.refresh_from_db()
    link_inspectors(task)
    draw = factories.draw_task(world, task)
    with scopes_disabled():
        visits = list(Inspection.objects.filter(draw=draw).select_related("entity", "task").order_by("selection__rank"))
        a1 = world.orgs["A1"]
        RegistryEntry.objects.bulk_create(
            [RegistryEntry(organization=a1, region=a1.region, entity=v.entity) for v in visits[:2]], ignore_conflicts=True,
        )
    other = factories.draw_selecting(factories.make_approved_plan(world, "A1"), [v.entity for v in visits[:2]],
                                     name="文旅市场专项")
    with scopes_disabled():
        other_task = SamplingTask.objects.get(pk=other.task_id)
    return visits, task, other_task


def test_an_offer_names_the_departments_that_visit_and_each_tasks_code(world):
    visits, joint, other = _joint_and_department_offer(world)
    office = as_user(world.user("AO", Role.LEADER))
    for url in (reverse("inspections:panel_visits"), reverse("sampling:task_detail", args=[joint.pk])):
        page = office.get(url).content.decode()
        offers = re.findall(r'<tr data-testid="joint-visit-offer">(.*?)</tr>', page, re.S)
        assert len(offers) == 2, url
        for row in offers:
            lines = [text_of(li).strip() for li in re.findall(r'<li data-testid="offer-visit">(.*?)</li>', row, re.S)]
            with scopes_disabled():
                window, other_window = (
                    " ~ ".join(f"{day:%Y-%m-%d}" for day in (v.window_start, v.window_end))
                    for v in (Inspection.objects.filter(task=t).first() for t in (joint, other))
                )
            # The joint task's visit is made by its departments, not by the office that owns it.
            assert sorted(lines) == sorted([
                f"A1、A2 （联合） — {joint.name} {joint.uid} {window}",
                f"A1 — 文旅市场专项 {other.uid} {other_window}",
            ]), lines
            assert "测试单位AO" not in row and ">AO<" not in row


def test_the_offices_yearly_count_tells_visits_made_from_visits_scheduled(world):
    from inspections.services import reviews
    from inventory.models import Inspector
    from tests.inspections.conftest import Drawn
    from tests.inspections.support import confirm_all, fill, fresh, submit

    visits, joint, other = _joint_and_department_offer(world)
    # The A1 task's two firms are visited (submitted), the second also approved; the joint visits wait.
    with scopes_disabled():
        mine = list(Inspection.objects.filter(task=other).order_by("selection__rank"))
        accounts = {i.pk: i.user for i in Inspector.objects.filter(organization=world.orgs["A1"], user__isnull=False)}
    d = Drawn(draw=mine[0].draw, users=accounts)
    for visit in mine:
        confirm_all(world, visit)
        fill(d, visit)
        submit(d, visit)
    leader = world.actor("A1", Role.LEADER)
    with actor_scope(leader):
        reviews.inspection_approve(actor=leader, inspection=fresh(mine[1]), comment="同意")
    with scopes_disabled():
        firms = Inspection.objects.filter(organization__region=world.regions["A"], is_current=True).values("entity").distinct().count()
    panel = as_user(world.user("AO", Role.LEADER)).get(reverse("inspections:panel_visits")).content.decode()
    done = text_of(re.search(r'data-testid="visit-counts-done">(.*?)</p>', panel, re.S).group(1)).strip()
    scheduled = text_of(re.search(r'data-testid="visit-counts">(.*?)</p>', panel, re.S).group(1)).strip()
    assert done == "已检查（检查结果已提交或已审核）2 户：1 次 2 户，2 次 0 户，3 次及以上 0 户。"
    assert scheduled.startswith(f"已安排检查 {firms} 户：1 次 {firms - 2} 户，2 次 2 户，3 次及以上 0 户。")
    rows = re.findall(
        r'<tr data-testid="frequent-firm">.*?<a [^>]*>([^<]+)</a>.*?data-testid="firm-done">(\d+)</td>.*?data-testid="firm-scheduled">(\d+)</td>',
        panel, re.S,
    )
    assert sorted(rows) == sorted([(visits[0].entity.name, "1", "2"), (visits[1].entity.name, "1", "2")])
