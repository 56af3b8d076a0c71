"""The record of a combined visit (综合查一次, 一企一表): one sheet for the firm holding every
department's part of that visit — each inspection's record as ``records.RecordReader`` reads it
(items, check points and answers, result, signature) — previewed as HTML and printed to PDF by the
same template through ``render`` (kind "combined": ``document_html``, ``document_pdf``).

Who reads which part is ``policies.reads_combined_part``: the office that coordinates the visit
reads every part; a department (or an inspector) its own in full, and of the other department's
only its name, team and the agreed day — what the combined visit's page shows it too.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from inspections import policies
from inspections.models import CombinedVisit
from inspections.selectors.combined import combined_view
from tenancy.context import Actor

from .archive import safe_part
from .records import RecordReader


def combined_record(*, actor: Actor, combined: CombinedVisit) -> dict[str, Any]:
    """The sheet's content as plain values (the template only prints it)."""
    view = combined_view(actor=actor, combined=combined)
    full = [p.inspection.pk for p in view.parties if policies.reads_combined_part(actor, combined, p.inspection)]
    records = {r["pk"]: r for r in RecordReader().records(full)}
    entity = combined.entity
    visits = []
    for party in view.parties:
        record = records.get(party.inspection.pk)
        visits.append({
            "departments": party.label, "team": party.team, "record": record,
            "task": record["task"]["name"] if record else "",
        })
    return {
        "pk": combined.pk,
        "number": f"ZH{combined.created_at:%Y}-{combined.pk:05d}",
        "owner": combined.organization.name,
        "entity": {
            "name": entity.name, "code": entity.code, "address": entity.address,
            "legal_representative": entity.legal_representative, "type": entity.get_entity_type_display(),
        },
        "visit_on": combined.visit_on,
        "note": combined.note,
        "created_by": str(combined.created_by) if combined.created_by_id else "",
        "created_at": combined.created_at,
        "cancelled": combined.cancelled_at is not None,
        "cancelled_at": combined.cancelled_at,
        "cancel_reason": combined.cancel_reason,
        "departments": list(dict.fromkeys(name for p in view.parties for name in p.departments)),
        "visits": visits,
    }


def filename(record: dict[str, Any]) -> str:
    return f"{_('综合查一次检查记录表')}-{safe_part(record['entity']['name'])}-{record['visit_on']:%Y%m%d}.pdf"
