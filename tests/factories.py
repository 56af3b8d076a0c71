"""The objects tests need, one function each: ``make_<thing>(world, org_key, …)`` makes a thing
of the organization ``org_key`` of ``tests/world.py`` and returns it.

Registry rows (items, entities, inspectors, conflicts) are written directly, as an import would.
Plans, tasks, draws, recusals and filings go through sampling's services, as the pages do: a
plan is written by the planner, submitted and approved by the leader; a draw is always the
ceremony — a commitment over the frozen pool and inspector side, then the draw with a public
entropy and witnesses — so a test reads what the services store, and the events they emit have
run (a completed draw has its filing item). ``drawn_at`` runs the ceremony at that moment.

A county office's plans are joint plans of the county's two departments. Names carry
``marker(org_key)``: the leak matrix (tests/leak/) looks for it in pages.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines.models import DueItem, Notification, RuleSetting, Unit
from inventory.codes import make_uscc
from inventory.models import (
    CheckItem,
    CheckPoint,
    ConflictOfInterest,
    ImportJob,
    Inspector,
    JointCheckItem,
    MarketEntity,
    RegistryEntry,
    Tag,
)
from sampling.models import Draw, Filing, RecusalRequest, SamplingPlan, SamplingTask
from sampling.pool import RISK_LABELS, SINGLE_LABEL
from sampling.selectors.pool import registry_org_ids, task_requirements
from sampling.services import draws as draw_services
from sampling.services import filings as filing_services
from sampling.services import plans as plan_services
from sampling.services import recusals as recusal_services
from tenancy.actors import actor_for
from tenancy.context import Actor, OrgKind, Role
from tenancy.jobs import job_create
from tenancy.models import AuditEntry, Job, Membership, Organization, TaskFailure
from tenancy.scoping import actor_scope
from tenancy.uploads import check_upload

_seq = itertools.count(1)

PUBLIC_ENTROPY = "12 34 56"
WITNESSES = ("见证人甲",)
RISKS = "ABCD"


def marker(org_key: str) -> str:
    """A token only ``org_key``'s objects carry: found in a page, it shows whose rows it lists."""
    return f"LEAK{org_key}MARK"


def owner_actor(world, org_key: str, role: str = Role.PLANNER) -> Actor:
    return world.actor(org_key, role)


@contextmanager
def clock_at(moment: dt.datetime | None) -> Iterator[None]:
    """What runs inside happens at ``moment`` (``timezone.now()`` and the dates derived from it);
    ``None``: now."""
    if moment is None:
        yield
        return
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _org(world, org_key: str) -> Organization:
    return world.orgs[org_key]


def _departments(world, org_key: str) -> list[str]:
    """The departments whose registries and inspectors an organization's draws use: its own, or
    for a county office the county's two departments."""
    if _org(world, org_key).kind == OrgKind.OFFICE:
        return [f"{org_key[0]}1", f"{org_key[0]}2"]
    return [org_key]


# --------------------------------------------------------------------------------------------
# The registries (一单两库): written directly


def make_item(world, org_key: str, *, name: str | None = None, points: int = 2) -> CheckItem:
    org = _org(world, org_key)
    n = next(_seq)
    with scopes_disabled():
        item = CheckItem.objects.create(
            organization=org, region=org.region, code=f"SX-{n:05d}", name=name or f"{marker(org_key)} 事项{n}",
            legal_basis="《旅行社条例》第二十七条",
        )
        for i in range(1, points + 1):
            CheckPoint.objects.create(
                organization=org, region=org.region, item=item, order=i, project=f"检查项目{i}", content=f"内容{i}"
            )
    return item


def make_point(world, org_key: str) -> CheckPoint:
    item = make_item(world, org_key, points=1)
    with scopes_disabled():
        point = item.points.get()
        point.project = marker(org_key)
        point.save()
    return point


def make_joint_item(world, org_key: str) -> JointCheckItem:
    org = _org(world, org_key)
    with scopes_disabled():
        return JointCheckItem.objects.create(
            organization=org, region=org.region, field="文化旅游", name=f"{marker(org_key)} 旅游市场联合检查",
            target="旅行社", initiator=world.orgs[f"{org_key[0]}1"],
        )


def uscc_for(org: Organization, n: int) -> str:
    return make_uscc("91", org.region.code, f"{n:09d}")


def make_entity(world, org_key: str, *, name: str | None = None, **fields) -> MarketEntity:
    """An entity of the organization's region, in the organization's registry (a department's)."""
    org = _org(world, org_key)
    n = next(_seq)
    with scopes_disabled():
        entity = MarketEntity.objects.create(
            organization=org, region=org.region, code=fields.pop("code", None) or uscc_for(org, n),
            name=name or f"{marker(org_key)} 阳城县某旅行社有限公司{n}", **fields,
        )
        if org.kind == OrgKind.DEPARTMENT:
            RegistryEntry.objects.create(organization=org, region=org.region, entity=entity)
    return entity


