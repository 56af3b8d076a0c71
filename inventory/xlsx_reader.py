"""Fast, bounded reading of an .xlsx workbook's first sheet: (row number, cell values) per row.

openpyxl's read-only mode builds a Python object per cell and pulls every XML event through
Python; ``iterparse`` still hands a hundred thousand rows' five million events
to Python one by one. Here the sheet XML is cut into blocks of whole ``<row>`` elements (at the
text ``</row>``, which no cell content can contain: ``<`` inside text is always escaped) and each
block is parsed at once by the C parser; Python only walks the finished rows' cells.

Values are what openpyxl gives: text (shared or inline, rich text without phonetic runs),
``int``/``float``, ``bool``, ``datetime`` for numbers in a date format or ISO date cells, error
codes as text. Pure Python: no Django.

Bounded by design, whatever the file (a 300 KB upload can unpack to gigabytes):

- every part is read through a counter: past ``max_unpacked`` bytes in all, :class:`TooLarge`;
- a row is at most :data:`MAX_ROW_BYTES` of XML as parsed: a longer one is read on in a
  streaming pass that keeps its tags and drops every text longer than :data:`CELL_KEEP_BYTES`,
  which becomes an :class:`Overlong` cell (a row error for the importer, never held whole); a
  row still too long after that is an :class:`OverlongRow`;
- shared strings are kept compactly (a few strings per block, 12 bytes of index each) and at
  most :data:`MAX_SHARED_BYTES` of them;
- the small parts (workbook, relationships, styles) are read by expat events, no tree.

Rows are numbered as the sheet defines them: a ``<row>`` without ``r`` is the previous row + 1
and a ``<c>`` without ``r`` the previous cell + 1, across every block. Anything malformed raises
``ValueError`` (or the zip/XML module's own error): the caller refuses the file. There is no
fallback to another reader, so no file escapes these bounds.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import posixpath
import re
import struct
import sys
import zipfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from xml.etree.ElementTree import Element, fromstring
from xml.parsers import expat

from openpyxl.styles.numbers import is_date_format

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_STRICT_NS = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
_MAIN_URIS = frozenset({NS[1:-1], _STRICT_NS[1:-1]})
_REL_URIS = frozenset({"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                       "http://purl.oclc.org/ooxml/officeDocument/relationships"})
# Built-in number formats that are dates: the ECMA ones and the zh-CN locale ones (27–36, 50–58).
_DATE_FORMAT_IDS = frozenset({*range(14, 23), 45, 46, 47, *range(27, 37), *range(50, 59)})
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_BLOCK = 1 << 20  # bytes of XML read (and parsed) at a time
# The first start tag after the XML declaration, comments and the DOCTYPE: the part's root element.
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)\b[^>]*>")
_ROW_NUMBER = re.compile(rb'\sr\s*=\s*["\']([0-9]+)["\']')

# The bounds (see the module's docstring). A cell of any registry column is at most 5,000
# characters (15 KB of UTF-8), so these never cut a cell that could be valid.
MAX_CELL_CHARS = 32_768
CELL_KEEP_BYTES = 4 * MAX_CELL_CHARS
MAX_ROW_BYTES = 1 << 20
MAX_TAG_BYTES = 64 << 10  # one start/end tag (its attributes): longer is no spreadsheet
MAX_HEAD_BYTES = 1 << 20  # before the root element
MAX_SHARED_BYTES = 128 << 20  # shared strings held (text + index)
MAX_ROW_NUMBER = 1_048_576  # Excel's last row
MAX_COLUMNS = 16_384  # Excel's last column (XFD)
MAX_PARTS = 10_000  # entries of the zip: each costs a ZipInfo before anything is read
_MARK = "\ue000"  # a private-use character around an overlong text's size in a shrunk row


class TooLarge(ValueError):
    """The workbook unpacks past the cap (``what`` = "unpacked") or holds too many shared strings
    (``what`` = "shared"); ``limit`` is the cap in bytes."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"{what} over {limit} bytes")
        self.what, self.limit = what, limit


