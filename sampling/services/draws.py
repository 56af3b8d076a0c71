"""The draw ceremony (DRAW.md), recusals with substitutes (递补), and target replacements.

Ceremony: ``draw_commit`` freezes the pool and the inspector side and publishes the commitment
(DRAW.md §1-2) → ``draw_execute`` mixes in the witnesses' public entropy, selects, assigns teams
and persists everything in one transaction under a row lock (two presses give one draw) →
``draw_abandon`` retires an open commitment (it stays listed). After the draw:
``recusal_request`` / ``recusal_decide`` (曲阳 §16: 经所在单位主管负责人批准 …并报县双随机办备案)
and ``replacement_create`` (a deregistered or unreachable target replaced by the stratum's next
reserve). Substitutions and replacements are filed through ``filing_submit``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Inspector, MarketEntity, RegistryEntry
from inventory.selectors import codes_renamed_since
from sampling import hashrank, records, teams
from sampling.models import (
    Draw,
    DrawSelection,
    RecusalAttachment,
    RecusalRequest,
    SamplingPlan,
    SamplingTask,
    Substitution,
    TargetReplacement,
)
from tenancy import audit, events
from tenancy.bulk import bulk_insert_stream, rows_later
from tenancy.context import Actor, Role
from tenancy.i18n import fixed_label
from tenancy.uploads import CheckedUpload, attachment_store

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


def _require_owner_planner(actor: Actor, obj: Draw | SamplingTask) -> None:
    """Only the planner/admin of the owner runs a ceremony (a joint task: the owning office)."""
    if obj.organization_id != actor.organization_id or not actor.has_role(Role.PLANNER, Role.ADMIN):
        raise PermissionDenied(_("只有任务所属单位的计划编制人员或管理员可以进行抽取。"))


# --------------------------------------------------------------------------------------------
# Freeze and commit


@dataclass
class FrozenPool:
    """What the commit page shows before anything is written (step 1: freeze the pool)."""

    pool: Any  # sampling.pool.PoolResult
    inspectors: teams.InspectorPool
    allocation: list[hashrank.Allocation]

    @property
    def excluded_by_reason(self) -> list[tuple[str, int]]:
        return sorted(self.pool.excluded_counts.items(), key=lambda kv: (-kv[1], kv[0]))


def draw_freeze(*, actor: Actor, task: SamplingTask, on: dt.date | None = None) -> FrozenPool:
    """The eligible pool with counts per stratum, the excluded with reasons, the inspector side."""
    from sampling.pool import task_pool  # S1's module: imported late, it imports models only

    with records.paused_gc():  # a million candidates: see records.paused_gc
        pool = task_pool(actor=actor, task=task)
    # ``key in pool`` is a binary search in the sorted strata: no million-key set.
    inspectors = teams.inspector_pool_for(actor=actor, task=task, on=on or timezone.localdate(), target_keys=pool)
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
    _require_owner_planner(actor, task)
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
        with records.paused_gc():
            pool_blob, digest = records.encode_canonical(pool.canonical)
        strata = [s.as_dict() for s in pool.strata]
        # Requirements are validated by the engine's value types before any secret exists.
        teams.requirement_refs(frozen.inspectors.requirements)
    except hashrank.DrawError as exc:
        raise ValidationError(draw_error_message(exc)) from exc
    _check_enough_inspectors(frozen.inspectors)
    excluded_blob, excluded_count = records.encode_excluded((e.key, e.reason) for e in pool.excluded)
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
    _require_owner_planner(actor, draw)
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


def _clean_witnesses(witnesses: Iterable[str]) -> list[str]:
    return [w.strip() for w in witnesses if w and w.strip()]


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
    from sampling.pool import registry_org_ids

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
        with records.paused_gc():  # a million pool rows decoded and hashed: see records.paused_gc
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
    _require_owner_planner(actor, draw)
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
    witnesses = _clean_witnesses(witnesses)

    report(10, _("读取冻结的对象池"))
    strata = [hashrank.Stratum(s["stratum"], ratio=s.get("ratio"), count=s.get("count")) for s in draw.strata]
    canonical = records.decode_canonical(draw.pool_blob)
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


def draw_run(
    *, actor: Actor, task: SamplingTask, public_entropy: str = "", witnesses: Iterable[str] = (), progress: ProgressFn | None = None
) -> Draw:
    """The whole ceremony without a browser (``manage.py draw_run``): commit, then draw."""
    with transaction.atomic():
        draw = draw_commit(actor=actor, task=task)
    return draw_execute(actor=actor, draw=draw, public_entropy=public_entropy, witnesses=witnesses, progress=progress)


# --------------------------------------------------------------------------------------------
# The hashrank state of a completed draw, rebuilt from the database


@dataclass
class TeamState:
    seed: bytes
    assignments: list[dict[str, Any]]  # ranked selections' current teams, as keys (the record's)
    loads: dict[str, int]
    pool: list[hashrank.InspectorRef]
    conflicts: list[hashrank.Conflict]
    key_of: dict[int, str]
    id_of: dict[str, int]


def _team_state(draw: Draw) -> TeamState:
    key_of = {int(e["id"]): e["key"] for e in draw.inspector_pool}
    ranked = DrawSelection.objects.filter(draw=draw, rank__isnull=False).order_by("rank").values_list("key", "team")
    assignments = [{"target": k, "inspectors": [key_of[i] for i in team]} for k, team in ranked]
    # Loads as they stand after the assignment and every earlier event (DRAW.md §5): the number of
    # teams of drawn targets each inspector is on — what assign_teams and each substitution leave.
    loads: dict[str, int] = {e["key"]: 0 for e in draw.inspector_pool}
    for a in assignments:
        for k in a["inspectors"]:
            loads[k] += 1
    return TeamState(
        seed=bytes.fromhex(draw.seed),
        assignments=assignments,
        loads=loads,
        pool=teams.refs_of(draw.inspector_pool),
        conflicts=teams.conflict_refs(draw.conflicts),
        key_of=key_of,
        id_of={v: k for k, v in key_of.items()},
    )


def _substitute(
    *, actor: Actor, draw: Draw, selection: DrawSelection, out: Inspector, reason: str,
    request: RecusalRequest | None = None,
) -> Substitution:
    """Apply one DRAW.md §5 event and append it. Drawn targets follow the spec exactly (their events
    go in the record's ``substitutions``); a replacement target's team gets the same rule with the
    loads of the drawn targets' teams (recorded under ``x.substitutions``)."""
    state = _team_state(draw)
    out_key = state.key_of.get(out.pk)
    if out_key is None or out.pk not in selection.team:
        raise ValidationError(_("%(name)s 不在该检查对象的检查组中。") % {"name": out.name})
    previous = list(Substitution.objects.filter(draw=draw).order_by("seq").select_related("selection"))
    assignments = state.assignments
    if selection.rank is not None:
        earlier = [
            {"target": s.selection.key, "out": state.key_of[s.out_inspector_id]} for s in previous if s.selection.rank is not None
        ]
    else:
        assignments = [*assignments, {"target": selection.key, "inspectors": [state.key_of[i] for i in selection.team]}]
        earlier = [{"target": selection.key, "out": state.key_of[s.out_inspector_id]} for s in previous if s.selection_id == selection.pk]
    try:
        [result] = hashrank.apply_substitutions(
            state.seed, assignments, dict(state.loads), state.pool, state.conflicts,
            [hashrank.SubstitutionEvent(selection.key, out_key, reason)], earlier=earlier,
        )
    except hashrank.DrawError as exc:
        raise ValidationError(draw_error_message(exc)) from exc
    in_id = state.id_of[result["in"]]
    seq = (Substitution.objects.filter(draw=draw).aggregate(m=Max("seq"))["m"] or 0) + 1
    sub = Substitution(
        draw=draw, plan_id=draw.plan_id, seq=seq, selection=selection, out_inspector=out,
        in_inspector_id=in_id, reason=reason, request=request, approved_by_id=actor.user_id,
    )
    sub.set_tenant(actor)
    sub.save()
    audit.record_create(actor=actor, obj=sub, note=_("人员递补：%(key)s") % {"key": selection.key})
    _set_team(actor, selection, [in_id if i == out.pk else i for i in selection.team])
    return sub


def _set_team(actor: Actor, selection: DrawSelection, team: list[int]) -> None:
    before = audit.snapshot(selection, ["team"])
    selection.team = team
    if selection.writable_by(actor):
        selection.save(update_fields=["team", "updated_at"])
    else:
        # A joint draw belongs to the office, but 曲阳 §16 has the inspector's own department
        # leader approve: the team change of a row the department can see (scoped query) is allowed.
        DrawSelection.objects.filter(pk=selection.pk).update(team=team, updated_at=timezone.now())
    audit.record_update(actor=actor, obj=selection, before=before, action="team_change")


def _file(*, actor: Actor, draw: Draw, kind: str, **objects: Any) -> None:
    """File the event with the office (曲阳 §16: 报县双随机办备案) through S2b's service."""
    from sampling.services.filings import filing_submit

    if actor.organization_id != draw.organization_id:
        # A joint draw's inspector approved by their own department's leader: the office owns the
        # draw and is the filing's addressee itself, so the event is on record with it already.
        return
    filing_submit(actor=actor, draw=draw, kind=kind, **objects)


# --------------------------------------------------------------------------------------------
# Recusal (回避) and absence


def _completed(draw: Draw) -> None:
    if draw.status != Draw.Status.COMPLETED:
        raise ValidationError(_("抽取尚未完成。"))


@transaction.atomic
def recusal_request(
    *, actor: Actor, draw: Draw, selection: DrawSelection, inspector: Inspector, kind: str, reason: str,
    attachments: Sequence[CheckedUpload] = (),
) -> RecusalRequest:
    """An inspector asks to leave a team (for themself), or a planner asks for a team member.
    ``attachments``: files already checked by content (``tenancy.uploads.check_upload``), such as
    the signed application, stored with the request."""
    _completed(draw)
    if selection.draw_id != draw.pk:
        raise ValidationError({"selection": _("检查对象不属于本次抽取。")})
    if selection.status not in (DrawSelection.Status.SELECTED, DrawSelection.Status.REPLACEMENT):
        raise ValidationError({"selection": _("该对象已被替换，无需申请回避。")})
    if inspector.pk not in selection.team:
        raise ValidationError({"inspector": _("%(name)s 不在该检查对象的检查组中。") % {"name": inspector.name}})
    own = actor.user_id is not None and inspector.user_id == actor.user_id and actor.has_role(Role.INSPECTOR)
    planner = actor.has_role(Role.PLANNER, Role.ADMIN) and actor.organization_id in (draw.organization_id, inspector.organization_id)
    if not (own or planner):
        raise PermissionDenied(_("只有检查组成员本人或计划编制人员可以申请回避。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写回避或无法参加的事由。")})
    if kind not in RecusalRequest.Kind.values:
        raise ValidationError({"kind": _("请选择申请类型。")})
    if RecusalRequest.objects.filter(selection=selection, inspector=inspector, status=RecusalRequest.Status.PENDING).exists():
        raise ValidationError(_("已有一份待审批的申请。"))
    req = RecusalRequest(
        draw=draw, plan_id=draw.plan_id, selection=selection, inspector=inspector, kind=kind,
        reason=reason[:300], requested_by_id=actor.user_id,
    )
    req.set_tenant(actor)
    req.save()
    audit.record_create(actor=actor, obj=req)
    for upload in attachments:
        attachment_store(actor=actor, attachment=RecusalAttachment(request=req), upload=upload)
    events.emit("sampling.recusal.requested", actor=actor, obj=req)
    return req