def make_entry(world, org_key: str) -> RegistryEntry:
    entity = make_entity(world, org_key)
    with scopes_disabled():
        return RegistryEntry.objects.get(entity=entity)


def make_inspector(world, org_key: str, **fields) -> Inspector:
    org = _org(world, org_key)
    n = next(_seq)
    with scopes_disabled():
        return Inspector.objects.create(
            organization=org, region=org.region, name=fields.pop("name", f"{marker(org_key)}张{n}"),
            cert_no=fields.pop("cert_no", f"14052200{n:05d}"), phone=fields.pop("phone", "13800000000"), **fields,
        )


def make_conflict(world, org_key: str) -> ConflictOfInterest:
    inspector = make_inspector(world, org_key)
    entity = make_entity(world, org_key)
    org = _org(world, org_key)
    with scopes_disabled():
        return ConflictOfInterest.objects.create(
            organization=org, region=org.region, inspector=inspector, entity=entity, reason="近亲属任该公司股东"
        )


def block_all_but_one(world, task: SamplingTask) -> None:
    """Declare conflicts between all the owner's inspectors but one and every entity of its
    registry: a commitment is possible (enough inspectors) but a team of 2 can never be drawn."""
    org = task.organization
    with scopes_disabled():
        inspectors = list(Inspector.objects.filter(organization=org).order_by("cert_no"))[1:]
        entities = list(MarketEntity.objects.filter(organization=org))
        ConflictOfInterest.objects.bulk_create(
            ConflictOfInterest(organization=org, region=org.region, inspector=i, entity=e, reason="测试")
            for i in inspectors for e in entities
        )


def make_import_job(world, org_key: str) -> ImportJob:
    """A previewed entity import of ``org_key`` with one good and one rejected row; the marker is in
    the file name (list, detail) and in the rejected row's value (error table)."""
    org = _org(world, org_key)
    code = make_uscc("91", org.region.code, "MA0000001")
    content = f"统一社会信用代码,名称\n{code},{marker(org_key)}公司\nBAD,{marker(org_key)}\n".encode()
    with scopes_disabled():
        run = Job.objects.create(
            organization=org, region=org.region, kind="import", label=f"{marker(org_key)}.csv",
            status=ImportJob.Status.PREVIEWED,
        )
        job = ImportJob(
            run=run, organization=org, region=org.region, kind=ImportJob.Kind.ENTITIES, filename=f"{marker(org_key)}.csv",
            total_rows=2, valid_rows=1, rejected_count=1,
            errors=[{"row": 3, "column": "统一社会信用代码", "value": "BAD", "reason": marker(org_key)}],
        )
        job.file.save(f"{marker(org_key)}.csv", ContentFile(content), save=False)
        job.save()
    return job


# --------------------------------------------------------------------------------------------
# Plans and tasks: through sampling's services


def make_plan(
    world, org_key: str, *, status: str = SamplingPlan.Status.DRAFT, name: str | None = None,
    items: Sequence[CheckItem] | None = None, **data: Any,
) -> SamplingPlan:
    """A plan of ``org_key`` written by its planner (an office's: joint, with the county's two
    departments, an item of each); ``status`` submitted or approved takes it on through submit
    and the leader's approval. ``data``: the plan's other fields as the service takes them
    (``strata``, ``annual_cap`` …); once a year (``frequency``: annual) unless given."""
    org = _org(world, org_key)
    n = next(_seq)
    values: dict[str, Any] = {
        "year": timezone.localdate().year, "name": name or f"{marker(org_key)}年度计划{n}", "frequency": "annual",
    }
    if org.kind == OrgKind.OFFICE:
        departments = _departments(world, org_key)
        values["participants"] = [world.orgs[d] for d in departments]
        values["items"] = list(items) if items is not None else [make_item(world, d) for d in departments]
    else:
        values["items"] = list(items) if items is not None else [make_item(world, org_key)]
    values.update(data)
    planner = owner_actor(world, org_key)
    with actor_scope(planner):
        plan = plan_services.plan_create(actor=planner, data=values)
        if status == SamplingPlan.Status.DRAFT:
            return plan
        plan = plan_services.plan_submit(actor=planner, plan=plan)
    if status == SamplingPlan.Status.SUBMITTED:
        return plan
    leader = owner_actor(world, org_key, Role.LEADER)
    with actor_scope(leader):
        plan = plan_services.plan_approve(actor=leader, plan=plan)
    if status != SamplingPlan.Status.APPROVED:
        raise ValueError(f"make_plan makes draft, submitted or approved plans, not {status!r}")
    return plan


