"""Masks for what is published: pure functions from a stored value to its public form.

Pure standard library, no Django: public projections (``tenancy/projections.py``) name one per
field, and they are tested without a database (``tests/pure/test_masks.py``). Each follows the
practice of Chinese disclosures (信用信息公示, 双随机抽查结果公告):

* a person's name keeps the surname, one ``*`` for each other character: 张三丰 → 张**,
  欧阳修文 → 欧阳** (a compound surname is kept whole);
* a resident ID number keeps the first 10 and the last 4 characters (region and birth year;
  the birth month and day are hidden): 140522199003071234 → 1405221990****1234;
* a mobile number keeps its first 3 and last 4 digits (138****5678); a landline its area code
  and last 2 digits (0356-*****34);
* an address keeps its administrative divisions down to the township or street office and hides
  the rest (山西省阳城县凤城镇新阳东街12号 → 山西省阳城县凤城镇****);
* ``withheld`` hides a value entirely.

``None`` and ``""`` stay as they are: an empty field reveals nothing to hide. Masks never raise on
unexpected input: a value that matches no pattern is hidden more, never less.
"""

from __future__ import annotations

import re

STAR = "*"
HIDDEN = STAR * 4

# Two-character surnames (复姓) in common use; a name starting with one keeps both characters.
COMPOUND_SURNAMES = frozenset(
    ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯",
     "轩辕", "令狐", "端木", "百里", "呼延", "南宫", "西门", "独孤", "钟离", "万俟", "闻人", "赫连", "澹台",
     "公冶", "宗政", "濮阳", "太叔", "申屠", "仲孙", "单于", "淳于", "东郭", "拓跋", "左丘", "第五")
)
# The separator of transliterated names (阿卜杜拉·艾买提) stays: it is not a letter of the name.
NAME_SEPARATORS = frozenset("·•・")


def person_name(value: str | None) -> str | None:
    """张三 → 张*, 张三丰 → 张**, 欧阳修 → 欧阳*, 阿卜杜拉·艾买提 → 阿***·***; one character stays."""
    if not value:
        return value
    name = value.strip()
    kept = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:kept] + "".join(c if c in NAME_SEPARATORS else STAR for c in name[kept:])


_ID18 = re.compile(r"\d{17}[\dX]")
_ID15 = re.compile(r"\d{15}")


def id_number(value: str | None) -> str | None:
    """A resident ID number: 18 characters keep the first 10 and the last 4, 15 digits (the old
    form, YYMMDD births) the first 6 and the last 3; any other document number keeps its first
    and last 2 characters when it has at least 8, and is hidden whole otherwise."""
    if not value:
        return value
    text = re.sub(r"\s", "", value).upper()
    if _ID18.fullmatch(text):
        return text[:10] + STAR * 4 + text[-4:]
    if _ID15.fullmatch(text):
        return text[:6] + STAR * 6 + text[-3:]
    if len(text) >= 8:
        return text[:2] + STAR * (len(text) - 4) + text[-2:]
    return HIDDEN


_MOBILE = re.compile(r"1[3-9]\d{9}")
_FULL_WIDTH = {0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF0B: ord("+"), 0xFF0D: ord("-"), 0xFF08: ord("("), 0xFF09: ord(")")}
_EXTENSION = re.compile(r"转|分机|ext|#|x", re.IGNORECASE)


def phone(value: str | None) -> str | None:
    """A mobile number keeps its first 3 and last 4 digits (+86 138-0013-8000 → 138****8000); a
    landline its area code and last 2 digits (0356-4221234 → 0356-*****34, 010 12345678 →
    010-******78); any other number its last 2 digits. An extension (转 123) is dropped."""
    if not value:
        return value
    main = _EXTENSION.split(value.translate(_FULL_WIDTH), maxsplit=1)[0]
    compact = re.sub(r"[\s()（）\-]", "", main)
    country = re.match(r"(?:\+|00)86|86(?=1[3-9]\d{9}$)", compact)
    national = compact[country.end():] if country else compact
    if not national.isdigit():
        return HIDDEN
    if _MOBILE.fullmatch(national):
        return national[:3] + STAR * 4 + national[-4:]
    if country and not national.startswith("0"):
        national = "0" + national  # a landline written with the country code drops its 0
    if national.startswith("0") and len(national) >= 9:
        area = national[:3] if national[1] in "12" else national[:4]  # 010, 02x: three digits
        local = national[len(area):]
        return f"{area}-{STAR * (len(local) - 2)}{local[-2:]}"
    if len(national) > 4:
        return STAR * (len(national) - 2) + national[-2:]
    return HIDDEN


# One administrative level: a name without digits or address words, then the level's suffix.
_NAME = r"[^\d\s省市县区旗镇乡路巷道号弄栋幢楼室村组]{1,12}?"
_ADMIN_PREFIX = re.compile(
    rf"(?:{_NAME}(?:省|自治区|特别行政区))?"
    rf"(?:{_NAME}(?:市|自治州|地区|盟))?"
    rf"(?:{_NAME}(?:区|县|市|旗|自治县|自治旗|林区|特区))?"
    rf"(?:{_NAME}(?:镇|乡|街道|苏木|民族乡))?"
)


def address_detail(value: str | None) -> str | None:
    """The administrative part of an address (province to township or street office) and ``****``
    for the rest (street, number, building, room, village group); hidden whole when no division
    starts it."""
    if not value:
        return value
    text = value.strip()
    kept = _ADMIN_PREFIX.match(text).group(0)  # type: ignore[union-attr]  (every group is optional)
    if kept == text:
        return text
    return kept + HIDDEN


def withheld(value: object) -> str | None:
    """Hidden whole (a trade secret the owner did not agree to publish); empty stays empty."""
    return value if value in (None, "") else HIDDEN  # type: ignore[return-value]