class Overlong:
    """A cell whose text is longer than :data:`MAX_CELL_CHARS`; ``size``: its length in the file
    (bytes of XML text, or characters of a CSV field). Never the text itself."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size

    def __repr__(self) -> str:
        return f"Overlong({self.size})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Overlong) and other.size == self.size

    def __hash__(self) -> int:
        return hash((Overlong, self.size))


class OverlongRow(list):  # type: ignore[type-arg]
    """The values of a row too long to read at all (no cells): ``size`` bytes of XML or
    characters of CSV."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __repr__(self) -> str:
        return f"OverlongRow({self.size})"


# ============================================================================ bounded input


class _Counted(io.RawIOBase):
    """A zip member read through the workbook's budget of unpacked bytes."""

    def __init__(self, member: IO[bytes], budget: list[int], limit: int) -> None:
        self._member, self._budget, self._limit = member, budget, limit

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = _BLOCK
        data = self._member.read(size)  # ZipExtFile decompresses no more than asked
        self._budget[0] -= len(data)
        if self._budget[0] < 0:
            raise TooLarge("unpacked", self._limit)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._member.close()
        super().close()


def _check_zip_directory(stream: IO[bytes]) -> None:
    """Refuse a zip that lists more parts than a workbook has, before ``zipfile`` reads a
    ``ZipInfo`` for each (the end-of-directory record says how many)."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    tail_size = min(size, 65_557)  # the record (22 bytes) and its longest comment
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    stream.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise zipfile.BadZipFile("no end of central directory")
    (entries,) = struct.unpack_from("<H", tail, at + 10)
    if entries > MAX_PARTS:  # 0xFFFF (zip64) included: no workbook has that many parts
        raise ValueError(f"{entries} parts")


# ============================================================================ small parts


class _Done(Exception):
    """Raised from an expat handler: the part said all that is wanted."""


def _expat_walk(stream: IO[bytes], start: Callable[[str, str, dict[str, str]], None],
                end: Callable[[str, str], None] | None = None) -> None:
    """Stream a part through expat: ``start(uri, name, attributes)`` per start tag (attribute
    names qualified as "uri name"), ``end(uri, name)`` per end tag. Nothing is built."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def split(tag: str) -> tuple[str, str]:
        uri, _, name = tag.rpartition(" ")
        return uri, name

    parser.StartElementHandler = lambda tag, attrs: start(*split(tag), attrs)
    if end is not None:
        parser.EndElementHandler = lambda tag: end(*split(tag))
    try:
        while chunk := stream.read(1 << 16):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Done:
        pass


def _attr(attrs: dict[str, str], uris: Iterable[str], name: str) -> str | None:
    for uri in uris:
        value = attrs.get(f"{uri} {name}")
        if value is not None:
            return value
    return None


def _relationships(package: zipfile.ZipFile, opener: Callable[[str], IO[bytes]], part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target resolved to a part name) of ``part``'s relationships."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    found: dict[str, tuple[str, str]] = {}
    if rels_name not in package.NameToInfo:
        return found

    def start(uri: str, tag: str, attrs: dict[str, str]) -> None:
        if tag == "Relationship" and len(found) < MAX_PARTS:
            target = attrs.get("Target") or ""
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[attrs.get("Id") or ""] = (attrs.get("Type") or "", resolved)

    with opener(rels_name) as stream:
        _expat_walk(stream, start)
    return found


def _parts(package: zipfile.ZipFile, opener: Callable[[str], IO[bytes]]) -> tuple[str, str | None, str | None]:
    """The parts of the first sheet, the shared strings and the styles, as the package's
    relationships name them (the usual names where a writer left a relationship out)."""
    workbook = next((target for kind, target in _relationships(package, opener, "").values()
                     if kind.endswith("/officeDocument")), "xl/workbook.xml")
    rel_id: list[str] = []

    def start(uri: str, tag: str, attrs: dict[str, str]) -> None:
        if tag == "sheet" and uri in _MAIN_URIS:
            rel_id.append(_attr(attrs, _REL_URIS, "id") or "")
            raise _Done

    with opener(workbook) as stream:
        _expat_walk(stream, start)
    if not rel_id:
        raise ValueError("the workbook lists no sheet")
    rels = _relationships(package, opener, workbook)
    target = rels.get(rel_id[0])
    if target is None:
        raise ValueError("the first sheet has no part")

    def part(kind: str, usual: str) -> str | None:
        named = next((t for k, t in rels.values() if k.endswith("/" + kind)), usual)
        return named if named in package.NameToInfo else None

    return target[1], part("sharedStrings", "xl/sharedStrings.xml"), part("styles", "xl/styles.xml")


