"""One ledger per firm: every inspection of an entity the reader may see, by any department, for
the entity page's "检查记录" (``inventory.extensions.ENTITY_HISTORY``), and how many real
inspections a firm had in a year."""

from __future__ import annotations

from django.db.models import Prefetch

from inspections.models import Inspection, InspectionPart
from inventory.models import MarketEntity
from tenancy.context import Actor

from .inspections import DRAW_BLOBS, visible_inspections

LEDGER_LIMIT = 200


def entity_inspections(*, actor: Actor, entity: MarketEntity) -> list[Inspection]:
    """The entity's inspections the actor reads (current versions, a replaced one left out), the
    latest first: when, which task, which departments, status and result."""
    rows = (
        visible_inspections(actor).filter(entity=entity, is_current=True).exclude(status=Inspection.Status.REPLACED)
        .select_related("task", "draw").defer(*DRAW_BLOBS)
        .prefetch_related("results", Prefetch("parts", queryset=InspectionPart.objects.select_related("organization")))
        .order_by("-window_end", "-pk")
    )
    return list(rows[:LEDGER_LIMIT])
