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
from tests.leak.cases_sampling_filings import make_simple_draw

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _filing(world) -> Filing:
    draw = make_simple_draw(world, "A1", name="2026年第二季度食品经营者抽查")
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
    inspector = filing.draw.inspector_pool[0]["name"]
    assert inspector in text
    assert "经办人" in text and "双随机办签收" in text
    compact = "".join(text.split())
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
