"""A published commitment and a completed draw cannot be rewritten, even past the services:
PostgreSQL refuses it (migration sampling 0008)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django_scopes import scopes_disabled

from sampling.models import Draw
from sampling.services import draws as svc
from tenancy.scoping import actor_scope
from tests.factories import make_completed_draw, make_ready_task, owner_actor

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the guard is a PostgreSQL trigger"),
]


def _refused(pk: int, **changes) -> bool:
    try:
        with transaction.atomic(), scopes_disabled():
            Draw.objects.filter(pk=pk).update(**changes)
    except IntegrityError as exc:
        assert "never change" in str(exc)
        return True
    return False


def test_a_published_commitment_never_changes(world):
    task = make_ready_task(world, "A1")
    with actor_scope(owner_actor(world, "A1")) as actor:
        draw = svc.draw_commit(actor=actor, task=task)
    for changes in ({"secret": "00" * 32}, {"pool_hash": "0" * 64}, {"pool_blob": b"x"}, {"commitment": "1" * 64},
                    {"strata": [{"stratum": "A", "count": 1}]}, {"reserve_size": 9}, {"task_uid": "OTHER"}):
        assert _refused(draw.pk, **changes), changes
    # What the ceremony itself changes is allowed: abandoning it, for one.
    assert not _refused(draw.pk, status=Draw.Status.ABANDONED, abandoned_reason="重新冻结")


def test_a_completed_draw_keeps_its_seed_entropy_and_status(world):
    draw = make_completed_draw(world, "A1")
    for changes in ({"seed": "00" * 32}, {"public_entropy": "换一个"}, {"status": Draw.Status.ABANDONED}):
        assert _refused(draw.pk, **changes), changes
    assert not _refused(draw.pk, witnesses=["补记见证人"])  # not part of the derivation
