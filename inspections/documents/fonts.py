"""The CJK face the record sheets are set in, made compact for PDFs.

WeasyPrint embeds a subset of each font a PDF uses, but keeps the glyph ids the text was shaped
with: every glyph id below the highest one used stays in the subset, empty. Noto Sans CJK SC has
65,535 glyphs and common characters sit high in it, so each record's subset carried ~60,000
empty glyphs — 170 of a record's 177 KB, and most of the subsetting time.

``compact_face()`` makes, once per process, a copy of the face holding only the characters a
sheet commonly needs — ASCII and Latin-1, the punctuation and symbol blocks, the CJK
punctuation and full-width forms, and every character of GB 2312 (6,763 hanzi, which cover all
but a sliver of modern text) — about 7,800 glyphs, the same outlines, metrics and horizontal
layout features. The stylesheets then name it before "Noto Sans CJK SC" (``prefer_compact``):
a character outside it (a rare character in a firm's name) is set, as before, in the installed
face, which is then embedded as well. What a page shows is unchanged: the same glyphs, placed
the same way.

The copy is made with HarfBuzz's subsetter (the library WeasyPrint itself subsets with) in about
0.2 s; where HarfBuzz or the face is missing, there is no compact face and the sheets use the
installed one as before.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

log = logging.getLogger(__name__)

SOURCE_FAMILY = "Noto Sans CJK SC"
COMPACT_FAMILY = "Noto Sans CJK SC Common"
# Horizontal shaping features HarfBuzz applies by default to Han and Latin text: kept, with the
# glyphs they reach. Vertical forms and other languages' forms (vert, locl) are left out: the
# sheets are horizontal, in zh-Hans or English.
FEATURES = ("ccmp", "rlig", "calt", "clig", "liga", "kern", "mark", "mkmk", "rvrn")
DROP_TABLES = ("vmtx", "vhea", "VORG", "DSIG")
_SETS_UNICODE, _SETS_DROP_TABLE_TAG, _SETS_LAYOUT_FEATURE_TAG = 1, 3, 6
_FLAG_NOTDEF_OUTLINE = 0x40

_CDEF = """
typedef ... hb_blob_t; typedef ... hb_face_t; typedef ... hb_set_t; typedef ... hb_subset_input_t;
typedef uint32_t hb_codepoint_t; typedef uint32_t hb_tag_t;
hb_blob_t * hb_blob_create_from_file_or_fail (const char *file_name);
void hb_blob_destroy (hb_blob_t *blob);
const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
hb_blob_t * hb_face_reference_blob (hb_face_t *face);
hb_tag_t hb_tag_from_string (const char *str, int len);
void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
void hb_set_clear (hb_set_t *set);
hb_subset_input_t * hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t * hb_subset_input_set (hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);

