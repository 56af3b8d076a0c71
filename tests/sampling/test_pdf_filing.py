"""The 抽取结果备案表: the PDF is a real PDF whose text (pdftotext) carries the Chinese content, and
the HTML preview renders from the same template."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.urls import reverse

from sampling.models import Filing
from sampling.services import filings as services
from tenancy.context import Role
from tenancy.scoping import actor_scope
from tests.factories import make_completed_draw

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _filing(world) -> Filing:
    draw = make_completed_draw(world, "A1", name="2026年第二季度食品经营者抽查", targets=3, inspectors=3)
    with actor_scope(world.actor("A1", Role.PLANNER)) as actor:
        return services.filing_submit(actor=actor, draw=draw, note="请予备案")


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_pdf_download_has_the_chinese_sheet(world, login, client):
    filing = _filing(world)
    login(world.user("AO", Role.VIEWER))
    response = client.get(reverse("sampling:filing_pdf", args=[filing.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"] and "UTF-8''" in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    assert "抽取结果备案表" in text
    assert "2026年第二季度食品经营者抽查" in text
    assert "测试单位A1" in text and "测试单位AO" in text
    assert filing.draw.task_uid in text
    # Entity names of the selected targets, and the inspectors of their teams (filing variant).
    first = filing.record["selected"][0]["key"]
    with actor_scope(world.actor("AO")):
        from sampling.models import DrawSelection

        name = DrawSelection.objects.get(draw=filing.draw, key=first).entity.name
    assert name in text
    compact = "".join(text.split())  # a long name may wrap in its cell
    members = {e["id"]: e["name"] for e in filing.draw.inspector_pool}
    with actor_scope(world.actor("AO")):
        team = DrawSelection.objects.get(draw=filing.draw, key=first).team
    assert team and all(members[i] in compact for i in team)
    assert "经办人" in text and "双随机办签收" in text
    assert "第1页/共2页" in compact  # page numbers from the @page margin box
    assert filing.record["commitment"] in compact and filing.record["seed"] in compact


def test_html_preview_uses_the_same_template(world, login, client):
    filing = _filing(world)
    login(world.user("A1", Role.VIEWER))
    body = client.get(reverse("sampling:filing_preview", args=[filing.pk])).content.decode()
    assert 'data-testid="sheet-title"' in body and "抽取结果备案表" in body
    assert "/static/css/print.css" in body  # the preview links the print stylesheet; the PDF gets it by path
    assert "2026年第二季度食品经营者抽查" in body and "请予备案" in body
    assert "style=" not in body and "<script" not in body  # strict CSP


# --------------------------------------------------------------------------------------------
# A bounded sheet: the first FILING_PDF_MAX_ROWS rows, the full list in an .xlsx annex


def test_a_long_list_goes_to_an_annex_whose_hash_the_pdf_prints(world, settings, login, client, django_capture_on_commit_callbacks):
    import hashlib
    import io

    from django_scopes import scopes_disabled
    from openpyxl import load_workbook

    from tenancy.audit import AuditEntry

    settings.FILING_PDF_MAX_ROWS = 2  # the simple draw has 3 targets and 2 reserves
    with django_capture_on_commit_callbacks(execute=True):
        filing = _filing(world)
    with scopes_disabled():
        filing.refresh_from_db()
        attached = AuditEntry.objects.get(target_type="sampling.filing", target_id=str(filing.pk), action="update")
    assert filing.annex and len(filing.annex_sha256) == 64
    assert attached.changes["annex_sha256"] == ["", filing.annex_sha256] and attached.changes["pdf"][0] is None

    login(world.user("AO", Role.VIEWER))
    annex = client.get(reverse("sampling:filing_annex", args=[filing.pk]))
    assert annex["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in annex["Content-Disposition"]
    content = b"".join(annex.streaming_content)
    assert hashlib.sha256(content).hexdigest() == filing.annex_sha256
    wb = load_workbook(io.BytesIO(content), read_only=True)
    assert wb.sheetnames == ["说明", "抽中检查对象", "备选名单"]
    targets = list(wb["抽中检查对象"].iter_rows(values_only=True))
    assert targets[0][:5] == ("序号", "统一社会信用代码/编码", "名称", "层", "检查人员")
    assert [r[0] for r in targets[1:]] == [1, 2, 3]  # every target, not only the first two
    assert [r[1] for r in targets[1:]] == [s["key"] for s in filing.record["selected"]]
    inspector = filing.draw.inspector_pool[0]["name"]
    with scopes_disabled():
        names = {s.key: s.entity.name for s in filing.draw.selections.select_related("entity")}
    assert [r[2] for r in targets[1:]] == [names[s["key"]] for s in filing.record["selected"]]
    assert any(inspector in (r[4] or "") for r in targets[1:])
    assert len(list(wb["备选名单"].iter_rows(values_only=True))) == 1 + 2
    about = dict(wb["说明"].iter_rows(values_only=True))
    assert about["备案记录摘要（SHA-256）"] == filing.record_sha256 and about["任务编号"] == filing.draw.task_uid

    text = _text(client.get(reverse("sampling:filing_pdf", args=[filing.pk])).content)
    compact = "".join(text.split())
    assert "本表列出前2个，共3个" in compact and filing.annex_sha256 in compact
    # The first two targets are in the PDF, the third only in the annex.
    assert targets[1][1] in compact and targets[2][1] in compact and targets[3][1] not in compact
    detail = client.get(reverse("sampling:filing_detail", args=[filing.pk])).content.decode()
    assert reverse("sampling:filing_annex", args=[filing.pk]) in detail and filing.annex_sha256 in detail


def test_no_annex_for_a_short_list(world, login, client):
    filing = _filing(world)
    assert not filing.annex and not filing.annex_sha256
    login(world.user("AO", Role.VIEWER))
    assert client.get(reverse("sampling:filing_annex", args=[filing.pk])).status_code == 404
    assert reverse("sampling:filing_annex", args=[filing.pk]) not in client.get(
        reverse("sampling:filing_detail", args=[filing.pk])).content.decode()
