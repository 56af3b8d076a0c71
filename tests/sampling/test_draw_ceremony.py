"""The draw ceremony through the services: commit → draw → record, and what must never happen."""

from __future__ import annotations

import json
import subprocess
import sys
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_scopes import scopes_disabled

from inventory.models import ConflictOfInterest, Inspector, MarketEntity
from sampling import hashrank
from sampling.models import Draw, DrawSelection, SamplingTask
from sampling.selectors import draws as draw_selectors
from sampling.services import draws as svc
from sampling.services import recusals as recusal_svc
from tenancy.models import AuditEntry
from tenancy.scoping import actor_scope
from tests.factories import block_all_but_one, make_completed_draw, make_ready_task

pytestmark = pytest.mark.django_db


def test_full_ceremony_selects_by_quota_assigns_teams_and_verifies(world, tmp_path):
    task = make_ready_task(world, "A1", entities=40, inspectors=6)
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        frozen = svc.draw_freeze(actor=actor, task=task)
        # 40 entities, risk A-D in turn: 10 per stratum; default ratios 3/5/10/20 % → ceil = 1/1/1/2.
        assert [(a.eligible, a.selected) for a in frozen.allocation] == [(10, 1), (10, 1), (10, 1), (10, 2)]
        draw = svc.draw_commit(actor=actor, task=task)
        assert draw.status == Draw.Status.COMMITTED
        assert draw.commitment == hashrank.commitment_of(bytes.fromhex(draw.secret))
        assert draw.pool_size == 40 and len(draw.inspector_pool) == 6
        assert draw.inspector_pool_hash == draw_selectors.commitment_event(draw)["inspector_pool_hash"]
        event = draw_selectors.commitment_event(draw)
        assert "secret" not in event and event["pool_size"] == 40
        with pytest.raises(ValueError):
            draw_selectors.draw_record(draw)  # the secret stays server-side until the draw

        draw = svc.draw_execute(actor=actor, draw=draw, public_entropy="07 21 33", witnesses=["张三", " ", "李四"])
        assert draw.status == Draw.Status.COMPLETED
        assert draw.witnesses == ["张三", "李四"]
        task.refresh_from_db()
        assert task.status == SamplingTask.Status.DRAWN
        selected = list(DrawSelection.objects.filter(draw=draw, rank__isnull=False).order_by("rank"))
        reserve = list(DrawSelection.objects.filter(draw=draw, reserve_order__isnull=False).order_by("reserve_order"))
        assert len(selected) == 5 and len(reserve) == 8  # 2 reserves in each of 4 strata
        assert all(len(s.team) == 2 and s.team == s.initial_team for s in selected)
        # Loads differ by at most one (DRAW.md §4): 10 seats over 6 inspectors.
        loads = {}
        for s in selected:
            for i in s.team:
                loads[i] = loads.get(i, 0) + 1
        assert max(loads.values()) - min(loads.values()) <= 1

        record = draw_selectors.draw_record(draw, variant="filing")
        public = draw_selectors.draw_record(draw, variant="public")
        assert AuditEntry.objects.filter(action="draw_execute", target_id=str(draw.pk)).exists()

    assert hashrank.verify(record) == []
    assert hashrank.verify(public) == []
    # The record is exactly what the engine derives from the same inputs.
    rederived = hashrank.build_record({k: v for k, v in record.items() if k in (
        "task_uid", "secret", "public_entropy", "pool", "strata", "reserve_size", "excluded",
        "inspector_pool", "requirements", "conflicts")})
    assert rederived["selected"] == record["selected"] and rederived["assignments"] == record["assignments"]
    assert record["x"]["witnesses"] == ["张三", "李四"]
    assert "inspector_pool" not in public and "conflicts" not in public
    assert all(set(a) == {"target"} for a in public["assignments"])
    assert "inspectors" not in json.dumps(public["x"])

    path = tmp_path / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "sampling.hashrank", "verify", str(path)], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "verified"
    record["selected"][0]["rank"] = 2
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "sampling.hashrank", "verify", str(path)], capture_output=True, text=True)
    assert out.returncode == 1 and "selected" in out.stdout


