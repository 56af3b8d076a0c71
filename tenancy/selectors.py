"""Reads of tenancy data for views and the API. Every query goes through scoped managers."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from .context import Actor
from .models import AuditEntry, Organization


def audit_list(
    *,
    actor: Actor,
    action: str = "",
    target_type: str = "",
    user_query: str = "",
    text: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.select_related("organization").order_by("-at", "-id")
    if action:
        entries = entries.filter(action=action)
    if target_type:
        entries = entries.filter(target_type=target_type)
    if user_query:
        entries = entries.filter(actor_name__icontains=user_query)
    if text:
        entries = entries.filter(Q(target_repr__icontains=text) | Q(target_id=text) | Q(note__icontains=text))
    if date_from:
        entries = entries.filter(at__date__gte=date_from)
    if date_to:
        entries = entries.filter(at__date__lte=date_to)
    return entries


def audit_facets(*, actor: Actor) -> dict[str, list[str]]:
    base = AuditEntry.objects.all()
    return {
        "actions": sorted(set(base.values_list("action", flat=True).distinct()[:200])),
        "target_types": sorted(set(base.values_list("target_type", flat=True).distinct()[:200])),
    }


def organization_list(*, actor: Actor, kind: str = "") -> QuerySet[Organization]:
    orgs = Organization.objects.select_related("region").filter(is_active=True)
    return orgs.filter(kind=kind) if kind else orgs


def organization_get(*, actor: Actor, pk: int) -> Organization:
    return Organization.objects.select_related("region").get(pk=pk)
