"""Inspections from draws: made in bulk when a draw completes, and kept in step with the draw
afterwards — a substitute joins the team (the inspection's team and grants follow), a reserve
target replaces a drawn one (the inspection moves, or is closed as replaced and a new one opened;
either way the new target is dispatched again: its department confirms it, 曲阳 §17).

Handlers of sampling's events (``tenancy.events``): they run in the emitting service's
transaction and scope, with its actor (the draw's planner, the deciding leader).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections.models import Dispatch, Evidence, Inspection, InspectionPart
from inventory.models import CheckItem, Inspector
from sampling.models import (
    Draw,
    DrawSelection,
    PlanParticipant,
    SamplingPlan,
    SamplingTask,
    Substitution,
    TargetReplacement,
)
from sampling.services.plans import batch_period
from tenancy import audit, events
from tenancy.bulk import bulk_insert, bulk_insert_links
from tenancy.context import Actor
from tenancy.periodic import acting_for, organization_scope

from . import teams

# --------------------------------------------------------------------------------------------
# What a draw's inspections carry


def items_in_force(task: SamplingTask) -> dict[int, list[int]]:
    """The task's items as each department has them in force now (an item revised since the task
    was written is taken at its current version), by department: ``{department id: [item id]}``."""
    chosen = list(task.items.all())
    stale = [i for i in chosen if not i.is_current]
    current: dict[tuple[int, str], int] = {}
    if stale:
        rows = CheckItem.objects.filter(
            is_current=True, status=CheckItem.Status.ACTIVE,
            organization_id__in={i.organization_id for i in stale}, code__in={i.code for i in stale},
        ).values_list("organization_id", "code", "pk")
        current = {(org, code): pk for org, code, pk in rows}
    by_department: dict[int, list[int]] = defaultdict(list)
    for item in sorted(chosen, key=lambda i: (i.code, i.pk)):
        pk = item.pk if item.is_current else current.get((item.organization_id, item.code), item.pk)
        if pk not in by_department[item.organization_id]:
            by_department[item.organization_id].append(pk)
    return dict(by_department)


def inspector_departments(draw: Draw, inspector_ids: Iterable[int]) -> dict[int, int]:
    """Inspector id → department id, from the draw's frozen inspector pool (read in the scope
    for what it does not hold)."""
    found = {int(e["id"]): int(e["org"]) for e in draw.inspector_pool if e.get("org") is not None}
    missing = set(inspector_ids) - set(found)
    if missing:
        found.update(Inspector.objects.filter(pk__in=missing).values_list("pk", "organization_id"))
    return found


def visit_departments(draw: Draw, items: dict[int, list[int]], org_of: dict[int, int], team_ids: set[int]) -> list[int]:
    """The departments with a part in each visit: the owner of a department's draw; for a joint
    draw each participating department with items in the task or inspectors on the teams."""
    if draw.plan.kind != SamplingPlan.Kind.JOINT:
        return [draw.organization_id]
    on_teams = {org_of[i] for i in team_ids if i in org_of}
    participants = PlanParticipant.objects.filter(plan_id=draw.plan_id).order_by("id").values_list("department_id", flat=True)
    return [d for d in participants if d in items or d in on_teams]


def task_window(task: SamplingTask) -> tuple[dt.date | None, dt.date | None]:
    if task.window_start or task.window_end:
        return task.window_start, task.window_end
    _label, start, end = batch_period(task.plan, task.batch_no)
    return start, end


# --------------------------------------------------------------------------------------------
# Creation


def on_draw_completed(*, event: str, actor: Actor, obj: Draw, **data: Any) -> None:
    inspections_create_for_draw(actor=actor, draw=obj)


@transaction.atomic
def inspections_create_for_draw(*, actor: Actor, draw: Draw) -> int:
    """One inspection per selected target of ``draw`` (completed), with one part per department,
    a dispatch per department, the team's grants and one audit entry per inspection. Returns how
    many were made (none when the draw's inspections exist already)."""
    draw = Draw.objects.select_related("task", "plan").get(pk=draw.pk)
    if draw.status != Draw.Status.COMPLETED or Inspection.objects.filter(draw=draw).exists():
        return 0
    selections = list(
        DrawSelection.objects.filter(draw=draw, status=DrawSelection.Status.SELECTED)
        .order_by("rank").values_list("pk", "entity_id", "team")
    )
    return _create(actor=actor, draw=draw, selections=selections, dispatch=True)


def _create(
    *, actor: Actor, draw: Draw, selections: Sequence[tuple[int, int, list[int]]], dispatch: bool,
    replaces: Inspection | None = None,
) -> int:
    if not selections:
        return 0
    task = draw.task
    items = items_in_force(task)
    team_ids = {i for _pk, _entity, team in selections for i in team}
    org_of = inspector_departments(draw, team_ids)
    departments = visit_departments(draw, items, org_of, team_ids)
    start, end = task_window(task)
    rows = [
        {
            "organization_id": draw.organization_id, "region_id": draw.region_id, "draw_id": draw.pk,
            "plan_id": draw.plan_id, "task_id": task.pk, "selection_id": pk, "entity_id": entity_id,
            "team": list(team), "window_start": start, "window_end": end, "status": Inspection.Status.PENDING,
            "replaces_id": replaces.pk if replaces is not None else None,
        }
        for pk, entity_id, team in selections
    ]
    ids: list[int] = bulk_insert(actor=actor, model=Inspection, rows=rows, with_ids=True)  # type: ignore[assignment]
    now = timezone.now()
    parts_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for department in departments:
        part_rows = [
            {"inspection_id": inspection_id, "inspectors": [i for i in team if org_of.get(i) == department]}
            for inspection_id, (_pk, _entity, team) in zip(ids, selections, strict=True)
        ]
        _insert_parts(actor, department, part_rows, items.get(department, []))
        for row in part_rows:
            parts_of[row["inspection_id"]].append({"department": department, "inspectors": row["inspectors"]})
    template = audit.row_template(actor=actor, target_type="inspections.inspection", note=_("抽取完成，生成检查"))
    audit.record_many(actor=actor, entries=[
        template | {
            "action": "create", "target_id": str(inspection_id), "target_repr": f"{draw.task_uid} #{inspection_id}",
            "at": now, "changes": {
                "draw": [None, draw.pk], "selection": [None, pk], "entity": [None, entity_id], "team": [None, list(team)],
                "parts": [None, parts_of[inspection_id]],
                "items": [None, {str(d): items.get(d, []) for d in departments}],
                "window": [None, [start.isoformat() if start else None, end.isoformat() if end else None]],
            },
        }
        for inspection_id, (pk, entity_id, team) in zip(ids, selections, strict=True)
    ])
    teams.grant_team(actor=actor, inspection_ids=ids, inspector_ids=team_ids)
    if dispatch:
        for department in departments:
            _dispatch(actor=actor, draw=draw, department=department, count=len(ids), at=now)
    return len(ids)


def _insert_parts(actor: Actor, department: int, rows: list[dict[str, Any]], item_ids: list[int]) -> None:
    """The department's parts, owned by it: written as the department itself when another
    organization (the office of a joint draw) made the draw."""

    def insert(owner: Actor) -> None:
        full = [{"organization_id": owner.organization_id, "region_id": owner.region_id, **row} for row in rows]
        part_ids: list[int] = bulk_insert(actor=owner, model=InspectionPart, rows=full, with_ids=True)  # type: ignore[assignment]
        link = InspectionPart.items.through
        bulk_insert_links(model=link, rows=[
            {"inspectionpart_id": part_id, "checkitem_id": item_id} for part_id in part_ids for item_id in item_ids
        ])

    if actor.organization_id == department and actor.is_member:
        insert(actor)
        return
    with organization_scope(department) as owner:
        insert(owner)


def _dispatch(*, actor: Actor, draw: Draw, department: int, count: int, at: dt.datetime) -> Dispatch:
    def save(owner: Actor) -> Dispatch:
        row = Dispatch(draw=draw, plan_id=draw.plan_id, task_id=draw.task_id, count=count, dispatched_at=at)
        row.set_tenant(owner)
        row.save()
        audit.record_create(actor=owner, obj=row, note=_("抽取完成，派发检查对象"))
        return row

    if actor.organization_id == department and actor.is_member:
        row = save(actor)
    else:
        with organization_scope(department) as owner:
            row = save(owner)
    events.emit("inspections.dispatch.created", actor=actor, obj=row)
    return row


# --------------------------------------------------------------------------------------------
# Team changes (a substitute drawn after an approved recusal)


def on_substitution(*, event: str, actor: Actor, obj: Substitution, **data: Any) -> None:
    selection = DrawSelection.objects.get(pk=obj.selection_id)
    team_set(actor=actor, selection=selection, note=_("人员递补：%(out)s → %(in)s") % {
        "out": obj.out_inspector.name, "in": obj.in_inspector.name,
    })


@transaction.atomic
def team_set(*, actor: Actor, selection: DrawSelection, note: str = "") -> Inspection | None:
    """Bring the open inspection of ``selection`` to the selection's team: the team, each part's
    inspectors, the grants (the new member's added, the old one's taken back). An inspection
    already submitted keeps the team that did it."""
    inspection = (
        Inspection.objects.select_for_update().filter(selection=selection, is_current=True)
        .exclude(status=Inspection.Status.REPLACED).first()
    )
    if inspection is None or inspection.status not in Inspection.OPEN_STATES or inspection.team == selection.team:
        return inspection
    draw = Draw.objects.get(pk=inspection.draw_id)
    old, new = list(inspection.team), list(selection.team)
    org_of = inspector_departments(draw, set(old) | set(new))
    before = audit.snapshot(inspection, ["team", "revision"])
    inspection.team = new
    inspection.revision += 1
    visit_write(actor, inspection, ["team", "revision"])
    audit.record_update(actor=actor, obj=inspection, before=before, action="team_change", note=note)
    for part in InspectionPart.objects.filter(inspection=inspection):
        wanted = [i for i in new if org_of.get(i) == part.organization_id]
        if wanted != part.inspectors:
            part_write(actor, part, inspectors=wanted)
    teams.move_grants(actor=actor, inspection=inspection, removed=set(old) - set(new), added=set(new) - set(old))
    return inspection


def part_write(actor: Actor, part: InspectionPart, **values: Any) -> None:
    """Update a department's part (``values`` by field name, foreign keys as ids), audited; as the
    department itself when another organization acts (a joint visit's parts are each their
    department's)."""
    with acting_for(actor, part.organization_id) as owner:
        before = audit.snapshot(part, list(values))
        for name, value in values.items():
            setattr(part, part._meta.get_field(name).attname, value)  # foreign keys given as ids
        part.revision += 1
        part.save(update_fields=[*values, "revision", "updated_at"])
        audit.record_update(actor=owner, obj=part, before=before)


def visit_write(actor: Actor, inspection: Inspection, fields: Iterable[str]) -> None:
    """Save ``fields`` of the visit (set on ``inspection`` already; a many-to-many field such as
    ``results`` is written by its ``set()`` and skipped here). The owner saves them at once. A
    department with a part of a joint visit (the office's row) saves the fields the write guard
    grants it — the visit's shared fields (``policies.visit_writes``) — as itself; the rest, the
    visit's bookkeeping of a step its policy already allowed (status, revision, review stamps),
    is written as the owner, the way ``part_write`` writes another department's part."""
    concrete = {f.name for f in Inspection._meta.concrete_fields}
    names = [n for n in dict.fromkeys(fields) if n in concrete and n != "updated_at"]
    if not names:
        return
    if inspection.writable_by(actor):
        inspection.save(update_fields=[*names, "updated_at"])
        return
    granted = inspection.writable_fields(actor)
    own = [n for n in names if n in granted]
    rest = [n for n in names if n not in granted]
    if own:
        inspection.save(update_fields=[*own, "updated_at"])
    if rest:
        with organization_scope(inspection.organization_id):
            inspection.save(update_fields=[*rest, "updated_at"])


# --------------------------------------------------------------------------------------------
# Target replacement (a reserve takes a drawn target's place)


def on_replacement(*, event: str, actor: Actor, obj: TargetReplacement, **data: Any) -> None:
    inspection_replace(actor=actor, replacement=obj)


def _untouched(inspection: Inspection) -> bool:
    """Nothing was recorded on it yet: no save by the team, no answer, no evidence."""
    if inspection.status not in (Inspection.Status.PENDING, Inspection.Status.TODO):
        return False
    if Evidence.objects.filter(inspection=inspection).exists():
        return False
    return not InspectionPart.objects.filter(inspection=inspection, answers__isnull=False).exists()


@transaction.atomic
def inspection_replace(*, actor: Actor, replacement: TargetReplacement) -> Inspection | None:
    """The replaced target's inspection follows the replacement: an untouched one moves to the new
    selection and entity (its confirmation undone: the new target is checked again); one that
    holds work is closed as replaced and a new one is opened for the reserve. Never two open
    inspections for one draw position."""
    old_selection = DrawSelection.objects.get(pk=replacement.replaced_id)
    new_selection = DrawSelection.objects.get(pk=replacement.replacement_id)
    inspection = (
        Inspection.objects.select_for_update().filter(selection=old_selection, is_current=True)
        .exclude(status=Inspection.Status.REPLACED).first()
    )
    if inspection is None or inspection.status not in Inspection.OPEN_STATES:
        return inspection
    note = _("对象递补：%(old)s → %(new)s（%(reason)s）") % {
        "old": old_selection.key, "new": new_selection.key, "reason": replacement.reason,
    }
    if _untouched(inspection):
        before = audit.snapshot(inspection, ["selection", "entity", "team", "status", "confirmed_at", "confirmed_by"])
        old_team = list(inspection.team)
        inspection.selection = new_selection
        inspection.entity_id = new_selection.entity_id
        inspection.team = list(new_selection.team)
        inspection.status = Inspection.Status.PENDING
        inspection.confirmed_at = None
        inspection.confirmed_by = None
        inspection.revision += 1
        visit_write(actor, inspection, ["selection", "entity", "team", "status", "confirmed_at", "confirmed_by", "revision"])
        audit.record_update(actor=actor, obj=inspection, before=before, action="target_replacement", note=note)
        draw = Draw.objects.get(pk=inspection.draw_id)
        org_of = inspector_departments(draw, set(old_team) | set(inspection.team))
        for part in InspectionPart.objects.filter(inspection=inspection):
            wanted = [i for i in inspection.team if org_of.get(i) == part.organization_id]
            part_write(actor, part, inspectors=wanted, confirmed_at=None, confirmed_by=None)
        teams.move_grants(
            actor=actor, inspection=inspection, removed=set(old_team) - set(inspection.team),
            added=set(inspection.team) - set(old_team),
        )
        _redispatch(actor=actor, inspection=inspection, note=note)
        # Another firm now: a combined visit of the old one lets it go (services.combined).
        events.emit("inspections.inspection.moved", actor=actor, obj=inspection, old_entity_id=old_selection.entity_id)
        return inspection
    before = audit.snapshot(inspection, ["status"])
    inspection.status = Inspection.Status.REPLACED
    inspection.revision += 1
    visit_write(actor, inspection, ["status", "revision"])
    audit.record_update(actor=actor, obj=inspection, before=before, action="target_replaced", note=note)
    events.emit("inspections.inspection.replaced", actor=actor, obj=inspection)
    draw = Draw.objects.select_related("task", "plan").get(pk=inspection.draw_id)
    _create(
        actor=actor, draw=draw, selections=[(new_selection.pk, new_selection.entity_id, list(new_selection.team))],
        dispatch=False, replaces=inspection,
    )
    new = Inspection.objects.get(replaces=inspection)
    _redispatch(actor=actor, inspection=new, note=note)
    return new


def _redispatch(*, actor: Actor, inspection: Inspection, note: str) -> None:
    """The new target of a replacement is dispatched to each department with a part, unconfirmed
    (比对和确认 again, 曲阳 §17): a dispatch its department had confirmed waits again — its due item
    opens, counted from now — and shows among those to confirm; one still waiting covers it."""
    departments = sorted(
        InspectionPart.objects.filter(inspection=inspection, confirmed_at__isnull=True).values_list("organization_id", flat=True)
    )
    for department in departments:
        with acting_for(actor, department) as owner:
            dispatch = (
                Dispatch.objects.select_for_update()
                .filter(draw_id=inspection.draw_id, organization_id=department, confirmed_at__isnull=False).first()
            )
            if dispatch is None:
                continue
            before = audit.snapshot(dispatch, ["confirmed_at", "confirmed_by"])
            dispatch.confirmed_at, dispatch.confirmed_by = None, None
            dispatch.save(update_fields=["confirmed_at", "confirmed_by", "updated_at"])
            audit.record_update(actor=owner, obj=dispatch, before=before, action="redispatch", note=note)
        events.emit("inspections.dispatch.reopened", actor=actor, obj=dispatch, inspection_ids=[inspection.pk])
