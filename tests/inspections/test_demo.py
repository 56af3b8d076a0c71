"""``seed_demo``'s inspections: a completed draw of 阳城县文化和旅游局 whose inspections stand in
every state — not confirmed, not started, a draft, submitted, returned, approved, approved with a
follow-up open and one closed — each reached through the services (their audit entries and
reviews are there), the documents readable, and a second run adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from inspections import demo
from inspections.documents.records import record_of
from inspections.models import Answer, Evidence, Handling, HandlingStep, Inspection, Review
from inspections.policies import TEAM_PERMISSION
from inspections.selectors.inspections import visible_inspections
from inspections.selectors.progress import task_progress
from sampling.models import Draw, SamplingTask
from tenancy.actors import actor_for
from tenancy.grants import objects_granted
from tenancy.models import AuditEntry, Organization, User
from tenancy.scoping import actor_scope

pytestmark = pytest.mark.django_db

# The demo's states and the status each leaves the inspection in.
STATUS_OF = {
    "pending": "pending", "todo": "todo", "draft": "draft", "submitted": "submitted", "returned": "returned",
    "approved": "approved", "followup_open": "approved", "followup_closed": "approved",
}


@pytest.fixture
def seeded(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = io.StringIO()
    call_command("seed_demo", "--entities", "48", "--password", "Demo-Pass-2026", "--quiet-accounts", stdout=out)
    return out.getvalue()


def test_the_demo_draw_has_inspections_in_every_state(seeded):
    assert "inspections demo:" in seeded and "not reached" not in seeded, seeded
    with scopes_disabled():
        org = Organization.objects.get(code=demo.DEPARTMENT)
        task = SamplingTask.objects.get(uid=demo.task_uid(org, timezone.localdate().year))
        draw = Draw.objects.get(task=task)
        rows = list(Inspection.objects.filter(task=task).order_by("selection__rank", "pk"))
        assert draw.status == Draw.Status.COMPLETED and len(rows) >= len(demo.STATES)
        by_state = _by_state(rows)
        assert set(by_state) == set(demo.STATES), sorted(by_state)
        statuses = sorted(i.status for i in rows)
        assert statuses.count("approved") == 3 and statuses.count("todo") == statuses.count("draft") == 1
        assert statuses.count("submitted") == statuses.count("returned") == 1
        assert statuses.count("pending") == len(rows) - 7  # the rest wait for their confirmation
        assert by_state["pending"].confirmed_at is None and by_state["todo"].confirmed_at is not None

        draft = by_state["draft"]
        assert draft.method == "onsite" and draft.ended_on is None and Answer.objects.filter(part__inspection=draft).exists()
        returned = by_state["returned"]
        assert list(Review.objects.filter(inspection=returned).values_list("action", flat=True)) == ["submitted", "returned"]
        assert "现场照片" in Review.objects.get(inspection=returned, action="returned").comment
        for key in ("submitted", "returned", "approved", "followup_open"):
            inspection = by_state[key]
            assert inspection.signature_id is not None and inspection.signature.kind == Evidence.Kind.SIGNATURE
            # Photo points have their photos (the submission check demands them).
            assert Evidence.objects.filter(inspection=inspection, kind=Evidence.Kind.PHOTO).exists()
        assert list(by_state["approved"].results.values_list("code", flat=True)) == ["01"]

        open_, closed = by_state["followup_open"], by_state["followup_closed"]
        assert list(open_.results.values_list("code", flat=True)) == ["05"]
        [h_open] = Handling.objects.filter(inspection=open_)
        assert h_open.measure == "rectify" and h_open.status == Handling.Status.OPEN and h_open.due_on > timezone.localdate()
        [h_closed] = Handling.objects.filter(inspection=closed)
        assert h_closed.status == Handling.Status.CLOSED and h_closed.recheck_result and h_closed.outcome
        assert list(HandlingStep.objects.filter(handling=h_closed).values_list("status_to", flat=True)) == [
            "open", "recheck", "closed",
        ]
        assert closed.signature_id is None and closed.signature_refused and closed.refusal_reason

        # Through the services: each step is in the audit log.
        actions = set(AuditEntry.objects.filter(target_type="inspections.inspection", target_id__in=[
            str(i.pk) for i in rows]).values_list("action", flat=True))
        assert {"create", "confirm", "submit", "return", "approve"} <= actions
        # Every team member has an account holding the team's grant.
        leader = User.objects.get(username="yc_wl_leader")
    with actor_scope(actor_for(leader, org)) as actor:
        numbers = task_progress(actor=actor, task=task).as_dict()
    assert {k: numbers[k] for k in ("drawn", "confirmed", "inspected", "approved", "problems", "handled")} == {
        "drawn": len(rows), "confirmed": len(demo.STATES) - 1, "inspected": 4, "approved": 3, "problems": 2, "handled": 1,
    }

    # The documents read every state.
    with actor_scope(actor_for(leader, org)):
        for inspection in rows[: len(demo.STATES)]:
            record = record_of(inspection)
            assert record["entity"]["name"] == inspection.entity.name


def _by_state(rows: list[Inspection]) -> dict[str, Inspection]:
    """The demo's state names → an inspection in it (the approved ones told apart by follow-up)."""
    out: dict[str, Inspection] = {}
    for inspection in rows:
        handlings = list(Handling.objects.filter(inspection=inspection))
        if inspection.status != "approved":
            out.setdefault(inspection.status, inspection)
        elif not handlings:
            out["approved"] = inspection
        else:
            out["followup_closed" if handlings[0].status == Handling.Status.CLOSED else "followup_open"] = inspection
    return out


