"""Fast reading of an .xlsx workbook's first sheet: (row number, cell values) per row.

openpyxl's read-only mode builds a Python object per cell and pulls every XML event through
Python (≈ 3,000 rows/s); ``iterparse`` still hands a hundred thousand rows' five million events
to Python one by one. Here the sheet XML is cut into blocks of whole ``<row>`` elements (at the
text ``</row>``, which no cell content can contain: ``<`` inside text is always escaped) and each
block is parsed at once by the C parser; Python only walks the finished rows' cells.

Values are what openpyxl gives: text (shared or inline, rich text without phonetic runs),
``int``/``float``, ``bool``, ``datetime`` for numbers in a date format, error codes as text.
Anything this reader does not expect raises, and the caller falls back to openpyxl.
Pure Python: no Django.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from xml.etree.ElementTree import Element, fromstring

from openpyxl.styles.numbers import is_date_format

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Built-in number formats that are dates: the ECMA ones and the zh-CN locale ones (27–36, 50–58).
_DATE_FORMAT_IDS = frozenset({*range(14, 23), 45, 46, 47, *range(27, 37), *range(50, 59)})
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_BLOCK = 1 << 20  # bytes of XML read (and parsed) at a time
# The first start tag after the XML declaration, comments and the DOCTYPE: the part's root element.
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)\b[^>]*>")
_T_TAG, _R_TAG = f"{NS}t", f"{NS}r"


def _column_index(ref: str) -> int:
    index = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            index = index * 26 + ord(ch) - 64
        else:
            break
    return index - 1


def text_of(elem: Element) -> str:
    """The text of an ``<si>`` or ``<is>``: its ``<t>``, or its runs' ``<t>`` without phonetic runs."""
    if len(elem) == 1 and elem[0].tag == _T_TAG:  # the common case: plain text
        return elem[0].text or ""
    parts = []
    for child in elem:
        if child.tag == _T_TAG:
            parts.append(child.text or "")
        elif child.tag == _R_TAG:  # a rich-text run; <rPh> (phonetic guide) is skipped
            parts.extend(t.text or "" for t in child.iter(_T_TAG))
    return "".join(parts)


def _skip_prolog(head: bytes) -> int:
    """Offset of the root element's start tag (after <?xml …?>, comments and a DOCTYPE)."""
    pos = 0
    while True:
        lt = head.index(b"<", pos)
        if head.startswith(b"<?", lt):
            pos = head.index(b"?>", lt) + 2
        elif head.startswith(b"<!--", lt):
            pos = head.index(b"-->", lt) + 3
        elif head.startswith(b"<!", lt):
            pos = head.index(b">", lt) + 1
        else:
            return lt


def _blocks(stream: IO[bytes], container: str, item: str) -> Iterator[tuple[bytes, Callable[[bytes], Element]]]:
    """Blocks of whole ``item`` elements, as text, from the ``container`` element of a big XML
    part, each with the function that parses a block (it puts the root's start tag, which
    declares the namespaces, around the block, so prefixes resolve as in the whole document).
    The prefix of the items is ``b""`` when they are in the default namespace."""
    buffer = stream.read(_BLOCK)
    while True:  # enough of the head to hold the root and the container's start tags
        start = _skip_prolog(buffer) if b"<" in buffer else -1
        root = _ROOT.match(buffer, start) if start >= 0 else None
        opening = re.search(rb"<([A-Za-z_][\w.-]*:)?" + container.encode() + rb"\b[^>]*?(/?)>", buffer) if root else None
        if opening is not None:
            break
        more = stream.read(_BLOCK)
        if not more:
            return  # no container at all: no items
        buffer += more
    assert root is not None
    if opening.group(2):  # <sheetData/>: empty
        return
    prefix = opening.group(1) or b""
    root_name = (root.group(1) or b"") + root.group(2)
    wrap_open, wrap_close = root.group(0), b"</" + root_name + b">"

    def parse(body: bytes) -> Element:
        return fromstring(wrap_open + body + wrap_close)

    parse.prefix = prefix  # type: ignore[attr-defined]
    item_end = b"</" + prefix + item.encode() + b">"
    container_end = b"</" + prefix + container.encode() + b">"
    buffer = buffer[opening.end():]
    while True:
        stop = buffer.find(container_end)
        if stop >= 0:
            if buffer[:stop].strip():
                yield buffer[:stop], parse
            return
        cut = buffer.rfind(item_end)
        if cut >= 0:
            cut += len(item_end)
            yield buffer[:cut], parse
            buffer = buffer[cut:]
        more = stream.read(_BLOCK)
        if not more:
            raise ValueError(f"the part ends inside <{container}>")
        buffer += more


