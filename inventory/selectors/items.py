"""Reads of check items, their points and versions, and the joint-inspection item list.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from inventory import codes
from inventory.models import (
    CheckItem,
    CheckPoint,
    JointCheckItem,
)
from tenancy.context import Actor, OrgKind


def item_list(
    *, actor: Actor, q: str = "", category: str = "", method: str = "", status: str = "", history: bool = False
) -> QuerySet[CheckItem]:
    items = CheckItem.objects.select_related("responsible_unit", "organization").annotate(point_count=Count("points"))
    if not history:
        items = items.filter(is_current=True)
    q = codes.normalize_text(q)
    if q:
        items = items.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(legal_basis__icontains=q))
    if category:
        items = items.filter(category=category)
    if method:
        items = items.filter(method=method)
    if status:
        items = items.filter(status=status)
    return items.order_by("organization_id", "code", "-version")


def item_get(*, actor: Actor, pk: int) -> CheckItem:
    return CheckItem.objects.select_related("responsible_unit", "organization", "previous").get(pk=pk)


def item_points(*, actor: Actor, item: CheckItem) -> list[CheckPoint]:
    return list(CheckPoint.objects.filter(item=item).order_by("order", "id"))


def item_versions(*, actor: Actor, item: CheckItem) -> list[CheckItem]:
    """Every version of the item's code in its organization, newest first (the version history)."""
    return list(
        CheckItem.objects.filter(organization_id=item.organization_id, code=item.code).order_by("-version")
    )


def point_get(*, actor: Actor, pk: int) -> CheckPoint:
    return CheckPoint.objects.select_related("item").get(pk=pk)


def jointitem_list(*, actor: Actor, q: str = "") -> QuerySet[JointCheckItem]:
    # The linked department items go through CheckItem's scoped manager: a department sees the
    # links to its own items only, the office those of every department of its region.
    items = JointCheckItem.objects.select_related("initiator", "organization").prefetch_related(
        "partners", Prefetch("items", queryset=CheckItem.objects.select_related("organization").order_by("organization__name", "code"))
    )
    q = codes.normalize_text(q)
    if q:
        items = items.filter(Q(name__icontains=q) | Q(field__icontains=q) | Q(target__icontains=q))
    return items.order_by("field", "name", "id")


def jointitem_get(*, actor: Actor, pk: int) -> JointCheckItem:
    return JointCheckItem.objects.select_related("initiator", "organization").get(pk=pk)


def jointitem_item_choices(*, actor: Actor, keep: list[int] | tuple[int, ...] = ()) -> QuerySet[CheckItem]:
    """The departments' own check items a joint item can link to (对应部门事项): the current, active
    items of the departments the actor sees (an office: its region), plus ``keep`` (the links the
    joint item already has, even if an item was revised or retired since)."""
    current = Q(is_current=True, status=CheckItem.Status.ACTIVE, organization__kind=OrgKind.DEPARTMENT)
    return (
        CheckItem.objects.filter(current | Q(pk__in=list(keep)))
        .select_related("organization")
        .order_by("organization__name", "code", "-version")
    )
