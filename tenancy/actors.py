"""Build the frozen ``Actor`` of an entry point from a user's membership.

Runs before any scope exists, so it reads the tenancy tables unscoped; nothing here is reachable
from input other than the authenticated user and the organization they chose among their own.
"""

from __future__ import annotations

from django.db.models import Q

from .context import Actor, OrgKind
from .models import Membership, Organization, Region, User
from .scoping import system_scope

SESSION_ORG_KEY = "active_organization_id"


def region_subtree_ids(region: Region) -> frozenset[int]:
    return frozenset(Region.objects.filter(code__startswith=region.prefix).values_list("id", flat=True))


def actor_for(user: User | None, organization: Organization, *, via: str = "web", roles: frozenset[str] | None = None) -> Actor:
    """The actor of ``user`` acting for ``organization`` (the membership decides the roles)."""
    with system_scope():
        region = organization.region
        regions = region_subtree_ids(region)
        if organization.kind == OrgKind.DEPARTMENT:
            orgs = frozenset({organization.pk})
        else:
            # Offices read every organization of their region subtree; platforms their province.
            if organization.kind == OrgKind.PLATFORM and region.level != Region.Level.PROVINCE:
                province = Region.objects.filter(code=region.code[:2] + "0000").first() or region
                regions = region_subtree_ids(province)
            orgs = frozenset(Organization.objects.filter(region_id__in=regions).values_list("id", flat=True))
        if roles is None:
            membership = (
                Membership.objects.filter(user=user, organization=organization, is_active=True).first()
                if user is not None
                else None
            )
            roles = membership.roles if membership else frozenset()
    return Actor(
        user_id=user.pk if user is not None else None,
        username=(user.display_name or user.username) if user is not None else via,
        organization_id=organization.pk,
        organization_kind=organization.kind,
        organization_name=organization.name,
        region_id=region.pk,
        region_code=region.code,
        roles=frozenset(roles),
        visible_org_ids=orgs,
        visible_region_ids=regions,
        via=via,
    )


def memberships_of(user: User) -> list[Membership]:
    with system_scope():
        return list(
            Membership.objects.filter(user=user, is_active=True, organization__is_active=True)
            .select_related("organization", "organization__region")
            .order_by("organization__region__code", "organization__kind", "organization_id")
        )


def actor_for_request_user(
    user: User, chosen_org_id: int | None, *, via: str = "web", memberships: list[Membership] | None = None
) -> Actor | None:
    """The actor of a signed-in user: the chosen organization if they belong to it, else their first."""
    if memberships is None:
        memberships = memberships_of(user)
    if not memberships:
        return None
    chosen = next((m for m in memberships if m.organization_id == chosen_org_id), memberships[0])
    return actor_for(user, chosen.organization, via=via, roles=chosen.roles)


def organization_by_code_or_name(value: str) -> Organization | None:
    with system_scope():
        return Organization.objects.filter(Q(code=value) | Q(name=value)).select_related("region").first()
