"""Spreadsheet import of the three registries (一单两库): read, recognise headers, validate, upsert.

One table of columns per kind (:data:`COLUMNS`) is shared by the template, the import and the
export (``inventory/xlsx.py``), so an export re-imports to the same data. The seed plans ask for
the registries to be kept current ("动态管理", 阳城发改 §二; 曲阳细则 §12–13): IT officers load
whole registries from the files other systems give them, hence the tolerance for header variants,
title rows, GBK CSV and full-width characters.

Flow: :func:`import_preview` (upload → ``ImportJob`` with every error) → :func:`import_confirm`
(mode "all" or "valid"; inline, or a Celery task above ``ASYNC_IMPORT_ROW_THRESHOLD`` rows) →
:func:`import_run` (one transaction, audited). :func:`entity_bulk_upsert` serves the API.
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
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenancy.audit import new_entry, record
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
from tenancy.models import AuditEntry, OrgUnit
from tenancy.scoping import assert_writable
from tenancy.tasks import actor_ref

from . import entity_upsert
from .codes import classify_code, established_on_error, normalize_code, normalize_text
from .entity_upsert import BulkResult, Progress
from .models import CheckItem, CheckPoint, ImportJob, Inspector, MarketEntity, Tag
from .xlsx_reader import read_sheet

HEADER_SCAN_ROWS = 10
# A garbage file can have an error in every cell: the job keeps the first ones for the page; the
# rejected-rows download re-validates the file and lists every row.
MAX_STORED_ERRORS = 10_000
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
    if text and not re.fullmatch(r"[A-T](\d{2,4})?|\d{2,4}", text):
        raise CellError(_("行业代码应为 GB/T 4754 代码，如 F5211 或 5211"))
    return text


def parse_phone(value: Any, ctx: ParseContext) -> str:
    text = cell_text(value)
    if text and not re.fullmatch(r"[0-9+\-() 转]{5,30}", text):
        raise CellError(_("联系电话只能包含数字、+、-、括号"))
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


def _refuse(message: str) -> ImportRefused:
    return ImportRefused(message)


def _decode(data: bytes) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                raise _refuse(_("文件编码错误：文件声明为 UTF-8/UTF-16，但内容无法按该编码读取"))
    if b"\x00" in data[:4096]:
        raise _refuse(_("文件不是电子表格：请上传 .xlsx 或 .csv 文件"))
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse(_("无法识别文件编码：CSV 文件应为 UTF-8 或 GBK/GB18030 编码"))


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(data)
    sample = "\n".join(text.splitlines()[:HEADER_SCAN_ROWS])
    delimiter = max((",", "\t", ";", "，"), key=sample.count)
    if sample.count(delimiter) == 0:
        delimiter = ","
    yield from enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        rows = read_sheet(data)
        first = next(rows, None)
    except Exception:  # anything unusual in the package: let openpyxl read it (slower, more tolerant)
        return _openpyxl_rows(data)
    return itertools.chain([first] if first is not None else [], rows)


def _openpyxl_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (BadZipFile, KeyError, InvalidFileException)
        raise _refuse(_("文件不是有效的 Excel 工作簿（.xlsx），可能已损坏"))
    try:
        sheet = workbook.worksheets[0]
        # Files written by other tools often carry a wrong <dimension>; read every row anyway.
        sheet.reset_dimensions()
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        workbook.close()


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, list[Any]]]:
    """(spreadsheet row number, cell values) of the first sheet of an .xlsx or of a CSV file."""
    if not data or not data.strip():
        raise _refuse(_("文件为空"))
    limit = settings.IMPORT_MAX_BYTES
    if len(data) > limit:
        raise _refuse(_("文件过大：上限为 %(mb)s MB") % {"mb": round(limit / 2**20, 1)})
    lower = filename.lower()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refuse(_("不支持旧版 .xls 格式：请在 Excel 中“另存为”.xlsx 或 CSV 后再上传"))
    if data.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise _refuse(_("文件不是有效的 Excel 工作簿（.xlsx），可能已损坏"))
        return _xlsx_rows(data)
    if lower.endswith((".xlsx", ".xlsm")):
        raise _refuse(_("文件扩展名为 .xlsx，但内容不是 Excel 工作簿（可能被改了扩展名）"))
    if data.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise _refuse(_("文件不是电子表格：请上传 .xlsx 或 .csv 文件"))
    return _csv_rows(data)


# ============================================================================ parsing a table


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]


@dataclass
class ParsedFile:
    kind: str
    header_row: int
    headers: dict[str, str]  # field -> header text as written in the file
    columns: dict[str, int]  # field -> column index
    rows: list[ParsedRow]  # the valid rows
    errors: list[dict[str, Any]]
    total_rows: int
    ignored_headers: list[str] = field(default_factory=list)
    failed_keys: set[str] = field(default_factory=set)  # keys of rows that failed (items: whole group fails)

    @property
    def rejected_rows(self) -> set[int]:
        return {e["row"] for e in self.errors}

    @property
    def present(self) -> set[str]:
        return set(self.columns)


def parse_context(actor: Actor) -> ParseContext:
    units = dict(OrgUnit.objects.filter(organization_id=actor.organization_id).values_list("name", "id"))
    return ParseContext(units=units)


def _find_header(rows: list[tuple[int, list[Any]]], kind: str) -> tuple[int, dict[str, int], dict[str, str], list[str]]:
    lookup = _lookup(kind)
    best: tuple[int, int, dict[str, int], dict[str, str], list[str]] | None = None
    for position, (_number, values) in enumerate(rows):
        mapping: dict[str, int] = {}
        headers: dict[str, str] = {}
        ignored: list[str] = []
        for index, value in enumerate(values):
            key = header_key(value)
            if not key:
                continue
            field_name = lookup.get(key)
            if field_name and field_name not in mapping:
                mapping[field_name] = index
                headers[field_name] = normalize_text(str(value))
            else:
                ignored.append(normalize_text(str(value)))
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


def _error(row: int, column: str, value: Any, reason: str) -> dict[str, Any]:
    shown = cell_text(value) if not isinstance(value, dt.date) else value.isoformat()
    return {"row": row, "column": column, "value": shown[:100], "reason": str(reason)}


def parse_table(data: bytes, filename: str, kind: str, ctx: ParseContext) -> ParsedFile:
    """Read and validate a whole file. Raises :class:`ImportRefused` when the file itself is refused."""
    parsed = ParsedFile(kind, 0, {}, {}, [], [], 0)
    for _row in parse_rows(data, filename, kind, ctx, parsed):
        pass
    return parsed


def parse_rows(data: bytes, filename: str, kind: str, ctx: ParseContext, parsed: ParsedFile) -> Iterator[ParsedRow]:
    """Fill ``parsed`` from the file, yielding each row that is valid on its own as it is read.

    The file-wide checks (duplicate codes, item groups) run at the end and may reject rows that
    were already yielded: a consumer that acts on rows early must compare with ``parsed.rows``
    afterwards (``import_run`` does). ``parsed.columns`` is set before the first row is yielded."""
    iterator = read_rows(data, filename)
    head: list[tuple[int, list[Any]]] = []
    for item in iterator:
        head.append(item)
        if len(head) >= HEADER_SCAN_ROWS:
            break
    position, mapping, headers, ignored = _find_header(head, kind)
    columns = [c for c in COLUMNS[kind] if c.field in mapping]
    parsed.header_row, parsed.headers, parsed.columns, parsed.ignored_headers = head[position][0], headers, mapping, ignored

    def data_rows() -> Iterator[tuple[int, list[Any]]]:
        yield from head[position + 1:]
        yield from iterator

    # Parsers are pure functions of (cell, ctx), and most columns repeat a few values (type,
    # status, risk, flags, tags, industry, dates): remember each column's recent answers.
    plan = [(col.field, mapping[col.field], col.parse, {}) for col in columns]
    for number, values in data_rows():
        if not any(v not in (None, "") and str(v).strip() for v in values):
            continue  # blank rows are skipped, not counted
        parsed.total_rows += 1
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
                    outcome = parse(raw, ctx)
                except CellError as exc:
                    outcome = CellError(str(exc))
                if key is not None and len(memo) < PARSE_MEMO_SIZE:
                    memo[key] = outcome
            if outcome.__class__ is CellError:
                row_errors.append(_error(number, headers[name], raw, str(outcome)))
            else:
                record[name] = outcome.copy() if outcome.__class__ is list else outcome
        if row_errors:
            parsed.errors.extend(row_errors)
            if record.get(KEY_FIELD[kind]):
                parsed.failed_keys.add(record[KEY_FIELD[kind]])
        else:
            row = ParsedRow(number, record)
            parsed.rows.append(row)
            yield row
    if parsed.total_rows == 0:
        raise _refuse(_("文件中没有数据行（第 %(row)s 行为表头）") % {"row": parsed.header_row})
    if kind == ImportJob.Kind.ITEMS:
        _check_item_groups(parsed)
    else:
        _check_duplicates(parsed, KEY_FIELD[kind])
    parsed.errors.sort(key=lambda e: e["row"])


def _check_duplicates(parsed: ParsedFile, key: str) -> None:
    seen: dict[str, list[int]] = {}
    for row in parsed.rows:
        seen.setdefault(row.values[key], []).append(row.row)
    dupes = {k: rows for k, rows in seen.items() if len(rows) > 1}
    if not dupes:
        return
    bad: set[int] = set()
    for code, rows in dupes.items():
        for number in rows:
            others = "、".join(str(r) for r in rows if r != number)
            parsed.errors.append(
                _error(number, parsed.headers[key], code, _("与第 %(rows)s 行重复（同一文件中代码不能重复）") % {"rows": others})
            )
            bad.add(number)
    parsed.rows = [r for r in parsed.rows if r.row not in bad]


def _check_item_groups(parsed: ParsedFile) -> None:
    """Rows sharing 事项编码 form one item; its fields come from the first row that fills them."""
    groups: dict[str, list[ParsedRow]] = {}
    for row in parsed.rows:
        groups.setdefault(row.values["code"], []).append(row)
    bad: set[int] = set()
    for rows in groups.values():
        names = {r.values.get("name") for r in rows if r.values.get("name")}
        if not names:
            parsed.errors.append(_error(rows[0].row, parsed.headers.get("name", "事项名称"), "", _("该事项没有填写事项名称")))
            bad.update(r.row for r in rows)
        elif len(names) > 1:
            for r in rows:
                parsed.errors.append(
                    _error(r.row, parsed.headers["name"], r.values.get("name", ""), _("同一事项编码下的事项名称不一致"))
                )
            bad.update(r.row for r in rows)
    # A group is all-or-nothing: an item must not be imported with half of its check form.
    for code, rows in groups.items():
        if code in parsed.failed_keys and not any(r.row in bad for r in rows):
            for r in rows:
                parsed.errors.append(_error(r.row, parsed.headers["code"], r.values["code"], _("同一事项的其他行有错误")))
            bad.update(r.row for r in rows)
    parsed.rows = [r for r in parsed.rows if r.row not in bad]


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
    *, actor: Actor, records: list[dict[str, Any]], present: set[str], progress: Progress = _noop, note: str = ""
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
        AuditEntry.objects.bulk_create(
            [new_entry(actor=actor, action=a, target=p, changes=d, note=note) for a, p, d, _r in audit_rows]
        )
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


def kind_allowed(actor: Actor, kind: str) -> bool:
    """Entities: any organization (an office or platform upserts the shared registry only);
    inspectors and items belong to a department."""
    return kind == ImportJob.Kind.ENTITIES or actor.is_department


def _check_kind(actor: Actor, kind: str) -> None:
    if kind not in COLUMNS:
        raise ValidationError({"kind": _("未知的导入类型")})
    if not kind_allowed(actor, kind):
        raise ValidationError({"kind": _("只有行政监管部门可以导入执法检查人员和抽查事项")})


@transaction.atomic
def import_preview(*, actor: Actor, kind: str, data: bytes, filename: str) -> ImportJob:
    """Store the upload and validate every row: an ``ImportJob`` (status previewed) with all errors.
    A refused file raises ``ValidationError({"file": ...})`` and nothing is stored."""
    _check_kind(actor, kind)
    filename = (filename or "upload").rsplit("/", 1)[-1][:200]
    gc_was_enabled = _pause_gc()
    try:
        parsed = parse_table(data, filename, kind, parse_context(actor))
    except ImportRefused as exc:
        raise ValidationError({"file": str(exc)})
    finally:
        if gc_was_enabled:
            gc.enable()
    job = ImportJob(
        kind=kind, filename=filename, sha256=hashlib.sha256(data).hexdigest(), status=ImportJob.Status.PREVIEWED,
        created_by_id=actor.user_id, total_rows=parsed.total_rows, valid_rows=parsed.total_rows - len(parsed.rejected_rows),
        rejected_count=len(parsed.rejected_rows), errors=parsed.errors[:MAX_STORED_ERRORS],
        message=(_("表头在第 %(row)s 行") % {"row": parsed.header_row})
        + (("；" + _("未识别的列（将忽略）：%(cols)s") % {"cols": "、".join(parsed.ignored_headers)}) if parsed.ignored_headers else "")
        + (("；" + _("错误过多，页面只列出前 %(n)s 处；下载的错误行文件包含全部") % {"n": MAX_STORED_ERRORS})
           if len(parsed.errors) > MAX_STORED_ERRORS else ""),
    )
    job.set_tenant(actor)
    job.file.save(filename, ContentFile(data), save=False)
    job.save()
    record(actor=actor, action="import_preview", target=job,
           note=_("%(n)s 行，%(e)s 行有错误") % {"n": job.total_rows, "e": job.rejected_count})
    return job


@transaction.atomic
def import_confirm(*, actor: Actor, job: ImportJob, mode: str) -> ImportJob:
    """Choose the mode and run: inline for small files, as a Celery task above the threshold."""
    if job.organization_id != actor.organization_id:
        raise ValidationError(_("只能导入本单位上传的文件"))
    if mode not in ImportJob.Mode.values:
        raise ValidationError({"mode": _("请选择导入方式")})
    if job.status != ImportJob.Status.PREVIEWED:
        raise ValidationError(_("该文件已处理（%(s)s），如需再次导入请重新上传") % {"s": job.get_status_display()})
    job.mode = mode
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
        job.save()
        ref = actor_ref(actor)
        transaction.on_commit(lambda: import_job_run.delay(job.pk, actor=ref))
        return job
    job.save()
    return import_run(actor=actor, job=job, report_progress=False)


def _set_progress(job_id: int, **fields: Any) -> None:
    # Through the "progress" connection so the page sees it while the import's transaction is open.
    ImportJob.objects.using(PROGRESS_DB).filter(pk=job_id).update(**fields)


def _pause_gc() -> bool:
    """Hundreds of thousands of live rows make every cyclic-GC pass slower and slower (an import
    got slower per row as files grew); parsing and upserting create no cycles worth collecting."""
    was_enabled = gc.isenabled()
    gc.disable()
    return was_enabled


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
        with transaction.atomic():
            total = max(1, job.valid_rows or job.total_rows)  # from the preview: the stream's size
            step = max(CHUNK, total // 20)
            last = [0]

            def progress(done: int) -> None:
                if report_progress and (done - last[0] >= step or done >= total):
                    last[0] = done
                    _set_progress(job.pk, progress=min(99, done * 100 // total))

            note = _("导入文件 %(f)s") % {"f": job.filename}
            data, ctx = file_bytes(job), parse_context(actor)
            result: BulkResult | None = None
            if job.kind == ImportJob.Kind.ENTITIES:
                parsed, result = _stream_entities(
                    actor=actor, job=job, data=data, ctx=ctx, progress=progress, note=note, beside=beside
                )
            else:
                parsed = parse_table(data, job.filename, job.kind, ctx)
            rejected = parsed.rejected_rows
            job.errors = parsed.errors[:MAX_STORED_ERRORS]
            job.rejected_count = len(rejected)
            job.valid_rows = parsed.total_rows - len(rejected)
            job.total_rows = parsed.total_rows
            if job.mode == ImportJob.Mode.ALL and rejected:
                job.status = ImportJob.Status.REFUSED
                job.message = _("有 %(n)s 行错误，按“全部有效才导入”未导入任何数据") % {"n": len(rejected)}
            else:
                if result is None:
                    result = UPSERTS[job.kind](
                        actor=actor, records=[r.values for r in parsed.rows], present=parsed.present,
                        progress=progress, note=note,
                    )
                job.created_count, job.updated_count, job.unchanged_count = result.created, result.updated, result.unchanged
                job.status = ImportJob.Status.DONE
                job.message = _("导入完成：新增 %(c)s，更新 %(u)s，未变化 %(n)s，拒绝 %(r)s") % {
                    "c": result.created, "u": result.updated, "n": result.unchanged, "r": len(rejected)}
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
    *, actor: Actor, job: ImportJob, data: bytes, ctx: ParseContext, progress: Progress, note: str, beside: bool
) -> tuple[ParsedFile, BulkResult | None]:
    """Parse in a second thread while this one writes the rows parsed so far, so reading the file
    and the database's work overlap. With ``beside`` (the import opened the transaction itself, on
    PostgreSQL) the second thread also looks each chunk up, through a connection of its own, and
    prepares its rows (inventory/entity_upsert.py): this thread then only writes.

    Inside a savepoint: when the file-wide checks at the end reject rows already written (a code
    repeated further down), mode "all" meets an error, or a write meets a code an earlier chunk
    wrote, the savepoint is rolled back and the result is ``None`` — the caller then refuses, or
    upserts ``parsed.rows`` the plain way."""
    parsed = ParsedFile(job.kind, 0, {}, {}, [], [], 0)
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
                for batch in chunks(parse_rows(data, job.filename, job.kind, ctx, parsed), CHUNK):
                    if upsert is None:  # the columns present are known once a row was read
                        upsert = entity_upsert.EntityUpsert(
                            actor=actor, fields=ENTITY_FIELDS, present=parsed.present, note=note, lookups_beside=beside
                        )
                    if job.mode == ImportJob.Mode.ALL and parsed.errors:
                        write_no_more.set()  # it will be refused: read on (for the full error list)
                    plan = None
                    if beside and not write_no_more.is_set():
                        records = [r.values for r in batch]
                        plan = upsert.prepare(records, upsert.lookup(records))
                    if not put((batch, upsert, plan)):
                        return
            put(_END_OF_FILE)
        except BaseException as exc:  # handed to the writing thread, which raises it
            put(exc)

    result = BulkResult()
    written: list[int] = []
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
                if write_no_more.is_set():
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
                written.extend(r.row for r in batch)
                progress(len(written))
    except BaseException:
        stop.set()
        worker.join()
        transaction.savepoint_rollback(savepoint)
        raise
    worker.join()
    if write_no_more.is_set() or written != [r.row for r in parsed.rows]:
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
                values[name] = col.parse(raw.get(name), ctx)
            except CellError as exc:
                errors.append({"row": index, "field": name, "value": cell_text(raw.get(name))[:100], "reason": str(exc)})
        out.append(values)
    return out, errors, present


def entity_bulk_upsert(*, actor: Actor, records: list[dict[str, Any]]) -> BulkResult:
    """Idempotent, all-or-nothing upsert of entities keyed by code (the API's bulk endpoint).

    ``records`` are dicts keyed by canonical field names (see ``ENTITY_COLUMNS``) accepting the
    same value variants as the spreadsheets; a field left out keeps its stored value.
    Errors are ``{row (0-based), field, value, reason}``; with any error nothing is written."""
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


# ============================================================================ helpers for xlsx.py and the command


def file_bytes(job: ImportJob) -> bytes:
    job.file.open("rb")
    try:
        return job.file.read()
    finally:
        job.file.close()


def rows_of_file(job: ImportJob) -> Iterator[tuple[int, list[Any]]]:
    return read_rows(file_bytes(job), job.filename)


# ============================================================================ reads (views)


def import_job_list(*, actor: Actor) -> Any:
    """Import history visible to the actor (an office also sees its departments' imports)."""
    return ImportJob.objects.select_related("created_by", "organization").order_by("-created_at", "-id")


def import_job_get(*, actor: Actor, pk: int, own: bool = False) -> ImportJob:
    """One visible job (``own``: only the actor's organization's, for the actions that write)."""
    qs = ImportJob.objects.select_related("created_by", "organization")
    if own:
        qs = qs.filter(organization_id=actor.organization_id)
    return qs.get(pk=pk)