def test_conflicts_are_frozen_and_respected(world):
    task = make_ready_task(world, "A1", entities=8, inspectors=3, strata=[{"stratum": s, "count": 2} for s in "ABCD"])
    with scopes_disabled():
        ins = Inspector.objects.filter(organization=world.orgs["A1"]).order_by("cert_no")[0]
        codes = list(MarketEntity.objects.filter(organization=world.orgs["A1"]).values_list("code", flat=True))
        for code in codes:
            ConflictOfInterest.objects.create(
                organization=world.orgs["A1"], region=world.orgs["A1"].region, inspector=ins,
                entity=MarketEntity.objects.get(code=code), reason="亲属",
            )
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        draw = svc.draw_run(actor=actor, task=task, witnesses=["见证人"])
        assert len(draw.conflicts) == 8
        assert all(ins.pk not in s.team for s in DrawSelection.objects.filter(draw=draw, rank__isnull=False))
        assert hashrank.verify(draw_selectors.draw_record(draw)) == []


def test_too_few_inspectors_refuses_the_commitment(world):
    task = make_ready_task(world, "A1", entities=8, inspectors=1)
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        with pytest.raises(ValidationError, match="只有 1 名符合条件的执法人员"):
            svc.draw_commit(actor=actor, task=task)
        assert not Draw.objects.filter(task=task).exists()


def test_not_enough_inspectors_saves_nothing_with_a_clear_message(world):
    task = make_ready_task(world, "A1", entities=8, inspectors=3)
    block_all_but_one(world, task)
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        draw = svc.draw_commit(actor=actor, task=task)
        with pytest.raises(ValidationError) as err:
            svc.draw_execute(actor=actor, draw=draw, witnesses=["见证人"])
        assert "执法人员不足" in err.value.messages[0]
        draw.refresh_from_db()
        assert draw.status == Draw.Status.COMMITTED and draw.seed == ""
        assert not DrawSelection.objects.filter(draw=draw).exists()
        task.refresh_from_db()
        assert task.status == SamplingTask.Status.READY


def test_one_open_commitment_abandon_keeps_it_listed(world):
    task = make_ready_task(world, "A1")
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        first = svc.draw_commit(actor=actor, task=task)
        with pytest.raises(ValidationError, match="先放弃原承诺"):
            svc.draw_commit(actor=actor, task=task)
        with pytest.raises(ValidationError):
            svc.draw_abandon(actor=actor, draw=first, reason=" ")
        svc.draw_abandon(actor=actor, draw=first, reason="对象池有误，重新冻结")
        second = svc.draw_commit(actor=actor, task=task)
        assert second.commitment != first.commitment
        listed = list(Draw.objects.filter(task=task).order_by("pk").values_list("status", "abandoned_reason"))
        assert listed == [("abandoned", "对象池有误，重新冻结"), ("committed", "")]
        with pytest.raises(ValidationError):
            svc.draw_execute(actor=actor, draw=first, witnesses=["见证人"])


def test_two_presses_give_one_draw(world):
    task = make_ready_task(world, "A1")
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        draw = svc.draw_commit(actor=actor, task=task)
        svc.draw_execute(actor=actor, draw=draw, public_entropy="1", witnesses=["见证人"])
        # The second press on the same commitment finds it completed and changes nothing.
        with pytest.raises(ValidationError, match="已经完成抽取"):
            svc.draw_execute(actor=actor, draw=draw, public_entropy="2", witnesses=["见证人"])
        assert Draw.objects.get(pk=draw.pk).public_entropy == "1"
        # A second commitment slipped in (as if two people committed at once): the check refuses it…
        with scopes_disabled():
            other = Draw.objects.create(
                task=task, plan=task.plan, organization=task.organization, region=task.region, task_uid=task.uid,
                commitment=draw.commitment, secret=draw.secret, pool_hash=draw.pool_hash, pool_blob=draw.pool_blob,
                strata=draw.strata, reserve_size=draw.reserve_size, inspector_pool=draw.inspector_pool,
                requirements=draw.requirements,
            )
        with pytest.raises(ValidationError, match="已经完成抽取"):
            svc.draw_execute(actor=actor, draw=other, witnesses=["见证人"])
        # …and were the check raced past, the database constraint still allows one completed draw.
        with mock.patch.object(svc, "_completed_exists", return_value=False), pytest.raises(ValidationError, match="同时按下"):
            svc.draw_execute(actor=actor, draw=other, witnesses=["见证人"])
        assert Draw.objects.filter(task=task, status="completed").count() == 1
        assert not DrawSelection.objects.filter(draw=other).exists()


