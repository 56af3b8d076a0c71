"""The 检查记录表 and the 检查结果告知书: one Django template each renders the HTML preview and,
through WeasyPrint, the PDF.

The sheets use sampling's print stylesheet (A4, running header, page numbers, the one CJK family
"Noto Sans CJK SC") and a small one of their own; the preview links both by URL, WeasyPrint gets
their text read from their files, and the signature is inlined as a data: URI — a PDF never
fetches anything.

``Renderer`` keeps one WeasyPrint ``FontConfiguration`` (and the parsed stylesheets) for all the
PDFs it makes: a new configuration per document leaves its fonts behind in the process, a few
megabytes per PDF — a zip of a thousand records could not afford it, nor a web worker serving
downloads all day. Each thread keeps one (``renderer()``): WeasyPrint's font objects are not
shared across threads.

The stylesheets name a compact copy of the CJK face first (``fonts``): the same glyphs, but a
record's embedded subset is tens of kilobytes instead of ~170 KB.
"""

from __future__ import annotations

import atexit
import shutil
import threading
import weakref
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from . import fonts

RECORD_TEMPLATE = "inspections/documents/record.html"
NOTICE_TEMPLATE = "inspections/documents/notice.html"
COMBINED_TEMPLATE = "inspections/documents/combined_record.html"
STYLESHEETS = (
    Path(settings.BASE_DIR) / "static" / "css" / "print.css",
    Path(settings.BASE_DIR) / "static" / "css" / "inspection_print.css",
)
KINDS = {"record": RECORD_TEMPLATE, "notice": NOTICE_TEMPLATE, "combined": COMBINED_TEMPLATE}


def document_html(kind: str, record: dict[str, Any], *, for_pdf: bool = False) -> str:
    """The record (``kind`` "record"), the notice ("notice") or a combined visit's record
    ("combined", ``combined.combined_record``) as HTML: the standalone preview page
    (``for_pdf=False``) or WeasyPrint's input."""
    return render_to_string(KINDS[kind], {"r": record, "for_pdf": for_pdf, "printed_at": timezone.localtime()})


class Renderer:
    """Makes PDFs with one font configuration and one parse of the stylesheets."""

    def __init__(self) -> None:
        from weasyprint import CSS  # noqa: PLC0415  (heavy import, only where PDFs are made)
        from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

        self.fonts = FontConfiguration()
        self.stylesheets = []
        compact = fonts.compact_face()
        if compact is not None:
            self.stylesheets.append(CSS(string=fonts.font_face_rule(compact), font_config=self.fonts))
        for path in STYLESHEETS:
            text = path.read_text(encoding="utf-8")
            if compact is not None:
                text = fonts.prefer_compact(text)
            self.stylesheets.append(CSS(string=text, base_url=path.as_uri(), font_config=self.fonts))
        _font_configs.add(self.fonts)

    def pdf(self, kind: str, record: dict[str, Any]) -> bytes:
        from weasyprint import HTML  # noqa: PLC0415

        html = document_html(kind, record, for_pdf=True)
        return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
            stylesheets=self.stylesheets, font_config=self.fonts
        )


_local = threading.local()


# The renderers' font configurations: each has a temporary folder (the compact face's copy,
# ~2 MB) it removes when collected — which, once it has made PDFs (Pango's objects hold it), does
# not happen before interpreter exit, when its own cleanup fails. Removed here then.
_font_configs: weakref.WeakSet[Any] = weakref.WeakSet()


@atexit.register
def _remove_font_folders() -> None:
    for config in list(_font_configs):
        folder, config._folder = getattr(config, "_folder", None), None
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def renderer() -> Renderer:
    """This thread's renderer, made on first use."""
    if getattr(_local, "renderer", None) is None:
        _local.renderer = Renderer()
    return _local.renderer


def document_pdf(kind: str, record: dict[str, Any]) -> bytes:
    """One PDF (a page's or the API's download)."""
    return renderer().pdf(kind, record)
