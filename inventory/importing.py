"""Spreadsheet import of the three registries (一单两库): read, recognise headers, validate, upsert.

One table of columns per kind (:data:`COLUMNS`) is shared by the template, the import and the
export (``inventory/xlsx.py``), so an export re-imports to the same data. The seed plans ask for
the registries to be kept current ("动态管理", 阳城发改 §二; 曲阳细则 §12–13): IT officers load
whole registries from the files other systems give them, hence the tolerance for header variants,
title rows, GBK CSV and full-width characters.

Flow: :func:`import_preview` (upload → ``ImportJob`` with its counts and errors) → :func:`import_confirm`
(mode "all" or "valid"; inline, or a Celery task above ``ASYNC_IMPORT_ROW_THRESHOLD`` rows) →
:func:`import_run` (one transaction, audited; a worker's job beats, :func:`fail_if_stale`).
:func:`entity_bulk_upsert` serves the API.

Memory does not grow with the file: files are read as streams (an upload, the job's stored copy),
rows are validated and written a chunk at a time, and what is kept per row is 16 bytes (the
repeated-key check) and a bit (rejected rows); errors beyond the first ``MAX_STORED_ERRORS`` are
counted, not kept. The readers bound what a row, a cell and an .xlsx's unpacked size may be.
"""

from __future__ import annotations

import codecs
import contextvars
import csv
import datetime as dt
import gc
import hashlib
import io
import itertools
import queue
import re
import threading
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import IO, Any
from xml.parsers import expat

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenancy import db, events
from tenancy.audit import new_entry, record, record_many
from tenancy.bulk import (
    bulk_insert,
    chunks,
    connection_of_this_thread,
    constraints_checked_now,
    reads_beside_see_all,
)
from tenancy.context import Actor
from tenancy.i18n import fixed_labels, translate_stored
from tenancy.jobs import PROGRESS_DB
from tenancy.models import OrgUnit
from tenancy.policies import ensure
from tenancy.scoping import assert_writable
from tenancy.tasks import actor_ref
from tenancy.text import describe_control_char, first_control_char, strip_control_chars

from . import entity_upsert, policies
from .codes import (
    INDUSTRY_CODE_ERROR,
    canonical_industry_code,
    classify_code,
    established_on_error,
    is_valid_phone,
    normalize_code,
    normalize_phone,
    normalize_text,
)
from .entity_upsert import BulkResult, Progress
from .models import CheckItem, CheckPoint, ImportJob, Inspector, MarketEntity, Tag
from .xlsx_reader import MAX_CELL_CHARS, Overlong, OverlongRow, TooLarge, read_sheet

HEADER_SCAN_ROWS = 10
# A garbage file can have an error in every cell: the job keeps the first ones for the page; the
# rejected-rows download re-validates the file and lists every row.
MAX_STORED_ERRORS = 10_000
# Inspectors and items are imported from a list held whole (items group their rows by code): an
# organization has hundreds of them, so a file of more rows is refused, not held.
MAX_HELD_ROWS = 50_000
CHUNK = 2000
PARSE_MEMO_SIZE = 20_000  # per column, see parse_table
_MISSING = object()


class CellError(ValueError):
    """A cell's value is not acceptable; the message is the Chinese reason shown to the user."""


class ImportRefused(Exception):
    """The file itself is refused (not a spreadsheet, empty, too big, no header, missing columns)."""


# ============================================================================ cell parsers


@dataclass
class ParseContext:
    """What parsers need beyond the cell: the importing organization's units (inspectors)."""

    units: dict[str, int] = field(default_factory=dict)