def _date_styles(stream: IO[bytes]) -> bytes:
    """For each cell style (``s``), whether its number format is a date: one byte each."""
    custom_dates: set[int] = set()
    formats = array("I")
    depth = [0]  # inside <cellXfs>

    def start(uri: str, tag: str, attrs: dict[str, str]) -> None:
        if tag == "numFmt":
            code = attrs.get("formatCode", "")
            if is_date_format(code):
                custom_dates.add(int(attrs.get("numFmtId", "0")))
        elif tag == "cellXfs":
            depth[0] += 1
        elif tag == "xf" and depth[0]:
            formats.append(min(max(int(attrs.get("numFmtId", "0")), 0), 0xFFFFFFFF))

    def end(uri: str, tag: str) -> None:
        if tag == "cellXfs":
            depth[0] -= 1

    _expat_walk(stream, start, end)
    return bytes(1 if (f in _DATE_FORMAT_IDS or f in custom_dates) else 0 for f in formats)


# ============================================================================ big parts: blocks of items


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


class _Block:
    """Whole items as XML text; ``shrunk``: one item read by :func:`_shrink_item`, whose long
    texts are marked (see :func:`_unmark`)."""

    __slots__ = ("body", "parse", "shrunk")

    def __init__(self, body: bytes, parse: Callable[[bytes], Element], shrunk: bool = False) -> None:
        self.body, self.parse, self.shrunk = body, parse, shrunk


class _OverlongItem:
    """One item too long to read: its start tag (for a row's number) and its size."""

    __slots__ = ("start_tag", "size")

    def __init__(self, start_tag: bytes, size: int) -> None:
        self.start_tag, self.size = start_tag, size


def _blocks(stream: IO[bytes], container: str, item: str) -> Iterator[_Block | _OverlongItem]:
    """Blocks of whole ``item`` elements from the ``container`` element of a big XML part.

    Each block comes with the function that parses it (it puts the root's start tag, which
    declares the namespaces, around the block, so prefixes resolve as in the whole document).
    The prefix of the items is ``parse.prefix``, ``b""`` when they are in the default namespace.
    What is held at once is bounded: a block and at most one item of :data:`MAX_ROW_BYTES`."""
    container_start = re.compile(rb"<([A-Za-z_][\w.-]*:)?" + container.encode() + rb"\b[^>]*?(/?)>")
    buffer = stream.read(_BLOCK)
    root = None
    while True:  # the root's and then the container's start tags
        if root is None:
            try:
                root = _ROOT.match(buffer, _skip_prolog(buffer))
            except ValueError:  # the prolog goes on past the buffer
                root = None
            if root is None and len(buffer) > MAX_HEAD_BYTES:
                raise ValueError("no root element")
        if root is not None:
            opening = container_start.search(buffer, root.start())  # the root may be the container
            if opening is not None:
                break
            root_tag = root.group(0)
        more = stream.read(_BLOCK)
        if not more:
            return  # no container at all: no items
        if root is not None:  # keep only what a container's start tag could begin in
            buffer = root_tag + buffer[-MAX_TAG_BYTES:]
            root = _ROOT.match(buffer)
        buffer += more
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
                yield _Block(buffer[:stop], parse)
            return
        cut = buffer.rfind(item_end)
        if cut >= 0:
            cut += len(item_end)
            yield _Block(buffer[:cut], parse)
            buffer = buffer[cut:]
        if len(buffer) > MAX_ROW_BYTES:  # one item longer than a row may be: read it on, shrunk
            shrunk, buffer = _shrink_item(buffer, stream, item_end)
            yield shrunk if isinstance(shrunk, _OverlongItem) else _Block(shrunk, parse, shrunk=True)
            continue
        more = stream.read(_BLOCK)
        if not more:
            raise ValueError(f"the part ends inside <{container}>")
        buffer += more