def can_decide(actor: Actor, req: RecusalRequest) -> bool:
    """曲阳 §16: approved by the leader of the inspector's own unit."""
    return actor.has_role(Role.LEADER) and actor.organization_id == req.inspector.organization_id


@transaction.atomic
def recusal_decide(*, actor: Actor, request: RecusalRequest, approve: bool, note: str = "") -> RecusalRequest:
    """Approve (the substitute is drawn by DRAW.md §5, appended and filed) or reject."""
    req = RecusalRequest.objects.select_for_update().select_related("inspector", "draw").get(pk=request.pk)
    if not can_decide(actor, req):
        raise PermissionDenied(_("只有该执法人员所在单位的分管领导可以审批。"))
    if req.status != RecusalRequest.Status.PENDING:
        raise ValidationError(_("该申请已经审批过了。"))
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("驳回时请填写意见。")})
    draw = Draw.objects.select_for_update().get(pk=req.draw_id)
    before = audit.snapshot(req, ["status", "decision_note"])
    req.status = RecusalRequest.Status.APPROVED if approve else RecusalRequest.Status.REJECTED
    req.decided_by_id = actor.user_id
    req.decided_at = timezone.now()
    req.decision_note = note[:300]
    if req.writable_by(actor):
        req.save()
    else:  # a planner of the draw's owner asked; the inspector's leader answers (see _set_team)
        RecusalRequest.objects.filter(pk=req.pk).update(
            status=req.status, decided_by_id=req.decided_by_id, decided_at=req.decided_at,
            decision_note=req.decision_note, updated_at=timezone.now(),
        )
    audit.record_update(actor=actor, obj=req, before=before, action="recusal_decide")
    events.emit("sampling.recusal.decided", actor=actor, obj=req)
    if approve:
        selection = DrawSelection.objects.get(pk=req.selection_id)
        # Written into the draw's record: the Chinese word whatever the page's language.
        reason = f"{fixed_label(RecusalRequest.Kind, req.kind)}：{req.reason}"
        sub = _substitute(actor=actor, draw=draw, selection=selection, out=req.inspector, reason=reason, request=req)
        _file(actor=actor, draw=draw, kind="substitution", substitution=sub)
    return req


