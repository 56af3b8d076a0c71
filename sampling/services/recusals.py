"""Recusals (回避) with substitutes (递补), and target replacements from the reserve list.

After a draw: ``recusal_request`` / ``recusal_decide`` (曲阳 §16: 经所在单位主管负责人批准
…并报县双随机办备案) — an approved request draws the substitute by DRAW.md §5 — and
``replacement_create`` (a deregistered or unreachable target replaced by the stratum's next
reserve). Substitutions and replacements are filed through ``filing_submit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Inspector
from sampling import hashrank, teams
from sampling.models import (
    Draw,
    DrawSelection,
    RecusalAttachment,
    RecusalRequest,
    Substitution,
    TargetReplacement,
)
from sampling.policies import (
    DECISION_FIELDS,
    TeamPlace,
    can_ask_recusal_for,
    can_decide_recusal,
    can_replace_target,
)
from sampling.services.draws import draw_error_message
from sampling.services.filings import filing_submit
from tenancy import audit, events
from tenancy.context import Actor
from tenancy.i18n import fixed_label
from tenancy.policies import ensure
from tenancy.uploads import CheckedUpload, attachment_store

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
    events.emit("sampling.substitution.created", actor=actor, obj=sub)
    return sub


def _set_team(actor: Actor, selection: DrawSelection, team: list[int]) -> None:
    before = audit.snapshot(selection, ["team"])
    selection.team = team
    # On a joint draw the office owns the row and the inspector's own leader changes its team:
    # the write guard lets exactly this field through (sampling.policies.JOINT_FIELDS).
    selection.save(update_fields=["team", "updated_at"])
    audit.record_update(actor=actor, obj=selection, before=before, action="team_change")


def _file(*, actor: Actor, draw: Draw, kind: str, **objects: Any) -> None:
    """File the event with the office (曲阳 §16: 报县双随机办备案)."""
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
    ensure(can_ask_recusal_for, actor, TeamPlace(draw=draw, inspector=inspector))
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


@transaction.atomic
def recusal_decide(*, actor: Actor, request: RecusalRequest, approve: bool, note: str = "") -> RecusalRequest:
    """Approve (the substitute is drawn by DRAW.md §5, appended and filed) or reject."""
    req = RecusalRequest.objects.select_for_update().select_related("inspector", "draw").get(pk=request.pk)
    ensure(can_decide_recusal, actor, req)
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
    # Filed by whoever asked (the draw's owner, on a joint draw the office), decided by the
    # inspector's leader: the decision's fields only (sampling.policies.JOINT_FIELDS).
    req.save(update_fields=[*DECISION_FIELDS, "updated_at"])
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
    ensure(can_replace_target, actor, draw)
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
    events.emit("sampling.replacement.created", actor=actor, obj=rep)

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