def _shrink_item(buffer: bytes, stream: IO[bytes], item_end: bytes) -> tuple[bytes | _OverlongItem, bytes]:
    """Read one item (``buffer`` begins with it) to its end tag, keeping its tags and its short
    texts; a text longer than :data:`CELL_KEEP_BYTES` becomes ``_MARK + size + _MARK``. Returns
    the shrunk item (or an :class:`_OverlongItem` when even that passes :data:`MAX_ROW_BYTES`)
    and what follows it. Holds at most a block, one tag and the shrunk item."""
    out: list[bytes] = []
    out_size = 0
    item_start = b"<" + item_end[2:-1]
    first_tag = b""  # the item's start tag
    too_long = False
    run: list[bytes] = []
    run_size = 0
    tag: list[bytes] = []
    tag_size = 0
    in_tag = False
    total = 0
    data, pos = buffer, 0
    while True:
        if pos >= len(data):
            total += len(data)
            data, pos = stream.read(_BLOCK), 0
            if not data:
                raise ValueError("the part ends inside an item")
        if in_tag:
            gt = data.find(b">", pos)
            end = gt + 1 if gt >= 0 else len(data)
            tag.append(data[pos:end])
            tag_size += end - pos
            if tag_size > MAX_TAG_BYTES:
                raise ValueError("a tag too long")
            pos = end
            if gt < 0:
                continue
            whole = b"".join(tag)
            tag, tag_size, in_tag = [], 0, False
            if whole.startswith(item_start) and whole[len(item_start):len(item_start) + 1] in (b">", b" ", b"\t",
                                                                                       b"\r", b"\n"):
                first_tag = whole
            if not too_long:
                out.append(whole)
                out_size += len(whole)
            if whole == item_end:
                rest = data[pos:]
                total += pos
                if too_long:
                    return _OverlongItem(first_tag, total), rest
                return b"".join(out), rest
        else:
            lt = data.find(b"<", pos)
            end = lt if lt >= 0 else len(data)
            if run_size + end - pos <= CELL_KEEP_BYTES:
                run.append(data[pos:end])
            elif run:
                run = []
            run_size += end - pos
            pos = end
            if lt < 0:
                continue
            if not too_long:
                if run_size > CELL_KEEP_BYTES:
                    out.append(f"{_MARK}{run_size}{_MARK}".encode())
                    out_size += 16
                else:
                    out.extend(run)
                    out_size += run_size
            run, run_size, in_tag = [], 0, True
        if out_size > MAX_ROW_BYTES and not too_long:
            too_long = True
            out = []


def _unmark(value: Any) -> Any:
    """A value of a shrunk item: the mark of a dropped text becomes an :class:`Overlong`."""
    if value.__class__ is str and value.startswith(_MARK) and value.endswith(_MARK) and len(value) > 2:
        size = value[1:-1]
        if size.isdigit():
            return Overlong(int(size))
    return value


# ============================================================================ shared strings


_T_TAG, _R_TAG = f"{NS}t", f"{NS}r"


def text_of(elem: Element) -> str:
    """The text of an ``<si>`` or ``<is>``: its ``<t>``, or its runs' ``<t>`` without phonetic runs."""
    t_tag = elem.tag[: elem.tag.index("}") + 1] + "t" if elem.tag.startswith("{") else "t"
    r_tag = t_tag[:-1] + "r"
    if len(elem) == 1 and elem[0].tag == t_tag:  # the common case: plain text
        return elem[0].text or ""
    parts = []
    for child in elem:
        if child.tag == t_tag:
            parts.append(child.text or "")
        elif child.tag == r_tag:  # a rich-text run; <rPh> (phonetic guide) is skipped
            parts.extend(t.text or "" for t in child.iter(t_tag))
    return "".join(parts)


# Shared strings every common writer produces; a block is read with this when it accounts for
# every string of the block, otherwise the XML parser reads the block.
_SHARED = re.compile(rb'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>')
_NO_END = 0xFFFFFFFF


