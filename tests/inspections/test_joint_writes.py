"""A joint visit is the office's row (tenancy.joint): a department with a part writes the visit's
shared fields (policies.VISIT_FIELDS) and nothing else of it — decided by the write guard from
the JOINT_WRITES entry inspections registers, not by a model override. The services write the
visit's bookkeeping (status, revision, review stamps) as the owner, once a policy allowed the step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from inspections.models import Inspection, InspectionPart
from inspections.policies import VISIT_FIELDS
from inspections.services import inspections as svc
from tenancy.joint import JOINT_WRITES, JointVisibleModel
from tenancy.scoping import TenantWriteError, actor_scope
from tests.factories import ship_result_codes
from tests.inspections.conftest import drawn
from tests.inspections.support import confirm_all, first, fresh, member_of

pytestmark = pytest.mark.django_db

# Every concrete field of the visit but its shared ones and the timestamps: none is a department's.
NOT_SHARED = (
    "organization", "region", "draw", "plan", "task", "selection", "entity", "team", "window_start", "window_end",
    "status", "confirmed_at", "confirmed_by", "version", "previous", "correction_reason", "is_current", "replaces",
    "revision", "changed_in", "submitted_at", "submitted_by", "approved_at", "approved_by",
)


@pytest.fixture(autouse=True)
def _result_codes(db):
    ship_result_codes()


def test_inspection_and_dispatch_use_tenancy_joint_rule():
    from inspections.models import Dispatch

    assert issubclass(Inspection, JointVisibleModel) and issubclass(Dispatch, JointVisibleModel)
    assert "inspections.inspection" in JOINT_WRITES
    # The model no longer decides who writes it: the tenant rule (the owner) is all it says.
    assert "writable_by" not in Inspection.__dict__
    concrete = {f.name for f in Inspection._meta.concrete_fields} - {"id", "created_at", "updated_at"}
    assert concrete == set(NOT_SHARED) | (set(VISIT_FIELDS) - {"results"})  # every field is named above


def test_a_participating_department_writes_the_visits_shared_fields_and_nothing_else(world):
    d = drawn(world, "AO", entities=12, inspectors=3)
    inspection = first(d)
    confirm_all(world, inspection)
    a1 = world.orgs["A1"].pk
    leader = world.actor("A1", "leader")
    today = timezone.localdate()
    with actor_scope(leader):
        row = Inspection.objects.get(pk=inspection.pk)
        assert row.organization_id == world.orgs["AO"].pk and not row.writable_by(leader)
        assert row.writable_fields(leader) == frozenset(VISIT_FIELDS)
        row.method, row.started_on, row.ended_on = "document", today - dt.timedelta(days=1), today
        row.result_reason, row.signature_refused, row.refusal_reason = "书面核查", True, "负责人外出"
        row.save(update_fields=["method", "started_on", "ended_on", "result_reason", "signature_refused",
                                "refusal_reason", "updated_at"])
    saved = fresh(inspection)
    assert (saved.method, saved.started_on, saved.ended_on) == ("document", today - dt.timedelta(days=1), today)
    assert (saved.result_reason, saved.signature_refused, saved.refusal_reason) == ("书面核查", True, "负责人外出")

    refused = []
    for name in NOT_SHARED:
        with actor_scope(leader):
            row = Inspection.objects.get(pk=inspection.pk)
            try:
                row.save(update_fields=[name])
            except TenantWriteError:
                refused.append(name)
    assert refused == list(NOT_SHARED)
    with actor_scope(leader):
        row = Inspection.objects.get(pk=inspection.pk)
        row.method, row.status = "online", Inspection.Status.APPROVED
        with pytest.raises(TenantWriteError):  # a shared field with another: refused as a whole
            row.save(update_fields=["method", "status"])
        with pytest.raises(TenantWriteError):  # a save naming no fields writes them all
            row.save()
    after = fresh(inspection)
    assert (after.method, after.status, after.team) == ("document", saved.status, saved.team)

    # The office owns the row: any field.
    office = world.actor("AO", "planner")
    with actor_scope(office):
        row = Inspection.objects.get(pk=inspection.pk)
        row.correction_reason = "办公室可写"
        row.save(update_fields=["correction_reason", "updated_at"])
    assert fresh(inspection).correction_reason == "办公室可写"
    with scopes_disabled():
        assert InspectionPart.objects.filter(inspection=inspection, organization_id=a1).exists()


def test_a_department_without_a_part_writes_nothing_of_the_visit(world):
    d = drawn(world, "AO", entities=12, inspectors=3)
    inspection = first(d)
    a2 = world.orgs["A2"].pk
    with scopes_disabled():
        InspectionPart.objects.filter(inspection=inspection, organization_id=a2).delete()
    leader = world.actor("A2", "leader")
    with actor_scope(leader):
        row = Inspection.objects.get(pk=inspection.pk)  # A2 takes part in the plan: it sees the visit
        assert row.writable_fields(leader) == frozenset()
        row.method = "onsite"
        with pytest.raises(TenantWriteError):
            row.save(update_fields=["method"])
    assert fresh(inspection).method == ""


def test_the_services_fill_a_joint_visit_through_the_guard(world):
    """A department's inspector saves the shared fields (as the department) and the service moves
    the visit to draft and counts its revision (as the office): both land, the audit names the
    inspector."""
    from tenancy.models import AuditEntry

    d = drawn(world, "AO", entities=12, inspectors=3)
    inspection = first(d)
    confirm_all(world, inspection)
    a2 = world.orgs["A2"].pk
    actor = member_of(d, inspection, a2)
    before = fresh(inspection)
    with actor_scope(actor):
        result = svc.inspection_save(actor=actor, inspection=inspection, revision=before.revision,
                                     visit={"method": "onsite", "result_reason": "乙部门填写"})
    assert sorted(result.applied) == ["method", "result_reason"]
    after = fresh(inspection)
    assert (after.method, after.result_reason, after.status) == ("onsite", "乙部门填写", Inspection.Status.DRAFT)
    assert after.revision == before.revision + 1
    assert after.changed_in["method"] == after.changed_in["result_reason"] == after.revision
    with scopes_disabled():
        entry = AuditEntry.objects.filter(target_type="inspections.inspection", target_id=str(inspection.pk),
                                          action="update").latest("pk")
    assert entry.user_id == actor.user_id and set(entry.changes) >= {"method", "result_reason"}
