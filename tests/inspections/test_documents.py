"""The 检查记录表 and the 检查结果告知书: real PDFs whose text (pdftotext) carries the Chinese content
and whose CJK glyphs, rendered as an image (pdftoppm), are the bundled font's own — each glyph of
a word matches the reference rendering of its character in Noto Sans CJK SC better than any other
character's, which tofu boxes (all alike) or a blank page cannot; a joint visit's record holds
every department's part; the HTML preview comes from the same template."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image, ImageChops, ImageDraw, ImageFont

from inspections.documents import fonts
from inspections.documents.records import RecordReader, record_of
from inspections.documents.render import document_html, document_pdf
from inspections.models import Inspection, InspectionPart
from inspections.services import handling as handling_services
from inspections.services import reviews
from inventory.models import CheckPoint
from tenancy.context import Role
from tenancy.scoping import actor_scope
from tests.inspections.conftest import drawn
from tests.inspections.support import confirm_all, fill, first, fresh, submit

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                       reason="poppler-utils (pdftotext, pdftoppm) not installed"),
]

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DPI = 200


# --------------------------------------------------------------------------------------------
# Reading a PDF back


def pdf_text(pdf: bytes, *, layout: bool = True) -> str:
    """The text; ``layout=False`` reads each table cell on its own (the layout mode interleaves
    the lines of side-by-side cells)."""
    options = ["-layout"] if layout else []
    return subprocess.run(["pdftotext", *options, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def pdf_words(pdf: bytes) -> list[tuple[int, str, float, float, float, float]]:
    """(page index, word, xMin, yMin, xMax, yMax) in points, as pdftotext -bbox finds them."""
    html = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    words = []
    for page, body in enumerate(re.findall(r"<page [^>]*>(.*?)</page>", html, re.S)):
        for x0, y0, x1, y1, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', body
        ):
            words.append((page, word, float(x0), float(y0), float(x1), float(y1)))
    return words


def page_image(pdf: bytes, page: int) -> Image.Image:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile", "-f", str(page + 1), "-l", str(page + 1),
             str(source), str(Path(folder) / "page")],
            capture_output=True, check=True,
        )
        with Image.open(Path(folder) / "page.png") as image:
            return image.convert("L")


def _glyph(image: Image.Image) -> Image.Image | None:
    """The inked part of a glyph cell, normalised to 32×32 black on white (None when blank)."""
    ink = image.point(lambda v: 255 if v < 160 else 0)
    box = ink.getbbox()
    if box is None:
        return None
    return ink.crop(box).resize((32, 32), Image.Resampling.BILINEAR)


def _cjk_font(size: int) -> ImageFont.FreeTypeFont:
    for index in range(10):
        font = ImageFont.truetype(str(CJK_FONT), size=size, index=index)
        if font.getname()[0] == "Noto Sans CJK SC":
            return font
    raise LookupError("Noto Sans CJK SC is not in the collection")


def reference_glyph(char: str) -> Image.Image:
    font = _cjk_font(96)
    canvas = Image.new("L", (128, 128), 255)
    ImageDraw.Draw(canvas).text((16, 0), char, font=font, fill=0)
    glyph = _glyph(canvas)
    assert glyph is not None
    return glyph


def _distance(a: Image.Image, b: Image.Image) -> float:
    diff = ImageChops.difference(a, b)
    return sum(diff.tobytes()) / (255 * 32 * 32)  # mode L: one byte a pixel


def assert_glyphs_are_the_fonts(pdf: bytes, word: str) -> None:
    """Each character of ``word`` (a run of CJK characters the PDF sets alone, e.g. a table
    cell) is drawn with a glyph closest to the reference rendering of that very character."""
    found = [w for w in pdf_words(pdf) if w[1] == word]
    assert found, f"{word!r} not set as a word of its own"
    page, _word, x0, y0, x1, y1 = found[0]
    image = page_image(pdf, page)
    scale = DPI / 72
    cell = (x1 - x0) / len(word)
    refs = [reference_glyph(c) for c in word]
    crops = []
    for n in range(len(word)):
        box = (int((x0 + n * cell) * scale), int(y0 * scale), int((x0 + (n + 1) * cell) * scale), int(y1 * scale))
        glyph = _glyph(image.crop(box))
        assert glyph is not None, f"nothing drawn where {word[n]!r} is"
        crops.append(glyph)
    for n, crop in enumerate(crops):
        distances = [_distance(crop, ref) for ref in refs]
        best = min(range(len(refs)), key=distances.__getitem__)
        assert best == n, (word, word[n], distances)
    # Tofu is one box for every character: the glyphs drawn differ from one another.
    assert min(_distance(a, b) for i, a in enumerate(crops) for b in crops[i + 1:]) > 0.05


def fonts_of(pdf: bytes) -> str:
    return subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=False).stdout.decode() if shutil.which(
        "pdffonts") else ""


def faces_of(pdf: bytes) -> list[str]:
    """The embedded faces' names without their subset tags (``ABCDEF+Name`` → ``+Name``)."""
    names = [line.split()[0] for line in fonts_of(pdf).splitlines()[2:] if line.strip()]
    return sorted(name[name.index("+"):] if "+" in name else name for name in names)


