"""Every read of 一单两库 for views and the API, by area: items, entities (keyset pages, the
entity's history), inspectors, imports. Every query goes through the scoped managers. This module
holds the dashboard's cards, which count across the areas.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import (
    CheckItem,
    Inspector,
    MarketEntity,
    RegistryEntry,
)
from tenancy.context import Actor, OrgKind


def dashboard_cards(*, actor: Actor) -> list[dict[str, Any]]:
    if actor.organization_kind not in (OrgKind.DEPARTMENT, OrgKind.OFFICE):
        return []
    today = timezone.localdate()
    items = CheckItem.objects.filter(is_current=True, status=CheckItem.Status.ACTIVE).count()
    if actor.is_department:
        entities = RegistryEntry.objects.filter(
            organization_id=actor.organization_id, status=RegistryEntry.Status.ACTIVE
        ).count()
    else:
        entities = MarketEntity.objects.count()
    inspectors = Inspector.objects.filter(status=Inspector.Status.ACTIVE)
    eligible = inspectors.filter(Q(cert_expires_on__isnull=True) | Q(cert_expires_on__gte=today)).count()
    expired = Inspector.objects.exclude(status=Inspector.Status.LEFT).filter(cert_expires_on__lt=today).count()
    cards: list[dict[str, Any]] = [
        {"key": "items", "label": _("现行抽查事项"), "value": items, "url": reverse("inventory:item_list")},
        {"key": "entities", "label": _("名录库检查对象"), "value": entities, "url": reverse("inventory:entity_list")},
        {"key": "inspectors", "label": _("可抽取执法人员"), "value": eligible, "url": reverse("inventory:inspector_list")},
    ]
    if expired:
        cards.append(
            {
                "key": "expired_certs", "label": _("执法证已过期"), "value": expired, "state": "bad",
                "url": reverse("inventory:inspector_list") + "?expired=yes", "note": _("过期人员不能被抽取"),
            }
        )
    return cards
