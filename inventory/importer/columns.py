"""The columns of each kind of import (:data:`COLUMNS`) and the cell parsers behind them.

One table per kind is shared by the template, the import and the export (``inventory/xlsx.py``),
so an export re-imports to the same data. Parsers accept the variants other systems write (header
spellings, full-width characters, 是/否 in a dozen forms) and raise :class:`CellError` with the
Chinese reason shown beside the cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.codes import (
    INDUSTRY_CODE_ERROR,
    canonical_industry_code,
    classify_code,
    established_on_error,
    is_valid_phone,
    normalize_code,
    normalize_phone,
    normalize_text,
)
from inventory.models import CheckItem, CheckPoint, ImportJob, Inspector, MarketEntity
from tenancy.i18n import fixed_labels, translate_stored


class CellError(ValueError):
    """A cell's value is not acceptable; the message is the Chinese reason shown to the user."""


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


def header_lookup(kind: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for col in COLUMNS[kind]:
        for name in (col.header, *col.variants):
            out.setdefault(header_key(name), col.field)
    return out