def cell_text(value: Any) -> str:
    """A cell as normalised text; undoes the apostrophe our exports put before formula-like text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time(0) else value
    text = normalize_text(str(value))
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text


def _max_len(n: int) -> Callable[[Any, ParseContext], str]:
    def parse(value: Any, ctx: ParseContext) -> str:
        text = cell_text(value)
        if len(text) > n:
            raise CellError(_("内容过长：最多 %(n)s 个字，实为 %(m)s 个字") % {"n": n, "m": len(text)})
        return text

    return parse


def _required_text(n: int) -> Callable[[Any, ParseContext], str]:
    inner = _max_len(n)

    def parse(value: Any, ctx: ParseContext) -> str:
        text = inner(value, ctx)
        if not text:
            raise CellError(_("必填项为空"))
        return text

    return parse


def parse_entity_code(value: Any, ctx: ParseContext) -> str:
    if isinstance(value, float) or (isinstance(value, int) and len(str(value)) > 15):
        # An 18-digit code typed into a number cell: Excel keeps 15 significant digits only.
        raise CellError(_("代码被 Excel 存成了数字，末几位已丢失；请把该列设为“文本”格式后重新填写"))
    text = cell_text(value)
    if not text:
        raise CellError(_("必填项为空"))
    check = classify_code(text)
    if not check.valid:
        raise CellError(check.error or _("代码无效"))
    return check.normalized


def parse_date(value: Any, ctx: ParseContext) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An Excel serial date that lost its format (e.g. in a CSV): 1900 date system.
        if 1 <= value < 2958466:
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        raise CellError(_("日期格式无法识别"))
    text = cell_text(value)
    if not text:
        return None
    if text in ("长期", "长期有效", "无期限"):
        return None
    text = re.sub(r"\s+\d{1,2}:\d{2}(:\d{2})?$", "", text)  # "2024-01-31 00:00:00"
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text
    )
    if not m:
        raise CellError(_("日期格式无法识别：应为 2024-01-31、2024/1/31 或 2024年1月31日"))
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise CellError(_("日期不存在：%(d)s") % {"d": text})


def parse_established_on(value: Any, ctx: ParseContext) -> dt.date | None:
    """A date that is not in the future (the rule the form and the API apply: codes.established_on_error)."""
    day = parse_date(value, ctx)
    error = established_on_error(day, today=timezone.localdate())
    if error:
        raise CellError(translate_stored(error))
    return day


_TRUE = {"是", "Y", "YES", "TRUE", "1", "√", "✓", "✔", "有", "已列入", "列入"}
_FALSE = {"否", "N", "NO", "FALSE", "0", "×", "✗", "无", "未列入", "-", "—"}


def parse_bool(value: Any, ctx: ParseContext) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value).replace(" ", "").upper()
    if not text or text in _FALSE:
        return False
    if text in _TRUE:
        return True
    raise CellError(_("应填“是”或“否”（也可填 Y/N、√/×）"))


def parse_count(value: Any, ctx: ParseContext) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise CellError(_("应为不小于 0 的整数"))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = cell_text(value).removesuffix("次").removesuffix("件")
    if not text:
        return 0
    if not text.isdigit():
        raise CellError(_("应为不小于 0 的整数"))
    return int(text)


def _choice(table: dict[str, str], hint: str, default: str | None) -> Callable[[Any, ParseContext], str]:
    """A parser mapping accepted spellings (normalised, upper-case, no spaces) to the stored value."""
    lookup = {k.replace(" ", "").upper(): v for k, v in table.items()}

    def parse(value: Any, ctx: ParseContext) -> str:
        text = cell_text(value).replace(" ", "").upper()
        if not text:
            if default is None:
                raise CellError(_("必填项为空"))
            return default
        if text in lookup:
            return lookup[text]
        raise CellError(_("无法识别的取值，应为：%(hint)s") % {"hint": hint})

    return parse


def _with_labels(choices: Any, extra: dict[str, str]) -> dict[str, str]:
    """Accept the stored value, the Chinese label and extra spellings."""
    table = {c.value: c.value for c in choices} | {label: value for value, label in fixed_labels(choices).items()}
    return table | extra


def _entity_type_parse() -> Callable[[Any, ParseContext], str]:
    exact = _choice(
        _with_labels(MarketEntity.EntityType, {"个体": "individual", "合作社": "cooperative", "公司": "enterprise"}),
        "企业、个体工商户、农民专业合作社、其他",
        MarketEntity.EntityType.ENTERPRISE,
    )

    def parse(value: Any, ctx: ParseContext) -> str:
        try:
            return exact(value, ctx)
        except CellError:
            # Registrars write the legal form ("有限责任公司（自然人投资或控股）"): classify it.
            text = cell_text(value)
            if "个体" in text:
                return MarketEntity.EntityType.INDIVIDUAL
            if "合作社" in text:
                return MarketEntity.EntityType.COOPERATIVE
            if any(w in text for w in ("公司", "企业", "厂", "合伙", "独资")):
                return MarketEntity.EntityType.ENTERPRISE
            raise

    return parse


_RISK_SPELLINGS: dict[str, str] = {}
for _code, _words in {
    "A": ("低风险", "低", "信用风险低", "A类", "A级", "A低风险", "A类低风险", "良好"),
    "B": ("一般风险", "一般", "中", "中风险", "B类", "B级", "B一般风险", "B类一般风险"),
    "C": ("较高风险", "较高", "C类", "C级", "C较高风险", "C类较高风险"),
    "D": ("高风险", "高", "D类", "D级", "D高风险", "D类高风险"),
}.items():
    _RISK_SPELLINGS[_code] = _code
    for _w in _words:
        _RISK_SPELLINGS[_w] = _code

_ENTITY_STATUS = _with_labels(
    MarketEntity.Status,
    {"在业": "active", "开业": "active", "正常": "active", "在营": "active", "已注销": "deregistered",
     "已吊销": "revoked", "吊销未注销": "revoked", "吊销,未注销": "revoked", "吊销，未注销": "revoked"},
)
_INSPECTOR_STATUS = _with_labels(Inspector.Status, {"在职": "active", "正常": "active", "退休": "left", "调离": "left"})
_CATEGORY = _with_labels(CheckItem.Category, {"一般": "general", "重点": "key", "一般事项": "general", "重点事项": "key"})
_METHOD = _with_labels(CheckItem.Method, {"实地": "onsite", "现场检查": "onsite", "书面": "document", "网络": "online",
                                          "网络检查": "online", "书面审查": "document"})
_ANSWER = _with_labels(
    CheckPoint.AnswerKind,
    {"正常/不正常/不涉及": "status", "状态": "status", "是否正常": "status", "文本": "text", "数字": "number",
     "数值": "number", "图片": "photo", "拍照": "photo"},
)


def parse_tags(value: Any, ctx: ParseContext) -> list[str]:
    if isinstance(value, list | tuple):
        parts = [normalize_text(str(v)) for v in value]
    else:
        parts = [normalize_text(p) for p in re.split(r"[、,;，；/|\n]+", cell_text(value))]
    names = list(dict.fromkeys(p for p in parts if p))
    for name in names:
        if len(name) > 40:
            raise CellError(_("标签“%(t)s”过长（最多 40 个字）") % {"t": name[:12]})
    return names


def parse_industry_code(value: Any, ctx: ParseContext) -> str:
    text = normalize_code(cell_text(value))
    if not text:
        return text
    canonical = canonical_industry_code(text)  # the form's and the API's rule, one stored form
    if canonical is None:
        raise CellError(_(INDUSTRY_CODE_ERROR))
    return canonical


def parse_phone(value: Any, ctx: ParseContext) -> str:
    text = normalize_phone(cell_text(value))  # the form's and the API's rule (inventory.codes)
    if text and not is_valid_phone(text):
        raise CellError(_("联系电话应为手机号或带区号的固定电话，如 138 0013 8000、0356-4221234（分机写作“转 123”）"))
    return text


def parse_cert_no(value: Any, ctx: ParseContext) -> str:
    text = normalize_code(cell_text(value))
    if not text:
        raise CellError(_("必填项为空"))
    if len(text) > 40:
        raise CellError(_("执法证号过长（最多 40 位）"))
    return text


def parse_unit(value: Any, ctx: ParseContext) -> int | None:
    text = cell_text(value)
    if not text:
        return None
    if text in ctx.units:
        return ctx.units[text]
    known = "、".join(sorted(ctx.units)) or _("（本单位尚未设置内设机构）")
    raise CellError(_("本单位没有名为“%(u)s”的股室；现有：%(k)s") % {"u": text, "k": known})


# ============================================================================ columns


@dataclass(frozen=True)
class Column:
    """One column of a registry spreadsheet: the single definition template, import and export share."""

    field: str
    header: str
    variants: tuple[str, ...] = ()
    required: bool = False
    parse: Callable[[Any, ParseContext], Any] = _max_len(200)
    export: Callable[[Any], Any] | None = None
    choices: tuple[str, ...] = ()  # drop-down values in the template
    rule: str = ""  # the comment on the template's header cell
    width: int = 16


def _label(choices: Any) -> Callable[[str], str]:
    # The spreadsheets' vocabulary is Chinese whatever the exporting page's language.
    labels = fixed_labels(choices)
    return lambda v: labels.get(v, v)


def _yes_no(v: bool) -> str:
    return "是" if v else "否"


YES_NO = ("是", "否")

ENTITY_COLUMNS: tuple[Column, ...] = (
    Column("code", "统一社会信用代码", ("信用代码", "社会信用代码", "统一代码", "注册号", "代码", "统一社会信用代码/注册号",
           "统一社会信用代码(注册号)", "登记编码", "编码", "主体代码"), True, parse_entity_code,
           rule="必填。18 位统一社会信用代码（校验位按 GB 32100 核对），或 15 位旧注册号，或登记编码 R+6 位区划码-编号。"
           "请把本列设为文本格式。", width=24),
    Column("name", "主体名称", ("企业名称", "名称", "单位名称", "市场主体名称", "检查对象名称", "对象名称", "企业(字号)名称",
           "字号名称", "个体户名称"), True, _required_text(200), rule="必填。", width=30),
    Column("entity_type", "主体类型", ("类型", "企业类型", "市场主体类型", "主体类别"), False, _entity_type_parse(),
           _label(MarketEntity.EntityType), tuple(fixed_labels(MarketEntity.EntityType).values()),
           rule="企业、个体工商户、农民专业合作社、其他；空白按企业。"),
    Column("legal_representative", "法定代表人", ("负责人", "经营者", "法人代表", "法定代表人/负责人/经营者",
           "法定代表人(负责人)", "法人", "投资人"), False, _max_len(100)),
    Column("address", "住所（经营场所）", ("住所", "地址", "经营场所", "注册地址", "经营地址", "住所/经营场所", "住址"),
           False, _max_len(300), width=36),
    Column("industry_code", "行业代码", ("国民经济行业代码", "行业代码(GB/T4754)", "行业门类代码"), False,
           parse_industry_code, rule="GB/T 4754 代码，如 F5211 或 5211。"),
    Column("industry_name", "所属行业", ("行业", "行业名称", "国民经济行业", "行业类别"), False, _max_len(100)),
    Column("established_on", "成立日期", ("成立时间", "注册日期", "登记日期", "开业日期"), False, parse_established_on,
           rule="日期：2024-01-31、2024/1/31 或 2024年1月31日。"),
    Column("status", "登记状态", ("状态", "经营状态", "企业状态", "登记状态(存续/注销/吊销)"), False,
           _choice(_ENTITY_STATUS, "存续、注销、吊销", MarketEntity.Status.ACTIVE), _label(MarketEntity.Status),
           tuple(fixed_labels(MarketEntity.Status).values()), rule="存续、注销、吊销；空白按存续。"),
    Column("risk_class", "信用风险分类", ("风险等级", "风险分类", "信用风险等级", "风险类别", "信用等级", "风险级别",
           "信用风险类别"), False, _choice(_RISK_SPELLINGS, "A/低风险、B/一般风险、C/较高风险、D/高风险",
                                          MarketEntity.Risk.B), _label(MarketEntity.Risk), tuple(fixed_labels(MarketEntity.Risk).values()),
           rule="A 低风险、B 一般风险、C 较高风险、D 高风险（也可填 A类、低风险 等）；空白按 B。"),
    Column("on_abnormal_list", "列入经营异常名录", ("经营异常名录", "异常名录", "是否列入经营异常名录", "经营异常"), False,
           parse_bool, _yes_no, YES_NO, rule="是/否（也可填 Y/N、√/×）；空白按否。"),
    Column("on_dishonest_list", "列入严重违法失信名单", ("严重违法失信名单", "失信名单", "是否列入严重违法失信名单",
           "严重违法失信", "失信"), False, parse_bool, _yes_no, YES_NO, rule="是/否；空白按否。"),
    Column("complaint_count", "投诉举报数", ("投诉举报次数", "投诉数", "投诉举报", "投诉次数"), False, parse_count,
           rule="不小于 0 的整数；空白按 0。"),
    Column("tags", "分类标注", ("标签", "分类标签", "标注", "分类"), False, parse_tags,
           lambda v: "、".join(v), rule="本部门的分类标签，多个用顿号“、”或逗号分隔。", width=24),
)

INSPECTOR_COLUMNS: tuple[Column, ...] = (
    # 曲阳细则 §12: 单位、姓名、职务、执法证（警官证）号、执法岗位、联系电话.
    Column("name", "姓名", ("人员姓名", "执法人员姓名", "执法人员"), True, _required_text(50), rule="必填。"),
    Column("cert_no", "执法证号", ("执法证件号", "执法证编号", "证件号", "执法证(警官证)号", "执法证号码", "证号",
           "执法证件号码", "警官证号"), True, parse_cert_no, rule="必填，本单位内不重复。", width=22),
    Column("unit", "所在股室", ("股室", "科室", "内设机构", "所在科室", "所在单位", "部门", "单位"), False, parse_unit,
           lambda v: v or "", rule="本单位已设置的股室/执法队名称。"),
    Column("position", "职务", ("职位",), False, _max_len(60)),
    Column("cert_expires_on", "执法证有效期至", ("有效期至", "证件有效期", "执法证有效期", "有效期", "有效期限"), False,
           parse_date, rule="日期：2024-01-31、2024/1/31 或 2024年1月31日；长期有效可留空或填“长期”。"),
    Column("post", "执法岗位", ("岗位",), False, _max_len(60)),
    Column("phone", "联系电话", ("电话", "手机", "手机号", "联系方式", "手机号码"), False, parse_phone),
    Column("specialties", "专长", ("专业特长", "特长", "专长标签", "标签", "业务专长"), False, parse_tags,
           lambda v: "、".join(v), rule="多个用顿号“、”分隔。"),
    Column("status", "状态", ("在岗状态", "人员状态"), False,
           _choice(_INSPECTOR_STATUS, "在岗、借调、休假、离职", Inspector.Status.ACTIVE), _label(Inspector.Status),
           tuple(fixed_labels(Inspector.Status).values()), rule="在岗、借调、休假、离职；空白按在岗。"),
)

ITEM_COLUMNS: tuple[Column, ...] = (
    Column("code", "事项编码", ("编码", "事项代码", "编号", "抽查事项编码"), True, _required_text(40),
           rule="必填。同一事项的多个检查要点写在多行，事项编码相同。", width=18),
    Column("name", "事项名称", ("抽查事项", "检查事项", "事项", "抽查事项名称", "检查事项名称"), False, _max_len(200),
           rule="每个事项至少一行填写。", width=30),
    Column("category", "事项类别", ("类别", "检查事项类别", "事项类型"), False,
           _choice(_CATEGORY, "一般检查事项、重点检查事项", CheckItem.Category.GENERAL), _label(CheckItem.Category),
           tuple(fixed_labels(CheckItem.Category).values())),
    Column("target_type", "检查对象", ("检查对象类型", "抽查对象", "对象类型"), False, _max_len(100)),
    Column("legal_basis", "抽查依据", ("事项依据", "法律依据", "事项检查依据"), False, _max_len(5000), width=30),
    Column("method", "检查方式", ("抽查方式", "方式"), False, _choice(_METHOD, "实地检查、书面检查、网络监测",
           CheckItem.Method.ONSITE), _label(CheckItem.Method), tuple(fixed_labels(CheckItem.Method).values())),
    Column("content", "抽查内容", ("事项内容", "事项检查内容"), False, _max_len(5000), width=30),
    Column("responsible_unit", "责任股室", ("实施股室", "责任科室", "责任单位", "实施机构", "股室"), False, parse_unit,
           lambda v: v or ""),
    Column("point_project", "检查项目", ("检查要点", "检查表项目"), False, _max_len(200), width=20),
    Column("point_sub_item", "检查子项", ("子项",), False, _max_len(200)),
    Column("point_content", "检查内容", (), False, _max_len(5000), width=30),
    Column("point_basis", "检查依据", (), False, _max_len(5000), width=30),
    Column("point_answer_kind", "结果类型", ("答案类型", "结果形式", "填写方式"), False,
           _choice(_ANSWER, "正常/不正常/不涉及、文字、数值、日期、照片", CheckPoint.AnswerKind.STATUS),
           _label(CheckPoint.AnswerKind), tuple(fixed_labels(CheckPoint.AnswerKind).values())),
    Column("point_photo_required", "须上传照片", ("需拍照", "是否需要照片", "需上传照片"), False, parse_bool, _yes_no,
           YES_NO),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportJob.Kind.ENTITIES: ENTITY_COLUMNS,
    ImportJob.Kind.INSPECTORS: INSPECTOR_COLUMNS,
    ImportJob.Kind.ITEMS: ITEM_COLUMNS,
}
KEY_FIELD = {ImportJob.Kind.ENTITIES: "code", ImportJob.Kind.INSPECTORS: "cert_no", ImportJob.Kind.ITEMS: "code"}
ENTITY_FIELDS = tuple(c.field for c in ENTITY_COLUMNS if c.field != "tags")


def header_key(value: Any) -> str:
    """How header cells are compared: normalised, no spaces/asterisks/“（必填）”, lower-case."""
    text = normalize_text(str(value or "")).replace(" ", "").replace("*", "").replace("＊", "")
    return re.sub(r"\((必填|选填|可选)\)$", "", text).lower()


def _lookup(kind: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for col in COLUMNS[kind]:
        for name in (col.header, *col.variants):
            out.setdefault(header_key(name), col.field)
    return out


# ============================================================================ reading files
# Files are read as streams, never whole: an upload (Django keeps big ones on disk), the stored
# copy of a job, or a file the command opens. What a row may hold is bounded by the readers
# (inventory/xlsx_reader.py; _CsvLines below), what the file may unpack to by ReadLimits.

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


def _refuse(message: str) -> ImportRefused:
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
        raise _refuse(_("文件不是电子表格：请上传 .xlsx 或 .csv 文件"))
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
    raise _refuse(_("无法识别文件编码：CSV 文件应为 UTF-8 或 GBK/GB18030 编码"))


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
                raise _refuse(_("文件编码错误：文件声明为 UTF-8/UTF-16，但内容无法按该编码读取"))
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
            raise _refuse(_("工作簿的共享文本过多（超过 %(mb)s MB）：请在 Excel/WPS 中另存为 CSV 后导入")
                          % {"mb": _megabytes(exc.limit)})
        raise _refuse(_("工作簿解压后超过 %(mb)s MB，未读取：请检查文件，或拆分后分批导入")
                      % {"mb": _megabytes(exc.limit)})
    except _WORKBOOK_ERRORS:
        raise _refuse(_("文件不是有效的 Excel 工作簿（.xlsx），可能已损坏"))


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
        raise _refuse(_("文件为空"))
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise _refuse(_("文件过大：上限为 %(mb)s MB") % {"mb": round(limits.max_bytes / 2**20, 1)})
    lower = filename.lower()
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refuse(_("不支持旧版 .xls 格式：请在 Excel 中“另存为”.xlsx 或 CSV 后再上传"))
    if head.startswith(b"PK\x03\x04"):
        valid = zipfile.is_zipfile(stream)
        stream.seek(0)
        if not valid:
            raise _refuse(_("文件不是有效的 Excel 工作簿（.xlsx），可能已损坏"))
        return _xlsx_rows(stream, limits)
    if lower.endswith((".xlsx", ".xlsm")):
        raise _refuse(_("文件扩展名为 .xlsx，但内容不是 Excel 工作簿（可能被改了扩展名）"))
    if head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise _refuse(_("文件不是电子表格：请上传 .xlsx 或 .csv 文件"))
    return _csv_rows(stream)


# ============================================================================ parsing a table


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]


class RowSet:
    """Row numbers, one bit each: a million rejected rows in 125 KB (a set of ints: 60 MB)."""

    __slots__ = ("_bits", "count")

    def __init__(self) -> None:
        self._bits = bytearray()
        self.count = 0

    def add(self, number: int) -> None:
        index = number >> 3
        if index >= len(self._bits):
            self._bits.extend(bytes(max(index + 1 - len(self._bits), len(self._bits))))
        bit = 1 << (number & 7)
        if not self._bits[index] & bit:
            self._bits[index] |= bit
            self.count += 1

    def __contains__(self, number: object) -> bool:
        index = number >> 3  # type: ignore[operator]
        return index < len(self._bits) and bool(self._bits[index] >> (number & 7) & 1)  # type: ignore[operator]

    def __len__(self) -> int:
        return self.count


@dataclass
class ParsedFile:
    """What validating a file found. Counts are exact; ``errors`` keeps the first
    :data:`MAX_STORED_ERRORS` (the page lists them, the rejected-rows download finds all);
    ``rows`` holds the valid rows only where the kind needs them together (inspectors when
    imported, items always — both small by nature, :data:`MAX_HELD_ROWS` at most)."""

    kind: str
    header_row: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # field -> header text as written in the file
    columns: dict[str, int] = field(default_factory=dict)  # field -> column index
    ignored_headers: list[str] = field(default_factory=list)
    total_rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    rejected: RowSet = field(default_factory=RowSet)
    late_rejections: int = 0  # rows rejected by the file-wide checks after they were yielded as valid
    rows: list[ParsedRow] | None = None
    failed_keys: set[str] = field(default_factory=set)  # items: keys of rows that failed (the group fails)
    late: dict[int, Any] | None = None  # row -> reason of the file-wide checks (see _late_reason), when asked for
    on_error: Callable[[dict[str, Any]], None] | None = None

    @property
    def rejected_count(self) -> int:
        return self.rejected.count

    @property
    def valid_rows(self) -> int:
        return self.total_rows - self.rejected.count

    @property
    def errors_cut(self) -> bool:
        return self.error_count > len(self.errors)

    @property
    def present(self) -> set[str]:
        return set(self.columns)

    def reject(self, number: int, errors: list[dict[str, Any]]) -> None:
        self.rejected.add(number)
        self.error_count += len(errors)
        room = MAX_STORED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])
        if self.on_error is not None:
            for error in errors:
                self.on_error(error)


def parse_context(actor: Actor) -> ParseContext:
    return parse_context_of(actor.organization_id)


def parse_context_of(organization_id: int) -> ParseContext:
    units = dict(OrgUnit.objects.filter(organization_id=organization_id).values_list("name", "id"))
    return ParseContext(units=units)


def _find_header(rows: list[tuple[int, list[Any]]], kind: str) -> tuple[int, dict[str, int], dict[str, str], list[str]]:
    lookup = _lookup(kind)
    best: tuple[int, int, dict[str, int], dict[str, str], list[str]] | None = None
    for position, (_number, values) in enumerate(rows):
        mapping: dict[str, int] = {}
        headers: dict[str, str] = {}
        ignored: list[str] = []
        for index, value in enumerate(values):
            if value.__class__ is Overlong:
                continue
            key = header_key(value)
            if not key:
                continue
            field_name = lookup.get(key)
            if field_name and field_name not in mapping:
                mapping[field_name] = index
                headers[field_name] = normalize_text(str(value))
            else:
                ignored.append(normalize_text(str(value))[:100])
        if mapping and (best is None or len(mapping) > best[1]):
            best = (position, len(mapping), mapping, headers, ignored)
    if best is None:
        raise _refuse(
            _("未找到表头：前 %(n)s 行中没有识别出“%(h)s”等列名。请使用下载的模板，或检查选择的导入类型是否正确")
            % {"n": HEADER_SCAN_ROWS, "h": "”“".join(c.header for c in COLUMNS[kind][:3])}
        )
    position, _count, mapping, headers, ignored = best
    if kind == ImportJob.Kind.ITEMS and "point_project" not in mapping:
        # An item list without a check form: its 检查内容/检查依据 are the item's own.
        for point_field, item_field in (("point_content", "content"), ("point_basis", "legal_basis")):
            if point_field in mapping and item_field not in mapping:
                mapping[item_field] = mapping.pop(point_field)
                headers[item_field] = headers.pop(point_field)
    missing = [c for c in COLUMNS[kind] if c.required and c.field not in mapping]
    if missing:
        raise _refuse(
            _("缺少必填列：%(cols)s（第 %(row)s 行为表头）")
            % {"cols": "、".join(f"“{c.header}”" for c in missing), "row": rows[position][0]}
        )
    return position, mapping, headers, ignored


def shown_value(value: Any) -> str:
    """A cell as an error shows it: at most 100 characters, no control characters (they are
    named in the reason; PostgreSQL's JSON refuses NUL), an unread cell as such."""
    if value.__class__ is Overlong:
        return _("（内容过长，未读取）")
    shown = cell_text(value) if not isinstance(value, dt.date) else value.isoformat()
    return strip_control_chars(shown[:100], multiline=False)


def _error(row: int, column: str, value: Any, reason: str) -> dict[str, Any]:
    return {"row": row, "column": column, "value": shown_value(value), "reason": str(reason)}


def _checked(parse: Callable[[Any, ParseContext], Any], raw: Any, ctx: ParseContext) -> Any:
    """A cell through its column's parser, after the rules every cell obeys: no control
    characters (tab and line breaks are whitespace, which the parsers fold to one space), and
    nothing longer than a cell may be."""
    if raw.__class__ is str:
        at = first_control_char(raw, multiline=True)
        if at is not None:
            raise CellError(_("含有控制字符 %(c)s（第 %(i)s 个字符），请删除后重新导入")
                            % {"c": describe_control_char(raw[at]), "i": at + 1})
    elif raw.__class__ is Overlong:
        raise CellError(_("内容过长：超过 %(n)s 个字符，未读取") % {"n": MAX_CELL_CHARS})
    return parse(raw, ctx)


@dataclass
class Table:
    """A file opened for reading: its header found, its data rows to come."""

    header_row: int
    header: list[Any]  # the header's cells as written
    columns: dict[str, int]
    headers: dict[str, str]
    ignored: list[str]
    rows: Iterator[tuple[int, list[Any]]]


def open_table(source: Source, filename: str, kind: str, limits: ReadLimits | None = None) -> Table:
    iterator = read_rows(source, filename, limits)
    head: list[tuple[int, list[Any]]] = []
    for item in iterator:
        head.append(item)
        if len(head) >= HEADER_SCAN_ROWS:
            break
    position, mapping, headers, ignored = _find_header(head, kind)

    def data_rows() -> Iterator[tuple[int, list[Any]]]:
        yield from head[position + 1:]
        yield from iterator

    return Table(head[position][0], head[position][1], mapping, headers, ignored, data_rows())


Plan = list[tuple[str, int, Callable[[Any, ParseContext], Any], dict[Any, Any]]]


def _plan(kind: str, mapping: dict[str, int]) -> Plan:
    # Parsers are pure functions of (cell, ctx), and most columns repeat a few values (type,
    # status, risk, flags, tags, industry, dates): each column remembers its recent answers.
    return [(col.field, mapping[col.field], col.parse, {}) for col in COLUMNS[kind] if col.field in mapping]


def validate_row(number: int, values: list[Any], plan: Plan, headers: dict[str, str],
                 ctx: ParseContext) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One row's values by field, and its errors."""
    record: dict[str, Any] = {}
    row_errors = []
    width = len(values)
    for name, index, parse, memo in plan:
        raw = values[index] if index < width else None
        key = (raw.__class__, raw)  # 1, 1.0 and True are equal keys but not equal cells
        try:
            outcome = memo.get(key, _MISSING)
        except TypeError:  # an unhashable cell: never remembered
            outcome, key = _MISSING, None
        if outcome is _MISSING:
            try:
                outcome = _checked(parse, raw, ctx)
            except CellError as exc:
                outcome = CellError(str(exc))
            if key is not None and len(memo) < PARSE_MEMO_SIZE:
                memo[key] = outcome
        if outcome.__class__ is CellError:
            row_errors.append(_error(number, headers[name], raw, str(outcome)))
        else:
            record[name] = outcome.copy() if outcome.__class__ is list else outcome
    return record, row_errors


def _row_error_reason(values: list[Any]) -> str:
    if values.__class__ is OverlongRow:
        return _("该行内容过长（%(mb)s MB），未读取") % {"mb": f"{values.size / 2**20:.1f}"}  # type: ignore[attr-defined]
    return values.reason  # type: ignore[attr-defined]


def parse_table(source: Source, filename: str, kind: str, ctx: ParseContext, *, limits: ReadLimits | None = None,
                keep_rows: bool = False, on_error: Callable[[dict[str, Any]], None] | None = None,
                late: bool = False) -> ParsedFile:
    """Read and validate a whole file. Raises :class:`ImportRefused` when the file itself is
    refused. ``keep_rows``: keep the valid rows in ``rows`` (never for entities: they stream);
    ``on_error``: called with every error as it is found; ``late``: keep the reasons of the
    file-wide checks by row (``late``), for the rejected-rows file."""
    parsed = ParsedFile(kind, on_error=on_error, late={} if late else None)
    for _row in parse_rows(source, filename, kind, ctx, parsed, limits=limits, keep_rows=keep_rows):
        pass
    return parsed


def parse_rows(
    source: Source, filename: str, kind: str, ctx: ParseContext, parsed: ParsedFile, *,
    limits: ReadLimits | None = None, keep_rows: bool = False, exclude: RowSet | None = None,
    file_checks: bool = True,
) -> Iterator[ParsedRow]:
    """Fill ``parsed`` from the file, yielding each row that is valid on its own as it is read.

    The file-wide checks (repeated keys, item groups) run at the end and may reject rows that
    were already yielded (``parsed.late_rejections`` counts them): a consumer that acts on rows
    early must look at it afterwards (``import_run`` does). ``exclude``: rows not to yield (the
    rejected rows of an earlier pass); ``file_checks=False`` leaves the file-wide checks out.
    ``parsed.columns`` is set before the first row is yielded. What is held is bounded: a row at
    a time, 12 bytes per valid row for the repeated-key check, the valid rows only with
    ``keep_rows`` or for items (at most :data:`MAX_HELD_ROWS`)."""
    table = open_table(source, filename, kind, limits)
    mapping, headers = table.columns, table.headers
    parsed.header_row, parsed.headers, parsed.columns, parsed.ignored_headers = (
        table.header_row, headers, mapping, table.ignored)
    hold = keep_rows or kind == ImportJob.Kind.ITEMS
    held_limit = MAX_HELD_ROWS if kind != ImportJob.Kind.ENTITIES else None
    if hold:
        parsed.rows = []
    key_field = KEY_FIELD[kind]
    key_hashes, key_rows = array("q"), array("Q")  # the repeated-key check's memory: 16 bytes a row

    plan = _plan(kind, mapping)
    for number, values in table.rows:
        if values.__class__ is not list:  # a row the reader could not read: an error of its own
            parsed.total_rows += 1
            parsed.reject(number, [_error(number, "", "", _row_error_reason(values))])
            continue
        if not any(v not in (None, "") and str(v).strip() for v in values):
            continue  # blank rows are skipped, not counted
        parsed.total_rows += 1
        if held_limit is not None and parsed.total_rows > held_limit:
            raise _refuse(_("文件行数过多：执法检查人员和抽查事项每个文件最多 %(n)s 行") % {"n": held_limit})
        record, row_errors = validate_row(number, values, plan, headers, ctx)
        if row_errors:
            parsed.reject(number, row_errors)
            if kind == ImportJob.Kind.ITEMS and record.get(key_field):
                parsed.failed_keys.add(record[key_field])
            continue
        if kind != ImportJob.Kind.ITEMS:
            key_hashes.append(hash(record[key_field]))
            key_rows.append(number)
        row = ParsedRow(number, record)
        if hold:
            parsed.rows.append(row)  # type: ignore[union-attr]
        if exclude is None or number not in exclude:
            yield row
    if parsed.total_rows == 0:
        raise _refuse(_("文件中没有数据行（第 %(row)s 行为表头）") % {"row": parsed.header_row})
    if not file_checks:
        return
    if kind == ImportJob.Kind.ITEMS:
        _check_item_groups(parsed)
    else:
        _check_duplicates(parsed, key_hashes, key_rows,
                          lambda wanted: _keys_of_rows(source, filename, kind, ctx, limits, wanted))
    if parsed.rows is not None and parsed.late_rejections:
        parsed.rows = [r for r in parsed.rows if r.row not in parsed.rejected]
    parsed.errors.sort(key=lambda e: e["row"])


def _keys_of_rows(source: Source, filename: str, kind: str, ctx: ParseContext, limits: ReadLimits | None,
                  wanted: RowSet) -> dict[int, str]:
    """The keys of the ``wanted`` rows, read from the file again."""
    keys: dict[int, str] = {}
    again = ParsedFile(kind)
    for row in parse_rows(source, filename, kind, ctx, again, limits=limits, file_checks=False):
        if row.row in wanted:
            keys[row.row] = row.values[KEY_FIELD[kind]]
    return keys


def _rows_text(rows: list[int]) -> str:
    shown = "、".join(str(r) for r in rows[:5])
    return shown if len(rows) <= 5 else _("%(rows)s 等 %(n)s 行") % {"rows": shown, "n": len(rows)}


def _check_duplicates(parsed: ParsedFile, hashes: array, rows: array, keys_of: Callable[[RowSet], dict[int, str]]) -> None:
    """Rows whose key repeats: found by a hash per row (sorted once at the end), then confirmed
    on the keys themselves, read again from the file only for the rows whose hashes met."""
    if len(hashes) < 2:
        return
    ordered = sorted(hashes)
    met = {a for a, b in itertools.pairwise(ordered) if a == b}
    del ordered
    if not met:
        return
    wanted = RowSet()
    for h, number in zip(hashes, rows, strict=True):
        if h in met:
            wanted.add(number)
    held = {r.row: r.values[KEY_FIELD[parsed.kind]] for r in parsed.rows if r.row in wanted} if parsed.rows is not None else None
    by_key: dict[str, list[int]] = {}
    for number, key in (held if held is not None else keys_of(wanted)).items():
        by_key.setdefault(key, []).append(number)
    column = parsed.headers[KEY_FIELD[parsed.kind]]
    for key, group in by_key.items():
        if len(group) < 2:
            continue  # two keys with one hash
        group.sort()
        shared = (column, group)  # the rejected-rows file words each row's reason from it
        for number in group:
            others = [r for r in group if r != number]
            reason = _("与第 %(rows)s 行重复（同一文件中代码不能重复）") % {"rows": _rows_text(others)}
            parsed.reject(number, [_error(number, column, key, reason)])
            parsed.late_rejections += 1
            if parsed.late is not None:
                parsed.late[number] = shared


def _check_item_groups(parsed: ParsedFile) -> None:
    """Rows sharing 事项编码 form one item; its fields come from the first row that fills them."""
    groups: dict[str, list[ParsedRow]] = {}
    for row in parsed.rows or []:
        groups.setdefault(row.values["code"], []).append(row)
    bad: list[tuple[ParsedRow, str, Any, str]] = []
    for rows in groups.values():
        names = {r.values.get("name") for r in rows if r.values.get("name")}
        if not names:
            bad.extend((r, parsed.headers.get("name", "事项名称"), "", _("该事项没有填写事项名称")) for r in rows)
        elif len(names) > 1:
            bad.extend((r, parsed.headers["name"], r.values.get("name", ""), _("同一事项编码下的事项名称不一致")) for r in rows)
    bad_rows = {r.row for r, *_rest in bad}
    # A group is all-or-nothing: an item must not be imported with half of its check form.
    for code, rows in groups.items():
        if code in parsed.failed_keys and not any(r.row in bad_rows for r in rows):
            bad.extend((r, parsed.headers["code"], r.values["code"], _("同一事项的其他行有错误")) for r in rows)
    for row, column, value, reason in bad:
        parsed.late_rejections += 1
        parsed.reject(row.row, [_error(row.row, column, value, reason)])
        if parsed.late is not None:
            parsed.late[row.row] = f"{column}：{reason}"


# ============================================================================ results


def _noop(done: int) -> None:
    return None


# ============================================================================ upserts


def _tags_by_name(actor: Actor, kind: str, names: Iterable[str]) -> dict[str, Tag]:
    wanted = set(names)
    if not wanted:
        return {}
    tags = {t.name: t for t in Tag.objects.filter(organization_id=actor.organization_id, kind=kind, name__in=wanted)}
    new = []
    for name in sorted(wanted - set(tags)):
        tag = Tag(kind=kind, name=name)
        tag.set_tenant(actor)
        new.append(tag)
    if new:
        Tag.objects.bulk_create(new)
        tags.update({t.name: t for t in new})
    return tags


def _insert(actor: Actor, model: Any, rows: list[Any]) -> None:
    """Insert unsaved rows (checked by ``assert_writable``); primary keys are NOT set afterwards."""
    if rows:
        bulk_insert(actor=actor, model=model, rows=rows)


def _insert_with_ids(actor: Actor, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows and return their new primary keys in order (no read-back query)."""
    return bulk_insert(actor=actor, model=model, rows=rows, with_ids=True) if rows else []  # type: ignore[return-value]


def upsert_entities(
    *, actor: Actor, records: Iterable[dict[str, Any]], present: set[str], progress: Progress = _noop, note: str = ""
) -> BulkResult:
    """Upsert entities (inventory/entity_upsert.py) with the columns of the entity table."""
    return entity_upsert.upsert_entities(
        actor=actor, fields=ENTITY_FIELDS, records=records, present=present, progress=progress, note=note,
        chunk_size=CHUNK,
    )


INSPECTOR_FIELDS = ("name", "position", "cert_expires_on", "post", "phone", "status")


def upsert_inspectors(
    *, actor: Actor, records: list[dict[str, Any]], present: set[str], progress: Progress = _noop, note: str = ""
) -> BulkResult:
    """Upsert Inspector by certificate number within the organization; specialties replace."""
    result = BulkResult()
    fields = [f for f in INSPECTOR_FIELDS if f in present]
    with_unit = "unit" in present
    with_tags = "specialties" in present
    tags = _tags_by_name(actor, Tag.Kind.INSPECTOR, (t for r in records if with_tags for t in r.get("specialties", [])))
    through = Inspector.specialties.through
    now = timezone.now()
    done = 0
    for chunk in chunks(records, CHUNK):
        existing = {
            i.cert_no: i
            for i in Inspector.objects.filter(
                organization_id=actor.organization_id, cert_no__in=[r["cert_no"] for r in chunk]
            ).prefetch_related("specialties")
        }
        creates, updates, audit_rows = [], [], []
        for r in chunk:
            values = {f: r[f] for f in fields} | ({"unit_id": r["unit"]} if with_unit else {})
            person = existing.get(r["cert_no"])
            if person is None:
                person = Inspector(cert_no=r["cert_no"], **values)
                person.set_tenant(actor)
                creates.append(person)
                audit_rows.append(("create", person, {k: [None, v] for k, v in {"cert_no": r["cert_no"], **values}.items()}, r))
                continue
            diff = {k: [getattr(person, k), v] for k, v in values.items() if getattr(person, k) != v}
            if with_tags:
                have = sorted(t.name for t in person.specialties.all())
                if have != sorted(r.get("specialties", [])):
                    diff["specialties"] = [have, sorted(r.get("specialties", []))]
            if diff:
                for k, (_old, v) in diff.items():
                    if k != "specialties":
                        setattr(person, k, v)
                person.updated_at = now
                updates.append(person)
                audit_rows.append(("update", person, diff, r))
            else:
                result.unchanged += 1
        assert_writable(actor, creates + updates)
        Inspector.objects.bulk_create(creates)
        update_fields = [*fields, *(["unit_id"] if with_unit else []), "updated_at"]
        if updates:
            Inspector.objects.bulk_update(updates, [f.removesuffix("_id") for f in update_fields])
        if with_tags:
            changed = [p.pk for p in creates + updates]
            through.objects.filter(inspector_id__in=changed).delete()
            through.objects.bulk_create(
                [through(inspector_id=p.pk, tag_id=tags[n].pk) for _a, p, _d, r in audit_rows for n in r.get("specialties", [])]
            )
        record_many(actor=actor, entries=[
            new_entry(actor=actor, action=a, target=p, changes=d, note=note) for a, p, d, _r in audit_rows
        ])
        # The event inspector_create/inspector_update emit: whatever a later app does on a saved
        # inspector (a certificate's renewal falling due) it does for imported ones too.
        for person in creates + updates:
            events.emit("inventory.inspector.saved", actor=actor, obj=person)
        result.created += len(creates)
        result.updated += len(updates)
        done += len(chunk)
        progress(done)
    return result


ITEM_FIELDS = ("name", "category", "target_type", "legal_basis", "method", "content", "responsible_unit")
POINT_FIELDS = ("project", "sub_item", "content", "basis", "answer_kind", "photo_required")


def _item_values(rows: list[dict[str, Any]], present: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in ITEM_FIELDS:
        if f not in present:
            continue
        filled = [r[f] for r in rows if r.get(f) not in (None, "")]
        key = "responsible_unit_id" if f == "responsible_unit" else f
        values[key] = filled[0] if filled else rows[0][f]
    return values


def _points_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    points = []
    for r in rows:
        if not r.get("point_project"):
            continue
        points.append({f: r.get(f"point_{f}", CheckPoint._meta.get_field(f).get_default()) for f in POINT_FIELDS})
    return points


def upsert_items(
    *, actor: Actor, records: list[dict[str, Any]], present: set[str], progress: Progress = _noop, note: str = ""
) -> BulkResult:
    """Upsert CheckItem by code, rows grouped by code carry the check form. An item used by a task
    is never edited: the change makes a new version (DESIGN §4, 立改废释)."""
    result = BulkResult()
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault(r["code"], []).append(r)
    with_points = "point_project" in present
    done = 0
    for code, rows in groups.items():
        values = _item_values(rows, present)
        points = _points_of(rows)
        item = CheckItem.objects.filter(organization_id=actor.organization_id, code=code, is_current=True).first()
        if item is None:
            item = CheckItem(code=code, **values)
            item.set_tenant(actor)
            item.save()
            _write_points(actor, item, points)
            record(actor=actor, action="create", target=item, changes={k: [None, v] for k, v in values.items()}, note=note)
            result.created += 1
        else:
            diff = {k: [getattr(item, k), v] for k, v in values.items() if getattr(item, k) != v}
            old_points = [{f: getattr(p, f) for f in POINT_FIELDS} for p in item.points.all()]
            if with_points and old_points != points:
                diff["points"] = [len(old_points), len(points)]
            if not diff:
                result.unchanged += 1
            else:
                if item.tasks.exists():
                    # In use by a task: keep it as it was, the import makes version n+1.
                    new = CheckItem(
                        code=code, version=item.version + 1, previous=item,
                        **{f.attname: getattr(item, f.attname) for f in CheckItem._meta.concrete_fields
                           if f.name in ITEM_FIELDS},
                        change_reason=_("Excel 导入修订"),
                    )
                    for k, v in values.items():
                        setattr(new, k, v)
                    new.set_tenant(actor)
                    item.is_current = False
                    item.save(update_fields=["is_current", "updated_at"])
                    new.save()
                    _write_points(actor, new, points if with_points else old_points)
                    record(actor=actor, action="new_version", target=new, changes=diff, note=note)
                else:
                    for k, (_old, v) in diff.items():
                        if k != "points":
                            setattr(item, k, v)
                    item.save()
                    if with_points:
                        item.points.all().delete()
                        _write_points(actor, item, points)
                    record(actor=actor, action="update", target=item, changes=diff, note=note)
                result.updated += 1
        done += len(rows)
        progress(done)
    return result


def _write_points(actor: Actor, item: CheckItem, points: list[dict[str, Any]]) -> None:
    rows = []
    for order, values in enumerate(points, start=1):
        point = CheckPoint(item=item, order=order, **values)
        point.set_tenant(actor)
        rows.append(point)
    assert_writable(actor, rows)
    CheckPoint.objects.bulk_create(rows)


UPSERTS = {
    ImportJob.Kind.ENTITIES: upsert_entities,
    ImportJob.Kind.INSPECTORS: upsert_inspectors,
    ImportJob.Kind.ITEMS: upsert_items,
}


# ============================================================================ services


def _check_kind(actor: Actor, kind: str) -> None:
    # A field error, not a 403: the upload form shows it beside the kind the user chose.
    if kind not in COLUMNS:
        raise ValidationError({"kind": _("未知的导入类型")})
    if not policies.can_import_kind(actor, kind):
        raise ValidationError({"kind": _("只有行政监管部门可以导入执法检查人员和抽查事项")})


@transaction.atomic
def import_preview(*, actor: Actor, kind: str, data: Source, filename: str, limits: ReadLimits | None = None) -> ImportJob:
    """Store the upload and validate every row: an ``ImportJob`` (status previewed) with its
    counts and first errors. ``data``: the upload as a file (read as a stream, never whole) or
    bytes. A refused file raises ``ValidationError({"file": ...})`` and nothing is stored."""
    ensure(policies.can_import, actor)
    _check_kind(actor, kind)
    filename = (filename or "upload").rsplit("/", 1)[-1][:200]
    stream = as_stream(data)
    gc_was_enabled = _pause_gc()
    try:
        parsed = parse_table(stream, filename, kind, parse_context(actor), limits=limits)
    except ImportRefused as exc:
        raise ValidationError({"file": str(exc)})
    finally:
        if gc_was_enabled:
            gc.enable()
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    job = ImportJob(
        kind=kind, filename=filename, sha256=digest.hexdigest(), status=ImportJob.Status.PREVIEWED,
        created_by_id=actor.user_id, total_rows=parsed.total_rows, valid_rows=parsed.valid_rows,
        rejected_count=parsed.rejected_count, errors=parsed.errors,
        message=(_("表头在第 %(row)s 行") % {"row": parsed.header_row})
        + (("；" + _("未识别的列（将忽略）：%(cols)s") % {"cols": "、".join(parsed.ignored_headers)}) if parsed.ignored_headers else "")
        + (("；" + _("错误过多，页面只列出前 %(n)s 处；下载的错误行文件包含全部") % {"n": MAX_STORED_ERRORS})
           if parsed.errors_cut else ""),
    )
    job.set_tenant(actor)
    stream.seek(0)
    job.file.save(filename, File(stream), save=False)  # copied in chunks
    job.save()
    record(actor=actor, action="import_preview", target=job,
           note=_("%(n)s 行，%(e)s 行有错误") % {"n": job.total_rows, "e": job.rejected_count})
    return job


# ============================================================================ a job's heartbeat

RUNNING_STATUSES = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)


def fail_if_stale(job: ImportJob) -> bool:
    """A queued or running job whose worker gave no sign of life (``heartbeat_at``, or its last
    save for older rows) for ``IMPORT_STALE_AFTER_SECONDS`` died with it: mark it failed, with
    the reason, so it can be confirmed again. Its transaction was rolled back with the worker:
    nothing of it was written. Called wherever a job is looked at (page, poll, confirm)."""
    if job.status not in RUNNING_STATUSES:
        return False
    now = timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)
    message = _("后台导入中断：超过 %(m)s 分钟没有进展（处理进程可能已退出），未写入任何数据。可以重新确认导入。") % {
        "m": round(settings.IMPORT_STALE_AFTER_SECONDS / 60)}
    fields = {"status": ImportJob.Status.FAILED, "message": message, "finished_at": now}
    stale = ImportJob.objects.filter(pk=job.pk, status__in=RUNNING_STATUSES).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, updated_at__lt=cutoff))
    if not stale.update(**fields):
        return False
    for name, value in fields.items():
        setattr(job, name, value)
    return True


@contextmanager
def _heartbeat(job_id: int) -> Iterator[None]:
    """While the block runs, a thread writes ``heartbeat_at`` through a connection of its own
    every tenth of the stale time: the job looks alive as long as its process is, whatever the
    import waits for (a long statement, a lock). On PostgreSQL, when the import opens its own
    transaction (the worker's case; inside another one the job row may be locked by it): SQLite
    has one writer, and there the progress updates beat instead."""
    if not db.is_postgresql(connections[PROGRESS_DB]) or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        yield
        return
    stop = threading.Event()
    interval = max(1.0, settings.IMPORT_STALE_AFTER_SECONDS / 10)
    progress = connections[PROGRESS_DB]
    # The thread's connection: the settings of this one (a test database's too), its own socket.
    wrapper, settings_dict = progress.__class__, dict(progress.settings_dict)

    def beat() -> None:
        own = wrapper(settings_dict, PROGRESS_DB)
        connections[PROGRESS_DB] = own  # for this thread only
        try:
            while not stop.wait(interval):
                try:
                    ImportJob.objects.using(PROGRESS_DB).filter(pk=job_id).update(heartbeat_at=timezone.now())
                except Exception:  # a lost connection: the next beat tries again
                    own.close()
        finally:
            own.close()
            del connections[PROGRESS_DB]

    thread = threading.Thread(target=contextvars.copy_context().run, args=(beat,), name=f"import-{job_id}-heartbeat",
                              daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@transaction.atomic
def import_confirm(*, actor: Actor, job: ImportJob, mode: str) -> ImportJob:
    """Choose the mode and run: inline for small files, as a Celery task above the threshold.
    A job that failed (its worker died, see :func:`fail_if_stale`) may be confirmed again."""
    ensure(policies.can_confirm_import, actor, job)
    if mode not in ImportJob.Mode.values:
        raise ValidationError({"mode": _("请选择导入方式")})
    fail_if_stale(job)
    if job.status not in (ImportJob.Status.PREVIEWED, ImportJob.Status.FAILED):
        raise ValidationError(_("该文件已处理（%(s)s），如需再次导入请重新上传") % {"s": job.get_status_display()})
    job.mode = mode
    job.progress, job.finished_at = 0, None
    if mode == ImportJob.Mode.ALL and job.rejected_count:
        job.status = ImportJob.Status.REFUSED
        job.message = _("有 %(n)s 行错误，按“全部有效才导入”未导入任何数据") % {"n": job.rejected_count}
        job.finished_at = timezone.now()
        job.save()
        record(actor=actor, action="import_refused", target=job, note=job.message)
        return job
    if job.total_rows > settings.ASYNC_IMPORT_ROW_THRESHOLD:
        from .tasks import import_job_run  # the task module imports this one

        job.status = ImportJob.Status.QUEUED
        job.heartbeat_at = timezone.now()  # the staleness of a queued job counts from here
        job.message = ""
        job.save()
        ref = actor_ref(actor)
        transaction.on_commit(lambda: import_job_run.delay(job.pk, actor=ref))
        return job
    job.save()
    return import_run(actor=actor, job=job, report_progress=False)


def import_claim(*, job_id: int, organization_id: int) -> bool:
    """The worker takes a queued job, once: a task delivered twice, or a job confirmed again
    while an old task of it still waited in the queue, runs one import."""
    return bool(ImportJob.objects.filter(pk=job_id, organization_id=organization_id, status=ImportJob.Status.QUEUED)
                .update(status=ImportJob.Status.RUNNING, progress=0, heartbeat_at=timezone.now()))


def _set_progress(job_id: int, **fields: Any) -> None:
    # Through the "progress" connection so the page sees it while the import's transaction is open.
    ImportJob.objects.using(PROGRESS_DB).filter(pk=job_id).update(heartbeat_at=timezone.now(), **fields)


def _pause_gc() -> bool:
    """Hundreds of thousands of live rows make every cyclic-GC pass slower and slower (an import
    got slower per row as files grew); parsing and upserting create no cycles worth collecting."""
    was_enabled = gc.isenabled()
    gc.disable()
    return was_enabled


@contextmanager
def job_source(job: ImportJob) -> Iterator[IO[bytes]]:
    """The stored file of ``job``, open for reading (streamed, never read whole)."""
    with job.file.storage.open(job.file.name, "rb") as stored:
        yield as_stream(stored)


def import_run(*, actor: Actor, job: ImportJob, report_progress: bool = True) -> ImportJob:
    """Re-read and re-validate the stored file, then upsert the valid rows in ONE transaction.

    ``report_progress`` is for the Celery path only: inside a request the job row is already
    locked by the request's transaction, and a second connection would wait for it forever."""
    if report_progress:
        _set_progress(job.pk, status=ImportJob.Status.RUNNING, progress=0)
    # Lookups may run on a second connection only when it sees all this one does: before the
    # import's own transaction opens, nothing of this connection is uncommitted.
    beside = reads_beside_see_all()
    gc_was_enabled = _pause_gc()
    try:
        with _heartbeat(job.pk) if report_progress else nullcontext(), transaction.atomic(), job_source(job) as stream:
            total = max(1, job.valid_rows or job.total_rows)  # from the preview: the stream's size
            step = max(CHUNK, total // 20)
            last = [0]

            def progress(done: int) -> None:
                if report_progress and (done - last[0] >= step or done >= total):
                    last[0] = done
                    _set_progress(job.pk, progress=min(99, done * 100 // total))

            note = _("导入文件 %(f)s") % {"f": job.filename}
            ctx = parse_context(actor)
            result: BulkResult | None = None
            if job.kind == ImportJob.Kind.ENTITIES:
                parsed, result = _stream_entities(
                    actor=actor, job=job, source=stream, ctx=ctx, progress=progress, note=note, beside=beside
                )
            else:
                parsed = parse_table(stream, job.filename, job.kind, ctx, limits=STORED, keep_rows=True)
            rejected = parsed.rejected_count
            job.errors = parsed.errors
            job.rejected_count = rejected
            job.valid_rows = parsed.valid_rows
            job.total_rows = parsed.total_rows
            if job.mode == ImportJob.Mode.ALL and rejected:
                job.status = ImportJob.Status.REFUSED
                job.message = _("有 %(n)s 行错误，按“全部有效才导入”未导入任何数据") % {"n": rejected}
            else:
                if result is None and job.kind == ImportJob.Kind.ENTITIES:
                    # The pipeline's writes were undone (a code repeated further down): the
                    # valid rows again, from the file, one step after another.
                    again = ParsedFile(job.kind)
                    rows = parse_rows(stream, job.filename, job.kind, ctx, again, limits=STORED,
                                      exclude=parsed.rejected, file_checks=False)
                    result = upsert_entities(actor=actor, records=(r.values for r in rows), present=parsed.present,
                                             progress=progress, note=note)
                elif result is None:
                    result = UPSERTS[job.kind](
                        actor=actor, records=[r.values for r in parsed.rows or []], present=parsed.present,
                        progress=progress, note=note,
                    )
                job.created_count, job.updated_count, job.unchanged_count = result.created, result.updated, result.unchanged
                job.status = ImportJob.Status.DONE
                job.message = _("导入完成：新增 %(c)s，更新 %(u)s，未变化 %(n)s，拒绝 %(r)s") % {
                    "c": result.created, "u": result.updated, "n": result.unchanged, "r": rejected}
            job.progress = 100
            job.finished_at = timezone.now()
            job.save()
            record(
                actor=actor, action="import" if job.status == ImportJob.Status.DONE else "import_refused", target=job,
                changes={"created": job.created_count, "updated": job.updated_count, "unchanged": job.unchanged_count,
                         "rejected": job.rejected_count, "mode": job.mode},
                note=job.message,
            )
    except ImportRefused as exc:
        return _fail(job, str(exc), report_progress)
    except Exception as exc:  # nothing was written (the transaction rolled back): say so, don't 500
        if not report_progress:
            raise
        _fail(job, _("导入失败，未写入任何数据：%(e)s") % {"e": exc.__class__.__name__}, report_progress)
        raise
    finally:
        if gc_was_enabled:
            gc.enable()
    return job


_END_OF_FILE = object()


def _stream_entities(
    *, actor: Actor, job: ImportJob, source: IO[bytes], ctx: ParseContext, progress: Progress, note: str, beside: bool
) -> tuple[ParsedFile, BulkResult | None]:
    """Parse in a second thread while this one writes the rows parsed so far, so reading the file
    and the database's work overlap. With ``beside`` (the import opened the transaction itself, on
    PostgreSQL) the second thread also looks each chunk up, through a connection of its own, and
    prepares its rows (inventory/entity_upsert.py): this thread then only writes.

    Inside a savepoint: when the file-wide checks at the end reject rows already written (a code
    repeated further down), mode "all" meets an error, or a write meets a code an earlier chunk
    wrote, the savepoint is rolled back and the result is ``None`` — the caller then refuses, or
    upserts the valid rows the plain way. Nothing here holds more than a few chunks of rows."""
    parsed = ParsedFile(job.kind)
    handed: queue.Queue[Any] = queue.Queue(maxsize=4)
    stop = threading.Event()
    write_no_more = threading.Event()  # set once it is sure the writes will be undone
    language = translation.get_language()  # the messages of the rows' errors: the user's language

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                handed.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            with translation.override(language), (connection_of_this_thread() if beside else nullcontext()):
                upsert: entity_upsert.EntityUpsert | None = None
                for batch in chunks(parse_rows(source, job.filename, job.kind, ctx, parsed, limits=STORED), CHUNK):
                    if upsert is None:  # the columns present are known once a row was read
                        upsert = entity_upsert.EntityUpsert(
                            actor=actor, fields=ENTITY_FIELDS, present=parsed.present, note=note, lookups_beside=beside
                        )
                    if job.mode == ImportJob.Mode.ALL and parsed.error_count:
                        write_no_more.set()  # it will be refused: read on (for the counts and errors)
                    plan = None
                    if beside and not write_no_more.is_set():
                        records = [r.values for r in batch]
                        plan = upsert.prepare(records, upsert.lookup(records))
                    if not put((None if write_no_more.is_set() else batch, upsert, plan)):
                        return
            put(_END_OF_FILE)
        except BaseException as exc:  # handed to the writing thread, which raises it
            put(exc)

    result = BulkResult()
    written = 0
    savepoint = transaction.savepoint()
    # The scope and the rest of this context go with the thread (its reads are scoped too).
    worker = threading.Thread(
        target=contextvars.copy_context().run, args=(produce,), name=f"import-{job.pk}-parse", daemon=True
    )
    worker.start()
    try:
        with constraints_checked_now(MarketEntity):
            while True:
                item = handed.get()
                if item is _END_OF_FILE:
                    break
                if isinstance(item, BaseException):
                    raise item
                batch, upsert, plan = item
                if batch is None or write_no_more.is_set():
                    continue
                if plan is None:
                    records = [r.values for r in batch]
                    plan = upsert.prepare(records, upsert.lookup(records))
                try:
                    with transaction.atomic():  # a savepoint: a code written twice must not end the import
                        result.add(upsert.write(plan))
                except IntegrityError:
                    # A code written twice: repeated inside the chunk, or created by an earlier
                    # chunk that this chunk's lookup (beside) could not see. The checks at the
                    # end reject the repeated rows; anything else the plain upsert meets again.
                    write_no_more.set()
                    continue
                written += len(batch)
                progress(written)
    except BaseException:
        stop.set()
        worker.join()
        transaction.savepoint_rollback(savepoint)
        raise
    worker.join()
    if write_no_more.is_set() or parsed.late_rejections:
        transaction.savepoint_rollback(savepoint)
        return parsed, None
    transaction.savepoint_commit(savepoint)
    return parsed, result


def _fail(job: ImportJob, message: str, report_progress: bool) -> ImportJob:
    fields = {"status": ImportJob.Status.FAILED, "message": message, "finished_at": timezone.now()}
    if report_progress:
        _set_progress(job.pk, **fields)
    else:
        ImportJob.objects.filter(pk=job.pk).update(**fields)
    for k, v in fields.items():
        setattr(job, k, v)
    return job


# ============================================================================ API


def _parse_records(kind: str, records: list[dict[str, Any]], ctx: ParseContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[str]]:
    columns = {c.field: c for c in COLUMNS[kind]}
    out, errors, present = [], [], set()
    for index, raw in enumerate(records):
        if not isinstance(raw, dict):
            errors.append({"row": index, "field": "", "value": "", "reason": _("每条记录应为一个对象")})
            continue
        unknown = sorted(set(raw) - set(columns))
        for name in unknown:
            errors.append({"row": index, "field": name, "value": str(raw[name])[:100], "reason": _("未知字段")})
        values: dict[str, Any] = {}
        for name, col in columns.items():
            if name not in raw and not col.required:
                continue
            present.add(name)
            try:
                values[name] = _checked(col.parse, raw.get(name), ctx)
            except CellError as exc:
                errors.append({"row": index, "field": name, "value": cell_text(raw.get(name))[:100], "reason": str(exc)})
        out.append(values)
    return out, errors, present


def entity_bulk_upsert(*, actor: Actor, records: list[dict[str, Any]]) -> BulkResult:
    """Idempotent, all-or-nothing upsert of entities keyed by code (the API's bulk endpoint).

    ``records`` are dicts keyed by canonical field names (see ``ENTITY_COLUMNS``) accepting the
    same value variants as the spreadsheets; a field left out keeps its stored value.
    Errors are ``{row (0-based), field, value, reason}``; with any error nothing is written."""
    ensure(policies.can_bulk_upsert_entities, actor)
    values, errors, present = _parse_records(ImportJob.Kind.ENTITIES, records, ParseContext())
    if not errors:
        first: dict[str, int] = {}
        for index, r in enumerate(values):
            if r["code"] in first:
                errors.append({"row": index, "field": "code", "value": r["code"],
                               "reason": _("与第 %(i)s 条重复（同一批次中代码不能重复）") % {"i": first[r["code"]]}})
            else:
                first[r["code"]] = index
    if errors:
        return BulkResult(errors=errors)
    # Records may differ in which fields they carry; fill the stored value in for absent ones.
    missing_fields = {f for f in present if f != "tags" and any(f not in r for r in values)}
    if missing_fields:
        stored = {
            e.code: e for e in MarketEntity.objects.filter(region_id=actor.region_id, code__in=[r["code"] for r in values])
        }
        for r in values:
            for f in missing_fields:
                if f not in r:
                    e = stored.get(r["code"])
                    r[f] = getattr(e, f) if e else MarketEntity._meta.get_field(f).get_default()
    if "tags" in present and any("tags" not in r for r in values):
        present = present - {"tags"}  # mixed batches: tags only when every record carries them
    with transaction.atomic():
        result = upsert_entities(actor=actor, records=values, present=present, note=_("接口批量写入"))
        record(actor=actor, action="bulk_upsert", target_type="inventory.marketentity",
               changes={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
               note=_("接口批量写入 %(n)s 条") % {"n": len(values)})
    return result


# ============================================================================ the rejected rows (xlsx.py writes them)


def _late_reason(value: str | tuple[str, list[int]], number: int) -> str:
    if isinstance(value, str):
        return value
    column, group = value
    others = [r for r in group if r != number]
    return f"{column}：" + _("与第 %(rows)s 行重复（同一文件中代码不能重复）") % {"rows": _rows_text(others)}


def rejected_rows(job: ImportJob) -> Iterator[list[Any]]:
    """The header, then each rejected row of ``job`` as uploaded with its reasons in a last
    column (an unread cell as such). From the stored errors when they are all there; else the
    file is validated again — one streaming pass for which rows were rejected and the file-wide
    reasons, a second for each row's own — so even a file of a million bad rows is written out
    without holding its rows or errors."""
    ctx = ParseContext()
    with job_source(job) as stream:
        late: dict[int, Any] = {}
        if len(job.errors) < MAX_STORED_ERRORS:
            stored: dict[int, list[str]] = {}
            for e in job.errors:
                stored.setdefault(e["row"], []).append(f"{e['column']}：{e['reason']}" if e.get("column") else e["reason"])
            wanted: Callable[[int], bool] = stored.__contains__
        else:
            stored = {}
            ctx = parse_context_of(job.organization_id)
            parsed = parse_table(stream, job.filename, job.kind, ctx, limits=STORED, late=True)
            late, wanted = parsed.late or {}, parsed.rejected.__contains__
        table = open_table(stream, job.filename, job.kind, STORED)
        plan = _plan(job.kind, table.columns)
        width = len(table.header)
        yield [*(v if v is not None else "" for v in table.header), "错误原因"]
        for number, values in table.rows:
            if not wanted(number):
                continue
            if number in stored:
                reasons = stored[number]
            else:
                reasons = [_row_error_reason(values)] if values.__class__ is not list else [
                    f"{e['column']}：{e['reason']}" for e in validate_row(number, values, plan, table.headers, ctx)[1]]
                if number in late:
                    reasons.append(_late_reason(late[number], number))
            cells = [shown_value(v) if v.__class__ is Overlong else v for v in values]
            yield [*cells, *([None] * (width - len(cells))), "；".join(reasons)]


# ============================================================================ reads (views)


def import_job_list(*, actor: Actor) -> Any:
    """Import history visible to the actor (an office also sees its departments' imports)."""
    jobs = ImportJob.objects.select_related("created_by", "organization").order_by("-created_at", "-id")
    for job in ImportJob.objects.filter(status__in=RUNNING_STATUSES).only("pk", "status", "heartbeat_at", "updated_at"):
        fail_if_stale(job)  # a job whose worker died is shown failed, not "running" forever
    return jobs


def import_job_get(*, actor: Actor, pk: int, own: bool = False) -> ImportJob:
    """One visible job (``own``: only the actor's organization's, for the actions that write)."""
    qs = ImportJob.objects.select_related("created_by", "organization")
    if own:
        qs = qs.filter(organization_id=actor.organization_id)
    job = qs.get(pk=pk)
    fail_if_stale(job)
    return job