class SharedStrings:
    """The shared strings of a workbook, compactly: the strings of a block joined into one
    ``str``, and 12 bytes of index per string (a list of a million short ``str`` objects would
    take ten times the memory). Indexing gives the text, or an :class:`Overlong`."""

    def __init__(self, limit: int | None = None) -> None:
        limit = MAX_SHARED_BYTES if limit is None else limit
        self._texts: list[str] = []
        self._start = array("Q")  # block << 32 | offset
        self._end = array("I")  # offset in the block, _NO_END for an overlong string
        self._overlong: dict[int, Overlong] = {}
        self._limit, self._size = limit, 0

    def __len__(self) -> int:
        return len(self._end)

    def add_block(self, values: list[str | Overlong]) -> None:
        block = len(self._texts)
        offset = 0
        pieces = []
        for value in values:
            if value.__class__ is Overlong:
                self._overlong[len(self._end)] = value  # type: ignore[assignment]
                self._start.append(0)
                self._end.append(_NO_END)
                continue
            pieces.append(value)
            self._start.append(block << 32 | offset)
            offset += len(value)  # type: ignore[arg-type]
            self._end.append(offset)
        text = "".join(pieces)  # type: ignore[arg-type]
        self._texts.append(text)
        self._size += sys.getsizeof(text) + 12 * len(values)
        if self._size > self._limit:
            raise TooLarge("shared", self._limit)

    def __getitem__(self, index: int) -> str | Overlong:
        end = self._end[index]
        if end == _NO_END:
            return self._overlong[index]
        start = self._start[index]
        return self._texts[start >> 32][start & 0xFFFFFFFF:end]


def _text(raw: bytes) -> str:
    """Text of a cell as the XML parser would give it: entities resolved, line ends as "\\n"."""
    if b"&" in raw or b"\r" in raw:
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        return html.unescape(text) if "&" in text else text
    return raw.decode("utf-8")


def _shared_strings(stream: IO[bytes]) -> SharedStrings:
    shared = SharedStrings()
    for block in _blocks(stream, "sst", "si"):
        if isinstance(block, _OverlongItem):
            shared.add_block([Overlong(block.size)])
            continue
        body, parse = block.body, block.parse
        found = _SHARED.findall(body) if not parse.prefix and not block.shrunk else None  # type: ignore[attr-defined]
        if found is not None and len(found) == body.count(b"<si"):
            shared.add_block([_text(raw) for raw in found])
        else:  # rich text, phonetic runs, prefixes, a shrunk string: the parser
            values = [text_of(si) for si in parse(body)]
            shared.add_block([_unmark(v) for v in values] if block.shrunk else values)  # type: ignore[misc]
    return shared


# ============================================================================ the sheet


def read_sheet(source: bytes | IO[bytes], *, max_unpacked: int | None = None) -> Iterator[tuple[int, list[Any]]]:
    """(row number, values) for each row of the workbook's first sheet; raises on anything odd.

    ``source``: the workbook (bytes, or a seekable binary file, read from its start).
    ``max_unpacked``: the most bytes all the parts read may unpack to (:class:`TooLarge`)."""
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes | bytearray | memoryview) else source
    _check_zip_directory(stream)
    package = zipfile.ZipFile(stream)
    limit = max_unpacked if max_unpacked is not None else 1 << 62
    budget = [limit]

    def opener(name: str) -> IO[bytes]:
        return io.BufferedReader(_Counted(package.open(name), budget, limit), 1 << 16)

    try:
        sheet_path, shared_path, styles_path = _parts(package, opener)
        shared = SharedStrings()
        if shared_path:
            with opener(shared_path) as part:
                shared = _shared_strings(part)
        date_styles = b""
        if styles_path:
            with opener(styles_path) as part:
                date_styles = _date_styles(part)
        if sheet_path not in package.NameToInfo:
            raise ValueError("the first sheet's part is missing")
        column_of: dict[bytes | str, int] = {}
        last = [0]  # the number of the row read last, across blocks
        with opener(sheet_path) as part:
            for block in _blocks(part, "sheetData", "row"):
                if isinstance(block, _OverlongItem):
                    found = _ROW_NUMBER.search(block.start_tag)
                    number = _row_number(int(found.group(1)) if found else last[0] + 1)
                    last[0] = number
                    yield number, OverlongRow(block.size)
                    continue
                body, parse = block.body, block.parse
                cells = (_CELL.findall(body) if not parse.prefix and not block.shrunk  # type: ignore[attr-defined]
                         else None)
                if cells is not None and len(cells) == body.count(b"<c"):
                    yield from _rows_of_cells(cells, shared, date_styles, column_of, last)
                else:
                    for number, values in _rows(parse(body), shared, date_styles, column_of, last):
                        yield number, ([_unmark(v) for v in values] if block.shrunk else values)
    finally:
        package.close()


def _row_number(number: int) -> int:
    if not 1 <= number <= MAX_ROW_NUMBER:
        raise ValueError(f"row {number}")
    return number