# --------------------------------------------------------------------------------------------
# Inspections in the states the documents show


def _approved(world, d, inspection: Inspection) -> Inspection:
    confirm_all(world, inspection)
    fill(d, inspection)
    submit(d, inspection)
    with scopes_disabled():
        orgs = set(InspectionPart.objects.filter(inspection=inspection).values_list("organization_id", flat=True))
    for key, org in world.orgs.items():
        if org.pk in orgs:
            leader = world.actor(key, Role.LEADER)
            with actor_scope(leader):
                reviews.inspection_approve(actor=leader, inspection=fresh(inspection), comment="同意")
    return fresh(inspection)


def _record(world, inspection: Inspection, org_key: str = "A1") -> dict:
    with actor_scope(world.actor(org_key, Role.VIEWER)):
        return record_of(inspection)


def test_record_pdf_has_the_chinese_text_and_the_fonts_glyphs(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = _approved(world, d, first(d))
    record = _record(world, inspection)
    pdf = document_pdf("record", record)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    compact = "".join(text.split())
    assert "“双随机、一公开”抽查检查记录表" in compact
    with scopes_disabled():
        entity = inspection.entity
        points = list(CheckPoint.objects.filter(item__in=InspectionPart.objects.get(inspection=inspection).items.all()))
    assert "".join(entity.name.split()) in compact and entity.code in compact
    assert inspection.draw.task_uid in compact and "测试单位A1" in compact
    for inspector in record["inspectors"]:
        assert inspector["name"] in compact and inspector["cert_no"] in compact
    assert all(p.project in compact for p in points)
    assert compact.count("正常") >= len(points)  # each point answered 正常
    assert "未发现问题" in compact and "实地检查" in compact
    assert "本表为" not in compact  # approved: no draft notice
    assert "第1页/共" in compact
    if shutil.which("pdffonts"):
        # One face embedded (each further face is one more subset in every PDF of a task's zip):
        # the compact copy of Noto Sans CJK SC, whose subset is tens of kilobytes, not ~170.
        assert faces_of(pdf) == [f"+{fonts.COMPACT_FAMILY.replace(' ', '-')}"]
    assert len(pdf) < 100 * 1024, len(pdf)
    # The firm's signature is an image on the sheet.
    images = subprocess.run(["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=False).stdout.decode()
    if shutil.which("pdfimages"):
        assert len([line for line in images.splitlines()[2:] if line.strip()]) == 1
    assert_glyphs_are_the_fonts(pdf, "未发现问题")


def test_a_character_outside_the_compact_face_is_set_in_the_installed_face(world):
    """旸珺堃 (GBK, not GB 2312) are not in the compact face: set in Noto Sans CJK SC itself, each
    glyph its own; the PDF then embeds both faces."""
    d = drawn(world, "A1", entities=12, inspectors=4)
    record = _record(world, first(d))
    rare = "旸珺堃"
    assert not {ord(c) for c in rare} & fonts.characters()
    record["entity"]["name"] = f"阳城县{rare}商贸有限公司"
    pdf = document_pdf("record", record)
    assert f"阳城县{rare}商贸有限公司" in "".join(pdf_text(pdf, layout=False).split())
    if shutil.which("pdffonts"):
        assert faces_of(pdf) == sorted(["+Noto-Sans-CJK-SC", f"+{fonts.COMPACT_FAMILY.replace(' ', '-')}"])
    assert_glyphs_are_the_fonts(pdf, f"阳城县{rare}商贸有限公司")


def test_a_draft_record_says_so_and_keeps_blank_answers(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    pdf = document_pdf("record", _record(world, inspection))
    compact = "".join(pdf_text(pdf).split())
    assert "本表为待确认状态，检查结果尚未审核通过。" in compact
    assert "（尚未填写）" in compact


def test_a_joint_visit_is_one_record_with_every_departments_part(world):
    d = drawn(world, "AO", entities=12, inspectors=3)
    inspection = first(d)
    with scopes_disabled():
        parts = list(InspectionPart.objects.filter(inspection=inspection).select_related("organization"))
    assert len(parts) == 2
    inspection = _approved(world, d, inspection)
    record = _record(world, inspection, "AO")
    assert [s["department"] for s in record["sections"]] == [p.organization.name for p in parts]
    compact = "".join(pdf_text(document_pdf("record", record)).split())
    assert "联合抽查" in compact
    for part in parts:
        assert part.organization.name in compact
        with scopes_disabled():
            for item in part.items.all():
                assert "".join(item.name.split()) in compact
    # Each department's inspectors are named in its part; the team in the header.
    for section in record["sections"]:
        assert section["inspectors"] and all(i["name"] in compact for i in section["inspectors"])


def test_the_preview_is_the_same_template(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = _approved(world, d, first(d))
    record = _record(world, inspection)
    html = document_html("record", record)
    assert 'data-testid="record-title"' in html and "抽查检查记录表" in html
    assert "/static/css/print.css" in html and "/static/css/inspection_print.css" in html
    assert 'src="data:image/png;base64,' in html  # the signature, inlined
    # Strict CSP: no inline style or script (a script file of the site's own is allowed).
    assert " style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert record["entity"]["name"] in html and "未发现问题" in html
    pdf_html = document_html("record", record, for_pdf=True)
    assert "/static/css/" not in pdf_html  # WeasyPrint gets the stylesheets by path


def test_notice_names_the_result_and_the_follow_up(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    fill(d, inspection, status="abnormal", results=["05"], result_reason="消防通道堆放杂物")
    submit(d, inspection)
    planner = world.actor("A1", Role.PLANNER)
    due = timezone.localdate() + timezone.timedelta(days=15)
    with actor_scope(planner):
        handling_services.handling_add(
            actor=planner, inspection=fresh(inspection), measure="rectify", description="清理消防通道", due_on=due,
        )
    record = _record(world, fresh(inspection))
    assert record["has_problem"] and record["handlings"][0]["measure"] == "责令改正"
    pdf = document_pdf("notice", record)
    compact = "".join(pdf_text(pdf).split())
    assert "检查结果告知书" in compact and "".join(record["entity"]["name"].split()) in compact
    assert "发现问题待后续处理" in compact and "消防通道堆放杂物" in compact
    assert f"责令改正：清理消防通道，请于{due.year}年{due.month}月{due.day}日前完成" in compact
    assert "检查结果为已提交状态" in compact  # not approved yet
    assert "国家企业信用信息公示系统" in compact
    assert_glyphs_are_the_fonts(pdf, "检查结果告知书")


def test_a_refusal_is_recorded_instead_of_a_signature(world):
    from tests.inspections.support import refuse_signature

    d = drawn(world, "A1", entities=12, inspectors=4)
    record = _record(world, refuse_signature(world, d, first(d), "负责人拒绝签字，称需请示总公司"))
    assert record["signature"] == "" and record["signature_refused"], record["refusal_reason"]
    compact = "".join(pdf_text(document_pdf("record", record), layout=False).split())
    assert "被检查对象拒绝签字：负责人拒绝签字，称需请示总公司" in compact


def test_the_reader_reads_a_batch_in_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    d = drawn(world, "A1", entities=60, inspectors=4)
    with scopes_disabled():
        ids = list(Inspection.objects.filter(draw=d.draw).order_by("pk").values_list("pk", flat=True))
    assert len(ids) >= 6
    with actor_scope(world.actor("A1", Role.VIEWER)):
        reader = RecordReader()
        # Warm: the draw, its organization, the items' points.
        list(reader.records(ids[:1]))
        with django_assert_max_num_queries(12):
            records = list(reader.records(ids))
    assert [r["pk"] for r in records] == ids
