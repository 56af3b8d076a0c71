"""A small two-county world for tests: each county has two departments and an office; every
organization has one user per role. Built unscoped, as set-up code does."""

from __future__ import annotations

from dataclasses import dataclass, field

from django_scopes import scopes_disabled

from tenancy.actors import actor_for
from tenancy.context import Actor, OrgKind, Role
from tenancy.models import Membership, Organization, Region, User

PASSWORD = "Test-Pass-2026"


@dataclass
class World:
    regions: dict[str, Region] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)
    users: dict[tuple[str, str], User] = field(default_factory=dict)

    def user(self, org: str, role: str) -> User:
        return self.users[(org, role)]

    def actor(self, org: str, role: str = Role.ADMIN) -> Actor:
        return actor_for(self.user(org, role), self.orgs[org])


ORG_SPECS = {
    # key: (kind, county)
    "A1": (OrgKind.DEPARTMENT, "A"),
    "A2": (OrgKind.DEPARTMENT, "A"),
    "AO": (OrgKind.OFFICE, "A"),
    "B1": (OrgKind.DEPARTMENT, "B"),
    "B2": (OrgKind.DEPARTMENT, "B"),
    "BO": (OrgKind.OFFICE, "B"),
}


def build_world() -> World:
    world = World()
    with scopes_disabled():
        shanxi = Region.objects.create(code="140000", name="山西省", level="province")
        jincheng = Region.objects.create(code="140500", name="晋城市", level="city", parent=shanxi)
        hebei = Region.objects.create(code="130000", name="河北省", level="province")
        baoding = Region.objects.create(code="130600", name="保定市", level="city", parent=hebei)
        world.regions = {
            "SX": shanxi,
            "HB": hebei,
            "A": Region.objects.create(code="140522", name="阳城县", level="county", parent=jincheng),
            "B": Region.objects.create(code="130634", name="曲阳县", level="county", parent=baoding),
        }
        for key, (kind, county) in ORG_SPECS.items():
            org = Organization.objects.create(
                kind=kind, region=world.regions[county], code=f"T-{key}", name=f"测试单位{key}", short_name=key
            )
            world.orgs[key] = org
            for role in Role.ALL:
                user = User.objects.create_user(username=f"{key.lower()}_{role}", password=PASSWORD, display_name=f"{key}{role}")
                Membership.objects.create(
                    user=user, organization=org, region=org.region, **{f"is_{r}": r == role for r in Role.ALL}
                )
                world.users[(key, role)] = user
    return world