typedef ... FcPattern; typedef ... FcConfig; typedef int FcBool; typedef unsigned char FcChar8;
typedef enum { FcResultMatch, FcResultNoMatch, FcResultTypeMismatch, FcResultNoId, FcResultOutOfMemory } FcResult;
typedef enum { FcMatchPattern, FcMatchFont, FcMatchScan } FcMatchKind;
FcPattern * FcNameParse (const FcChar8 *name);
FcBool FcConfigSubstitute (FcConfig *config, FcPattern *p, FcMatchKind kind);
void FcDefaultSubstitute (FcPattern *pattern);
FcPattern * FcFontMatch (FcConfig *config, FcPattern *p, FcResult *result);
FcResult FcPatternGetString (const FcPattern *p, const char *object, int n, FcChar8 **s);
FcResult FcPatternGetInteger (const FcPattern *p, const char *object, int n, int *i);
void FcPatternDestroy (FcPattern *p);
"""


@functools.cache
def _ffi() -> Any:
    import cffi  # noqa: PLC0415  (WeasyPrint's own dependency)

    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    return ffi


def _gb2312(first_bytes: range) -> set[int]:
    out = set()
    for b1 in first_bytes:
        for b2 in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes((b1, b2)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return out


def characters() -> set[int]:
    """The code points of the compact face."""
    blocks = [
        range(0x20, 0x7F), range(0xA0, 0x100),  # ASCII, Latin-1
        range(0x2000, 0x2070),  # general punctuation
        range(0x2100, 0x2200),  # letterlike (℃ №), number forms (Ⅰ Ⅱ), arrows
        range(0x2460, 0x2500),  # enclosed numbers (① ⑴)
        range(0x25A0, 0x2600),  # geometric shapes (□ ○ ●)
        range(0x3000, 0x3040),  # CJK symbols and punctuation
        range(0xFF00, 0xFFF0),  # full-width forms
    ]
    chars = {c for block in blocks for c in block}
    # GB 2312: rows 0xA1–0xA9 (symbols, kana, Greek, Cyrillic, box drawing), 0xB0–0xF7 (hanzi).
    return chars | _gb2312(range(0xA1, 0xAA)) | _gb2312(range(0xB0, 0xF8))


def _source() -> tuple[str, int] | None:
    """The installed face's file and index in its collection, as fontconfig (Pango's font
    finder) resolves the family."""
    ffi = _ffi()
    fc = ffi.dlopen("libfontconfig.so.1")
    pattern = fc.FcNameParse(f"{SOURCE_FAMILY}:style=Regular".encode())
    if pattern == ffi.NULL:
        return None
    try:
        fc.FcConfigSubstitute(ffi.NULL, pattern, fc.FcMatchPattern)
        fc.FcDefaultSubstitute(pattern)
        result = ffi.new("FcResult *")
        match = fc.FcFontMatch(ffi.NULL, pattern, result)
    finally:
        fc.FcPatternDestroy(pattern)
    if match == ffi.NULL:
        return None
    try:
        string, index = ffi.new("FcChar8 **"), ffi.new("int *")
        families = []
        while fc.FcPatternGetString(match, b"family", len(families), string) == fc.FcResultMatch:
            families.append(ffi.string(string[0]).decode())
        # Fontconfig answers with its best substitute when the family is not installed.
        if SOURCE_FAMILY not in families or fc.FcPatternGetString(match, b"file", 0, string) != fc.FcResultMatch:
            return None
        path = ffi.string(string[0]).decode()
        if fc.FcPatternGetInteger(match, b"index", 0, index) != fc.FcResultMatch:
            index[0] = 0
        return path, int(index[0])
    finally:
        fc.FcPatternDestroy(match)


def _subset(path: str, index: int, chars: set[int]) -> bytes | None:
    ffi = _ffi()
    hb = ffi.dlopen("libharfbuzz.so.0")
    hb_subset: Any = ffi.dlopen("libharfbuzz-subset.so.0")
    blob = hb.hb_blob_create_from_file_or_fail(path.encode())
    if blob == ffi.NULL:
        return None
    face = hb.hb_face_create(blob, index)
    plan = hb_subset.hb_subset_input_create_or_fail()
    try:
        unicodes = hb_subset.hb_subset_input_set(plan, _SETS_UNICODE)
        for c in sorted(chars):
            hb.hb_set_add(unicodes, c)
        features = hb_subset.hb_subset_input_set(plan, _SETS_LAYOUT_FEATURE_TAG)
        hb.hb_set_clear(features)
        for tag in FEATURES:
            hb.hb_set_add(features, hb.hb_tag_from_string(tag.encode(), -1))
        drop = hb_subset.hb_subset_input_set(plan, _SETS_DROP_TABLE_TAG)
        for tag in DROP_TABLES:
            hb.hb_set_add(drop, hb.hb_tag_from_string(tag.encode(), -1))
        hb_subset.hb_subset_input_set_flags(plan, _FLAG_NOTDEF_OUTLINE)
        compact = hb_subset.hb_subset_or_fail(face, plan)
        if compact == ffi.NULL:
            return None
        try:
            data_blob = hb.hb_face_reference_blob(compact)
            length = ffi.new("unsigned int *")
            pointer = hb.hb_blob_get_data(data_blob, length)
            data = ffi.unpack(pointer, length[0]) if pointer != ffi.NULL else b""
            hb.hb_blob_destroy(data_blob)
        finally:
            hb.hb_face_destroy(compact)
    finally:
        hb_subset.hb_subset_input_destroy(plan)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)
    return data or None


@functools.cache
def compact_face() -> bytes | None:
    """The compact face (an OpenType font, ~1.9 MB), or ``None`` where it cannot be made."""
    try:
        source = _source()
        if source is None:
            log.info("compact CJK face: %s is not installed; PDFs embed the installed face", SOURCE_FAMILY)
            return None
        data = _subset(*source, characters())
    except (OSError, ValueError, AttributeError) as exc:  # a library missing (dlopen), or too old
        log.warning("compact CJK face not made (%s); PDFs embed the installed face", exc)
        return None
    return data if data and data[:4] in (b"OTTO", b"\x00\x01\x00\x00") else None


_FAMILY = re.compile(r"""(["'])""" + re.escape(SOURCE_FAMILY) + r"""\1""")


def prefer_compact(css: str) -> str:
    """``css`` with the compact face named before each mention of the installed one."""
    return _FAMILY.sub(lambda m: f'"{COMPACT_FAMILY}", {m.group(0)}', css)


def font_face_rule(data: bytes) -> str:
    """The ``@font-face`` rule of the compact face, inline (a PDF never fetches anything)."""
    import base64  # noqa: PLC0415

    return (
        f'@font-face {{ font-family: "{COMPACT_FAMILY}"; font-weight: 400; '
        f'src: url("data:font/otf;base64,{base64.b64encode(data).decode()}"); }}'
    )
