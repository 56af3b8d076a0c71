from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from tenancy.actors import actor_for
from tenancy.context import OrgKind
from tenancy.models import Membership, Organization, User
from tests.world import PASSWORD


def add_platform(world):
    """A provincial platform organization with an admin (who keeps the holiday calendar)."""
    with scopes_disabled():
        org = Organization.objects.create(kind=OrgKind.PLATFORM, region=world.regions["SX"], code="T-PLAT", name="测试省平台")
        user = User.objects.create_user(username="plat_admin", password=PASSWORD, display_name="平台管理员")
        Membership.objects.create(user=user, organization=org, region=org.region, is_admin=True, is_viewer=False)
    world.orgs["PL"] = org
    world.users[("PL", "admin")] = user
    return org, user


@pytest.fixture
def platform_admin(world):
    org, user = add_platform(world)
    return actor_for(user, org)
