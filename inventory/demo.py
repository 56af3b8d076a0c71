"""Demo data of 一单两库 for ``seed_demo``: realistic registries, inspectors and check items per
demo department, the joint-inspection item lists of the offices. Deterministic and idempotent
(a second run creates nothing); bulk inserts so 2,000 entities × every department take seconds.

Runs unscoped (``seed_demo`` is a SystemCommand). The item lists follow the seed documents:
文旅 — 旅行社、星级饭店、网吧、娱乐场所 (阳文旅发〔2023〕8号); 发改 — 价格、招投标、节能审查
(阳发改字〔2023〕15号); 住建 — 建筑市场、房地产开发 (龙建文〔2023〕12号); 市场监管 — 食品经营、广告、
企业公示信息 (曲双随机办〔2022〕6号 第十一条: 检查项目/子项/内容/依据/结果 正常或不正常).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from tenancy.bulk import chunks
from tenancy.context import OrgKind
from tenancy.demo import ORGS
from tenancy.models import Organization, OrgUnit, User

from .codes import make_regno, make_uscc
from .models import (
    CheckItem,
    CheckPoint,
    ConflictOfInterest,
    Inspector,
    JointCheckItem,
    MarketEntity,
    RegistryEntry,
    Tag,
)

BATCH = 2000
# Share of a department's registry that is also in the first department's registry of its county.
SHARED_SHARE = 0.12

# (kind label, industry code, industry name, name suffixes, tag, weight)
Kind = tuple[str, str, str, tuple[str, ...], str, int]


@dataclass(frozen=True)
class Profile:
    prefix: str
    kinds: tuple[Kind, ...]
    items: tuple[tuple[str, str, str, str, str, tuple[tuple[str, str, str, str, str], ...]], ...]
    specialties: tuple[str, ...]


P = ("status", "text", "number", "date", "photo")

PROFILES: dict[str, Profile] = {
    "WLJ": Profile(
        "WL",
        (
            ("旅行社", "L7271", "旅行社服务", ("旅行社有限公司", "国际旅行社有限公司", "旅游服务有限公司"), "旅行社", 22),
            ("宾馆", "H6110", "旅游饭店", ("大酒店有限公司", "宾馆", "商务酒店", "假日酒店有限公司"), "星级饭店", 24),
            ("网吧", "R9053", "网吧活动", ("网络会所", "网吧", "电竞馆"), "网吧", 18),
            ("KTV", "R9051", "歌舞厅娱乐活动", ("KTV", "量贩式KTV", "歌舞厅", "娱乐会所"), "娱乐场所", 16),
            ("剧本杀", "R9054", "其他室内娱乐活动", ("剧本杀馆", "沉浸式剧场", "密室逃脱馆"), "剧本娱乐", 8),
            ("演出", "R9020", "艺术表演场馆", ("演艺有限公司", "大剧院", "文化传媒有限公司"), "演出场所", 6),
            ("景区", "N7850", "游览景区管理", ("旅游开发有限公司", "景区管理有限公司"), "A级景区", 6),
        ),
        (
            ("WL-001", "旅行社经营行为检查", "key", "旅行社", "《旅行社条例》《中华人民共和国旅游法》", (
                ("经营资质", "旅行社业务经营许可证", "许可证是否在有效期内并在经营场所悬挂", "《旅行社条例》第二十六条", "status"),
                ("质量保证金", "保证金缴存", "是否按规定缴存或投保旅行社质量保证金", "《旅行社条例》第十三条", "status"),
                ("旅游合同", "合同签订", "是否与旅游者签订书面合同，合同要素是否齐全", "《中华人民共和国旅游法》第五十七条", "photo"),
                ("导游委派", "导游人员", "是否委派持证导游，是否存在强迫购物、另行付费项目", "《导游人员管理条例》第十五条", "status"),
            )),
            ("WL-002", "星级饭店经营服务检查", "general", "旅游饭店", "《旅游饭店星级的划分与评定》GB/T 14308", (
                ("星级标志", "标志使用", "是否擅自使用星级标志和称谓", "《旅游饭店星级的划分与评定》", "status"),
                ("价格公示", "明码标价", "客房及服务项目是否明码标价", "《中华人民共和国价格法》第十三条", "photo"),
                ("安全管理", "消防与治安", "安全出口、住宿登记是否符合要求", "《旅馆业治安管理办法》第六条", "status"),
            )),
            ("WL-003", "互联网上网服务营业场所经营活动检查", "key", "网吧", "《互联网上网服务营业场所管理条例》", (
                ("经营许可", "网络文化经营许可证", "是否持有效许可证并悬挂", "《互联网上网服务营业场所管理条例》第二十三条", "status"),
                ("未成年人保护", "禁止未成年人进入", "是否接纳未成年人，是否悬挂未成年人禁入标志", "《互联网上网服务营业场所管理条例》第二十一条", "status"),
                ("实名登记", "上网人员登记", "是否核对、登记上网消费者有效身份证件", "《互联网上网服务营业场所管理条例》第二十三条", "status"),
                ("营业时间", "营业时间", "是否在每日0时至8时营业", "《互联网上网服务营业场所管理条例》第二十二条", "status"),
                ("现场照片", "经营场所", "经营场所全景照片", "", "photo"),
            )),
            ("WL-004", "娱乐场所经营活动检查", "key", "歌舞娱乐场所", "《娱乐场所管理条例》", (
                ("经营许可", "娱乐经营许可证", "是否持有效许可证", "《娱乐场所管理条例》第九条", "status"),
                ("曲目内容", "点播曲库", "是否含有禁止内容的曲目", "《娱乐场所管理条例》第十三条", "status"),
                ("未成年人保护", "未成年人进入", "是否接纳未成年人（法定节假日除外）", "《娱乐场所管理条例》第二十三条", "status"),
                ("营业日志", "日志记录", "营业日志是否按规定记录并留存60日", "《娱乐场所管理条例》第二十八条", "text"),
            )),
            ("WL-005", "剧本娱乐经营场所检查", "general", "剧本杀、密室", "《文化和旅游部等关于加强剧本娱乐经营场所管理的通知》", (
                ("告知性备案", "备案情况", "是否向文化和旅游主管部门告知性备案", "文旅市场发〔2022〕70号", "status"),
                ("剧本内容", "内容自审", "剧本脚本是否建立内容自审制度", "文旅市场发〔2022〕70号", "status"),
                ("未成年人保护", "适龄提示", "是否设置适龄提示", "文旅市场发〔2022〕70号", "status"),
            )),
        ),
        ("旅行社", "网吧", "娱乐场所", "演出市场", "文物保护"),
    ),
    "FGJ": Profile(
        "FG",
        (
            ("加油站", "F5265", "机动车燃油零售", ("加油站", "石油销售有限公司", "能源有限公司加油站"), "加油站", 18),
            ("商场", "F5211", "百货零售", ("购物中心有限公司", "商厦", "百货有限公司"), "商场", 14),
            ("供热", "D4430", "热力生产和供应", ("供热有限公司", "热力有限公司"), "供热", 6),
            ("建筑", "E4790", "其他房屋建筑业", ("建筑工程有限公司", "建设集团有限公司", "建筑安装有限公司"), "招投标", 22),
            ("招标代理", "L7245", "招标代理服务", ("招标代理有限公司", "项目管理咨询有限公司"), "招投标", 10),
            ("煤业", "B0610", "烟煤和无烟煤开采洗选", ("煤业有限公司", "煤炭运销有限公司"), "固定资产投资项目", 10),
            ("停车场", "G5443", "停车场服务", ("停车场管理有限公司", "智慧停车有限公司"), "价格监管", 8),
            ("医院", "Q8411", "综合医院", ("医院", "康复医院有限公司"), "价格监管", 6),
        ),
        (
            ("FG-001", "价格行为检查", "key", "经营者", "《中华人民共和国价格法》《明码标价和禁止价格欺诈规定》", (
                ("明码标价", "标价签", "商品和服务是否明码标价，标价内容是否完整", "《明码标价和禁止价格欺诈规定》第五条", "photo"),
                ("政府定价", "执行情况", "是否执行政府定价、政府指导价", "《中华人民共和国价格法》第十二条", "status"),
                ("价格欺诈", "虚构原价", "是否存在虚构原价、虚假优惠折价", "《明码标价和禁止价格欺诈规定》第十九条", "status"),
            )),
            ("FG-002", "招标投标活动检查", "key", "依法必须招标项目", "《中华人民共和国招标投标法》及其实施条例", (
                ("招标方式", "公开招标", "依法必须招标的项目是否公开招标", "《中华人民共和国招标投标法》第十一条", "status"),
                ("招标公告", "信息发布", "招标公告是否在指定媒介发布", "《招标公告和公示信息发布管理办法》第八条", "status"),
                ("评标", "评标委员会", "评标委员会组成是否符合规定", "《中华人民共和国招标投标法》第三十七条", "status"),
                ("合同订立", "中标合同", "是否在30日内按招标文件订立合同", "《中华人民共和国招标投标法》第四十六条", "date"),
            )),
            ("FG-003", "固定资产投资项目节能审查实施情况检查", "general", "固定资产投资项目", "《固定资产投资项目节能审查办法》", (
                ("节能审查", "审查意见", "项目是否取得节能审查意见", "《固定资产投资项目节能审查办法》第五条", "status"),
                ("落实情况", "节能措施", "节能措施是否落实", "《固定资产投资项目节能审查办法》第十七条", "text"),
                ("能耗", "年综合能耗", "年综合能源消费量（吨标准煤）", "", "number"),
            )),
            ("FG-004", "成品油价格执行情况检查", "general", "加油站", "《石油价格管理办法》", (
                ("价格执行", "最高零售价", "是否超过国家规定最高零售价格", "《石油价格管理办法》第十一条", "status"),
                ("价格公示", "油品价格牌", "价格牌是否与实际售价一致", "《明码标价和禁止价格欺诈规定》", "photo"),
                ("检查日期", "调价日期", "最近一次调价执行日期", "", "date"),
            )),
        ),
        ("价格监管", "招投标", "节能审查", "项目管理"),
    ),
    "SJJ": Profile(
        "SJ",
        (
            ("超市", "F5212", "超级市场零售", ("超市", "购物广场有限公司", "便利店", "生活超市"), "食品经营", 22),
            ("餐饮", "H6210", "正餐服务", ("饭店", "酒楼", "餐饮管理有限公司", "食府"), "餐饮服务", 24),
            ("快餐", "H6220", "快餐服务", ("小吃店", "面馆", "快餐店"), "餐饮服务", 14),
            ("药店", "F5251", "西药零售", ("大药房", "医药连锁有限公司", "药店"), "药品零售", 12),
            ("广告", "L7251", "广告业", ("广告有限公司", "文化传媒有限公司"), "广告", 8),
            ("食品生产", "C1439", "其他方便食品制造", ("食品有限公司", "食品厂"), "食品生产", 8),
            ("农资", "F5179", "其他农牧产品批发", ("农资经销部", "种业有限公司"), "农资", 6),
            ("眼镜", "F5281", "眼镜零售", ("眼镜店", "视光中心"), "计量器具", 6),
        ),
        (
            ("SJ-001", "食品经营检查", "key", "食品经营者", "《中华人民共和国食品安全法》《食品经营许可和备案管理办法》", (
                ("经营资质", "食品经营许可证", "是否持有效许可证，经营项目是否与许可一致", "《中华人民共和国食品安全法》第三十五条", "status"),
                ("从业人员", "健康证明", "从事接触直接入口食品工作的人员是否取得健康证明", "《中华人民共和国食品安全法》第四十五条", "status"),
                ("进货查验", "进货查验记录", "是否建立并执行进货查验记录制度", "《中华人民共和国食品安全法》第五十三条", "photo"),
                ("过期食品", "临期与过期食品", "是否销售超过保质期的食品", "《中华人民共和国食品安全法》第三十四条", "status"),
                ("冷藏温度", "冷柜温度", "冷藏设施温度（℃）", "", "number"),
            )),
            ("SJ-002", "广告发布行为检查", "general", "广告主、广告经营者、广告发布者", "《中华人民共和国广告法》", (
                ("广告内容", "绝对化用语", "是否使用“国家级”“最高级”“最佳”等用语", "《中华人民共和国广告法》第九条", "status"),
                ("广告审查", "医疗药品广告", "医疗、药品、保健食品广告是否经审查", "《中华人民共和国广告法》第四十六条", "status"),
                ("广告档案", "承接登记", "是否建立广告业务承接登记、审核、档案管理制度", "《中华人民共和国广告法》第三十四条", "text"),
            )),
            ("SJ-003", "企业公示信息检查", "key", "企业", "《企业信息公示暂行条例》", (
                ("年度报告", "报送情况", "是否按时报送年度报告", "《企业信息公示暂行条例》第八条", "status"),
                ("公示信息", "真实性", "公示的股东出资、资产状况等信息是否真实", "《企业信息公示暂行条例》第十条", "status"),
                ("住所", "登记住所", "通过登记的住所（经营场所）能否联系", "《市场主体登记管理条例》", "status"),
            )),
            ("SJ-004", "药品零售企业检查", "general", "药品零售企业", "《中华人民共和国药品管理法》", (
                ("执业药师", "在岗情况", "执业药师是否在岗", "《药品经营质量管理规范》第一百二十五条", "status"),
                ("处方药", "凭处方销售", "处方药是否凭处方销售", "《中华人民共和国药品管理法》第五十四条", "status"),
                ("现场照片", "陈列区", "药品分类陈列区照片", "", "photo"),
            )),
        ),
        ("食品安全", "广告监管", "信用监管", "药品监管", "计量"),
    ),
    "ZJJ": Profile(
        "ZJ",
        (
            ("建筑", "E4710", "住宅房屋建筑", ("建筑工程有限公司", "建设工程有限公司", "建筑劳务有限公司"), "建筑施工", 30),
            ("房地产", "K7010", "房地产开发经营", ("房地产开发有限公司", "置业有限公司", "地产有限公司"), "房地产开发", 24),
            ("物业", "K7020", "物业管理", ("物业服务有限公司", "物业管理有限公司"), "物业服务", 20),
            ("中介", "K7030", "房地产中介服务", ("房产经纪有限公司", "房屋中介"), "房地产经纪", 12),
            ("监理", "M7481", "工程管理服务", ("工程监理有限公司", "工程咨询有限公司"), "工程监理", 8),
            ("装饰", "E5010", "公共建筑装饰和装修", ("装饰工程有限公司", "装饰设计有限公司"), "建筑施工", 6),
        ),
        (
            ("ZJ-001", "建筑市场行为检查", "key", "建筑施工企业", "《中华人民共和国建筑法》《建筑工程施工许可管理办法》", (
                ("企业资质", "资质证书", "是否超越资质等级承揽工程", "《中华人民共和国建筑法》第二十六条", "status"),
                ("施工许可", "施工许可证", "是否取得施工许可证后开工", "《中华人民共和国建筑法》第七条", "status"),
                ("实名制", "农民工实名制管理", "是否落实实名制管理和工资专户", "《保障农民工工资支付条例》第二十八条", "status"),
                ("现场照片", "施工现场", "施工现场公示牌照片", "", "photo"),
            )),
            ("ZJ-002", "房地产开发企业经营行为检查", "key", "房地产开发企业", "《城市房地产开发经营管理条例》", (
                ("开发资质", "资质证书", "是否取得房地产开发资质", "《城市房地产开发经营管理条例》第九条", "status"),
                ("商品房预售", "预售许可", "是否取得商品房预售许可证", "《城市商品房预售管理办法》第六条", "status"),
                ("预售资金", "资金监管", "预售资金是否进入监管账户", "《城市商品房预售管理办法》第十一条", "text"),
            )),
            ("ZJ-003", "物业服务企业检查", "general", "物业服务企业", "《物业管理条例》", (
                ("服务合同", "物业服务合同", "是否签订物业服务合同", "《物业管理条例》第三十四条", "status"),
                ("收费公示", "收费标准", "是否公示收费项目和标准", "《物业服务收费明码标价规定》", "photo"),
                ("维修资金", "专项维修资金", "是否挪用专项维修资金", "《物业管理条例》第五十三条", "status"),
            )),
        ),
        ("建筑市场", "房地产", "物业管理", "工程质量"),
    ),
}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华文辉晓红鹏飞志强海燕玉兰国庆立新淑珍春梅俊杰雪瑞正斌军善晓军宏伟丽华永红建国卫东"
TRADE = (
    "皇城", "析城", "蟒河", "润城", "凤城", "北留", "东冶", "白桑", "芹池", "演礼", "固隆", "驾岭", "西河", "寺头", "董封",
    "鑫源", "宏达", "金泰", "瑞丰", "恒通", "华宇", "兴隆", "永盛", "福顺", "天成", "聚源", "德润", "安泰", "祥和", "万通",
    "嘉禾", "盛世", "宏远", "长青", "新兴", "鸿运", "锦绣", "康泰", "同心", "众诚", "明珠", "华联", "百信", "和顺", "晋阳",
    "太行", "王屋", "沁河", "相府", "海会", "龙泉", "润泽", "泰和", "利民", "惠民", "信达", "博远", "正通", "启航", "新时代",
)
TOWNS = ("凤城镇", "北留镇", "润城镇", "町店镇", "芹池镇", "次营镇", "横河镇", "河北镇", "蟒河镇", "东冶镇", "西河乡", "寺头乡")
ROADS = ("东关街", "西大街", "凤栖路", "阳泰路", "建设路", "新华街", "滨河路", "迎宾大道", "府前街", "育才路", "商贸街", "人民路")


def _profile(org: Organization) -> Profile | None:
    return PROFILES.get(org.code.rsplit("-", 1)[-1])


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _weighted(rng: random.Random, kinds: tuple[Kind, ...]) -> Kind:
    return rng.choices(kinds, weights=[k[5] for k in kinds])[0]


def _risk(rng: random.Random) -> str:
    # 秦皇岛方案 risk-based sampling: roughly A 40 % B 35 % C 18 % D 7 %.
    return rng.choices("ABCD", weights=(40, 35, 18, 7))[0]


def plan_entities(org: Organization, dept_index: int, count: int) -> list[dict[str, Any]]:
    """The deterministic entity records of a department (same input, same output)."""
    profile = _profile(org)
    assert profile is not None
    rng = random.Random(f"entities:{org.code}")
    region = org.region
    county = region.name
    out: list[dict[str, Any]] = []
    for n in range(count):
        kind = _weighted(rng, profile.kinds)
        roll = rng.random()
        town = rng.choice(TOWNS)
        trade = rng.choice(TRADE)
        suffix = rng.choice(kind[3])
        serial = f"{dept_index}{n:08d}"
        if roll < 0.22 and not suffix.endswith("有限公司"):
            entity_type, prefix = MarketEntity.EntityType.INDIVIDUAL, "92"
            name = f"{county}{town}{rng.choice(SURNAMES)}记{suffix}"
        elif roll < 0.25:
            entity_type, prefix = MarketEntity.EntityType.COOPERATIVE, "93"
            name = f"{county}{town}{trade}{kind[0]}专业合作社"
        else:
            entity_type, prefix = MarketEntity.EntityType.ENTERPRISE, "91"
            name = f"{county}{trade}{suffix}"
        if rng.random() < 0.02:
            code, code_kind, legacy = make_regno(region.code + serial[1:]), MarketEntity.CodeKind.REGNO, True
        else:
            code, code_kind, legacy = make_uscc(prefix, region.code, serial), MarketEntity.CodeKind.USCC, False
        status_roll = rng.random()
        status = (
            MarketEntity.Status.DEREGISTERED if status_roll < 0.02
            else MarketEntity.Status.REVOKED if status_roll < 0.03 else MarketEntity.Status.ACTIVE
        )
        risk = _risk(rng)
        out.append({
            "code": code, "code_kind": code_kind, "is_legacy_code": legacy, "name": name[:200], "entity_type": entity_type,
            "legal_representative": _person(rng),
            "address": f"{county}{town}{rng.choice(ROADS)}{rng.randint(1, 399)}号",
            "industry_code": kind[1], "industry_name": kind[2],
            "established_on": dt.date(2000, 1, 1) + dt.timedelta(days=rng.randint(0, 8700)),
            "status": status, "risk_class": risk,
            "on_abnormal_list": rng.random() < (0.12 if risk in "CD" else 0.03),
            "on_dishonest_list": rng.random() < (0.05 if risk == "D" else 0.005),
            "complaint_count": rng.choices((0, 1, 2, 3, 5, 8), weights=(70, 14, 7, 5, 3, 1))[0],
            "tag": kind[4],
        })
    return out


def _tag(org: Organization, kind: str, name: str, cache: dict[tuple[int, str, str], Tag]) -> Tag:
    key = (org.pk, kind, name)
    if key not in cache:
        cache[key], _ = Tag.objects.get_or_create(organization=org, kind=kind, name=name, defaults={"region": org.region})
    return cache[key]


def seed_registry(org: Organization, dept_index: int, count: int, shared_from: Organization | None, tags: dict) -> int:
    """Entities and registry entries of one department; returns the entities created."""
    records = plan_entities(org, dept_index, count)
    region = org.region
    codes = [r["code"] for r in records]
    existing: dict[str, int] = {}
    for chunk in chunks(codes, 900):
        existing.update(MarketEntity.objects.filter(region=region, code__in=chunk).values_list("code", "id"))
    new = [
        MarketEntity(organization=org, region=region, **{k: v for k, v in r.items() if k != "tag"})
        for r in records if r["code"] not in existing
    ]
    for chunk in chunks(new, BATCH):
        MarketEntity.objects.bulk_create(chunk, batch_size=500)
    if new:
        for chunk in chunks([e.code for e in new], 900):
            existing.update(MarketEntity.objects.filter(region=region, code__in=chunk).values_list("code", "id"))
    wanted: dict[int, str] = {existing[r["code"]]: r["tag"] for r in records}
    if shared_from is not None:
        # The same entity in two departments' registries (进一次门、查多项事).
        shared = list(
            RegistryEntry.objects.filter(organization=shared_from).order_by("entity_id").values_list("entity_id", flat=True)[: int(count * SHARED_SHARE)]
        )
        for entity_id in shared:
            wanted.setdefault(entity_id, "")
    have = set(RegistryEntry.objects.filter(organization=org).values_list("entity_id", flat=True))
    entries = [RegistryEntry(organization=org, region=region, entity_id=eid) for eid in wanted if eid not in have]
    for chunk in chunks(entries, BATCH):
        RegistryEntry.objects.bulk_create(chunk, batch_size=500)
    if entries:
        ids = dict(RegistryEntry.objects.filter(organization=org).values_list("entity_id", "id"))
        through = RegistryEntry.tags.through
        links = [
            through(registryentry_id=ids[e.entity_id], tag_id=_tag(org, Tag.Kind.ENTITY, wanted[e.entity_id], tags).pk)
            for e in entries if wanted[e.entity_id]
        ]
        for chunk in chunks(links, BATCH):
            through.objects.bulk_create(chunk, batch_size=500, ignore_conflicts=True)
    return len(new)


def seed_inspectors(org: Organization, login: str, profile: Profile, tags: dict) -> int:
    rng = random.Random(f"inspectors:{org.code}")
    if Inspector.objects.filter(organization=org).exists():
        return 0
    units = list(OrgUnit.objects.filter(organization=org).order_by("name"))
    today = timezone.localdate()
    count = rng.randint(20, 40)
    created: list[Inspector] = []
    for n in range(1, count + 1):
        status = rng.choices(
            [Inspector.Status.ACTIVE, Inspector.Status.SECONDED, Inspector.Status.LEAVE, Inspector.Status.LEFT], weights=(86, 6, 5, 3)
        )[0]
        expires = today + dt.timedelta(days=rng.randint(-400, 1800)) if n > 1 else today + dt.timedelta(days=900)
        created.append(Inspector(
            organization=org, region=org.region, unit=rng.choice(units) if units else None, name=_person(rng),
            position=rng.choice(("科员", "副股长", "股长", "执法队员", "副队长", "四级主任科员")),
            cert_no=f"{org.region.code}{org.pk % 100:02d}{n:04d}", cert_expires_on=expires,
            post=rng.choice(("行政执法", "行政检查", "综合执法")), phone=f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
            status=status,
        ))
    Inspector.objects.bulk_create(created)
    inspectors = list(Inspector.objects.filter(organization=org).order_by("cert_no"))
    through = Inspector.specialties.through
    links = []
    for i in inspectors:
        for name in rng.sample(profile.specialties, k=rng.randint(1, 2)):
            links.append(through(inspector_id=i.pk, tag_id=_tag(org, Tag.Kind.INSPECTOR, name, tags).pk))
    through.objects.bulk_create(links, ignore_conflicts=True)
    user = User.objects.filter(username=f"{login}_inspector").first()
    if user is not None:
        Inspector.objects.filter(pk=inspectors[0].pk).update(user=user)
    entity_ids = list(RegistryEntry.objects.filter(organization=org).order_by("entity_id").values_list("entity_id", flat=True)[:200])
    if entity_ids:
        for inspector in rng.sample(inspectors[1:], k=min(3, len(inspectors) - 1)):
            ConflictOfInterest.objects.create(
                organization=org, region=org.region, inspector=inspector, entity_id=rng.choice(entity_ids),
                reason=rng.choice(("近亲属在该单位任职", "曾在该单位工作未满三年", "本人持有该公司股份", "配偶为该单位负责人")),
                declared_on=today - dt.timedelta(days=rng.randint(10, 300)), approved_by=_person(rng),
            )
    return len(created)


def seed_items(org: Organization, profile: Profile) -> int:
    units = list(OrgUnit.objects.filter(organization=org).order_by("name"))
    created = 0
    for code, name, category, target, basis, points in profile.items:
        if CheckItem.objects.filter(organization=org, code=code).exists():
            continue
        item = CheckItem.objects.create(
            organization=org, region=org.region, code=code, name=name, category=category, target_type=target,
            legal_basis=basis, method=CheckItem.Method.ONSITE, content=f"对{target}开展{name}",
            responsible_unit=units[0] if units else None,
        )
        CheckPoint.objects.bulk_create([
            CheckPoint(organization=org, region=org.region, item=item, order=i, project=p[0], sub_item=p[1], content=p[2],
                       basis=p[3], answer_kind=p[4], photo_required=p[4] == "photo")
            for i, p in enumerate(points, start=1)
        ])
        created += 1
    return created


JOINT: dict[str, list[tuple[str, str, str, str, tuple[str, ...]]]] = {
    # office code: (field, name, target, initiator code, partner codes)
    "140522-SSJB": [
        ("文化旅游", "旅游市场联合检查", "旅行社、旅游饭店", "140522-WLJ", ("140522-SJJ",)),
        ("成品油", "成品油市场价格与质量联合检查", "加油站", "140522-FGJ", ("140522-SJJ",)),
        ("文化娱乐", "娱乐场所联合检查", "歌舞娱乐场所、网吧", "140522-WLJ", ("140522-SJJ", "140522-FGJ")),
    ],
    "130634-SSJB": [
        ("建筑市场", "建筑市场与广告联合检查", "建筑施工企业", "130634-ZJJ", ("130634-SJJ",)),
        ("物业服务", "物业服务收费联合检查", "物业服务企业", "130634-ZJJ", ("130634-SJJ",)),
    ],
    "410202-SSJB": [("房地产", "房地产市场秩序联合检查", "房地产开发企业", "410202-ZJJ", ())],
    "130300-SSJB": [("食品安全", "校园周边食品安全联合检查", "食品经营者", "130300-SJJ", ())],
}


def seed_joint(orgs: dict[str, Organization]) -> int:
    created = 0
    for office_code, rows in JOINT.items():
        office = orgs.get(office_code)
        if office is None:
            continue
        for field, name, target, initiator, partners in rows:
            if initiator not in orgs or JointCheckItem.objects.filter(organization=office, name=name).exists():
                continue
            item = JointCheckItem.objects.create(
                organization=office, region=office.region, field=field, name=name, target=target, initiator=orgs[initiator]
            )
            item.partners.set([orgs[p] for p in partners if p in orgs])
            created += 1
    return created


def seed(*, orgs: dict[str, Organization], entities: int, stdout: Any) -> None:
    logins = {spec.code: spec.login for spec in ORGS}
    tags: dict[tuple[int, str, str], Tag] = {}
    first_of_region: dict[int, Organization] = {}
    totals = {"entities": 0, "inspectors": 0, "items": 0}
    departments = [o for o in orgs.values() if o.kind == OrgKind.DEPARTMENT and _profile(o) is not None]
    for index, org in enumerate(sorted(departments, key=lambda o: o.code), start=1):
        profile = _profile(org)
        assert profile is not None
        with transaction.atomic():
            shared_from = first_of_region.setdefault(org.region_id, org)
            totals["entities"] += seed_registry(org, index % 10, entities, None if shared_from is org else shared_from, tags)
            totals["items"] += seed_items(org, profile)
            totals["inspectors"] += seed_inspectors(org, logins.get(org.code, ""), profile, tags)
    with transaction.atomic():
        joint = seed_joint(orgs)
    stdout.write(
        f"inventory: {totals['entities']} entities, {totals['inspectors']} inspectors, {totals['items']} check items, "
        f"{joint} joint items created"
    )
