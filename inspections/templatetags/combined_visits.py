"""``{% combined_visit_box inspection %}``: on an inspection's page, the combined visit
(综合查一次) it is in — the agreed day and the other departments' teams — for whoever reads the
page; nothing when it is in none. A tag, so every view rendering the page shows it."""

from __future__ import annotations

from typing import Any

from django import template

from inspections.selectors.combined import combined_of_inspection

register = template.Library()


@register.inclusion_tag("inspections/combined/_on_inspection.html", takes_context=True)
def combined_visit_box(context: dict[str, Any], inspection: Any) -> dict[str, Any]:
    request = context.get("request")
    actor = getattr(request, "actor", None)
    if actor is None or inspection is None:
        return {"combined": None}
    return {"combined": combined_of_inspection(actor=actor, inspection=inspection)}
