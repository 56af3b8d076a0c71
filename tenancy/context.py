"""The frozen tenant context (the request ``Actor``) every scoped query and every service uses.

An ``Actor`` is built once per entry point (request, API call, Celery task, command) from the
user's membership and never changes afterwards; visibility rules read only from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class Role:
    ADMIN = "admin"
    PLANNER = "planner"
    INSPECTOR = "inspector"
    LEADER = "leader"
    VIEWER = "viewer"
    ALL = (ADMIN, PLANNER, INSPECTOR, LEADER, VIEWER)


class OrgKind:
    DEPARTMENT = "department"
    OFFICE = "office"
    PLATFORM = "platform"


@dataclass(frozen=True)
class Actor:
    """Who acts, for which organization, and what that organization may see."""

    user_id: int | None
    username: str
    organization_id: int | None
    organization_kind: str | None
    organization_name: str
    region_id: int | None
    region_code: str
    roles: frozenset[str] = frozenset()
    # Organizations whose own rows are visible (a department: itself; an office: its region's subtree).
    visible_org_ids: frozenset[int] = frozenset()
    # Regions whose shared rows (the entity registry) are visible: the organization's region subtree.
    visible_region_ids: frozenset[int] = frozenset()
    is_public: bool = False
    via: str = field(default="web", compare=False)

    @classmethod
    def public(cls) -> Actor:
        """The anonymous visitor of the public pages: sees only what is published."""
        return cls(
            user_id=None,
            username="",
            organization_id=None,
            organization_kind=None,
            organization_name="",
            region_id=None,
            region_code="",
            is_public=True,
        )

    @property
    def is_member(self) -> bool:
        return self.organization_id is not None and not self.is_public

    @property
    def is_department(self) -> bool:
        return self.organization_kind == OrgKind.DEPARTMENT

    @property
    def is_office(self) -> bool:
        return self.organization_kind == OrgKind.OFFICE

    @property
    def is_platform(self) -> bool:
        return self.organization_kind == OrgKind.PLATFORM

    def has_role(self, *roles: str) -> bool:
        return self.is_member and bool(self.roles.intersection(roles))
