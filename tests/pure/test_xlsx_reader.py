"""inventory.xlsx_reader: the fast path (regular cells read by one regular expression) and the
XML parser path must read what openpyxl reads, for the forms real writers produce, at any block
boundary. No Django: the reader is pure Python."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from inventory import xlsx_reader
from inventory.xlsx_reader import read_sheet

pytestmark = pytest.mark.pure

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def openpyxl_rows(data: bytes) -> list[tuple[int, list]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    sheet.reset_dimensions()
    return trimmed((n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1))


def trimmed(rows) -> list[tuple[int, list]]:
    out = []
    for number, values in rows:
        while values and values[-1] is None:
            values = values[:-1]
        if values:
            out.append((number, values))
    return out


def workbook(write_only: bool) -> bytes:
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("名录") if write_only else wb.active
    ws.append(["标题：A&B <公司> \"引号\""])
    ws.append(["  代码 ", 3, 2.5, True, dt.datetime(2024, 1, 31), None, "末列", False, -7, 1e20])
    ws.append(["第一行\n第二行", "制表\t符", "", "'=1+2", 140522600000011])
    for i in range(200):  # enough rows for several blocks when the block size is small
        ws.append([f"91140522MA{i:08d}", f"阳城县对象{i}", "企业", None, i, dt.date(2023, 1 + i % 12, 1)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("write_only", [True, False], ids=["inline strings", "shared strings"])
@pytest.mark.parametrize("block", [1 << 20, 97], ids=["one block", "tiny blocks"])
def test_reads_what_openpyxl_reads(write_only, block, monkeypatch):
    monkeypatch.setattr(xlsx_reader, "_BLOCK", block)
    data = workbook(write_only)
    assert trimmed(read_sheet(data)) == openpyxl_rows(data)


def test_the_regular_expression_reads_openpyxls_files_whole(monkeypatch):
    """The point of the fast path: openpyxl's and Excel's regular cells never need the parser."""
    parsed = []
    original = xlsx_reader._rows
    monkeypatch.setattr(xlsx_reader, "_rows", lambda *a: parsed.append(1) or original(*a))
    for write_only in (True, False):
        assert len(list(read_sheet(workbook(write_only)))) == 203
    assert parsed == []


def package(sheet_xml: str, shared_xml: str | None = None, styles_xml: str | None = None) -> bytes:
    """A minimal .xlsx written by hand, for forms openpyxl does not write."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared_xml is not None:
            z.writestr("xl/sharedStrings.xml", shared_xml)
        if styles_xml is not None:
            z.writestr("xl/styles.xml", styles_xml)
    return out.getvalue()


def test_prefixed_namespace_rich_text_formulas_and_odd_cells():
    shared = (f'<x:sst xmlns:x="{MAIN}"><x:si><x:t>普通</x:t></x:si>'
              '<x:si><x:r><x:t>富</x:t></x:r><x:r><x:t xml:space="preserve">文本 </x:t></x:r>'
              '<x:rPh sb="0" eb="1"><x:t>fu</x:t></x:rPh></x:si></x:sst>')
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- written by hand --><x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
             '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="C1" t="s"><x:v>1</x:v></x:c></x:row>'
             '<x:row r="2" spans="1:3"/>'
             '<x:row r="4"><x:c r="A4"><x:f>1+1</x:f><x:v>2</x:v></x:c><x:c r="B4" t="str"><x:f>"a"&amp;"b"</x:f><x:v>ab</x:v></x:c>'
             '<x:c r="C4" t="e"><x:v>#DIV/0!</x:v></x:c><x:c r="D4" t="b"><x:v>0</x:v></x:c></x:row>'
             '</x:sheetData></x:worksheet>')
    assert list(read_sheet(package(sheet, shared))) == [
        (1, ["普通", None, "富文本 "]),
        (4, [2, "ab", "#DIV/0!", False]),
    ]


def test_unprefixed_cells_the_expression_does_not_know_go_to_the_parser():
    sheet = (f'<worksheet xmlns="{MAIN}"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>甲&amp;乙</t></is></c><c r="B1" s="0" t="n" cm="1"><v>5</v></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><r><t>分</t></r><r><t>段</t></r></is></c><c r="B2"><v>1.5E3</v></c></row>'
             '<row r="3"><c r="A3" t="inlineStr"><is><t>第一行\r\n第二行</t></is></c><c r="B3" t="inlineStr"/></row>'
             '</sheetData></worksheet>')
    assert list(read_sheet(package(sheet))) == [(1, ["甲&乙", 5]), (2, ["分段", 1500.0]), (3, ["第一行\n第二行", None])]


def test_dates_by_style_both_ways():
    styles = (f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
              '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="176"/></cellXfs></styleSheet>')
    regular = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" s="1"><v>45322</v></c>'
               '<c r="B1" s="2"><v>45261.5</v></c><c r="C1" s="0"><v>45322</v></c></row></sheetData></worksheet>')
    odd = regular.replace('<c r="C1" s="0">', '<c r="C1" s="0" vm="1">')  # not the expression's: the parser reads it
    expected = [(1, [dt.datetime(2024, 1, 31), dt.datetime(2023, 12, 1, 12), 45322])]
    assert list(read_sheet(package(regular, styles_xml=styles))) == expected
    assert list(read_sheet(package(odd, styles_xml=styles))) == expected


def test_an_iso_date_cell_is_left_to_openpyxl():
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="d"><v>2024-01-31</v></c></row></sheetData></worksheet>'
    with pytest.raises(ValueError):
        list(read_sheet(package(sheet)))


def test_an_empty_sheet_and_a_truncated_one():
    assert list(read_sheet(package(f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>'))) == []
    with pytest.raises(ValueError):
        list(read_sheet(package(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row>')))