def iter_items(stream: IO[bytes], container: str, item: str) -> Iterator[Element]:
    """The ``item`` children of ``container`` of a big XML part, in order, each complete."""
    for body, parse in _blocks(stream, container, item):
        yield from parse(body)


# The cells and shared strings every common writer (Excel, WPS, LibreOffice, openpyxl) produces:
# attributes r, s, t in that order, a value, an inline string or nothing. A block is read with
# these only when they account for every cell (every "<c") of it; otherwise the XML parser reads
# that block. Shared formulas (<f …/>) are skipped: the cached <v> is the value.
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]+)"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?\s*'
    rb'(?:/>|>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?(?:<v>([^<]*)</v>|(<is>)<t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)'
)
_SHARED = re.compile(rb'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>')


def _text(raw: bytes) -> str:
    """Text of a cell as the XML parser would give it: entities resolved, line ends as "\\n"."""
    if b"&" in raw or b"\r" in raw:
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        return html.unescape(text) if "&" in text else text
    return raw.decode("utf-8")


def _shared_strings(stream: IO[bytes]) -> list[str]:
    strings: list[str] = []
    for body, parse in _blocks(stream, "sst", "si"):
        found = _SHARED.findall(body) if not parse.prefix else None  # type: ignore[attr-defined]
        if found is not None and len(found) == body.count(b"<si"):
            strings.extend(map(_text, found))
        else:  # rich text, phonetic runs, prefixes: the parser
            strings.extend(text_of(si) for si in parse(body))
    return strings


