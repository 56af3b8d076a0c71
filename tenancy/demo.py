"""The demo regions, organizations, units and users of ``seed_demo`` (idempotent)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .context import OrgKind, Role
from .models import Membership, Organization, OrgUnit, Region, User
from .registry import Registry


@dataclass(frozen=True)
class DemoSeeder:
    """Demo data a later app adds to ``seed_demo`` (registered from its ``ready()``): called as
    ``seed(orgs=<Organization by code>, entities=<int>, stdout=<writer>)`` unscoped, after the
    seeders of ``seed_demo.APP_SEEDERS``, in ``order``; must be idempotent (seed_demo runs twice)."""

    key: str
    seed: Callable[..., Any]
    order: int = 100


DEMO_SEEDERS: Registry[DemoSeeder] = Registry("demo seeders", doc="Later apps' demo data for seed_demo.")

REGIONS: list[tuple[str, str, str, str | None]] = [
    ("140000", "山西省", "province", None),
    ("140500", "晋城市", "city", "140000"),
    ("140522", "阳城县", "county", "140500"),
    ("130000", "河北省", "province", None),
    ("130600", "保定市", "city", "130000"),
    ("130634", "曲阳县", "county", "130600"),
    ("130300", "秦皇岛市", "city", "130000"),
    ("410000", "河南省", "province", None),
    ("410200", "开封市", "city", "410000"),
    ("410202", "龙亭区", "county", "410200"),
]


@dataclass(frozen=True)
class DemoOrg:
    code: str
    name: str
    short: str
    kind: str
    region: str
    login: str  # username prefix
    units: tuple[str, ...] = ()


ORGS: list[DemoOrg] = [
    DemoOrg("140522-FGJ", "阳城县发展和改革局", "县发改局", OrgKind.DEPARTMENT, "140522", "yc_fg",
            ("营商环境股", "价格股", "项目股", "能源股")),
    DemoOrg("140522-WLJ", "阳城县文化和旅游局", "县文旅局", OrgKind.DEPARTMENT, "140522", "yc_wl",
            ("文化市场综合行政执法队", "产业股", "旅游股")),
    DemoOrg("140522-SJJ", "阳城县市场监督管理局", "县市场监管局", OrgKind.DEPARTMENT, "140522", "yc_sj",
            ("信用监管股", "执法稽查大队", "食品安全股")),
    DemoOrg("140522-SSJB", "阳城县“双随机、一公开”监管工作领导小组办公室", "阳城县双随机办", OrgKind.OFFICE, "140522", "yc_office"),
    DemoOrg("130634-SJJ", "曲阳县市场监督管理局", "曲阳县市场监管局", OrgKind.DEPARTMENT, "130634", "qy_sj",
            ("信用监管股", "综合执法大队")),
    DemoOrg("130634-ZJJ", "曲阳县住房和城乡建设局", "曲阳县住建局", OrgKind.DEPARTMENT, "130634", "qy_zj",
            ("建筑市场股", "城建监察大队")),
    DemoOrg("130634-SSJB", "曲阳县“双随机、一公开”监管工作领导小组办公室", "曲阳县双随机办", OrgKind.OFFICE, "130634", "qy_office"),
    DemoOrg("410202-ZJJ", "开封市龙亭区住房和城乡建设局", "龙亭区住建局", OrgKind.DEPARTMENT, "410202", "lt_zj",
            ("建筑市场科", "房地产市场科")),
    DemoOrg("410202-SSJB", "龙亭区“双随机、一公开”监管工作领导小组办公室", "龙亭区双随机办", OrgKind.OFFICE, "410202", "lt_office"),
    DemoOrg("130300-SJJ", "秦皇岛市市场监督管理局", "秦皇岛市市场监管局", OrgKind.DEPARTMENT, "130300", "qhd_sj",
            ("信用监督管理科",)),
    DemoOrg("130300-SSJB", "秦皇岛市“双随机、一公开”监管改革领导小组办公室", "秦皇岛市双随机办", OrgKind.OFFICE, "130300", "qhd_office"),
    DemoOrg("130000-PLAT", "河北省双随机监管工作平台", "河北省平台", OrgKind.PLATFORM, "130000", "hb_platform"),
]

ROLE_USERS: dict[str, tuple[str, ...]] = {
    OrgKind.DEPARTMENT: Role.ALL,
    OrgKind.OFFICE: Role.ALL,  # the office runs joint inspections too
    OrgKind.PLATFORM: (Role.ADMIN, Role.VIEWER),  # the platform's admin manages its API tokens
}
ROLE_NAMES = {"admin": "管理员", "planner": "计划员", "inspector": "检查员", "leader": "分管领导", "viewer": "查看员"}


def seed_regions() -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for code, name, level, parent in REGIONS:
        region, _ = Region.objects.update_or_create(
            code=code, defaults={"name": name, "level": level, "parent": regions.get(parent) if parent else None}
        )
        regions[code] = region
    return regions


def seed_organizations(password: str) -> tuple[dict[str, Organization], list[tuple[str, str, str]]]:
    """Returns the organizations by code and the demo accounts as (username, organization, role)."""
    regions = seed_regions()
    orgs: dict[str, Organization] = {}
    accounts: list[tuple[str, str, str]] = []
    for spec in ORGS:
        org, _ = Organization.objects.update_or_create(
            code=spec.code,
            defaults={"name": spec.name, "short_name": spec.short, "kind": spec.kind, "region": regions[spec.region]},
        )
        orgs[spec.code] = org
        for unit_name in spec.units:
            OrgUnit.objects.get_or_create(
                organization=org,
                name=unit_name,
                defaults={"region": org.region, "kind": OrgUnit.Kind.TEAM if "队" in unit_name else OrgUnit.Kind.SECTION},
            )
        for role in ROLE_USERS[spec.kind]:
            username = f"{spec.login}_{role}"
            user = _user(username, f"{spec.short}{ROLE_NAMES[role]}", password)
            _member(user, org, {role} | ({Role.VIEWER} if role != Role.VIEWER else set()))
            accounts.append((username, spec.name, role))
    # One person in two departments, to show the organization switcher.
    multi = _user("yc_multi", "阳城县联合执法员", password)
    _member(multi, orgs["140522-WLJ"], {Role.INSPECTOR, Role.PLANNER, Role.VIEWER})
    _member(multi, orgs["140522-SJJ"], {Role.INSPECTOR, Role.VIEWER})
    accounts.append(("yc_multi", "阳城县文化和旅游局 + 阳城县市场监督管理局", "planner+inspector"))
    return orgs, accounts


def _user(username: str, display_name: str, password: str) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"display_name": display_name})
    if created or not user.check_password(password):
        user.set_password(password)
        user.save()
    return user


def _member(user: User, org: Organization, roles: set[str]) -> Membership:
    flags = {f"is_{role}": role in roles for role in Role.ALL}
    membership, _ = Membership.objects.update_or_create(
        user=user, organization=org, defaults={"region": org.region, "is_active": True, **flags}
    )
    return membership
