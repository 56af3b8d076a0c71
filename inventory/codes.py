"""Identifier codes for supervised objects: validation, normalisation, generation.

Pure standard library, no Django: the models, forms, the Excel importer and the demo-data
generator all share these rules, and they are unit-tested without a database.

Three kinds of code are recognised:

* **USCC** — 统一社会信用代码, GB 32100-2015. 18 characters from the code alphabet
  ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (I, O, Z, S, V are never used):

  ====== ==========================================================================
  pos.   meaning
  ====== ==========================================================================
  1      登记管理部门代码 (registration authority: 1 机构编制, 5 民政, 9 工商/市场监管,
         N 农业, Y 其他 …)
  2      机构类别代码 (organisation category, meaning depends on position 1)
  3–8    登记管理机关行政区划码 (GB/T 2260 administrative division, digits only)
  9–17   主体标识码 (the GB 11714 organisation code, 8 body chars + its own check char)
  18     校验码: value = (31 − Σ vᵢ·wᵢ mod 31) mod 31 over positions 1–17,
         wᵢ = 3^(i−1) mod 31 = 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
  ====== ==========================================================================

  Positions 1–2 accept any character of the code alphabet: the standard draws them from
  that alphabet and the list of authorities/categories has grown by notice since 2015
  (e.g. N2… for rural collective economic organisations), so a hard-coded whitelist would
  reject genuine codes.  The embedded GB 11714 check of positions 9–17 is *not* required
  (registrars do not guarantee it for every subject type); :func:`has_valid_org_code`
  reports it for whoever wants to look.

* **regno** — the 15-digit 工商注册号 used before the USCC (GS 15-2006): 6-digit registering
  authority region code, 8-digit sequence, and a check digit per GB/T 17710 (ISO 7064
  MOD 11,10 hybrid system).  Always flagged ``legacy``.

* **registry** — our own 登记编码 for objects that have no USCC (projects, sites, products)::

      R <6-digit GB/T 2260 region code> - <local part>

  The local part is 1–20 characters of ``0-9 A-Z -``, must start and end with a letter or
  digit and may not contain ``--``; e.g. ``R440300-XM2024-001``.  It has no check character:
  these codes are allocated by our own staff, not keyed in from paper certificates.

Every public validator below expects an already-normalised code (see :func:`normalize_code`);
:func:`classify_code` normalises raw user input itself and is what forms/importers should call.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass
from typing import Literal


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalog (``makemessages`` looks for this name).

    Messages stay Chinese here, formatted as ``msgid % params``; pages show them in the reader's
    language through ``tenancy.i18n.translate_stored``, which recognises the msgid again.
    """
    return message

__all__ = [
    "USCC_ALPHABET",
    "USCC_WEIGHTS",
    "PROVINCE_PREFIXES",
    "ERROR_CODES",
    "CodeKind",
    "CodeCheck",
    "normalize_code",
    "normalize_text",
    "uscc_check_char",
    "is_valid_uscc",
    "org_code_check_char",
    "has_valid_org_code",
    "regno_check_digit",
    "is_valid_regno",
    "is_valid_registry_code",
    "is_valid_region_code",
    "classify_code",
    "make_uscc",
    "make_regno",
    "make_registry_code",
    "established_on_error",
]

CodeKind = Literal["uscc", "regno", "registry"]

# GB 32100-2015 code alphabet; the index of a character is its numeric value (A=10 … Y=30).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
# Letters GB 32100 leaves out because they are easily confused with 1, 0, 2, 5, U.
_USCC_FORBIDDEN_LETTERS = frozenset("IOZSV")

# wᵢ = 3^(i-1) mod 31.  3 is a primitive root mod 31, so all 17 weights are distinct and
# non-zero mod the prime 31 — that is what makes every single substitution and every
# transposition among positions 1–17 detectable (see tests/pure/test_codes.py).
USCC_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11714-1997 organisation code: weights for the 8 body characters, modulus 11.
_ORG_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)