def make_submitted_plan(world, org_key: str) -> SamplingPlan:
    return make_plan(world, org_key, status=SamplingPlan.Status.SUBMITTED)


def make_approved_plan(world, org_key: str) -> SamplingPlan:
    return make_plan(world, org_key, status=SamplingPlan.Status.APPROVED)


def _team_requirements(world, org_key: str, team_size: int) -> list[dict[str, int]]:
    departments = _departments(world, org_key)
    if len(departments) > 1:  # a joint visit: one of each department
        return [{"department": world.orgs[d].pk, "count": 1} for d in departments]
    return [{"department": world.orgs[org_key].pk, "count": team_size}]


def make_task(
    world, org_key: str, *, plan: SamplingPlan | None = None, ready: bool = False, name: str | None = None,
    uid: str | None = None, team_size: int = 2, reserve_size: int = 2, window: bool = True, **data: Any,
) -> SamplingTask:
    """A task (batch 1) of an approved plan of ``org_key`` (``plan``, or a new one), created by its
    planner with the plan's items, in draft or, ``ready``, set ready to draw. ``window``: an
    inspection window in the second quarter."""
    plan = plan or make_approved_plan(world, org_key)
    n = next(_seq)
    values: dict[str, Any] = {
        "name": name or f"{marker(org_key)}抽查任务{n}", "uid": uid or f"{org_key}-{plan.year}-{n:04d}",
        "reserve_size": reserve_size, "team_requirements": _team_requirements(world, org_key, team_size),
        "ready": ready,
    }
    if window:
        values["window_start"], values["window_end"] = dt.date(plan.year, 4, 1), dt.date(plan.year, 6, 30)
    values.update(data)
    planner = owner_actor(world, org_key)
    with actor_scope(planner):
        values["items"] = list(plan.items.all())
        return plan_services.task_create(actor=planner, plan=plan, data=values)


def _registry(world, org_key: str, n: int, risks: Sequence[str], *, tag: str = "") -> None:
    """Entities in the registries of ``org_key``'s draws (in turn, for an office's), of the risk
    classes ``risks`` in turn; their entries tagged ``tag`` when given."""
    mark = marker(org_key)
    departments = [world.orgs[d] for d in _departments(world, org_key)]
    with scopes_disabled():
        ents = MarketEntity.objects.bulk_create(
            MarketEntity(
                organization=departments[i % len(departments)], region=departments[0].region,
                code=f"9114{org_key}{n:03d}X{i:05d}", name=f"{mark}对象{n}-{i}", risk_class=risk,
            )
            for i, risk in enumerate(risks)
        )
        entries = RegistryEntry.objects.bulk_create(
            RegistryEntry(organization=departments[i % len(departments)], region=departments[0].region, entity=e)
            for i, e in enumerate(ents)
        )
        if tag:
            tags = {
                d.pk: Tag.objects.create(organization=d, region=d.region, kind=Tag.Kind.ENTITY, name=tag) for d in departments
            }
            for entry in entries:
                entry.tags.add(tags[entry.organization_id])


def _inspectors(world, org_key: str, n: int, count: int) -> None:
    """``count`` inspectors in each department of ``org_key``'s draws, certificates valid."""
    mark = marker(org_key)
    with scopes_disabled():
        for key in _departments(world, org_key):
            dept = world.orgs[key]
            for i in range(count):
                Inspector.objects.create(
                    organization=dept, region=dept.region, name=f"{mark}检查员{n}-{key}{i}",
                    cert_no=f"{org_key}{n:03d}-{key}C{i:03d}", cert_expires_on=dt.date(2099, 12, 31),
                )


