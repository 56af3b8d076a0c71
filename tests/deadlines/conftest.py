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


@pytest.fixture(autouse=True)
def _builtin_rules_only():
    """The engine is tested with the rules of the apps before it (``deadlines.builtin``): the
    counts of items, reminders and mails here are theirs. The rules later apps register (the
    confirmation of a draw's dispatched targets, opened by every draw) are tested with those apps."""
    from deadlines import builtin
    from deadlines.rules import RULES

    own = {rule.key for rule in builtin.RULES}
    later = [rule for rule in RULES if rule.key not in own]
    for rule in later:
        RULES.unregister(rule.key)
    yield
    for rule in later:
        RULES.register(rule)
