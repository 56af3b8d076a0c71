"""inventory.xlsx_reader: the fast path (regular cells read by one regular expression) and the
XML parser path must read what openpyxl reads, for the forms real writers produce, at any block
boundary. No Django: the reader is pure Python."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
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


def test_an_iso_date_cell_is_read_as_openpyxl_reads_it():
    """No cell sends the reader to another one (an openpyxl fallback was unbounded)."""
    sheet = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="d"><v>2024-01-31</v></c>'
             '<c r="B1" t="d"><v>2024-01-31T08:30:00</v></c><c r="C1" t="x-new"><v>新</v></c></row></sheetData></worksheet>')
    assert list(read_sheet(package(sheet))) == [(1, [dt.datetime(2024, 1, 31), dt.datetime(2024, 1, 31, 8, 30), "新"])]


def test_an_empty_sheet_and_a_truncated_one():
    assert list(read_sheet(package(f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>'))) == []
    with pytest.raises(ValueError):
        list(read_sheet(package(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row>')))


# ---------------------------------------------------------------- row numbers as the sheet defines them


def test_rows_and_cells_without_r_are_numbered_across_blocks(monkeypatch):
    """Several generators write <row> and <c> without r: a row is the previous + 1, a cell the
    previous cell + 1, and the numbering goes on from block to block (it restarted at 1 in each)."""
    monkeypatch.setattr(xlsx_reader, "_BLOCK", 4096)
    rows = "".join(f'<row><c t="inlineStr"><is><t>对象{i}</t></is></c><c><v>{i}</v></c></row>' for i in range(20_000))
    sheet = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="3"><c r="B3" t="inlineStr"><is><t>表头</t></is></c>'
             f'<c t="inlineStr"><is><t>右</t></is></c></row>{rows}</sheetData></worksheet>')
    read = list(read_sheet(package(sheet)))
    assert read[0] == (3, [None, "表头", "右"])  # C3: the cell after B3
    assert [n for n, _v in read[1:]] == list(range(4, 20_004))
    assert read[-1] == (20_003, ["对象19999", 19_999])


def test_numbering_goes_on_from_regular_blocks_to_parsed_ones(monkeypatch):
    monkeypatch.setattr(xlsx_reader, "_BLOCK", 64)
    regular = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 6))
    odd = "".join('<row><c vm="1"><v>7</v></c></row>' for _ in range(3))  # not the expression's cells
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData>{regular}{odd}</sheetData></worksheet>'
    assert [n for n, _v in read_sheet(package(sheet))] == [1, 2, 3, 4, 5, 6, 7, 8]


# ---------------------------------------------------------------- bounds on what a workbook unpacks to


def hostile_workbook(path, cell_bytes: int, *, shared: bool = False, before: int = 0, after: int = 2) -> None:
    """A workbook whose one cell holds ``cell_bytes`` of "A", between ordinary rows; written
    streaming (a few hundred KB on disk), in the sheet or in the shared strings."""
    head = f'<worksheet xmlns="{MAIN}"><sheetData>'
    rows_before = "".join(f'<row><c t="inlineStr"><is><t>前{i}</t></is></c></row>' for i in range(before))
    rows_after = "".join(f'<row><c t="inlineStr"><is><t>后{i}</t></is></c></row>' for i in range(after))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        big_part = "xl/sharedStrings.xml" if shared else "xl/worksheets/sheet1.xml"
        with z.open(big_part, "w", force_zip64=True) as out:
            out.write((f'<sst xmlns="{MAIN}"><si><t>短</t></si><si><t>' if shared
                       else f'{head}{rows_before}<row><c t="inlineStr"><is><t>甲</t></is></c><c t="inlineStr"><is><t>').encode())
            chunk = b"A" * (1 << 20)
            for _ in range(cell_bytes >> 20):
                out.write(chunk)
            out.write(b"A" * (cell_bytes % (1 << 20)))
            out.write(("</t></si><si><t>长后</t></si></sst>" if shared else f"</t></is></c><c><v>5</v></c></row>{rows_after}</sheetData></worksheet>").encode())
        if shared:
            z.writestr("xl/worksheets/sheet1.xml", f'{head}{rows_before}<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c>'
                       f'<c t="s"><v>2</v></c></row>{rows_after}</sheetData></worksheet>')


def peak_while(fn) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_overlong_cell_is_read_as_its_size_never_held(tmp_path):
    """A 300 KB upload whose one cell unpacks to hundreds of MB took 1.84 GB: now the reader keeps
    what a row may be and no more, and the cell is an Overlong (a row error for the importer)."""
    path = tmp_path / "hostile.xlsx"
    hostile_workbook(path, 96 << 20, before=3)
    assert path.stat().st_size < 1 << 20
    with open(path, "rb") as f:
        rows, peak = peak_while(lambda: list(read_sheet(f)))
    assert rows[3] == (4, ["甲", xlsx_reader.Overlong(96 << 20), 5])
    assert [n for n, _v in rows] == [1, 2, 3, 4, 5, 6] and rows[4] == (5, ["后0"])
    assert peak < 16 << 20, f"peak {peak >> 20} MB"


def test_an_overlong_shared_string_is_read_as_its_size(tmp_path):
    path = tmp_path / "hostile.xlsx"
    hostile_workbook(path, 40 << 20, shared=True)
    with open(path, "rb") as f:
        rows, peak = peak_while(lambda: list(read_sheet(f)))
    assert rows[0] == (1, ["短", xlsx_reader.Overlong(40 << 20), "长后"])
    assert peak < 16 << 20, f"peak {peak >> 20} MB"


def test_the_unpacked_size_has_a_cap_counted_while_decompressing(tmp_path):
    path = tmp_path / "hostile.xlsx"
    hostile_workbook(path, 8 << 20)
    with open(path, "rb") as f, pytest.raises(xlsx_reader.TooLarge) as exc:
        list(read_sheet(f, max_unpacked=4 << 20))
    assert (exc.value.what, exc.value.limit) == ("unpacked", 4 << 20)
    with open(path, "rb") as f:
        assert len(list(read_sheet(f, max_unpacked=9 << 20))) == 3


def test_a_row_too_long_even_shrunk_is_an_overlong_row(monkeypatch):
    monkeypatch.setattr(xlsx_reader, "MAX_ROW_BYTES", 4096)
    monkeypatch.setattr(xlsx_reader, "_BLOCK", 512)
    cells = "".join(f'<c t="inlineStr"><is><t>{"值" * 20}</t></is></c>' for _ in range(400))  # 38 KB of short cells
    long_row = f'<row r="7" spans="1:400">{cells}</row>'
    sheet = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
             f'{long_row}<row><c><v>2</v></c></row></sheetData></worksheet>')
    rows = list(read_sheet(package(sheet)))
    assert [(n, type(v).__name__) for n, v in rows] == [(1, "list"), (7, "OverlongRow"), (8, "list")]
    assert rows[1][1].size == len(long_row.encode()) and rows[2][1] == [2]


def test_a_long_but_readable_row_keeps_its_cells(monkeypatch):
    monkeypatch.setattr(xlsx_reader, "MAX_ROW_BYTES", 4096)
    monkeypatch.setattr(xlsx_reader, "CELL_KEEP_BYTES", 1000)
    monkeypatch.setattr(xlsx_reader, "_BLOCK", 512)
    sheet = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="2"><c r="A2" t="inlineStr"><is><t>{"x" * 900}</t></is></c>'
             f'<c r="C2" t="inlineStr"><is><t>{"y" * 9000}</t></is></c><c r="D2"><v>3</v></c></row></sheetData></worksheet>')
    assert list(read_sheet(package(sheet))) == [(2, ["x" * 900, None, xlsx_reader.Overlong(9000), 3])]


def test_many_tiny_shared_strings_are_capped(monkeypatch):
    monkeypatch.setattr(xlsx_reader, "MAX_SHARED_BYTES", 1 << 20)
    shared = f'<sst xmlns="{MAIN}">' + "<si><t>a</t></si>" * 200_000 + "</sst>"
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    with pytest.raises(xlsx_reader.TooLarge) as exc:
        list(read_sheet(package(sheet, shared)))
    assert exc.value.what == "shared"


def test_shared_strings_are_held_compactly():
    strings = xlsx_reader.SharedStrings()
    strings.add_block(["甲", "", "乙丙", xlsx_reader.Overlong(99)])
    strings.add_block(["丁"])
    assert [strings[i] for i in range(5)] == ["甲", "", "乙丙", xlsx_reader.Overlong(99), "丁"]


def test_a_zip_listing_too_many_parts_is_refused_before_it_is_read():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for i in range(xlsx_reader.MAX_PARTS + 1):
            z.writestr(f"p{i}", b"")
    with pytest.raises(ValueError, match="parts"):
        list(read_sheet(out.getvalue()))


def test_a_huge_column_reference_is_malformed_not_a_huge_row():
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="ZZZZZZ1" vm="1"><v>1</v></c></row></sheetData></worksheet>'
    with pytest.raises(ValueError):
        list(read_sheet(package(sheet)))
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData><row r="99999999"><c><v>1</v></c></row></sheetData></worksheet>'
    with pytest.raises(ValueError):
        list(read_sheet(package(sheet)))


def test_the_package_relationships_name_the_parts():
    """A writer that puts the workbook elsewhere (named by _rels/.rels) is read too."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/book/wb.xml"/></Relationships>')
        z.writestr("book/wb.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="S" sheetId="1" r:id="a"/></sheets></workbook>')
        z.writestr("book/_rels/wb.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="a" Type="x/worksheet" Target="s/one.xml"/><Relationship Id="b" Type="x/sharedStrings" Target="../strings.xml"/></Relationships>')
        z.writestr("book/s/one.xml", f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>')
        z.writestr("strings.xml", f'<sst xmlns="{MAIN}"><si><t>别处</t></si></sst>')
    assert list(read_sheet(out.getvalue())) == [(1, ["别处"])]