def read_sheet(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    """(row number, values) for each row of the workbook's first sheet; raises on anything odd."""
    package = zipfile.ZipFile(io.BytesIO(data))
    names = set(package.namelist())
    workbook = fromstring(package.read("xl/workbook.xml"))
    first_sheet = workbook.find(f"{NS}sheets/{NS}sheet")
    if first_sheet is None:
        raise ValueError("the workbook lists no sheet")
    rel_id = first_sheet.get(f"{_REL_NS}id")
    rels = fromstring(package.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target") or "" for r in rels.iter(f"{_PKG_REL_NS}Relationship") if r.get("Id") == rel_id)
    sheet_path = target.lstrip("/") if target.startswith("/") else "xl/" + target
    shared: list[str] = []
    if "xl/sharedStrings.xml" in names:
        with package.open("xl/sharedStrings.xml") as stream:
            shared = _shared_strings(stream)
    date_styles: set[int] = set()
    if "xl/styles.xml" in names:
        styles = fromstring(package.read("xl/styles.xml"))
        custom = {int(f.get("numFmtId", "0")): f.get("formatCode", "") for f in styles.iter(f"{NS}numFmt")}
        xfs = styles.find(f"{NS}cellXfs")
        for index, xf in enumerate(xfs if xfs is not None else []):
            fmt_id = int(xf.get("numFmtId", "0"))
            if fmt_id in _DATE_FORMAT_IDS or (fmt_id in custom and is_date_format(custom[fmt_id])):
                date_styles.add(index)
    column_of: dict[bytes | str, int] = {}
    with package.open(sheet_path) as stream:
        for body, parse in _blocks(stream, "sheetData", "row"):
            cells = _CELL.findall(body) if not parse.prefix else None  # type: ignore[attr-defined]
            if cells is not None and len(cells) == body.count(b"<c"):
                yield from _rows_of_cells(cells, shared, date_styles, column_of)
            else:
                yield from _rows(parse(body), shared, date_styles, column_of)


def _number(text: str, style: int, date_styles: set[int]) -> Any:
    value = float(text)
    if style in date_styles:
        return _EXCEL_EPOCH + dt.timedelta(days=value)
    return int(value) if value.is_integer() and "E" not in text.upper() else value


def _put(values: list[Any], index: int, value: Any) -> None:
    if index == len(values):
        values.append(value)
    elif index > len(values):
        values.extend([None] * (index - len(values)))
        values.append(value)
    else:
        values[index] = value


def _rows_of_cells(
    cells: list[tuple[bytes, ...]], shared: list[str], date_styles: set[int], column_of: dict[bytes | str, int]
) -> Iterator[tuple[int, list[Any]]]:
    """Rows from the regular expression's cells (in document order; a row's cells are together)."""
    current: bytes | None = None
    values: list[Any] = []
    append = values.append
    for letters, number, style, kind, v, inline, text in cells:
        if number != current:
            if current is not None:
                yield int(current), values
            current, values = number, []
            append = values.append
        index = column_of.get(letters)
        if index is None:
            index = column_of[letters] = _column_index(letters.decode("ascii"))
        if kind == b"inlineStr":  # the hot case (openpyxl's files): plain text, decoded in place
            value: Any = (text.decode("utf-8") if b"&" not in text and b"\r" not in text else _text(text)) if inline else None
        elif kind == b"s":
            value = shared[int(v)] if v else None
        elif not kind or kind == b"n":
            value = _number(v.decode("ascii"), int(style or 0), date_styles) if v else None
        elif kind == b"b":
            value = v == b"1" if v else None
        elif kind in (b"str", b"e"):
            value = _text(v) if v else None
        else:  # "d" (ISO dates) and anything newer: let openpyxl decide
            raise ValueError(f"cell type {kind!r}")
        if index == len(values):
            append(value)
        else:
            _put(values, index, value)
    if current is not None:
        yield int(current), values


def _rows(
    rows: Iterable[Element], shared: list[str], date_styles: set[int], column_of: dict[bytes | str, int]
) -> Iterator[tuple[int, list[Any]]]:
    """Rows from parsed ``<row>`` elements: any cell form the XML allows."""
    row_tag, cell_tag, value_tag, inline_tag = f"{NS}row", f"{NS}c", f"{NS}v", f"{NS}is"
    next_number = 1
    for row in rows:
        if row.tag != row_tag:
            continue
        r = row.get("r")
        number = int(r) if r else next_number
        next_number = number + 1
        values: list[Any] = []
        for position, cell in enumerate(row.iter(cell_tag)):
            ref = cell.get("r")
            if ref:  # "AB12": the column depends on the letters only, and a sheet has few of them
                letters = ref.rstrip("0123456789")
                index = column_of.get(letters)
                if index is None:
                    index = column_of[letters] = _column_index(letters)
            else:
                index = position
            kind = cell.get("t")
            if kind == "inlineStr":
                inline = cell.find(inline_tag)
                value: Any = text_of(inline) if inline is not None else None
            else:
                v = cell.find(value_tag)
                text = v.text if v is not None else None
                if kind == "s":
                    value = shared[int(text)] if text is not None else None
                elif kind in ("str", "e"):
                    value = text
                elif kind == "b":
                    value = text == "1" if text is not None else None
                elif text is None:
                    value = None
                elif kind in (None, "n"):
                    value = _number(text, int(cell.get("s", "0")), date_styles)
                else:
                    raise ValueError(f"cell type {kind!r}")
            _put(values, index, value)
        if values:  # a row without cells (formatting only) is no row of data
            yield number, values
