"""The domain events sampling emits (``tenancy.events``): later apps subscribe to them — the
deadlines engine opens and closes due items on them — and sampling never imports those apps.

Each is emitted by the service named, inside its transaction, after the change is saved, with
``obj`` the object named.
"""

from __future__ import annotations

EVENTS: tuple[tuple[str, str], ...] = (
    ("sampling.plan.submitted", "plan_submit: a plan went to its leader for approval (obj: SamplingPlan)"),
    ("sampling.plan.approved", "plan_approve: a leader approved a plan (obj: SamplingPlan)"),
    ("sampling.plan.returned", "plan_return: a leader sent a plan back to draft (obj: SamplingPlan)"),
    ("sampling.draw.completed", "draw_execute: a draw completed (obj: Draw)"),
    ("sampling.task.drawn", "draw_execute: a task's batch was drawn (obj: SamplingTask)"),
    ("sampling.filing.submitted", "filing_submit: a draw or one of its events was filed with the office (obj: Filing)"),
    ("sampling.filing.decided", "the office acknowledged or returned a filing (obj: FilingDecision)"),
    ("sampling.recusal.requested", "recusal_request: an inspector asked to leave a team (obj: RecusalRequest)"),
    ("sampling.recusal.decided", "recusal_decide: a leader approved or rejected it (obj: RecusalRequest)"),
    ("sampling.substitution.created", "recusal_decide / replacement_create: a substitute took a team position; the selection's team is saved (obj: Substitution)"),
    ("sampling.replacement.created", "replacement_create: a reserve replaced a drawn target, before any substitution on its team (obj: TargetReplacement)"),
)