# First two digits of a GB/T 2260 code (province level), plus "10" which registrars use for
# national-level registrations (e.g. ICBC, 91100000100003962T).  Checking the province is
# cheap and catches typos in the region digits that a mod-31 check would otherwise report
# only as a confusing "wrong check character".
PROVINCE_PREFIXES: frozenset[str] = frozenset(
    {"10"}
    | {"11", "12", "13", "14", "15"}
    | {"21", "22", "23"}
    | {"31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46"}
    | {"50", "51", "52", "53", "54"}
    | {"61", "62", "63", "64", "65"}
    | {"71", "81", "82"}
)

# Stable identifiers for CodeCheck.error_code (UI/API clients may switch on these).
ERROR_CODES: frozenset[str] = frozenset(
    {"empty", "bad_length", "bad_char", "bad_region", "bad_check", "bad_format"}
)

_DIGITS = frozenset(string.digits)
_REGISTRY_LOCAL_CHARS = frozenset(string.digits + string.ascii_uppercase + "-")
_REGISTRY_LOCAL_MAX = 20
_REGISTRY_RE = re.compile(r"R(\d{6})-([0-9A-Z]+(?:-[0-9A-Z]+)*)")

# U+FF01–U+FF5E are the full-width forms of ASCII 0x21–0x7E; U+3000 is the ideographic space.
_HALF_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Upper-case ASCII only: str.upper() would turn e.g. 'ﬀ' into 'FF' or 'ſ' into 'S' and let
# look-alike characters sneak into a code that then appears valid.
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """Outcome of :func:`classify_code`.

    ``kind`` is the kind the input was judged to be (``None`` when it cannot be told, e.g.
    empty or of an impossible length); ``legacy`` is true for 15-digit registration numbers.
    ``region_code`` is the 6-digit region field whenever it is well-formed, even if another
    part of the code is wrong (useful for messages and for guessing the jurisdiction).
    """

    normalized: str
    kind: CodeKind | None
    legacy: bool
    valid: bool
    error_code: str | None
    error: str | None
    region_code: str | None


# --------------------------------------------------------------------------- normalisation


def normalize_code(raw: str) -> str:
    """Full-width ASCII and ideographic space → half-width, strip, upper-case ASCII.

    Idempotent. Internal whitespace is kept (and then reported as an illegal character)
    rather than silently dropped, so a pasted "91 4403…" is shown back to the user.
    """
    return raw.translate(_HALF_WIDTH).strip().translate(_ASCII_UPPER)


def normalize_text(s: str) -> str:
    """Normalise free text from spreadsheets: full-width ASCII → half-width, ideographic
    space → space, collapse every whitespace run (incl. NBSP, tabs, newlines) to one space,
    strip the ends.  Case is preserved."""
    return " ".join(s.translate(_HALF_WIDTH).split())


# --------------------------------------------------------------------------- helpers


def _is_digits(s: str) -> bool:
    # str.isdigit() also accepts '²', '١' etc.; codes are ASCII.
    return bool(s) and all(ch in _DIGITS for ch in s)


def is_valid_region_code(region6: str) -> bool:
    """Six ASCII digits whose first two form a known province-level code (or "10")."""
    return len(region6) == 6 and _is_digits(region6) and region6[:2] in PROVINCE_PREFIXES


def _show(ch: str) -> str:
    return f"'{ch}'"


def _uscc_weighted_sum(first17: str) -> int:
    return sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))


# --------------------------------------------------------------------------- USCC


def uscc_check_char(first17: str) -> str:
    """Check character (position 18) for the first 17 characters of a USCC."""
    if len(first17) != 17:
        raise ValueError(f"need 17 characters, got {len(first17)}")
    bad = [ch for ch in first17 if ch not in _USCC_VALUE]
    if bad:
        raise ValueError(f"character {bad[0]!r} is not in the GB 32100 alphabet")
    # (31 - s mod 31) with 31 mapped to 0 is simply (-s) mod 31.
    return USCC_ALPHABET[-_uscc_weighted_sum(first17) % 31]


def is_valid_uscc(code: str) -> bool:
    """Strict check of an already-normalised 18-character USCC."""
    return len(code) == 18 and _check_uscc(code).valid


