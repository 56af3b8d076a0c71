"""The domain events inspections emits (``tenancy.events``): the deadlines engine opens and
closes due items on them, and later apps (publication) subscribe. Each is emitted by the service
named, inside its transaction, after the change is saved, with ``obj`` the object named.
"""

from __future__ import annotations

EVENTS: tuple[tuple[str, str], ...] = (
    ("inspections.dispatch.created", "inspections_create_for_draw: a draw's targets were dispatched to a department (obj: Dispatch)"),
    ("inspections.dispatch.reopened", "inspection_replace: a confirmed dispatch waits again for a replacement's new target (obj: Dispatch)"),
    ("inspections.dispatch.confirmed", "dispatch_confirm / inspection_confirm: every target dispatched to a department is confirmed (obj: Dispatch)"),
    ("inspections.inspection.confirmed", "inspection_confirm / dispatch_confirm: every department confirmed the target (obj: Inspection)"),
    ("inspections.inspection.saved", "inspection_save: the team saved the draft (obj: Inspection)"),
    ("inspections.inspection.submitted", "inspection_submit: the team submitted the result (obj: Inspection)"),
    ("inspections.inspection.approved", "inspection_approve: the result was approved by every department's leader (obj: Inspection)"),
    ("inspections.inspection.returned", "inspection_return: a leader returned the result with comments (obj: Inspection)"),
    ("inspections.inspection.corrected", "inspection_correct: a correction of an approved result was opened (obj: the new version)"),
    ("inspections.inspection.replaced", "a target replacement closed an inspection that held work (obj: the old Inspection)"),
    ("inspections.inspection.moved", "inspection_replace: an untouched inspection moved to the replacement's new target (obj: Inspection; old_entity_id)"),
    ("inspections.handling.added", "handling_add: a follow-up measure was recorded (obj: Handling)"),
    ("inspections.handling.updated", "handling_update: a follow-up measure changed (obj: Handling)"),
    ("inspections.handling.closed", "handling_close: a follow-up measure was closed (obj: Handling)"),
    ("inspections.combined_visit.accepted", "combined_visit_accept: an office arranged a combined visit (综合查一次) of several departments' inspections (obj: CombinedVisit)"),
    ("inspections.combined_visit.cancelled", "combined_visit_cancel / combined_member_withdraw: a combined visit was cancelled (obj: CombinedVisit; inspection_ids: those it still held)"),
    ("inspections.combined_visit.member_withdrawn", "combined_member_withdraw: an inspection left a combined visit, its target replaced (obj: CombinedVisitMember; reason)"),
)
