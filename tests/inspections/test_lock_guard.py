"""An approved result is locked by the database too (migration 0005), not by the services alone:
a raw UPDATE of an approved inspection's content, or a change of its result codes, is refused on
PostgreSQL and on SQLite; the one update the services make to an approved row — ``is_current``
true → false when a correction is approved — still goes through, and rows not approved are free."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from inspections.models import Inspection, ResultCode
from inspections.services import reviews
from tenancy.scoping import actor_scope
from tests.factories import ship_result_codes
from tests.inspections.conftest import drawn
from tests.inspections.support import confirm_all, fill, first, fresh, member_of, submit

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)
# A raw change of each kind of content: none may reach an approved row.
CHANGES = {
    "method": "online", "result_reason": "事后改写", "started_on": YESTERDAY, "ended_on": YESTERDAY,
    "signature": None, "signature_refused": True, "refusal_reason": "改写", "status": Inspection.Status.REPLACED,
    "team": [], "revision": 99, "changed_in": {}, "approved_at": None, "approved_by": None, "version": 7,
    "correction_reason": "改写", "window_end": YESTERDAY, "entity_id": 0,
}


@pytest.fixture(autouse=True)
def _result_codes(db):
    ship_result_codes()


def _approved(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    fill(d, inspection)
    submit(d, inspection)
    leader = world.actor("A1", "leader")
    with actor_scope(leader):
        reviews.inspection_approve(actor=leader, inspection=inspection)
    approved = fresh(inspection)
    assert approved.status == Inspection.Status.APPROVED and approved.is_current and approved.signature_id
    return d, approved


def _refused(write) -> bool:
    try:
        with transaction.atomic():  # a savepoint: PostgreSQL's transaction goes on after the error
            write()
    except IntegrityError:
        return True
    return False


def test_the_database_refuses_any_change_of_an_approved_inspections_content(world):
    d, approved = _approved(world)
    rows = Inspection._base_manager.filter(pk=approved.pk)
    with scopes_disabled():
        refused = [name for name, value in CHANGES.items() if _refused(lambda n=name, v=value: rows.update(**{n: v}))]
        assert refused == list(CHANGES), connection.vendor
        after = fresh(approved)
        assert (after.method, after.result_reason, after.ended_on, after.signature_id, after.status, after.team) == (
            approved.method, approved.result_reason, approved.ended_on, approved.signature_id, approved.status,
            approved.team,
        )
        # Its result codes: none added.
        links = Inspection.results.through._base_manager
        codes = set(links.filter(inspection_id=approved.pk).values_list("resultcode_id", flat=True))
        other = ResultCode.objects.exclude(pk__in=codes).order_by("pk").first()
        assert _refused(lambda: links.create(inspection_id=approved.pk, resultcode_id=other.pk))
        if connection.vendor == "postgresql":  # removing one, too (SQLite: see the migration)
            assert _refused(lambda: links.filter(inspection_id=approved.pk).delete())
        assert set(links.filter(inspection_id=approved.pk).values_list("resultcode_id", flat=True)) == codes

        # What the services do stays possible: the timestamp, and superseding it once.
        assert rows.update(updated_at=timezone.now()) == 1
        assert rows.update(is_current=False) == 1
        assert _refused(lambda: rows.update(is_current=True))  # a superseded version never comes back
        assert _refused(lambda: rows.update(method="online"))  # and stays locked

        # A row not approved is the services' to change.
        other_row = Inspection._base_manager.filter(draw=d.draw).exclude(pk=approved.pk).order_by("pk")[:1]
        target = other_row[0]
        assert Inspection._base_manager.filter(pk=target.pk).update(method="document", status="draft") == 1


def test_a_correction_is_still_approved_and_supersedes_the_locked_version(world):
    d, approved = _approved(world)
    leader = world.actor("A1", "leader")
    with actor_scope(leader):
        new = reviews.inspection_correct(actor=leader, inspection=approved, reason="结果说明有误")
    actor = member_of(d, new)
    from inspections.services import inspections as svc  # noqa: PLC0415

    with actor_scope(actor):
        svc.inspection_save(actor=actor, inspection=new, visit={"result_reason": "更正后的说明"})
        reviews.inspection_submit(actor=actor, inspection=new)
    with actor_scope(leader):
        reviews.inspection_approve(actor=leader, inspection=new)
    old, current = fresh(approved), fresh(new)
    assert (old.is_current, old.status, old.result_reason) == (False, "approved", approved.result_reason)
    assert (current.is_current, current.status, current.version, current.result_reason) == (True, "approved", 2, "更正后的说明")
    with scopes_disabled():
        assert _refused(lambda: Inspection._base_manager.filter(pk=current.pk).update(result_reason="再改"))
        assert set(current.results.values_list("code", flat=True)) == set(old.results.values_list("code", flat=True))