# --------------------------------------------------------------------------------------------
# Replacement from the reserve list


def next_reserve(draw: Draw, stratum: str) -> DrawSelection | None:
    return (
        DrawSelection.objects.filter(draw=draw, stratum=stratum, status=DrawSelection.Status.RESERVE)
        .order_by("reserve_order")
        .first()
    )


@transaction.atomic
def replacement_create(*, actor: Actor, draw: Draw, selection: DrawSelection, reason: str) -> TargetReplacement:
    """Replace a deregistered or unreachable target by the next unused reserve of its stratum."""
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    _completed(draw)
    if draw.organization_id != actor.organization_id or not actor.has_role(Role.LEADER):
        raise PermissionDenied(_("只有抽取所属单位的分管领导可以批准对象递补。"))
    selection = DrawSelection.objects.select_for_update().get(pk=selection.pk, draw=draw)
    if selection.status not in (DrawSelection.Status.SELECTED, DrawSelection.Status.REPLACEMENT):
        raise ValidationError({"selection": _("只能替换抽中的对象。")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写替换原因（如已注销、无法联系）。")})
    reserve = next_reserve(draw, selection.stratum)
    if reserve is None:
        raise ValidationError(_("“%(stratum)s”层的备选对象已经用完，无法递补。") % {"stratum": selection.stratum})

    before_old = audit.snapshot(selection, ["status"])
    selection.status = DrawSelection.Status.REPLACED
    selection.save(update_fields=["status", "updated_at"])
    audit.record_update(actor=actor, obj=selection, before=before_old, action="target_replaced", note=reason)
    before_new = audit.snapshot(reserve, ["status", "team"])
    reserve.status = DrawSelection.Status.REPLACEMENT
    reserve.team = list(selection.team)
    reserve.initial_team = list(selection.team)
    reserve.save(update_fields=["status", "team", "initial_team", "updated_at"])
    audit.record_update(actor=actor, obj=reserve, before=before_new, action="target_replacement", note=reason)
    seq = (TargetReplacement.objects.filter(draw=draw).aggregate(m=Max("seq"))["m"] or 0) + 1
    rep = TargetReplacement(
        draw=draw, plan_id=draw.plan_id, seq=seq, replaced=selection, replacement=reserve,
        reason=reason[:300], approved_by_id=actor.user_id,
    )
    rep.set_tenant(actor)
    rep.save()
    audit.record_create(actor=actor, obj=rep, note=f"{selection.key} → {reserve.key}")

    # A member with a declared interest in the new target leaves it by DRAW.md §5 (阳城文旅: 应依法回避).
    barred = {c["inspector"] for c in draw.conflicts if c["target"] == reserve.key}
    key_of = {int(e["id"]): e["key"] for e in draw.inspector_pool}
    for inspector_id in list(reserve.team):
        if key_of.get(inspector_id) in barred:
            out = Inspector.objects.get(pk=inspector_id)
            _substitute(actor=actor, draw=draw, selection=reserve, out=out, reason=_("与递补对象存在利害关系，依法回避"))
            reserve.refresh_from_db()
    _file(actor=actor, draw=draw, kind="replacement", replacement=rep)
    return rep
