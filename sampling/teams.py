"""The inspector side of a draw: who can be drawn, how many per department, who must never meet whom.

DRAW.md §4 takes the inspector pool "already filtered to those eligible: active, valid certificate,
right specialty"; this module does that filtering against the inspector registry and freezes the
result with the commitment (DRAW.md §1: "for the filing record, a hash of the inspector pool and
conflicts"). Every inspector must be drawn at random and at least 2 go together (阳城文旅: 从执法检查
人员名录库中随机选派，每次选派的执法检查人员不少于2人); inspectors with an interest in a target must
stay away from it (阳城文旅: 有利害关系的，应依法回避), which the ``conflicts`` carry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from inventory.models import ConflictOfInterest, Inspector
from sampling import hashrank
from sampling.models import SamplingPlan, SamplingTask
from tenancy.context import Actor
from tenancy.models import Organization

# A team has at least this many inspectors when a task does not say (阳城文旅: 不少于2人).
DEFAULT_TEAM_SIZE = 2


@dataclass
class InspectorPool:
    """The frozen inspector side of a draw, in the shapes hashrank and the Draw row need."""

    # One entry per eligible inspector, sorted by key: {"key", "department", "id", "name", "org"}.
    # ``key``/``department`` are the record's fields; ``id``/``name``/``org`` stay server-side.
    entries: list[dict[str, Any]] = field(default_factory=list)
    requirements: list[dict[str, Any]] = field(default_factory=list)  # [{"department", "count"}]
    conflicts: list[dict[str, str]] = field(default_factory=list)  # [{"inspector", "target"}]

    @property
    def refs(self) -> list[hashrank.InspectorRef]:
        return refs_of(self.entries)

    @property
    def hash(self) -> str:
        return pool_hash_of(self.entries, self.requirements, self.conflicts)


def refs_of(entries: Iterable[dict[str, Any]]) -> list[hashrank.InspectorRef]:
    return [hashrank.InspectorRef(key=e["key"], department=e["department"]) for e in entries]


def requirement_refs(requirements: Iterable[dict[str, Any]]) -> list[hashrank.Requirement]:
    return [hashrank.Requirement(department=r["department"], count=int(r["count"])) for r in requirements]


def conflict_refs(conflicts: Iterable[dict[str, str]]) -> list[hashrank.Conflict]:
    return [hashrank.Conflict(inspector=c["inspector"], target=c["target"]) for c in conflicts]


def record_pool(entries: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """The inspector pool as the draw record carries it (key and department only)."""
    return [{"key": e["key"], "department": e["department"]} for e in entries]


def pool_hash_of(
    entries: Iterable[dict[str, Any]], requirements: Iterable[dict[str, Any]], conflicts: Iterable[dict[str, str]]
) -> str:
    """SHA-256 of the compact, key-sorted JSON of the record's three inspector fields.

    Anyone holding the filing record recomputes it from ``inspector_pool``, ``requirements`` and
    ``conflicts`` exactly as they appear there: this is what the commitment event announces.
    """
    document = {
        "inspector_pool": record_pool(entries),
        "requirements": [{"department": r["department"], "count": int(r["count"])} for r in requirements],
        "conflicts": [{"inspector": c["inspector"], "target": c["target"]} for c in conflicts],
    }
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def task_requirements(task: SamplingTask) -> list[tuple[int, int]]:
    """(department organization id, count) per required department.

    A task that names none needs ``DEFAULT_TEAM_SIZE`` of the owner department; a joint plan's task
    that names none needs one of each participating department (one visit, every department).
    """
    wanted: list[tuple[int, int]] = []
    for r in task.team_requirements or []:
        try:
            wanted.append((int(r["department"]), int(r["count"])))
        except (KeyError, TypeError, ValueError):
            raise ValidationError(_("抽查任务的检查组要求格式有误，请在任务中重新设置。"))
    if wanted:
        return wanted
    plan = task.plan
    if plan.kind == SamplingPlan.Kind.JOINT:
        return [(p.department_id, 1) for p in plan.participants.all()]
    return [(task.organization_id, DEFAULT_TEAM_SIZE)]


def inspector_pool_for(
    *, actor: Actor, task: SamplingTask, on: dt.date, target_keys: Container[str] | None = None
) -> InspectorPool:
    """Eligible inspectors of each required department on ``on``, the requirements, the conflicts.

    Eligible: status 在岗, certificate valid on the draw date, and every specialty the task asks for.
    Conflicts: active declared interests (利害关系) of those inspectors, limited to ``target_keys``
    (the frozen pool) when given, so the record carries only pairs that can matter.
    """
    wanted = task_requirements(task)
    if not wanted:
        raise ValidationError(_("抽查任务没有设置检查组要求。"))
    dept_ids = [d for d, _count in wanted]
    orgs = {o.pk: o for o in Organization.objects.filter(pk__in=dept_ids)}
    missing = [d for d in dept_ids if d not in orgs]
    if missing:
        raise ValidationError(_("检查组要求中的部门不存在或不可见。"))
    labels = {pk: org.name for pk, org in orgs.items()}
    if len(set(labels.values())) != len(labels):
        raise ValidationError(_("检查组要求中有同名部门，无法区分。"))

    needed_specialties = {str(s) for s in (task.specialties or []) if str(s).strip()}
    inspectors = Inspector.objects.filter(organization_id__in=dept_ids, status=Inspector.Status.ACTIVE).order_by(
        "cert_no", "pk"
    )
    if needed_specialties:
        inspectors = inspectors.prefetch_related("specialties")
    entries: list[dict[str, Any]] = []
    for ins in inspectors:
        if not ins.certificate_valid_on(on):
            continue
        if needed_specialties and not needed_specialties <= {t.name for t in ins.specialties.all()}:
            continue
        entries.append(
            {"key": ins.cert_no, "department": labels[ins.organization_id], "id": ins.pk, "name": ins.name, "org": ins.organization_id}
        )
    seen: set[str] = set()
    for e in entries:
        if e["key"] in seen:
            raise ValidationError(
                _("执法证号 %(key)s 在多个部门重复，抽取记录无法区分，请先更正执法人员名录库。") % {"key": e["key"]}
            )
        seen.add(e["key"])

    by_id = {e["id"]: e["key"] for e in entries}
    rows = ConflictOfInterest.objects.filter(is_active=True, inspector_id__in=list(by_id)).values_list(
        "inspector_id", "entity__code"
    )
    pairs = {(by_id[i], code) for i, code in rows if target_keys is None or code in target_keys}
    conflicts = [{"inspector": i, "target": t} for i, t in sorted(pairs)]
    requirements = [{"department": labels[d], "count": c} for d, c in wanted]
    return InspectorPool(entries=entries, requirements=requirements, conflicts=conflicts)


def names_by_id(entries: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The stored inspector entries of a draw by inspector id (teams are stored as ids)."""
    return {int(e["id"]): e for e in entries}


def keys_to_ids(entries: Iterable[dict[str, Any]]) -> dict[str, int]:
    return {e["key"]: int(e["id"]) for e in entries}