def test_permissions_viewer_and_other_department_cannot_draw(world):
    task = make_ready_task(world, "A1")
    viewer = world.actor("A1", "viewer")
    with actor_scope(viewer), pytest.raises(PermissionDenied):
        svc.draw_commit(actor=viewer, task=task)
    planner = world.actor("A1", "planner")
    with actor_scope(planner):
        draw = svc.draw_commit(actor=planner, task=task)
    office = world.actor("AO", "planner")
    with actor_scope(office), pytest.raises(PermissionDenied):
        svc.draw_execute(actor=office, draw=Draw.objects.get(pk=draw.pk), witnesses=["见证人"])


def test_unapproved_plan_or_not_ready_task_refused(world):
    task = make_ready_task(world, "A1")
    with scopes_disabled():
        SamplingTask.objects.filter(pk=task.pk).update(status="draft")
    actor = world.actor("A1", "planner")
    with actor_scope(actor), pytest.raises(ValidationError, match="待抽取"):
        svc.draw_commit(actor=actor, task=SamplingTask.objects.get(pk=task.pk))


def test_completed_draw_factory_is_verifiable(world):
    draw = make_completed_draw(world, "B1")
    with actor_scope(world.actor("B1", "viewer")):
        record = draw_selectors.draw_record(Draw.objects.get(pk=draw.pk))
    assert hashrank.verify(record) == []
    assert record["public_entropy"] == "12 34 56" and record["x"]["witnesses"] == ["见证人甲"]


def test_joint_task_teams_have_each_departments_inspectors_and_participants_see_the_filing_record(world):
    from sampling.models import PlanParticipant, RecusalRequest, SamplingPlan, Substitution
    from sampling.selectors.draws import record_variant_for

    a1 = make_ready_task(world, "A1", entities=12, inspectors=3)
    a2 = make_ready_task(world, "A2", entities=12, inspectors=3)
    office = world.orgs["AO"]
    with scopes_disabled():
        plan = SamplingPlan.objects.create(
            organization=office, region=office.region, kind="joint", year=2026, name="联合抽查计划", status="approved",
            strata=[{"stratum": s, "count": 1} for s in "ABCD"],
        )
        for dept in ("A1", "A2"):
            PlanParticipant.objects.create(organization=office, region=office.region, plan=plan, department=world.orgs[dept])
        task = SamplingTask.objects.create(
            organization=office, region=office.region, plan=plan, name="联合任务", uid="AO-JOINT-1", status="ready",
        )
    actor = world.actor("AO", "planner")
    with actor_scope(actor):
        draw = svc.draw_run(actor=actor, task=task, public_entropy="x", witnesses=["见证人"])
        assert draw.pool_size == 24 and {r["count"] for r in draw.requirements} == {1}
        depts = {e["id"]: e["department"] for e in draw.inspector_pool}
        teams_ = [s.team for s in DrawSelection.objects.filter(draw=draw, rank__isnull=False)]
        assert all(sorted(depts[i] for i in t) == sorted({world.orgs["A1"].name, world.orgs["A2"].name}) for t in teams_)
        assert hashrank.verify(draw_selectors.draw_record(draw)) == []
    participant = world.actor("A2", "viewer")
    with actor_scope(participant):
        assert record_variant_for(actor=participant, draw=Draw.objects.get(pk=draw.pk)) == "filing"
    # An A2 inspector's recusal is approved by the A2 leader; the office-owned team row changes.
    planner = world.actor("A2", "planner")
    with actor_scope(planner):
        sel = DrawSelection.objects.get(draw=draw, rank=1)
        a2_member = next(i for i in sel.team if depts[i] == world.orgs["A2"].name)
        req = recusal_svc.recusal_request(
            actor=planner, draw=Draw.objects.get(pk=draw.pk), selection=sel,
            inspector=Inspector.objects.get(pk=a2_member), kind="absence", reason="培训",
        )
    leader = world.actor("A2", "leader")
    with actor_scope(leader):
        recusal_svc.recusal_decide(actor=leader, request=RecusalRequest.objects.get(pk=req.pk), approve=True)
        sub = Substitution.objects.get(draw=draw)
        assert depts[sub.in_inspector_id] == world.orgs["A2"].name
        assert sub.in_inspector_id in DrawSelection.objects.get(pk=sel.pk).team
    with actor_scope(actor):
        assert hashrank.verify(draw_selectors.draw_record(Draw.objects.get(pk=draw.pk))) == []
    # The departments' own tasks, whose registries and inspectors the joint draw drew from, are untouched.
    with scopes_disabled():
        assert sorted(SamplingTask.objects.filter(pk__in=[a1.pk, a2.pk]).values_list("status", flat=True)) == ["ready", "ready"]
        assert not Draw.objects.filter(task__in=[a1, a2]).exists()


