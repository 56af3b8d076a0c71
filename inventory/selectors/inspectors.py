"""Reads of the inspector roster, their conflicts, and the accounts an inspector may be linked to.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from inventory import codes
from inventory.models import (
    ConflictOfInterest,
    Inspector,
    Tag,
)
from tenancy.context import Actor
from tenancy.models import Membership, User


def member_users(actor: Actor) -> list[User]:
    """Users who may be linked to an inspector: members of the actor's organization."""
    ids = Membership.objects.filter(organization_id=actor.organization_id, is_active=True).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=list(ids)).order_by("username"))


@dataclass
class InspectorFilters:
    q: str = ""
    unit: int | None = None
    status: str = ""
    specialty: int | None = None
    expired: bool | None = None


def inspector_list(*, actor: Actor, filters: InspectorFilters | None = None) -> QuerySet[Inspector]:
    f = filters or InspectorFilters()
    today = timezone.localdate()
    inspectors = Inspector.objects.select_related("unit", "organization", "user").prefetch_related(
        Prefetch("specialties", queryset=Tag.objects.order_by("name"))
    )
    q = codes.normalize_text(f.q)
    if q:
        inspectors = inspectors.filter(Q(name__icontains=q) | Q(cert_no__icontains=q))
    if f.unit:
        inspectors = inspectors.filter(unit_id=f.unit)
    if f.status:
        inspectors = inspectors.filter(status=f.status)
    if f.specialty:
        inspectors = inspectors.filter(specialties=f.specialty)
    if f.expired is True:
        inspectors = inspectors.filter(cert_expires_on__lt=today)
    elif f.expired is False:
        inspectors = inspectors.filter(Q(cert_expires_on__isnull=True) | Q(cert_expires_on__gte=today))
    return inspectors.order_by("organization_id", "name", "cert_no", "id")


def inspector_get(*, actor: Actor, pk: int) -> Inspector:
    return Inspector.objects.select_related("unit", "organization", "user").get(pk=pk)


def inspector_conflicts(*, actor: Actor, inspector: Inspector) -> list[ConflictOfInterest]:
    return list(
        ConflictOfInterest.objects.filter(inspector=inspector).select_related("entity").order_by("-is_active", "-declared_on")
    )


def conflict_get(*, actor: Actor, pk: int) -> ConflictOfInterest:
    return ConflictOfInterest.objects.select_related("inspector", "entity").get(pk=pk)


def specialty_tags(*, actor: Actor) -> QuerySet[Tag]:
    return Tag.objects.filter(organization_id=actor.organization_id, kind=Tag.Kind.INSPECTOR).order_by("name")