def _column_index(ref: str) -> int:
    index = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            index = index * 26 + ord(ch) - 64
            if index > MAX_COLUMNS:
                raise ValueError(f"column {ref}")
        else:
            break
    if index == 0:
        raise ValueError(f"cell reference {ref!r}")
    return index - 1


def _number(text: str, style: int, date_styles: bytes) -> Any:
    value = float(text)
    if style < len(date_styles) and date_styles[style]:
        return _EXCEL_EPOCH + dt.timedelta(days=value)
    return int(value) if value.is_integer() and "E" not in text.upper() else value


def _iso_date(text: str) -> Any:
    """A ``t="d"`` cell (ISO 8601), as openpyxl reads it; text it cannot read stays text."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return value.replace(tzinfo=None)


def _put(values: list[Any], index: int, value: Any) -> None:
    if index == len(values):
        values.append(value)
    elif index > len(values):
        values.extend([None] * (index - len(values)))
        values.append(value)
    else:
        values[index] = value


# The cells and shared strings every common writer (Excel, WPS, LibreOffice, openpyxl) produces:
# attributes r, s, t in that order, a value, an inline string or nothing. A block is read with
# these only when they account for every cell (every "<c") of it; otherwise the XML parser reads
# that block. Shared formulas (<f …/>) are skipped: the cached <v> is the value.
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]+)"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?\s*'
    rb'(?:/>|>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?(?:<v>([^<]*)</v>|(<is>)<t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)'
)


def _rows_of_cells(
    cells: list[tuple[bytes, ...]], shared: SharedStrings, date_styles: bytes, column_of: dict[bytes | str, int],
    last: list[int],
) -> Iterator[tuple[int, list[Any]]]:
    """Rows from the regular expression's cells (in document order; a row's cells are together)."""
    current: bytes | None = None
    values: list[Any] = []
    append = values.append
    for letters, number, style, kind, v, inline, text in cells:
        if number != current:
            if current is not None:
                yield last[0], values
            current, values = number, []
            append = values.append
            last[0] = _row_number(int(number))
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
        elif kind == b"d":
            value = _iso_date(_text(v)) if v else None
        else:  # "str", "e" and anything newer: the text
            value = _text(v) if v else None
        if index == len(values):
            append(value)
        else:
            _put(values, index, value)
    if current is not None:
        yield last[0], values


def _rows(
    rows: Iterable[Element], shared: SharedStrings, date_styles: bytes, column_of: dict[bytes | str, int],
    last: list[int],
) -> Iterator[tuple[int, list[Any]]]:
    """Rows from parsed ``<row>`` elements: any cell form the XML allows."""
    for row in rows:
        tag = row.tag
        if not tag.endswith("}row") and tag != "row":
            continue
        ns = tag[: -len("row")]
        cell_tag, value_tag, inline_tag = f"{ns}c", f"{ns}v", f"{ns}is"
        r = row.get("r")
        number = _row_number(int(r) if r else last[0] + 1)
        last[0] = number
        values: list[Any] = []
        index = -1
        for cell in row.iter(cell_tag):
            ref = cell.get("r")
            if ref:  # "AB12": the column depends on the letters only, and a sheet has few of them
                letters = ref.rstrip("0123456789")
                index = column_of.get(letters)  # type: ignore[assignment]
                if index is None:
                    index = column_of[letters] = _column_index(letters)
            else:  # the cell after the previous one
                index += 1
                if index >= MAX_COLUMNS:
                    raise ValueError("too many cells")
            kind = cell.get("t")
            if kind == "inlineStr":
                inline = cell.find(inline_tag)
                value: Any = text_of(inline) if inline is not None else None
            else:
                v = cell.find(value_tag)
                text = v.text if v is not None else None
                if kind == "s":
                    value = shared[int(text)] if text is not None else None
                elif kind == "b":
                    value = text == "1" if text is not None else None
                elif text is None:
                    value = None
                elif kind in (None, "n"):
                    value = _number(text, int(cell.get("s", "0")), date_styles)
                elif kind == "d":
                    value = _iso_date(text)
                else:  # "str", "e" and anything newer: the text
                    value = text
            _put(values, index, value)
        if values:  # a row without cells (formatting only) is no row of data
            yield number, values