def test_the_demo_inspector_is_on_teams_and_sees_their_inspections(seeded):
    with scopes_disabled():
        org = Organization.objects.get(code=demo.DEPARTMENT)
        task = SamplingTask.objects.get(uid=demo.task_uid(org, timezone.localdate().year))
        user = User.objects.get(username="yc_wl_inspector")
        own = set(user.inspector_profiles.values_list("pk", flat=True))
        theirs = [i for i in Inspection.objects.filter(task=task) if own & set(i.team)]
        assert task.specialties and len(theirs) >= 2
        # Their inspections took the states a new inspector should see first (any beyond: pending).
        order = demo.FOR_THE_DEMO_INSPECTOR
        expected = [STATUS_OF[s] for s in order[: len(theirs)]] + ["pending"] * max(0, len(theirs) - len(order))
        assert sorted(i.status for i in theirs) == sorted(expected)
    with actor_scope(actor_for(user, org)) as actor:
        # The team's grant (the demo's accounts also read the department's as viewers).
        granted = objects_granted(actor, TEAM_PERMISSION, Inspection.objects.filter(task=task))
        assert {i.pk for i in granted} == {i.pk for i in theirs}


def test_team_members_see_their_inspections(seeded):
    with scopes_disabled():
        org = Organization.objects.get(code=demo.DEPARTMENT)
        task = SamplingTask.objects.get(uid=demo.task_uid(org, timezone.localdate().year))
        submitted = Inspection.objects.filter(task=task, status="submitted").get()
        members = list(User.objects.filter(inspector_profiles__pk__in=submitted.team).distinct())
    assert members
    for user in members:
        with actor_scope(actor_for(user, org)) as actor:
            assert visible_inspections(actor).filter(pk=submitted.pk).exists()


def test_a_second_run_adds_nothing(seeded):
    with scopes_disabled():
        before = Inspection.objects.count(), Handling.objects.count(), Evidence.objects.count()
    out = io.StringIO()
    call_command("seed_demo", "--entities", "48", "--password", "Demo-Pass-2026", "--quiet-accounts", stdout=out)
    assert "inspections demo: nothing to add" in out.getvalue()
    with scopes_disabled():
        assert (Inspection.objects.count(), Handling.objects.count(), Evidence.objects.count()) == before