def make_ready_task(
    world,
    org_key: str,
    *,
    entities: int = 40,
    inspectors: int = 6,
    team_size: int = 2,
    reserve_size: int = 2,
    strata: list | None = None,
    targets: int | None = None,
    name: str | None = None,
) -> SamplingTask:
    """An approved plan of ``org_key`` and a ready task over ``entities`` new entities (risk A–D
    in turn, the plan's default ratios) with ``inspectors`` eligible inspectors (in each
    department, for an office's joint task, which draws only from these entities).

    ``targets``: instead, draw exactly that many by count — a third from risk class A, the rest
    from B — out of ``targets + 3`` entities, one reserve in each of the two strata."""
    n = next(_seq)
    if targets is not None:
        in_a = max(1, targets // 3)
        in_b = targets - in_a
        risks: Sequence[str] = "A" * (in_a + 2) + "B" * (in_b + 1)
        strata = [{"stratum": "A", "count": in_a}, {"stratum": "B", "count": in_b},
                  {"stratum": "C", "count": 0}, {"stratum": "D", "count": 0}]
        reserve_size = 1
    else:
        risks = [RISKS[i % 4] for i in range(entities)]
    # A joint task draws from its departments' registries, which hold their own tests' entities
    # too: its scope is a tag on the entities made for it.
    joint = _org(world, org_key).kind == OrgKind.OFFICE
    tag = f"{marker(org_key)}联合{n}" if joint else ""
    _registry(world, org_key, n, risks, tag=tag)
    _inspectors(world, org_key, n, inspectors)
    plan_data = {"strata": strata} if strata else {}
    plan = make_plan(world, org_key, status=SamplingPlan.Status.APPROVED, name=f"{marker(org_key)}年度计划{n}", **plan_data)
    return make_task(
        world, org_key, plan=plan, ready=True, name=name or f"{marker(org_key)}抽查任务{n}",
        uid=f"{org_key}-{plan.year}-{n:04d}", team_size=team_size, reserve_size=reserve_size, window=False,
        **({"scope": {"tags": [tag]}} if joint else {}),
    )


# --------------------------------------------------------------------------------------------
# Draws: always the ceremony


def draw_task(
    world, task: SamplingTask, *, public_entropy: str = PUBLIC_ENTROPY, witnesses: Sequence[str] = WITNESSES,
    drawn_at: dt.datetime | None = None,
) -> Draw:
    """Commit and draw ``task`` as its owner's planner (at ``drawn_at``, or now)."""
    key = next(k for k, o in world.orgs.items() if o.pk == task.organization_id)
    actor = owner_actor(world, key)
    with clock_at(drawn_at), actor_scope(actor):
        draw = draw_services.draw_commit(actor=actor, task=task)
        return draw_services.draw_execute(actor=actor, draw=draw, public_entropy=public_entropy, witnesses=witnesses)


def make_committed_draw(world, org_key: str, *, task: SamplingTask | None = None, **task_options: Any) -> Draw:
    """A published commitment of ``task`` (or of a new ready task), not yet drawn."""
    task = task or make_ready_task(world, org_key, **task_options)
    actor = owner_actor(world, org_key)
    with actor_scope(actor):
        return draw_services.draw_commit(actor=actor, task=task)


def make_abandoned_draw(
    world, org_key: str, *, task: SamplingTask | None = None, reason: str = "对象池有误，重新冻结", **task_options: Any
) -> Draw:
    """A commitment its planner abandoned (never drawn, kept on record with its reason); the task
    stays ready for a new commitment."""
    draw = make_committed_draw(world, org_key, task=task, **task_options)
    actor = owner_actor(world, org_key)
    with actor_scope(actor):
        return draw_services.draw_abandon(actor=actor, draw=draw, reason=reason)


def make_completed_draw(
    world, org_key: str, *, drawn_at: dt.datetime | None = None, public_entropy: str = PUBLIC_ENTROPY,
    witnesses: Sequence[str] = WITNESSES, **task_options: Any,
) -> Draw:
    """A ready task of ``org_key`` (``make_ready_task``'s options) committed and drawn, at
    ``drawn_at`` or now: everything of the draw was made at that moment."""
    with clock_at(drawn_at):
        task = make_ready_task(world, org_key, **task_options)
    return draw_task(world, task, public_entropy=public_entropy, witnesses=witnesses, drawn_at=drawn_at)


def _planner_of(org: Organization) -> Actor:
    with scopes_disabled():
        membership = Membership.objects.filter(organization=org, is_planner=True).select_related("user").first()
        if membership is None:
            raise ValueError(f"{org} has no planner to run a draw")
        return actor_for(membership.user, org)


def draw_selecting(
    plan: SamplingPlan, selected: Sequence[MarketEntity], *, reserve: bool = False, name: str = "", uid: str = ""
) -> Draw:
    """A completed draw of ``plan`` (approved) whose targets are exactly ``selected``, or with
    ``reserve`` whose reserve they are: the ceremony over a new ready task whose scope is a tag on
    just these entities' registry entries, drawing every one of them by count (the tag is removed
    afterwards; ``name`` and ``uid`` are the task's). The entities must be in the pool: registered with the plan's registries, none
    excluded, none in a focus stratum. Its owner's planner draws; inspectors are added to the
    teams' departments when they have too few."""
    n = next(_seq)
    tag_name = f"抽取{n}"
    with scopes_disabled():
        org_ids = registry_org_ids(plan)
        for e in selected:
            if plan.focus_ratio is not None and (
                e.on_abnormal_list or e.on_dishonest_list or e.complaint_count >= plan.focus_complaints
            ):
                raise ValueError(f"{e.code} falls in the focus stratum, drawn by ratio: pick another")
        counts: dict[str, int] = {}
        for e in selected:
            key = SINGLE_LABEL if plan.strata_mode == SamplingPlan.StrataMode.SINGLE else (
                e.risk_class if e.risk_class in RISK_LABELS else "B"
            )
            counts[key] = counts.get(key, 0) + 1
        keys = [SINGLE_LABEL] if plan.strata_mode == SamplingPlan.StrataMode.SINGLE else list(RISK_LABELS)
        if reserve:
            if len(counts) != 1:
                raise ValueError("a reserve is drawn per stratum: give entities of one stratum")
            strata, reserve_size = [{"stratum": k, "count": 0} for k in keys], len(selected)
        else:
            strata, reserve_size = [{"stratum": k, "count": counts.get(k, 0)} for k in keys], 0
        for org_id in org_ids:
            tag = Tag.objects.create(organization_id=org_id, region=plan.region, kind=Tag.Kind.ENTITY, name=tag_name)
            for entry in RegistryEntry.objects.filter(organization_id=org_id, entity__in=selected):
                entry.tags.add(tag)
        task = SamplingTask.objects.create(
            organization=plan.organization, region=plan.region, plan=plan, name=name or f"第{n}批", uid=uid or f"T-{plan.pk}-{n}",
            status=SamplingTask.Status.READY, scope={"tags": [tag_name]}, strata=strata, reserve_size=reserve_size,
        )
        for dept_id, count in task_requirements(task):
            dept = Organization.objects.get(pk=dept_id)
            have = Inspector.objects.filter(organization=dept, status=Inspector.Status.ACTIVE).count()
            for i in range(have, count):
                Inspector.objects.create(
                    organization=dept, region=dept.region, name=f"检查员{n}-{i}", cert_no=f"D{dept.pk}-{n}-{i}",
                )
    actor = _planner_of(plan.organization)
    with actor_scope(actor):
        draw = draw_services.draw_commit(actor=actor, task=task)
        draw = draw_services.draw_execute(actor=actor, draw=draw, public_entropy=PUBLIC_ENTROPY, witnesses=WITNESSES)
    with scopes_disabled():
        Tag.objects.filter(organization_id__in=org_ids, name=tag_name).delete()
        drawn = set(draw.selections.filter(rank__isnull=reserve).values_list("entity_id", flat=True))
    if drawn != {e.pk for e in selected}:
        raise AssertionError(f"the draw took {sorted(drawn)}, not {sorted(e.pk for e in selected)}")
    return draw


def make_recusal(world, org_key: str) -> RecusalRequest:
    """A planner's recusal request for the first member of the first target's team."""
    draw = make_completed_draw(world, org_key)
    actor = owner_actor(world, org_key)
    with actor_scope(actor):
        selection = draw.selections.filter(rank=1).get()
        inspector = Inspector.objects.get(pk=selection.team[0])
        return recusal_services.recusal_request(
            actor=actor, draw=draw, selection=selection, inspector=inspector, kind="recusal", reason=f"{marker(org_key)}亲属关系"
        )


def make_recusal_attachment(world, org_key: str):
    """A recusal request with a signed scan attached (the file holds the organization's marker)."""
    draw = make_completed_draw(world, org_key)
    actor = owner_actor(world, org_key)
    scan = SimpleUploadedFile(f"{marker(org_key)}.pdf", b"%PDF-1.7\n" + marker(org_key).encode(), "application/pdf")
    with actor_scope(actor):
        selection = draw.selections.filter(rank=1).get()
        req = recusal_services.recusal_request(
            actor=actor, draw=draw, selection=selection, inspector=Inspector.objects.get(pk=selection.team[0]),
            kind="absence", reason=f"{marker(org_key)}出差", attachments=[check_upload(scan)],
        )
        return req.attachments.get()


def make_draw_job(world, org_key: str):
    actor = owner_actor(world, org_key)
    with actor_scope(actor):
        return job_create(actor=actor, kind="draw", label=f"{marker(org_key)}批量抽取", params={})


# --------------------------------------------------------------------------------------------
# Filings


def _stub_pdf(org_key: str):
    # The leak matrix and most tests check filings, not the PDF (tests/sampling/test_pdf_filing.py
    # does): a stub keeps each filing from costing a WeasyPrint run.
    return mock.patch("sampling.pdf.filing_form_pdf", return_value=b"%PDF-1.7 stub " + marker(org_key).encode())


def make_filing(world, org_key: str) -> Filing:
    """A small completed draw of ``org_key`` filed with its office (the note carries the marker)."""
    draw = make_completed_draw(world, org_key, targets=3)
    with _stub_pdf(org_key), actor_scope(owner_actor(world, org_key)) as actor:
        return filing_services.filing_submit(actor=actor, draw=draw, note=marker(org_key))


def make_filing_with_annex(world, org_key: str) -> Filing:
    """A filing whose 备案表 lists only its first target: the full list is in its .xlsx annex."""
    with override_settings(FILING_PDF_MAX_ROWS=1):
        filing = make_filing(world, org_key)  # the annex makes it a worker's job: run it here
        with _stub_pdf(org_key), actor_scope(owner_actor(world, org_key)) as actor:
            return filing_services.filing_attach_pdf(actor=actor, filing=filing)


def make_filing_attachment(world, org_key: str):
    filing = make_filing(world, org_key)
    upload = SimpleUploadedFile(f"{marker(org_key)}.pdf", b"%PDF-1.7\n" + marker(org_key).encode(), "application/pdf")
    with actor_scope(owner_actor(world, org_key)) as actor:
        return filing_services.filing_attach(actor=actor, filing=filing, attachments=[check_upload(upload)])[0]


# --------------------------------------------------------------------------------------------
# Deadlines


def filing_due_item(draw: Draw) -> DueItem:
    """The due item of filing ``draw`` (opened when it was drawn)."""
    with scopes_disabled():
        return DueItem.objects.filter(target_type="sampling.draw", target_id=str(draw.pk)).get()


def make_due_item(world, org_key: str) -> DueItem:
    """The open filing item of a draw of ``org_key`` completed just now; its target names the marker."""
    return filing_due_item(make_completed_draw(world, org_key, targets=3))


def make_late_due_item(world, org_key: str) -> DueItem:
    """The overdue filing item of a draw of ``org_key`` completed 30 days ago and never filed (as
    the daily scan leaves it)."""
    item = filing_due_item(make_completed_draw(world, org_key, targets=3, drawn_at=timezone.now() - dt.timedelta(days=30)))
    with scopes_disabled():
        DueItem.objects.filter(pk=item.pk).update(state=DueItem.State.OVERDUE)
        item.refresh_from_db()
    return item


def make_notification(world, org_key: str) -> Notification:
    """A reminder to every user of ``org_key`` (the marker in its title); returns the planner's."""
    item = make_due_item(world, org_key)
    org = _org(world, org_key)
    rows = {}
    with scopes_disabled():
        for role in Role.ALL:
            rows[role] = Notification.objects.create(
                organization=org, region=org.region, user=world.user(org_key, role), due_item=item,
                kind=Notification.Kind.REMINDER, day=dt.date(2026, 12, 7), title=f"即将到期：{marker(org_key)}",
                body=marker(org_key), url=item.target_url,
            )
    return rows[Role.PLANNER]


def make_rule_setting(world, org_key: str) -> RuleSetting:
    org = _org(world, org_key)
    with scopes_disabled():
        return RuleSetting.objects.create(
            organization=org, region=org.region, rule="sampling.filing", period=3, unit=Unit.DAYS,
            source=f"{marker(org_key)} 本单位规定",
        )


def make_task_failure(world, org_key: str) -> TaskFailure:
    with scopes_disabled():
        return TaskFailure.objects.create(
            organization=world.orgs[org_key], task_name="deadlines.scan_organization", args=[world.orgs[org_key].pk],
            exception=f"OperationalError: {marker(org_key)}",
        )


def make_joint_task(world, org_key: str) -> SamplingTask:
    """A ready joint task of the county office of ``org_key`` (itself, for an office) with the
    county's two departments taking part; its plan's and its own name carry ``marker(org_key)``."""
    office = f"{org_key[0]}O"
    plan = make_plan(world, office, status=SamplingPlan.Status.APPROVED, name=f"{marker(org_key)} 联合抽查计划")
    return make_task(world, office, plan=plan, ready=True, name=f"{marker(org_key)} 联合抽查任务")


# --------------------------------------------------------------------------------------------
# Tenancy


def make_audit_entry(world, org_key: str) -> AuditEntry:
    org = _org(world, org_key)
    with scopes_disabled():
        return AuditEntry.objects.create(
            organization=org, region=org.region, actor_name="tester", action="update",
            target_type="tenancy.organization", target_id=str(org.pk), target_repr=marker(org_key),
        )


def mark_organization(world, org_key: str) -> Organization:
    """The organization itself, its short name the marker."""
    org = _org(world, org_key)
    with scopes_disabled():
        org.short_name = marker(org_key)
        org.save(update_fields=["short_name"])
    return org


# --------------------------------------------------------------------------------------------
# Inspections: made by a completed draw, then worked through inspections' services


def ship_result_codes() -> None:
    """The national result codes back in an empty table (post_migrate does it after a flush;
    a test that emptied the table itself calls this)."""
    from inspections.result_codes import ship_if_empty  # noqa: PLC0415

    ship_if_empty()


def _inspection_cache(world) -> dict[tuple[str, str], Any]:
    # A draw per object is the slow part of a leak-matrix case, which asks for the same
    # organization's object once per role: one object per (kind, organization) and world.
    return world.__dict__.setdefault("_inspections", {})


def make_inspection(world, org_key: str) -> Any:
    """The one inspection of a completed one-target draw of ``org_key`` (a county office's: a
    joint visit of the county's two departments), its entity named with ``marker(org_key)``; each
    department's inspectors are linked to that department's world inspector, who holds the
    team's grant."""
    from inspections.models import Inspection  # noqa: PLC0415  (inspections loads after sampling)

    cache = _inspection_cache(world)
    if ("inspection", org_key) in cache:
        return cache[("inspection", org_key)]
    task = make_ready_task(world, org_key, targets=1, inspectors=2)
    departments = _departments(world, org_key)
    with scopes_disabled():
        for key in departments:
            Inspector.objects.filter(organization=world.orgs[key], user__isnull=True).update(user=world.user(key, Role.INSPECTOR))
    draw = draw_task(world, task)
    with scopes_disabled():
        inspection = Inspection.objects.select_related("entity").get(draw=draw)
    cache[("inspection", org_key)] = inspection
    return inspection


def _parts_of(world, inspection: Any) -> list[tuple[str, Any]]:
    from inspections.models import InspectionPart  # noqa: PLC0415

    keys = {o.pk: k for k, o in world.orgs.items()}
    with scopes_disabled():
        return [(keys[p.organization_id], p) for p in InspectionPart.objects.filter(inspection=inspection).order_by("pk")]


def make_filled_inspection(world, org_key: str, *, problem: bool = False) -> Any:
    """``make_inspection``'s, confirmed by each department and filled by its inspectors: every
    point answered (``problem``: 不正常, result 发现问题待后续处理), on-site today, signed."""
    from inspections.services import inspections as inspection_services  # noqa: PLC0415

    cache = _inspection_cache(world)
    kind = "problem" if problem else "filled"
    if (kind, org_key) in cache:
        return cache[(kind, org_key)]
    inspection = make_inspection(world, org_key) if not problem else _fresh_inspection(world, org_key)
    ship_result_codes()
    today = timezone.localdate()
    visit = {"method": "onsite", "started_on": today, "ended_on": today, "results": ["05" if problem else "01"],
             "result_reason": "现场发现问题" if problem else ""}
    parts = _parts_of(world, inspection)
    for key, _part in parts:
        planner = world.actor(key, Role.PLANNER)
        with actor_scope(planner):
            inspection_services.inspection_confirm(actor=planner, inspection=inspection)
    for n, (key, part) in enumerate(parts):
        actor = world.actor(key, Role.INSPECTOR)
        with actor_scope(actor):
            points = CheckPoint.objects.filter(item__in=part.items.all())
            answers = {p.pk: {"status": "abnormal" if problem else "normal"} for p in points}
            inspection_services.inspection_save(actor=actor, inspection=inspection, visit=visit if n == 0 else None,
                                                answers=answers)
    actor = world.actor(parts[0][0], Role.INSPECTOR)
    signature = SimpleUploadedFile("签字.png", _png_bytes(), "image/png")
    with actor_scope(actor):
        inspection_services.evidence_add(actor=actor, inspection=inspection, upload=check_upload(signature), kind="signature")
    cache[(kind, org_key)] = inspection
    return inspection


def _fresh_inspection(world, org_key: str) -> Any:
    """Another inspection of ``org_key`` (not the cached one), for a second state in one world."""
    cache = _inspection_cache(world)
    saved = cache.pop(("inspection", org_key), None)
    try:
        return make_inspection(world, org_key)
    finally:
        if saved is not None:
            cache[("inspection", org_key)] = saved


def _png_bytes() -> bytes:
    import io  # noqa: PLC0415

    from PIL import Image  # noqa: PLC0415

    buffer = io.BytesIO()
    Image.new("RGB", (60, 30), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def make_submitted_inspection(world, org_key: str, *, problem: bool = False) -> Any:
    """A filled inspection submitted by its first department's inspector."""
    from inspections.services import reviews  # noqa: PLC0415

    cache = _inspection_cache(world)
    kind = "submitted-problem" if problem else "submitted"
    if (kind, org_key) in cache:
        return cache[(kind, org_key)]
    inspection = make_filled_inspection(world, org_key, problem=problem)
    key = _parts_of(world, inspection)[0][0]
    actor = world.actor(key, Role.INSPECTOR)
    with actor_scope(actor):
        inspection = reviews.inspection_submit(actor=actor, inspection=inspection)
    cache[(kind, org_key)] = inspection
    return inspection


def make_approved_inspection(world, org_key: str) -> Any:
    """A submitted inspection that found a problem (发现问题待后续处理), approved by the leader
    of each department taking part."""
    from inspections.services import reviews  # noqa: PLC0415

    cache = _inspection_cache(world)
    if ("approved", org_key) in cache:
        return cache[("approved", org_key)]
    inspection = make_submitted_inspection(world, org_key, problem=True)
    for key, _part in _parts_of(world, inspection):
        leader = world.actor(key, Role.LEADER)
        with actor_scope(leader):
            inspection = reviews.inspection_approve(actor=leader, inspection=inspection)
    cache[("approved", org_key)] = inspection
    return inspection


def make_inspection_evidence(world, org_key: str) -> Any:
    """A photo of the first check point of ``make_inspection``'s, taken by the team."""
    from inspections.services import inspections as inspection_services  # noqa: PLC0415

    inspection = make_inspection(world, org_key)
    key, part = _parts_of(world, inspection)[0]
    actor = world.actor(key, Role.INSPECTOR)
    with scopes_disabled():
        point = CheckPoint.objects.filter(item__in=part.items.all()).order_by("pk").first()
    photo = SimpleUploadedFile(f"{marker(org_key)}.png", _png_bytes(), "image/png")
    with actor_scope(actor):
        return inspection_services.evidence_add(actor=actor, inspection=inspection, upload=check_upload(photo),
                                                point_id=point.pk, caption=marker(org_key))


def make_draft_conflict(world, org_key: str) -> Any:
    """A save of the part's note made against an older revision: kept as a conflict."""
    from inspections.services import inspections as inspection_services  # noqa: PLC0415

    inspection = make_inspection(world, org_key)
    key, part = _parts_of(world, inspection)[0]
    actor = world.actor(key, Role.INSPECTOR)
    with actor_scope(actor):
        base = part.revision
        inspection_services.inspection_save(actor=actor, inspection=inspection, part=part, part_revision=base,
                                            note=f"{marker(org_key)}先保存")
        result = inspection_services.inspection_save(actor=actor, inspection=inspection, part=part, part_revision=base,
                                                     note=f"{marker(org_key)}后保存")
    return result.conflict


def make_handling(world, org_key: str) -> Any:
    """A 行政处罚 (with its case number) on ``make_approved_inspection``'s, recorded by the
    planner of the first department taking part."""
    from inspections.services import handling as handling_services  # noqa: PLC0415

    cache = _inspection_cache(world)
    if ("handling", org_key) in cache:
        return cache[("handling", org_key)]
    inspection = make_approved_inspection(world, org_key)
    key = _parts_of(world, inspection)[0][0]
    planner = world.actor(key, Role.PLANNER)
    with actor_scope(planner):
        row = handling_services.handling_add(actor=planner, inspection=inspection, measure="penalty",
                                             case_no=f"{marker(org_key)}罚字1号", description=f"{marker(org_key)}处罚")
    cache[("handling", org_key)] = row
    return row


def make_records_job(world, org_key: str) -> Any:
    """A finished zip of the 检查记录表 of ``make_inspection``'s task, asked for by the planner of
    ``org_key`` (only they open it): a stored file, the job's result as the worker leaves it."""
    import zipfile  # noqa: PLC0415

    from django.core.files.storage import default_storage  # noqa: PLC0415

    from inspections.documents.archive import JOB_KIND  # noqa: PLC0415
    from tenancy.jobs import job_update  # noqa: PLC0415
    from tenancy.models import Job  # noqa: PLC0415

    inspection = make_inspection(world, org_key)
    actor = owner_actor(world, org_key)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"0001-{marker(org_key)}.pdf", b"%PDF-1.4\n%%EOF\n")
    with actor_scope(actor):
        job = job_create(actor=actor, kind=JOB_KIND, label=f"{marker(org_key)}检查记录表打包",
                         params={"task_id": inspection.task_id, "count": 1})
        name = default_storage.save(f"jobs/inspections/{marker(org_key)}.zip", ContentFile(buffer.getvalue()))
        job_update(job.pk, status=Job.Status.DONE, progress=100, message=f"{marker(org_key)}已生成",
                   result={"file": name, "count": 1, "bytes": len(buffer.getvalue()), "sha256": "",
                           "task_id": inspection.task_id, "task_uid": inspection.draw.task_uid})
        job.refresh_from_db()
    return job