def org_code_check_char(first8: str) -> str:
    """GB 11714-1997 check character for an 8-character organisation-code body
    (digits and upper-case letters, A=10 … Z=35)."""
    if len(first8) != 8:
        raise ValueError(f"need 8 characters, got {len(first8)}")
    values = []
    for ch in first8:
        if ch in _DIGITS:
            values.append(int(ch))
        elif ch in string.ascii_uppercase:
            values.append(ord(ch) - ord("A") + 10)
        else:
            raise ValueError(f"character {ch!r} is not allowed in an organisation code")
    c = 11 - sum(v * w for v, w in zip(values, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def has_valid_org_code(code: str) -> bool:
    """Whether positions 9–17 of a (normalised) USCC satisfy the GB 11714 check.

    Informational only — not part of USCC validity."""
    if len(code) != 18:
        return False
    body = code[8:17]
    try:
        return org_code_check_char(body[:8]) == body[8]
    except ValueError:
        return False


_USCC_CHARS = frozenset(USCC_ALPHABET)
# Per position, each character's weighted value mod 31: the check is then one C-level map.
_USCC_WEIGHTED = tuple({ch: _USCC_VALUE[ch] * w % 31 for ch in USCC_ALPHABET} for w in USCC_WEIGHTS)


def _check_uscc(code: str) -> CodeCheck:
    # The common case first, in a few C-level steps: a well-formed code with the right check
    # character (an import validates a hundred thousand of them). Anything else takes the
    # step-by-step path below, which names the first problem.
    if len(code) == 18 and _USCC_CHARS.issuperset(code):
        region_field = code[2:8]
        if (
            region_field.isdigit()  # the alphabet is ASCII: no other digits get this far
            and region_field[:2] in PROVINCE_PREFIXES
            and code[17] == USCC_ALPHABET[-sum(map(dict.__getitem__, _USCC_WEIGHTED, code)) % 31]
        ):
            return CodeCheck(code, "uscc", False, True, None, None, region_field)
    region_field = code[2:8]
    region = region_field if is_valid_region_code(region_field) else None

    def fail(error_code: str, error: str) -> CodeCheck:
        return CodeCheck(code, "uscc", False, False, error_code, error, region)

    if len(code) != 18:
        return fail("bad_length", gettext_noop("统一社会信用代码应为 18 位，实为 %(n)s 位") % {"n": len(code)})
    for pos, ch in enumerate(code, start=1):
        if ch not in _USCC_VALUE:
            if ch.isspace():  # a message of its own: no Chinese word as a parameter
                message = gettext_noop("第 %(pos)s 位含非法字符 空白字符")
            elif ch in _USCC_FORBIDDEN_LETTERS:
                message = gettext_noop("第 %(pos)s 位含非法字符 %(ch)s（统一社会信用代码不使用字母 I、O、Z、S、V）")
            else:
                message = gettext_noop("第 %(pos)s 位含非法字符 %(ch)s")
            return fail("bad_char", message % {"pos": pos, "ch": _show(ch)})
    if not _is_digits(region_field):
        pos = next(i for i, ch in enumerate(region_field, start=3) if ch not in _DIGITS)
        return fail(
            "bad_region",
            gettext_noop("第 3–8 位行政区划码应全为数字，第 %(pos)s 位实为 '%(ch)s'") % {"pos": pos, "ch": code[pos - 1]},
        )
    if region is None:
        return fail(
            "bad_region",
            gettext_noop("第 3–8 位行政区划码 '%(region)s' 无效：'%(province)s' 不是省级行政区划代码")
            % {"region": region_field, "province": region_field[:2]},
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return fail(
            "bad_check",
            gettext_noop("统一社会信用代码校验位错误：应为 %(expected)s，实为 %(actual)s") % {"expected": expected, "actual": code[17]},
        )
    return CodeCheck(code, "uscc", False, True, None, None, region)


def make_uscc(prefix2: str, region6: str, body9: str) -> str:
    """Build a valid USCC from authority+category, region and subject body (demo data).

    ``body9`` is taken as-is; use :func:`org_code_check_char` on 8 characters first if the
    embedded organisation code should also be consistent."""
    if len(prefix2) != 2 or any(ch not in _USCC_VALUE for ch in prefix2):
        raise ValueError(f"prefix2 must be 2 characters of {USCC_ALPHABET}: {prefix2!r}")
    if not is_valid_region_code(region6):
        raise ValueError(f"region6 must be a 6-digit region code with a known province: {region6!r}")
    if len(body9) != 9 or any(ch not in _USCC_VALUE for ch in body9):
        raise ValueError(f"body9 must be 9 characters of {USCC_ALPHABET}: {body9!r}")
    first17 = prefix2 + region6 + body9
    return first17 + uscc_check_char(first17)


# --------------------------------------------------------------------------- 15-digit regno


def regno_check_digit(first14: str) -> str:
    """GB/T 17710 (ISO 7064 MOD 11,10) check digit for a 14-digit registration number."""
    if len(first14) != 14 or not _is_digits(first14):
        raise ValueError(f"need 14 ASCII digits: {first14!r}")
    p = 10
    for ch in first14:
        s = p % 11 + int(ch)
        p = (s % 10 or 10) * 2  # "mod 10, but 0 counts as 10"
    # The complete number is valid when (p mod 11 + check) mod 10 == 1.
    return str((11 - p % 11) % 10)


def is_valid_regno(code: str) -> bool:
    """Strict check of an already-normalised 15-digit registration number."""
    return len(code) == 15 and _check_regno(code).valid


def _check_regno(code: str) -> CodeCheck:
    region = code[:6] if is_valid_region_code(code[:6]) else None

    def fail(error_code: str, error: str) -> CodeCheck:
        return CodeCheck(code, "regno", True, False, error_code, error, region)

    if len(code) != 15:
        return fail("bad_length", gettext_noop("注册号应为 15 位，实为 %(n)s 位") % {"n": len(code)})
    for pos, ch in enumerate(code, start=1):
        if ch not in _DIGITS:
            if ch.isspace():
                return fail("bad_char", gettext_noop("第 %(pos)s 位含非法字符 空白字符（注册号应全为数字）") % {"pos": pos})
            return fail("bad_char", gettext_noop("第 %(pos)s 位含非法字符 %(ch)s（注册号应全为数字）") % {"pos": pos, "ch": _show(ch)})
    if region is None:
        return fail(
            "bad_region",
            gettext_noop("注册号前 6 位登记机关区划码 '%(region)s' 无效：'%(province)s' 不是省级行政区划代码")
            % {"region": code[:6], "province": code[:2]},
        )
    expected = regno_check_digit(code[:14])
    if code[14] != expected:
        return fail(
            "bad_check", gettext_noop("注册号校验位错误：应为 %(expected)s，实为 %(actual)s") % {"expected": expected, "actual": code[14]}
        )
    return CodeCheck(code, "regno", True, True, None, None, region)


def make_regno(first14: str) -> str:
    """Append the check digit; the first six digits must be a known region code."""
    if not is_valid_region_code(first14[:6]):
        raise ValueError(f"first 6 digits must be a region code with a known province: {first14!r}")
    return first14 + regno_check_digit(first14)


# --------------------------------------------------------------------------- registry code


def is_valid_registry_code(code: str) -> bool:
    """Strict check of an already-normalised 登记编码 (see module docstring)."""
    return _check_registry(code).valid


def _check_registry(code: str) -> CodeCheck:
    region_field = code[1:7]
    region = region_field if is_valid_region_code(region_field) else None

    def fail(error_code: str, error: str) -> CodeCheck:
        return CodeCheck(code, "registry", False, False, error_code, error, region)

    # The format rule is spelled out in each message (one msgid each, so each translates whole).
    if not code.startswith("R"):
        return fail("bad_format", gettext_noop("登记编码格式应为 R + 6 位行政区划码 + '-' + 1–20 位编号（数字、大写字母、'-'），首位应为 'R'"))
    if not _is_digits(region_field) or len(region_field) != 6:
        return fail(
            "bad_region",
            gettext_noop("登记编码格式应为 R + 6 位行政区划码 + '-' + 1–20 位编号（数字、大写字母、'-'）；第 2–7 位应为 6 位数字行政区划码，实为 '%(region)s'")
            % {"region": region_field},
        )
    if region is None:
        return fail(
            "bad_region",
            gettext_noop("第 2–7 位行政区划码 '%(region)s' 无效：'%(province)s' 不是省级行政区划代码")
            % {"region": region_field, "province": region_field[:2]},
        )
    if code[7:8] != "-":
        return fail("bad_format", gettext_noop("登记编码格式应为 R + 6 位行政区划码 + '-' + 1–20 位编号（数字、大写字母、'-'）；第 8 位应为 '-'"))
    local = code[8:]
    for pos, ch in enumerate(local, start=9):
        if ch not in _REGISTRY_LOCAL_CHARS:
            if ch.isspace():
                return fail("bad_char", gettext_noop("第 %(pos)s 位含非法字符 空白字符（编号只允许数字、大写字母和 '-'）") % {"pos": pos})
            return fail("bad_char", gettext_noop("第 %(pos)s 位含非法字符 %(ch)s（编号只允许数字、大写字母和 '-'）") % {"pos": pos, "ch": _show(ch)})
    if not 1 <= len(local) <= _REGISTRY_LOCAL_MAX:
        return fail(
            "bad_length",
            gettext_noop("登记编码的编号部分应为 1–%(max)s 位，实为 %(n)s 位") % {"max": _REGISTRY_LOCAL_MAX, "n": len(local)},
        )
    if not _REGISTRY_RE.fullmatch(code):
        return fail("bad_format", gettext_noop("登记编码的编号部分不能以 '-' 开头或结尾，也不能含连续的 '--'"))
    return CodeCheck(code, "registry", False, True, None, None, region)


def make_registry_code(region6: str, local: str) -> str:
    """Build a 登记编码 and verify it (raises ValueError with the Chinese message)."""
    code = f"R{region6}-{local}"
    result = _check_registry(code)
    if not result.valid:
        raise ValueError(result.error)
    return code


# --------------------------------------------------------------------------- entry point


def classify_code(raw: str) -> CodeCheck:
    """Normalise raw input, decide which kind of code it is meant to be, and validate it.

    Dispatch: an ``R`` prefix with a ``-`` (or with a length no other kind has) → registry
    code; 15 characters → registration number; 18 characters → USCC; anything else is a
    length error with ``kind=None``.
    """
    code = normalize_code(raw)
    if not code:
        return CodeCheck(code, None, False, False, "empty", gettext_noop("编码为空"), None)
    if code.startswith("R") and ("-" in code or len(code) not in (15, 18)):
        return _check_registry(code)
    if len(code) == 15:
        return _check_regno(code)
    if len(code) == 18:
        return _check_uscc(code)
    return CodeCheck(
        code,
        None,
        False,
        False,
        "bad_length",
        gettext_noop("长度错误：统一社会信用代码应为 18 位，旧版注册号应为 15 位，实为 %(n)s 位") % {"n": len(code)},
        None,
    )


# --------------------------------------------------------------------------- dates


def established_on_error(day: dt.date | None, *, today: dt.date) -> str | None:
    """Why an establishment date (成立日期) is refused, or ``None``: it cannot lie in the future.

    One rule for the entity form, the API and the spreadsheet import; ``today`` is the local
    date of the caller (Asia/Shanghai), passed in so this module stays free of Django.
    """
    if day is not None and day > today:
        return gettext_noop("成立日期不能晚于今天（%(today)s）") % {"today": today.isoformat()}
    return None


# --------------------------------------------------------------------------- industry (GB/T 4754)

# 国民经济行业分类: a section letter A–T (门类), then 2 digits (大类), 3 (中类) or 4 (小类); codes
# are also written without the letter. A code at any level is also a prefix that selects the
# codes below it (a plan's scope), so one pattern serves entities, imports and plan scopes.
# ASCII digits only ([0-9], not \d, which takes full-width ones): input is normalised first.
INDUSTRY_CODE_PATTERN = r"[A-T]([0-9]{2,4})?|[0-9]{2,4}"
_INDUSTRY_RE = re.compile(INDUSTRY_CODE_PATTERN)


# GB/T 4754-2017: the divisions (大类, the first two digits) of each section (门类). A code
# written without its letter gets it from here, so "5211" and "F5211" are one code, and a
# plan's prefix "52" selects the entities stored as "F52…".
INDUSTRY_SECTIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52),
    "G": (53, 60), "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72),
    "M": (73, 75), "N": (76, 79), "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90),
    "S": (91, 97), "T": (98, 98),
}


def industry_section(division: int) -> str | None:
    """The section letter of a two-digit division (``52`` → ``F``), or None if there is none."""
    return next((s for s, (lo, hi) in INDUSTRY_SECTIONS.items() if lo <= division <= hi), None)


def canonical_industry_code(code: str) -> str | None:
    """A normalised (upper-case, see :func:`normalize_code`) GB/T 4754 code or prefix in its one
    stored form, the section letter first (``5211`` → ``F5211``, ``F52`` stays), or None when it
    is not one: ``abc``, ``U52``, ``F5``, ``52111``, a division of no section (``99``), or a
    letter that is not the division's (``A52``)."""
    if not _INDUSTRY_RE.fullmatch(code):
        return None
    letter, digits = (code[0], code[1:]) if code[0].isalpha() else ("", code)
    if not digits:
        return letter
    section = industry_section(int(digits[:2]))
    if section is None or (letter and letter != section):
        return None
    return section + digits


INDUSTRY_CODE_ERROR = gettext_noop(
    "行业代码应为 GB/T 4754 代码：门类字母 A–T 加 2–4 位数字（如 F5211），或只写数字（如 5211），数字须属于该门类"
)


def is_valid_industry_code(code: str) -> bool:
    """A normalised GB/T 4754 code or prefix: ``F``, ``F52``, ``F5211``, ``52``, ``8710``; not
    ``abc``, ``U52``, ``F5``, ``52111``, ``A52``."""
    return canonical_industry_code(code) is not None


# --------------------------------------------------------------------------- phone numbers

# Mainland numbers as people write them: separators (spaces, hyphens, brackets round the area
# code) are dropped before matching, and +86 / 0086 / 86 in front is the country code (after it
# a landline loses its leading 0: +86 356 4221234).
_PHONE_SEPARATORS = re.compile(r"[ \-()]")
_PHONE_COUNTRY = re.compile(r"(?:\+86|0086)(?=[0-9])|86(?=1[3-9][0-9]{9}$)")
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
# 0 + area code of 2-3 digits (010, 0356) + 7-8 digit local number: 10 to 12 digits in all.
_LANDLINE_RE = re.compile(r"0[1-9][0-9]{8,10}")
_SERVICE_RE = re.compile(r"[48]00[0-9]{7}")  # 400/800 service numbers
# An extension after a landline: 转 123, 分机 123, ext. 123, x123, #123 or a last -123.
_PHONE_EXTENSION = re.compile(r"(.*?[0-9])\s*(?:转|分机|ext\.?|x|#|-)\s*([0-9]{1,6})", re.IGNORECASE)


def normalize_phone(raw: str) -> str:
    """Full-width characters to half-width, spaces collapsed, ends stripped; what is stored."""
    return " ".join(raw.translate(_HALF_WIDTH).split())


def _phone_digits(text: str) -> str:
    compact = _PHONE_SEPARATORS.sub("", text)
    match = _PHONE_COUNTRY.match(compact)
    if match:
        compact = compact[match.end():]
        if not _MOBILE_RE.fullmatch(compact) and not compact.startswith("0"):
            compact = "0" + compact  # a landline written with the country code drops its 0
    return compact


def is_valid_phone(text: str) -> bool:
    """A mainland phone number (normalised, see :func:`normalize_phone`):

    - mobile ``1[3-9]`` + 9 digits: ``13800138000``, ``138 0013 8000``, ``+86 138-0013-8000``;
    - landline with its area code: ``0356-4221234``, ``(0356)4221234``, ``010 12345678``,
      ``+86 356 4221234``, with an optional extension ``0356-4221234 转 123`` / ``-123`` / ``#123``;
    - 400/800 service numbers: ``400-123-4567``.

    Not a bare local number without the area code, nor anything with letters or other signs.
    """
    digits = _phone_digits(text)
    if _MOBILE_RE.fullmatch(digits) or _LANDLINE_RE.fullmatch(digits) or _SERVICE_RE.fullmatch(digits):
        return True
    extension = _PHONE_EXTENSION.fullmatch(text)
    if extension:
        main = _phone_digits(extension.group(1))
        return bool(_LANDLINE_RE.fullmatch(main) or _SERVICE_RE.fullmatch(main))
    return False
