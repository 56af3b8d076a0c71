"""The draw ceremony (DRAW.md).

``draw_commit`` freezes the pool and the inspector side and publishes the commitment (DRAW.md
§1-2) → ``draw_execute`` mixes in the witnesses' public entropy, selects, assigns teams and
persists everything in one transaction under a row lock (two presses give one draw) →
``draw_abandon`` retires an open commitment (it stays listed). What follows a draw (recusals,
replacements) is in ``sampling.services.recusals``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import MarketEntity, RegistryEntry
from inventory.selectors.entities import codes_renamed_since
from sampling import hashrank, record_codec, teams
from sampling.models import Draw, DrawSelection, SamplingPlan, SamplingTask
from sampling.policies import can_run_ceremony
from sampling.pool import PoolResult, paused_gc
from sampling.selectors.pool import inspector_pool_for, registry_org_ids, task_pool
from tenancy import audit, events
from tenancy.bulk import bulk_insert_stream, rows_later
from tenancy.context import Actor
from tenancy.jobs import job_create
from tenancy.models import Job
from tenancy.policies import ensure
from tenancy.tasks import actor_ref

ProgressFn = Callable[[int, str], None]


# --------------------------------------------------------------------------------------------
# Messages


def draw_error_message(exc: hashrank.DrawError) -> str:
    """A Chinese sentence for an engine refusal (``DrawError.code`` is stable, its text English)."""
    d = exc.details
    messages = {
        "not_enough_inspectors": _(
            "执法人员不足：对象 %(target)s 需要 %(department)s 的 %(needed)s 名执法人员，但排除回避关系后只有 %(available)s 名可用。"
            "请补充执法人员或调整检查组要求后，放弃本承诺并重新承诺（执法人员池随承诺冻结）。"
        ),
        "no_substitute": _("%(department)s 没有可以递补的执法人员（已排除检查组成员、利害关系人和已回避人员）。"),
        "not_on_team": _("该执法人员不在此检查对象的检查组中。"),
        "unknown_target": _("该检查对象没有检查组。"),
        "unknown_stratum": _("对象 %(key)s 所在的层“%(stratum)s”不在计划的分层中。"),
        "duplicate_key": _("代码 %(key)s 重复出现，无法抽取。"),
        "invalid_text": _("输入中含有不允许的字符（制表符、换行或空字符）。"),
        "invalid_ratio": _("分层“%(stratum)s”的抽查比例无效。"),
        "invalid_count": _("分层的抽取数量无效。"),
        "invalid_requirement": _("检查组要求中 %(department)s 至少需要 1 名执法人员。"),
        "duplicate_department": _("检查组要求中 %(department)s 重复出现。"),
        "invalid_reserve_size": _("备选数量无效。"),
        "excluded_in_pool": _("对象 %(key)s 既在排除名单中又在对象池中。"),
    }
    template = messages.get(exc.code)
    if template is None:
        return _("抽取无法进行：%(message)s") % {"message": exc.message}
    try:
        return template % dict(d)
    except (KeyError, TypeError, ValueError):
        return template


# --------------------------------------------------------------------------------------------
# Freeze and commit


@dataclass
class FrozenPool:
    """What the commit page shows before anything is written (step 1: freeze the pool)."""

    pool: PoolResult
    inspectors: teams.InspectorPool
    allocation: list[hashrank.Allocation]

    @property
    def excluded_by_reason(self) -> list[tuple[str, int]]:
        return sorted(self.pool.excluded_counts.items(), key=lambda kv: (-kv[1], kv[0]))


def draw_freeze(*, actor: Actor, task: SamplingTask, on: dt.date | None = None) -> FrozenPool:
    """The eligible pool with counts per stratum, the excluded with reasons, the inspector side."""
    with paused_gc():  # a million candidates: see sampling.pool.paused_gc
        pool = task_pool(actor=actor, task=task)
    # ``key in pool`` is a binary search in the sorted strata: no million-key set.
    inspectors = inspector_pool_for(actor=actor, task=task, on=on or timezone.localdate(), target_keys=pool)
    allocation = [
        hashrank.Allocation(s.stratum, pool.counts.get(s.stratum, 0), hashrank.quota(pool.counts.get(s.stratum, 0), s))
        for s in pool.strata
    ]
    return FrozenPool(pool=pool, inspectors=inspectors, allocation=allocation)


def _check_enough_inspectors(inspectors: teams.InspectorPool) -> None:
    """Refuse a commitment that can never draw: a department with fewer eligible inspectors than
    one team needs. (Conflicts can still make a draw fail later; that is the engine's error.)"""
    available: dict[str, int] = {}
    for e in inspectors.entries:
        available[e["department"]] = available.get(e["department"], 0) + 1
    for r in inspectors.requirements:
        have = available.get(r["department"], 0)
        if have < int(r["count"]):
            raise ValidationError(
                _("%(department)s 只有 %(have)s 名符合条件的执法人员（在岗、执法证有效、具备所需专长），每组需要 %(need)s 名，无法承诺抽取。")
                % {"department": r["department"], "have": have, "need": r["count"]}
            )


def scheduled_at_error(task: SamplingTask, scheduled_at: dt.datetime | None, *, now: dt.datetime | None = None) -> str | None:
    """Why a draw cannot be announced for ``scheduled_at``, or None: the announced time is not
    before the commitment (now; the minute typed counts as now), nor after the task's inspection
    window ends (the draw comes before the inspections) or its plan's year."""
    if scheduled_at is None:
        return None
    now = now or timezone.now()
    local = timezone.localtime(scheduled_at)
    if scheduled_at < now.replace(second=0, microsecond=0):
        return _("计划抽取时间不能早于发布承诺的时间（现在：%(now)s），请填写今后的时间。") % {
            "now": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
        }
    if task.window_end is not None and local.date() > task.window_end:
        return _("计划抽取时间不能晚于检查截止日期（%(end)s）。") % {"end": task.window_end.isoformat()}
    if local.year > task.plan.year:
        return _("计划抽取时间不能晚于计划年度（%(year)s年）。") % {"year": task.plan.year}
    return None


@transaction.atomic
def draw_commit(
    *,
    actor: Actor,
    task: SamplingTask,
    scheduled_at: dt.datetime | None = None,
    frozen: FrozenPool | None = None,
) -> Draw:
    """Freeze the pool and the inspector side, draw the secret and publish the commitment."""
    task = SamplingTask.objects.select_for_update().select_related("plan").get(pk=task.pk)
    ensure(can_run_ceremony, actor, task)
    if task.status != SamplingTask.Status.READY:
        raise ValidationError(_("只有“待抽取”状态的任务可以承诺抽取（当前：%(status)s）。") % {"status": task.get_status_display()})
    if task.plan.status not in (SamplingPlan.Status.APPROVED, SamplingPlan.Status.PUBLISHED):
        raise ValidationError(_("年度抽查计划尚未批准，不能抽取。"))
    if Draw.objects.filter(task=task, status=Draw.Status.COMPLETED).exists():
        raise ValidationError(_("该任务已完成抽取，不能再次承诺。"))
    if Draw.objects.filter(task=task, status__in=[Draw.Status.COMMITTED, Draw.Status.RUNNING]).exists():
        raise ValidationError(_("该任务已有未完成的承诺；如需重新冻结对象池，请先放弃原承诺（原承诺将保留并公开）。"))
    message = scheduled_at_error(task, scheduled_at)
    if message:
        raise ValidationError({"scheduled_at": message})
    frozen = frozen or draw_freeze(actor=actor, task=task)
    pool = frozen.pool
    if not pool.eligible:
        raise ValidationError(_("对象池为空：没有符合条件的检查对象，无法抽取。"))
    try:
        with paused_gc():
            pool_blob, digest = record_codec.encode_canonical(pool.canonical)
        strata = [s.as_dict() for s in pool.strata]
        # Requirements are validated by the engine's value types before any secret exists.
        teams.requirement_refs(frozen.inspectors.requirements)
    except hashrank.DrawError as exc:
        raise ValidationError(draw_error_message(exc)) from exc
    _check_enough_inspectors(frozen.inspectors)
    excluded_blob, excluded_count = record_codec.encode_excluded((e.key, e.reason) for e in pool.excluded)
    secret = hashrank.new_secret()
    draw = Draw(
        task=task,
        plan=task.plan,
        status=Draw.Status.COMMITTED,
        task_uid=task.uid,
        commitment=hashrank.commitment_of(secret),
        secret=secret.hex(),
        pool_hash=digest,
        pool_size=pool.eligible,
        pool_blob=pool_blob,
        excluded_blob=excluded_blob,
        excluded_count=excluded_count,
        strata=strata,
        reserve_size=task.reserve_size,
        inspector_pool=frozen.inspectors.entries,
        requirements=frozen.inspectors.requirements,
        conflicts=frozen.inspectors.conflicts,
        inspector_pool_hash=frozen.inspectors.hash,
        scheduled_at=scheduled_at,
        committed_by_id=actor.user_id,
    )
    draw.set_tenant(actor)
    draw.save()
    audit.record(
        actor=actor,
        action="draw_commit",
        target=draw,
        changes={"commitment": [None, draw.commitment], "pool_hash": [None, digest], "pool_size": [None, draw.pool_size]},
        note=_("发布承诺：任务 %(uid)s") % {"uid": task.uid},
    )
    return draw


@transaction.atomic
def draw_abandon(*, actor: Actor, draw: Draw, reason: str) -> Draw:
    """Retire an open commitment; it stays listed with its reason (DRAW.md §1)."""
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    ensure(can_run_ceremony, actor, draw)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写放弃原因。")})
    if draw.status != Draw.Status.COMMITTED:
        raise ValidationError(_("只有尚未抽取的承诺可以放弃。"))
    before = audit.snapshot(draw, ["status", "abandoned_reason"])
    draw.status = Draw.Status.ABANDONED
    draw.abandoned_reason = reason[:200]
    draw.save(update_fields=["status", "abandoned_reason", "updated_at"])
    audit.record_update(actor=actor, obj=draw, before=before, action="draw_abandon", note=reason)
    return draw


# --------------------------------------------------------------------------------------------
# The draw


def require_witnesses(witnesses: Iterable[str]) -> list[str]:
    """The witnesses' names, at least one (DRAW.md §3: the public entropy is entered before
    witnesses, whose names go into the record): every draw, whoever starts it."""
    names = [w.strip() for w in witnesses if w and w.strip()]
    if not names:
        raise ValidationError({"witnesses": _("请至少填写一名见证人。")})
    return names


def _entity_rows(keys: Sequence[str]) -> Any:
    """The (code, id) rows of drawn keys: the pool is frozen as keys, a key being the entity's
    code, unique in its region."""
    return MarketEntity.objects.filter(code__any=list(keys)).order_by().values_list("code", "pk")


def _entity_ids(
    keys: Sequence[str], plan: SamplingPlan, rows: Iterable[tuple[str, int]], *, actor: Actor, since: dt.datetime
) -> dict[str, int]:
    """Entity ids of drawn keys from their ``_entity_rows``. Should two visible regions share a
    code, the entity in the plan's registries wins; a code changed since the pool was frozen
    (``since``) is found through the audit log."""
    found: dict[str, list[int]] = {}
    for code, pk in rows:
        found.setdefault(code, []).append(pk)
    result: dict[str, int] = {}
    ambiguous = {k: v for k, v in found.items() if len(v) > 1}
    if ambiguous:
        ids = [i for v in ambiguous.values() for i in v]
        in_registry = set(
            RegistryEntry.objects.filter(organization_id__in=registry_org_ids(plan), entity_id__in=ids).values_list(
                "entity_id", flat=True
            )
        )
        for k, v in ambiguous.items():
            result[k] = next((i for i in v if i in in_registry), v[0])
    for k, v in found.items():
        result.setdefault(k, v[0])
    missing = [k for k in keys if k not in result]
    if missing:
        result.update(_renamed_since(actor, missing, since))
        missing = [k for k in missing if k not in result]
    if missing:
        raise ValidationError(_("名录库中找不到抽中对象 %(key)s，无法保存抽取结果。") % {"key": missing[0]})
    return result


def _renamed_since(actor: Actor, keys: Sequence[str], since: dt.datetime) -> dict[str, int]:
    """Entities whose code was one of ``keys`` when the pool was frozen and was changed since (a
    legacy 注册号 replaced by the USCC, a typo corrected): inventory keeps every change of a code."""
    return codes_renamed_since(actor=actor, old_codes=keys, since=since)


def _utf8_key(row: tuple[Any, ...]) -> bytes:
    """A selection row's key as UTF-8: byte-wise, the order of the (draw, key) index ("C" collation)."""
    return row[1].encode("utf-8")


def _completed_exists(task: SamplingTask) -> bool:
    return Draw.objects.filter(task=task, status=Draw.Status.COMPLETED).exists()


def draw_execute(
    *,
    actor: Actor,
    draw: Draw,
    public_entropy: str = "",
    witnesses: Iterable[str] = (),
    progress: ProgressFn | None = None,
) -> Draw:
    """Draw: seed from the secret and the public entropy, select, assign teams, persist — or nothing.

    One transaction under ``select_for_update`` on the task: a second press waits, then finds the
    completed draw; the partial unique constraint ``draw_one_completed_per_task`` backs it up.
    """
    try:
        with paused_gc():  # a million pool rows decoded and hashed
            return _draw_execute(
                actor=actor, draw=draw, public_entropy=public_entropy, witnesses=list(witnesses), progress=progress
            )
    except IntegrityError as exc:
        # The savepoint of _draw_execute is rolled back; the caller's transaction stays usable.
        raise ValidationError(_("该任务已经完成抽取（可能有人同时按下了抽取按钮），本次未保存任何结果。")) from exc


@transaction.atomic
def _draw_execute(
    *, actor: Actor, draw: Draw, public_entropy: str, witnesses: list[str], progress: ProgressFn | None
) -> Draw:
    report = progress or (lambda pct, label: None)
    task = SamplingTask.objects.select_for_update().get(pk=draw.task_id)
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    ensure(can_run_ceremony, actor, draw)
    if draw.status == Draw.Status.COMPLETED:
        raise ValidationError(_("该承诺已经完成抽取，结果见下方。"))
    if draw.status != Draw.Status.COMMITTED:
        raise ValidationError(_("该承诺已放弃，不能抽取。"))
    if _completed_exists(task):
        raise ValidationError(_("该任务已经完成抽取，本次未保存任何结果。"))
    if draw.scheduled_at is not None and timezone.now() < draw.scheduled_at:
        # Witnesses come at the announced time; drawing earlier would defeat the announcement.
        raise ValidationError(
            _("尚未到承诺中公布的抽取时间（%(at)s），请届时再抽取。")
            % {"at": timezone.localtime(draw.scheduled_at).strftime("%Y-%m-%d %H:%M")}
        )
    public_entropy = (public_entropy or "").strip()
    if "\x00" in public_entropy:
        raise ValidationError({"public_entropy": _("公开随机数中含有不允许的字符。")})
    witnesses = require_witnesses(witnesses)

    report(10, _("读取冻结的对象池"))
    strata = [hashrank.Stratum(s["stratum"], ratio=s.get("ratio"), count=s.get("count")) for s in draw.strata]
    canonical = record_codec.decode_canonical(draw.pool_blob)
    if hashlib.sha256(canonical).hexdigest() != draw.pool_hash:
        raise ValidationError(_("冻结的对象池与承诺中的对象池摘要不符，不能抽取；请放弃本承诺并重新承诺。"))
    id_of = teams.keys_to_ids(draw.inspector_pool)
    try:
        # The frozen pool, read a stratum block at a time: no object per candidate. It was
        # checked when it was frozen and its hash matches the commitment's: split, not re-checked.
        groups = hashrank.groups_of_canonical(canonical, check_unique=False, verified=True)
        del canonical
        seed = hashrank.derive_seed(bytes.fromhex(draw.secret), public_entropy, draw.task_uid)
        report(25, _("计算对象得分"))
        selection = hashrank.select_groups(seed, groups, strata, draw.reserve_size)
        del groups
        drawn = [t.key for t in selection.selected] + [t.key for t in selection.reserve]
        report(50, _("分配检查组并保存"))
        # The database finds the drawn entities while the engine draws the teams.
        with rows_later(_entity_rows(drawn)) as entity_rows:
            assigned = (
                hashrank.assign_teams(
                    seed, selection.selected_keys, teams.refs_of(draw.inspector_pool),
                    teams.requirement_refs(draw.requirements), teams.conflict_refs(draw.conflicts),
                )[0]
                if draw.requirements else []
            )
            found = entity_rows()
        entity_of = _entity_ids(drawn, draw.plan, found, actor=actor, since=draw.committed_at)
        selected, reserve = DrawSelection.Status.SELECTED.value, DrawSelection.Status.RESERVE.value

        # A tuple per selection (no object per row), the shared columns sent once, in key order:
        # each row then lands at the right edge of the draw's (draw, key) index, which costs the
        # database about half what rank order (random keys) does.
        # Teams in rank order, as inspector ids; none when the task asks for no team.
        team_ids = [[id_of[k] for k in a["inspectors"]] for a in assigned] or [[] for _ in selection.selected]
        rows = [
            (entity_of[t.key], t.key, t.stratum, t.score, t.rank, None, selected, team, team)
            for t, team in zip(selection.selected, team_ids, strict=True)
        ]
        rows.extend(
            (entity_of[t.key], t.key, t.stratum, t.score, None, order, reserve, [], [])
            for order, t in enumerate(selection.reserve, 1)
        )
        rows.sort(key=_utf8_key)
        report(75, _("保存抽取结果"))
        bulk_insert_stream(
            actor=actor, model=DrawSelection, rows=rows,
            columns=("entity_id", "key", "stratum", "score", "rank", "reserve_order", "status", "team", "initial_team"),
            constants={"organization_id": draw.organization_id, "region_id": draw.region_id, "plan_id": draw.plan_id,
                       "draw_id": draw.pk},
        )
    except hashrank.DrawError as exc:
        raise ValidationError(draw_error_message(exc)) from exc

    before = audit.snapshot(draw, ["status", "seed", "public_entropy", "witnesses"])
    now = timezone.now()
    draw.status = Draw.Status.COMPLETED
    draw.public_entropy = public_entropy
    draw.witnesses = witnesses
    draw.seed = seed.hex()
    draw.allocation = [a.as_dict() for a in selection.allocation]
    draw.drawn_at = now
    draw.drawn_by_id = actor.user_id
    # Only what the draw set: the frozen pool's megabytes are not written again.
    draw.save(update_fields=["status", "public_entropy", "witnesses", "seed", "allocation", "drawn_at", "drawn_by",
                             "updated_at"])
    task_before = audit.snapshot(task, ["status"])
    task.status = SamplingTask.Status.DRAWN
    task.save(update_fields=["status", "updated_at"])
    audit.record_update(
        actor=actor, obj=draw, before=before, action="draw_execute",
        note=_("抽中 %(n)s 户，备选 %(r)s 户") % {"n": len(selection.selected), "r": len(selection.reserve)},
    )
    audit.record_update(actor=actor, obj=task, before=task_before)
    events.emit("sampling.draw.completed", actor=actor, obj=draw)
    events.emit("sampling.task.drawn", actor=actor, obj=task)
    report(95, _("完成"))
    return draw


@dataclass(frozen=True)
class DrawStarted:
    """A draw as started: completed here, or queued as ``job`` (a pool above
    ``settings.ASYNC_DRAW_POOL_THRESHOLD``), whose page the caller shows."""

    draw: Draw
    job: Job | None = None


def draw_start(
    *, actor: Actor, draw: Draw, public_entropy: str = "", witnesses: Iterable[str] = (), background: bool | None = None
) -> DrawStarted:
    """Draw a committed draw as a person starts it (the page, the command): who may and the
    witnesses are checked before anything is queued; a large pool draws in the background
    (``background=None``: decided by its size), a small one here."""
    ensure(can_run_ceremony, actor, draw)
    names = require_witnesses(witnesses)
    entropy = (public_entropy or "").strip()
    if background is None:
        background = draw.pool_size > settings.ASYNC_DRAW_POOL_THRESHOLD and draw.status == Draw.Status.COMMITTED
    if not background:
        return DrawStarted(draw=draw_execute(actor=actor, draw=draw, public_entropy=entropy, witnesses=names))
    from sampling.tasks import draw_execute_task  # noqa: PLC0415  (tasks import the services)

    job = job_create(actor=actor, kind="draw", label=_("抽取：%(task)s") % {"task": draw.task.name}, params={"draw_id": draw.pk})
    transaction.on_commit(lambda: draw_execute_task.delay(draw.pk, entropy, names, job.pk, actor=actor_ref(actor)))
    return DrawStarted(draw=draw, job=job)


def draw_run(
    *, actor: Actor, task: SamplingTask, public_entropy: str = "", witnesses: Iterable[str] = (), progress: ProgressFn | None = None
) -> Draw:
    """The whole ceremony without a browser (``manage.py draw_run``, a plan's ready tasks at
    once): commit, then draw here. The witnesses are checked before the commitment."""
    names = require_witnesses(witnesses)
    with transaction.atomic():
        draw = draw_commit(actor=actor, task=task)
    return draw_execute(actor=actor, draw=draw, public_entropy=public_entropy, witnesses=names, progress=progress)


def draw_plan_all(*, actor: Actor, plan: SamplingPlan, witnesses: Iterable[str] = (), public_entropy: str = "") -> Job:
    """Queue the draw of every ready task of ``plan`` (a joint plan's batches) as one job: each
    task committed and drawn in turn, with the same witnesses."""
    ensure(can_run_ceremony, actor, plan)
    names = require_witnesses(witnesses)
    entropy = (public_entropy or "").strip()
    from sampling.tasks import draw_plan_all_task  # noqa: PLC0415  (tasks import the services)

    job = job_create(actor=actor, kind="draw_plan", label=_("批量抽取：%(plan)s") % {"plan": plan.name}, params={"plan_id": plan.pk})
    transaction.on_commit(lambda: draw_plan_all_task.delay(plan.pk, job.pk, names, entropy, actor=actor_ref(actor)))
    return job