def test_no_draw_before_the_announced_time(world):
    import datetime as dt

    from django.utils import timezone

    task = make_ready_task(world, "A1")
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        draw = svc.draw_commit(actor=actor, task=task, scheduled_at=timezone.now() + dt.timedelta(hours=2))
        with pytest.raises(ValidationError, match="尚未到"):
            svc.draw_execute(actor=actor, draw=draw, witnesses=["见证人"])
        Draw.objects.filter(pk=draw.pk).update(scheduled_at=timezone.now() - dt.timedelta(minutes=1))
        assert svc.draw_execute(actor=actor, draw=Draw.objects.get(pk=draw.pk), witnesses=["见证人"]).status == "completed"


def test_a_crash_mid_draw_leaves_nothing_and_the_same_commitment_runs_again(world):
    task = make_ready_task(world, "A1")
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        draw = svc.draw_commit(actor=actor, task=task)
        commitment = draw.commitment
        with mock.patch.object(svc, "bulk_insert_stream", side_effect=RuntimeError("worker lost")), pytest.raises(RuntimeError):
            svc.draw_execute(actor=actor, draw=draw, public_entropy="7", witnesses=["见证人"])
        draw.refresh_from_db()
        assert draw.status == "committed" and draw.seed == "" and not DrawSelection.objects.filter(draw=draw).exists()
        assert SamplingTask.objects.get(pk=task.pk).status == "ready"
        draw = svc.draw_execute(actor=actor, draw=draw, public_entropy="7", witnesses=["见证人"])
        record = draw_selectors.draw_record(draw)
    assert draw.commitment == commitment and draw.status == "completed"
    assert hashrank.verify(record) == []


def test_a_code_changed_after_the_commitment_still_draws_its_entity(world):
    """A legacy 注册号 replaced by the USCC between the commitment and the draw: the frozen key is
    the old code, and the selection still points at the entity (found through the audit log)."""
    from inventory.codes import make_uscc
    from inventory.services.entities import entity_update

    task = make_ready_task(world, "A1", entities=8, inspectors=4)
    with scopes_disabled():
        task.strata = [{"stratum": s, "count": 10} for s in "ABCD"]  # everyone is drawn
        task.save()
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        draw = svc.draw_commit(actor=actor, task=task)
        entity = MarketEntity.objects.filter(entries__organization=world.orgs["A1"]).order_by("pk").first()
        old_code = entity.code
        entity_update(actor=actor, entity=entity, data={"code": make_uscc("91", "140522", "MA0RENAME")})
        draw = svc.draw_execute(actor=actor, draw=draw, public_entropy="x", witnesses=["见证人"])
        selection = DrawSelection.objects.get(draw=draw, key=old_code)
        assert selection.entity_id == entity.pk and selection.entity.code != old_code
        assert not hashrank.verify(draw_selectors.draw_record(draw, variant="filing"))
