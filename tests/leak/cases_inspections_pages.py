"""Leak-matrix entries for the inspection pages (inspections/urls.py).

An inspection belongs to the organization that drew it; a department's staff read the visits it
takes part in, an office its own and its region's joint ones, an inspector only those they are
on. Each organization's own object: A1's department inspection for A1, the county office's joint
visit (A1 and A2 taking part) for AO. tests/inspections/test_pages.py checks the roles inside.
"""

from __future__ import annotations

from django_scopes import scopes_disabled

from inspections.models import Dispatch
from tests.factories import (
    make_approved_inspection,
    make_draft_conflict,
    make_filled_inspection,
    make_handling,
    make_inspection,
    make_inspection_evidence,
    make_submitted_inspection,
)

from .registry import Case


def make_inspection_dispatch(world, org_key: str) -> Dispatch:
    """The dispatch of ``make_inspection``'s draw to its first department."""
    inspection = make_inspection(world, org_key)
    with scopes_disabled():
        return Dispatch.objects.filter(draw_id=inspection.draw_id).order_by("pk").first()


FACTORIES = {
    "inspection": make_inspection,
    "inspection_dispatch": make_inspection_dispatch,
    "inspection_filled": make_filled_inspection,
    "inspection_submitted": make_submitted_inspection,
    "inspection_approved": make_approved_inspection,
    "inspection_evidence": make_inspection_evidence,
    "inspection_conflict": make_draft_conflict,
    "inspection_handling": make_handling,
}

_OWN = {"A1": "A1", "AO": "AO"}


def _evidence(e) -> dict:
    return {"pk": e.inspection_id, "evidence": e.pk}


def _conflict(c) -> dict:
    return {"pk": c.inspection_id, "conflict": c.pk}


CASES = {
    "inspections:list": Case(factory="inspection", kind="list", own=_OWN),
    "inspections:mine": Case(factory="inspection", kind="list", own=_OWN),
    "inspections:detail": Case(factory="inspection", own=_OWN),
    "inspections:dispatch_confirm": Case(factory="inspection_dispatch", method="post", own=_OWN),
    "inspections:confirm": Case(factory="inspection", method="post", own=_OWN),
    "inspections:save": Case(factory="inspection", method="post", data={"note": "现场情况"}, own=_OWN),
    "inspections:evidence_add": Case(factory="inspection", method="post", own=_OWN),
    "inspections:evidence_file": Case(factory="inspection_evidence", kwargs=_evidence, own=_OWN),
    "inspections:evidence_display": Case(factory="inspection_evidence", kwargs=_evidence, own=_OWN),
    "inspections:evidence_withdraw": Case(factory="inspection_evidence", kwargs=_evidence, own=_OWN),
    "inspections:signature": Case(factory="inspection", method="post", own=_OWN),
    "inspections:conflict_resolve": Case(factory="inspection_conflict", method="post", kwargs=_conflict, own=_OWN),
    "inspections:submit": Case(factory="inspection_filled", method="post", own=_OWN),
    "inspections:review": Case(factory="inspection_submitted", own=_OWN),
    "inspections:correct": Case(factory="inspection_approved", own=_OWN),
    "inspections:handling_add": Case(factory="inspection_approved", own=_OWN),
    "inspections:handling_list": Case(factory="inspection_handling", kind="list", own=_OWN, query="status=all"),
    "inspections:handling_detail": Case(factory="inspection_handling", own=_OWN),
    "inspections:handling_update": Case(
        factory="inspection_handling", method="post", own=_OWN,
        data={"revision": "1", "status": "in_progress", "note": "已送达处罚决定书"},
    ),
    "inspections:handling_close": Case(factory="inspection_handling", method="post", own=_OWN,
                                       data={"outcome": "已执行罚款"}),
}
