"""Reading an uploaded or stored file as rows, never whole: an upload (Django keeps big ones on
disk), the stored copy of a job, or a file the command opens. What a row may hold is bounded by
the readers (``inventory/xlsx_reader.py``; ``_CsvLines`` here), what the file may unpack to by
:class:`ReadLimits`. A file refused as a whole raises :class:`ImportRefused`.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

from inventory.models import ImportJob
from inventory.xlsx_reader import MAX_CELL_CHARS, Overlong, OverlongRow, TooLarge, read_sheet

HEADER_SCAN_ROWS = 10


class ImportRefused(Exception):
    """The file itself is refused (not a spreadsheet, empty, too big, no header, missing columns)."""


Source = bytes | IO[bytes]


@dataclass(frozen=True)
class ReadLimits:
    """How big a file may be (``max_bytes``) and what an .xlsx may unpack to (``max_unpacked``);
    ``None``: no cap (a job's stored file, already accepted once)."""

    max_bytes: int | None
    max_unpacked: int | None

    @classmethod
    def web(cls) -> ReadLimits:
        return cls(settings.IMPORT_MAX_BYTES, settings.IMPORT_MAX_UNPACKED_BYTES)

    @classmethod
    def command(cls, max_bytes: int) -> ReadLimits:
        """The command line loads province-sized files: its own file cap, and the web's ratio of
        unpacked to packed size."""
        ratio = settings.IMPORT_MAX_UNPACKED_BYTES / settings.IMPORT_MAX_BYTES
        return cls(max_bytes, int(max_bytes * ratio))


STORED = ReadLimits(None, None)


def refuse(message: str) -> ImportRefused:
    return ImportRefused(message)


def _megabytes(n: int) -> str:
    return f"{n / 2**20:.1f}".removesuffix(".0")


def as_stream(source: Source) -> IO[bytes]:
    """A seekable binary file at its start: bytes are wrapped; Django's file objects give the
    file they hold (zipfile and TextIOWrapper want a real one)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(source)
    stream: Any = source
    while not isinstance(stream, io.IOBase) and hasattr(stream, "file"):
        stream = stream.file
    stream.seek(0)
    return stream


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


# CSV: a physical line, and a record over several lines (a quoted cell with line breaks), of at
# most this many characters (csv.field_size_limit() is 131,072: it never has to refuse first).
CSV_LINE_CHARS = 128_000


class _CsvLines:
    """The lines of a CSV text as ``csv.reader`` asks for them, none longer than
    :data:`CSV_LINE_CHARS`: a longer line is read on and dropped (``dropped`` says how long it
    was, and its record becomes an :class:`OverlongRow`); a record that grows past the cap over
    several lines (it can, only inside a quoted cell) is closed where it stands and the rest of
    it skipped. The reader resets ``chars`` and ``dropped`` after each record."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self.text = text
        self.chars = 0
        self.dropped = 0
        self._skipping = False  # inside the quoted cell of a record that was closed early

    def __iter__(self) -> _CsvLines:
        return self

    def _line(self) -> tuple[str, int]:
        """The next line (or "" at the end) and its length: an overlong one as a bare line end."""
        line = self.text.readline(CSV_LINE_CHARS)
        if len(line) < CSV_LINE_CHARS or line.endswith(("\n", "\r")):
            return line, len(line)
        size = len(line)
        while True:
            more = self.text.readline(CSV_LINE_CHARS)
            size += len(more)
            if not more or more.endswith(("\n", "\r")):
                return "\n", size

    def __next__(self) -> str:
        while self._skipping:  # the rest of a record closed early: to the line end outside quotes
            line, _size = self._line()
            if not line:
                raise StopIteration
            if line.count('"') % 2:
                self._skipping = False
        line, size = self._line()
        if not line:
            raise StopIteration
        if size != len(line):
            self.dropped = max(self.dropped, self.chars + size)
        if self.chars + size > CSV_LINE_CHARS and self.chars:
            # The record goes on past the cap: it is inside a quoted cell (a record ends at
            # any line end outside one), so a quote closes it and the rest is skipped.
            self.dropped = self.chars + size
            self._skipping = line.count('"') % 2 == 0  # still inside a quoted cell after this line
            return '"\n'
        self.chars += size
        return line


def _csv_encoding(stream: IO[bytes]) -> str:
    head = stream.read(4096)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # reads the BOM and leaves it out
    if b"\x00" in head:
        raise refuse(_("文件不是电子表格：请上传 .xlsx 或 .csv 文件"))
    for encoding in ("utf-8", "gb18030"):  # the whole file must decode: one streaming pass each
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := stream.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            stream.seek(0)
        return encoding
    raise refuse(_("无法识别文件编码：CSV 文件应为 UTF-8 或 GBK/GB18030 编码"))


def _csv_text(stream: IO[bytes], encoding: str) -> io.TextIOWrapper:
    stream.seek(0)
    return io.TextIOWrapper(stream, encoding=encoding, newline="")  # type: ignore[arg-type]


def _csv_rows(stream: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    encoding = _csv_encoding(stream)
    text = _csv_text(stream, encoding)
    try:
        sample = "\n".join(text.readline(CSV_LINE_CHARS) for _i in range(HEADER_SCAN_ROWS))
    finally:
        text.detach()  # the caller's stream stays open
    delimiter = max((",", "\t", ";", "，"), key=sample.count)
    if sample.count(delimiter) == 0:
        delimiter = ","
    text = _csv_text(stream, encoding)
    lines = _CsvLines(text)
    reader = csv.reader(lines, delimiter=delimiter)
    number = 0
    try:
        while True:
            try:
                values: list[Any] = next(reader)
            except StopIteration:
                return
            except csv.Error:
                values = _BrokenRow(_("CSV 格式错误，该行无法读取"))
            except UnicodeDecodeError:
                raise refuse(_("文件编码错误：文件声明为 UTF-8/UTF-16，但内容无法按该编码读取"))
            number += 1
            if lines.dropped:
                values = OverlongRow(lines.dropped)
            elif lines.chars > MAX_CELL_CHARS:
                values = [Overlong(len(v)) if len(v) > MAX_CELL_CHARS else v for v in values]
            lines.chars = lines.dropped = 0
            yield number, values
    finally:
        text.detach()


class _BrokenRow(list):  # type: ignore[type-arg]
    """A row the reader could not read; ``reason`` says why (a row error, not the file's)."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


# What a malformed workbook raises somewhere in the zip, XML or reader code: the file is refused.
_WORKBOOK_ERRORS = (ValueError, KeyError, IndexError, EOFError, NotImplementedError, RuntimeError, SyntaxError,
                    zipfile.BadZipFile, zlib.error, expat.ExpatError)


def _xlsx_rows(stream: IO[bytes], limits: ReadLimits) -> Iterator[tuple[int, list[Any]]]:
    try:
        yield from read_sheet(stream, max_unpacked=limits.max_unpacked)
    except TooLarge as exc:
        if exc.what == "shared":
            raise refuse(_("工作簿的共享文本过多（超过 %(mb)s MB）：请在 Excel/WPS 中另存为 CSV 后导入")
                          % {"mb": _megabytes(exc.limit)})
        raise refuse(_("工作簿解压后超过 %(mb)s MB，未读取：请检查文件，或拆分后分批导入")
                      % {"mb": _megabytes(exc.limit)})
    except _WORKBOOK_ERRORS:
        raise refuse(_("文件不是有效的 Excel 工作簿（.xlsx），可能已损坏"))


def read_rows(source: Source, filename: str, limits: ReadLimits | None = None) -> Iterator[tuple[int, list[Any]]]:
    """(spreadsheet row number, cell values) of the first sheet of an .xlsx or of a CSV file,
    streamed from ``source``. A cell too long to read is an :class:`Overlong`, a row too long
    an :class:`OverlongRow`; the file itself refused raises :class:`ImportRefused`."""
    limits = limits or ReadLimits.web()
    stream = as_stream(source)
    size = _size(stream)
    head = stream.read(1 << 16)
    stream.seek(0)
    if not head.strip() and size <= len(head):
        raise refuse(_("文件为空"))
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise refuse(_("文件过大：上限为 %(mb)s MB") % {"mb": round(limits.max_bytes / 2**20, 1)})
    lower = filename.lower()
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise refuse(_("不支持旧版 .xls 格式：请在 Excel 中“另存为”.xlsx 或 CSV 后再上传"))
    if head.startswith(b"PK\x03\x04"):
        valid = zipfile.is_zipfile(stream)
        stream.seek(0)
        if not valid:
            raise refuse(_("文件不是有效的 Excel 工作簿（.xlsx），可能已损坏"))
        return _xlsx_rows(stream, limits)
    if lower.endswith((".xlsx", ".xlsm")):
        raise refuse(_("文件扩展名为 .xlsx，但内容不是 Excel 工作簿（可能被改了扩展名）"))
    if head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise refuse(_("文件不是电子表格：请上传 .xlsx 或 .csv 文件"))
    return _csv_rows(stream)


@contextmanager
def job_source(job: ImportJob) -> Iterator[IO[bytes]]:
    """The stored file of ``job``, open for reading (streamed, never read whole)."""
    with job.file.storage.open(job.file.name, "rb") as stored:
        yield as_stream(stored)
