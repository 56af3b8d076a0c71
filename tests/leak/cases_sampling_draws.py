"""Leak-matrix entries for the draw ceremony, recusals and replacements — and the draw factories
other tests import (``make_ready_task``, ``make_completed_draw``)."""

from __future__ import annotations

import datetime as dt
from itertools import count

from django_scopes import scopes_disabled

from inventory.models import Inspector, MarketEntity, RegistryEntry
from sampling.models import Draw, RecusalRequest, SamplingPlan, SamplingTask
from sampling.services import draws as draw_services
from tenancy.context import Role
from tenancy.jobs import job_create
from tenancy.scoping import actor_scope

from .registry import Case, marker

_serial = count(1)
RISKS = "ABCD"


def make_ready_task(
    world,
    org_key: str,
    *,
    entities: int = 40,
    inspectors: int = 6,
    team_size: int = 2,
    reserve_size: int = 2,
    strata: list | None = None,
) -> SamplingTask:
    """A department's approved plan and a ready task over ``entities`` entities (risk A-D in turn)
    with ``inspectors`` eligible inspectors. Names carry ``marker(org_key)`` for the leak matrix."""
    org = world.orgs[org_key]
    n = next(_serial)
    mark = marker(org_key)
    with scopes_disabled():
        ents = MarketEntity.objects.bulk_create(
            MarketEntity(
                organization=org, region=org.region, code=f"9114{org_key}{n:03d}X{i:05d}", name=f"{mark}对象{n}-{i}",
                risk_class=RISKS[i % 4],
            )
            for i in range(entities)
        )
        RegistryEntry.objects.bulk_create(RegistryEntry(organization=org, region=org.region, entity=e) for e in ents)
        for i in range(inspectors):
            Inspector.objects.create(
                organization=org, region=org.region, name=f"{mark}检查员{n}-{i}", cert_no=f"{org_key}{n:03d}-C{i:03d}",
                cert_expires_on=dt.date(2099, 12, 31),
            )
        plan = SamplingPlan.objects.create(
            organization=org, region=org.region, year=2026, name=f"{mark}年度计划{n}",
            status=SamplingPlan.Status.APPROVED, strata=strata or [],
        )
        task = SamplingTask.objects.create(
            organization=org, region=org.region, plan=plan, name=f"{mark}抽查任务{n}", uid=f"{org_key}-2026-{n:04d}",
            status=SamplingTask.Status.READY, reserve_size=reserve_size,
            team_requirements=[{"department": org.pk, "count": team_size}],
        )
    return task


def block_all_but_one(world, task: SamplingTask) -> None:
    """Declare conflicts between all inspectors but one and every entity of the task's owner:
    a commitment is possible (enough inspectors) but a team of 2 can never be drawn."""
    from inventory.models import ConflictOfInterest

    org = task.organization
    with scopes_disabled():
        inspectors = list(Inspector.objects.filter(organization=org).order_by("cert_no"))[1:]
        entities = list(MarketEntity.objects.filter(organization=org))
        ConflictOfInterest.objects.bulk_create(
            ConflictOfInterest(organization=org, region=org.region, inspector=i, entity=e, reason="测试")
            for i in inspectors for e in entities
        )


def owner_actor(world, org_key: str, role: str = Role.PLANNER):
    return world.actor(org_key, role)


def make_committed_draw(world, org_key: str) -> Draw:
    task = make_ready_task(world, org_key)
    actor = owner_actor(world, org_key)
    with actor_scope(actor):
        return draw_services.draw_commit(actor=actor, task=task)


def make_completed_draw(world, org_key: str, **task_options) -> Draw:
    """A tiny world of entities, inspectors, plan, task and a completed draw owned by ``org_key``."""
    task = make_ready_task(world, org_key, **task_options)
    actor = owner_actor(world, org_key)
    with actor_scope(actor):
        return draw_services.draw_run(actor=actor, task=task, public_entropy="12 34 56", witnesses=["见证人甲"])


def make_recusal(world, org_key: str) -> RecusalRequest:
    draw = make_completed_draw(world, org_key)
    actor = owner_actor(world, org_key)
    with actor_scope(actor):
        selection = draw.selections.filter(rank=1).get()
        inspector = Inspector.objects.get(pk=selection.team[0])
        return draw_services.recusal_request(
            actor=actor, draw=draw, selection=selection, inspector=inspector, kind="recusal", reason=f"{marker(org_key)}亲属关系"
        )


def make_recusal_attachment(world, org_key: str):
    """A recusal request with a signed scan attached (the file holds the organization's marker)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tenancy.uploads import check_upload

    draw = make_completed_draw(world, org_key)
    actor = owner_actor(world, org_key)
    scan = SimpleUploadedFile(f"{marker(org_key)}.pdf", b"%PDF-1.7\n" + marker(org_key).encode(), "application/pdf")
    with actor_scope(actor):
        selection = draw.selections.filter(rank=1).get()
        req = draw_services.recusal_request(
            actor=actor, draw=draw, selection=selection, inspector=Inspector.objects.get(pk=selection.team[0]),
            kind="absence", reason=f"{marker(org_key)}出差", attachments=[check_upload(scan)],
        )
        return req.attachments.get()


def make_draw_job(world, org_key: str):
    actor = owner_actor(world, org_key)
    with actor_scope(actor):
        return job_create(actor=actor, kind="draw", label=f"{marker(org_key)}批量抽取", params={})


FACTORIES = {
    "draw_task": make_ready_task,
    "draw_committed": make_committed_draw,
    "draw_completed": make_completed_draw,
    "draw_recusal": make_recusal,
    "draw_recusal_attachment": make_recusal_attachment,
    "draw_job": make_draw_job,
}


def _plan(task_or_draw) -> dict:
    return {"pk": task_or_draw.plan_id}


CASES = {
    "sampling:draw_start": Case(factory="draw_task"),
    "sampling:draw_commit": Case(factory="draw_task", method="post"),
    "sampling:draw_detail": Case(factory="draw_completed"),
    "sampling:draw_execute": Case(factory="draw_committed", method="post", data={"public_entropy": "1", "witnesses": "甲"}),
    "sampling:draw_abandon": Case(factory="draw_committed", method="post", data={"reason": "重新冻结"}),
    "sampling:draw_verify": Case(factory="draw_completed"),
    "sampling:draw_record": Case(factory="draw_completed"),
    "sampling:draw_targets_xlsx": Case(factory="draw_completed"),
    "sampling:draw_progress": Case(factory="draw_job"),
    "sampling:draw_plan_all": Case(factory="draw_task", method="post", kwargs=_plan),
    "sampling:recusal_request": Case(factory="draw_completed"),
    "sampling:recusal_decide": Case(factory="draw_recusal"),
    "sampling:recusal_attachment": Case(factory="draw_recusal_attachment"),
    "sampling:recusal_list": Case(factory="draw_recusal", kind="list"),
    "sampling:replacement_create": Case(factory="draw_completed"),
    "api:draw-list": Case(factory="draw_completed", kind="list"),
    "api:draw-detail": Case(factory="draw_completed"),
    "api:draw-record": Case(factory="draw_completed"),
}
