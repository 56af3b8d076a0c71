"""Check items (versioned: an item in use is edited as a new version) and their check points; the
office's joint-inspection item list (联合抽查事项清单).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import codes, extensions, policies
from inventory.models import (
    CheckItem,
    CheckPoint,
    JointCheckItem,
)
from inventory.services import apply_fields, full_clean, own_unit
from tenancy import audit
from tenancy.context import Actor, OrgKind
from tenancy.models import Organization
from tenancy.policies import ensure

ITEM_FIELDS = ("name", "category", "target_type", "legal_basis", "method", "content", "responsible_unit")


POINT_FIELDS = ("project", "sub_item", "content", "basis", "answer_kind", "photo_required")


def checkitem_in_use(item: CheckItem) -> bool:
    """Whether an edit must make a new version (DESIGN.md §4): something registered in
    ``extensions.ITEM_USAGE`` uses the item (sampling: a task, or a plan that was approved or
    published; later apps: an inspection). A published plan is immutable, so the version it names
    must stay as it was."""
    return extensions.checkitem_use(item) is not None


def _check_item_code(actor: Actor, code: str, *, exclude_pk: int | None = None) -> str:
    code = codes.normalize_text(code)
    if not code:
        raise ValidationError({"code": _("请填写事项编码")})
    clash = CheckItem.objects.filter(organization_id=actor.organization_id, code=code)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"code": _("事项编码“%(code)s”已在本单位清单中") % {"code": code}})
    return code


@transaction.atomic
def checkitem_create(*, actor: Actor, data: dict[str, Any], points: Sequence[dict[str, Any]] = ()) -> CheckItem:
    ensure(policies.can_keep_registers, actor)
    item = CheckItem(code=_check_item_code(actor, data.get("code", "")))
    apply_fields(item, data, ITEM_FIELDS)
    own_unit(actor, item.responsible_unit)
    item.set_tenant(actor)
    full_clean(item)
    item.save()
    audit.record_create(actor=actor, obj=item)
    for i, p in enumerate(points, start=1):
        point = CheckPoint(item=item, order=i)
        apply_fields(point, p, POINT_FIELDS)
        point.set_tenant(actor)
        full_clean(point, exclude=["item"])
        point.save()
    return item


def _new_version(actor: Actor, item: CheckItem, reason: str) -> tuple[CheckItem, dict[int, CheckPoint]]:
    """Copy ``item`` and its points as version + 1; the old row stays intact (old inspections keep it)."""
    if not item.is_current:
        raise ValidationError(_("只能修订现行版本"))
    old_points = list(CheckPoint.objects.filter(item=item).order_by("order", "id"))
    CheckItem.objects.filter(pk=item.pk).update(is_current=False, updated_at=timezone.now())
    new = CheckItem(
        code=item.code, version=item.version + 1, previous=item, is_current=True,
        **{f: getattr(item, f) for f in ITEM_FIELDS}, status=item.status, change_reason=reason[:200],
    )
    new.set_tenant(actor)
    new.save()
    mapping: dict[int, CheckPoint] = {}
    for p in old_points:
        copy = CheckPoint(item=new, order=p.order, **{f: getattr(p, f) for f in POINT_FIELDS})
        copy.set_tenant(actor)
        copy.save()
        mapping[p.pk] = copy
    item.is_current = False
    audit.record(
        actor=actor, action="new_version", target=new,
        changes={"version": [item.version, new.version], "previous": [None, item.pk]}, note=reason,
    )
    return new, mapping


def _editable(actor: Actor, item: CheckItem, reason: str) -> tuple[CheckItem, dict[int, CheckPoint] | None]:
    ensure(policies.can_keep_registers, actor)
    ensure(policies.can_edit_item, actor, item)
    if not item.is_current:
        raise ValidationError(_("历史版本不能修改，请修改现行版本"))
    if item.status == CheckItem.Status.RETIRED:
        raise ValidationError(_("已废止的事项不能修改"))
    if checkitem_in_use(item):
        return _new_version(actor, item, reason or "修订（已用于抽查任务或已批准的抽查计划）")
    return item, None


@transaction.atomic
def checkitem_update(*, actor: Actor, item: CheckItem, data: dict[str, Any], reason: str = "") -> CheckItem:
    """Edit in place, or — when the item is in use — as a new version. Returns the current row."""
    item = CheckItem.objects.select_for_update().get(pk=item.pk)
    target, _mapping = _editable(actor, item, reason)
    before = audit.snapshot(target)
    apply_fields(target, data, ITEM_FIELDS)
    own_unit(actor, target.responsible_unit)
    if reason:
        target.change_reason = reason[:200]
    full_clean(target, exclude=["previous"])
    target.save()
    audit.record_update(actor=actor, obj=target, before=before)
    return target


@transaction.atomic
def checkitem_retire(*, actor: Actor, item: CheckItem, reason: str) -> CheckItem:
    ensure(policies.can_keep_registers, actor)
    ensure(policies.can_edit_item, actor, item)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写废止原因")})
    if not item.is_current or item.status == CheckItem.Status.RETIRED:
        raise ValidationError(_("该事项已废止或不是现行版本"))
    before = audit.snapshot(item, ["status", "retired_reason"])
    item.status = CheckItem.Status.RETIRED
    item.retired_reason = reason[:200]
    item.save(update_fields=["status", "retired_reason", "updated_at"])
    audit.record_update(actor=actor, obj=item, before=before, action="retire", note=reason)
    return item


@transaction.atomic
def checkpoint_add(*, actor: Actor, item: CheckItem, data: dict[str, Any], reason: str = "") -> CheckPoint:
    item = CheckItem.objects.select_for_update().get(pk=item.pk)
    target, _mapping = _editable(actor, item, reason)
    last = CheckPoint.objects.filter(item=target).aggregate(m=Max("order"))["m"] or 0
    point = CheckPoint(item=target, order=last + 1)
    apply_fields(point, data, POINT_FIELDS)
    point.set_tenant(actor)
    full_clean(point, exclude=["item"])
    point.save()
    audit.record_create(actor=actor, obj=point)
    return point


def _point_in(target: CheckItem, point: CheckPoint, mapping: dict[int, CheckPoint] | None) -> CheckPoint:
    return mapping[point.pk] if mapping is not None else point


@transaction.atomic
def checkpoint_update(*, actor: Actor, point: CheckPoint, data: dict[str, Any], reason: str = "") -> CheckPoint:
    item = CheckItem.objects.select_for_update().get(pk=point.item_id)
    target, mapping = _editable(actor, item, reason)
    point = _point_in(target, point, mapping)
    before = audit.snapshot(point)
    apply_fields(point, data, POINT_FIELDS)
    full_clean(point, exclude=["item"])
    point.save()
    audit.record_update(actor=actor, obj=point, before=before)
    return point


@transaction.atomic
def checkpoint_delete(*, actor: Actor, point: CheckPoint, reason: str = "") -> CheckItem:
    item = CheckItem.objects.select_for_update().get(pk=point.item_id)
    target, mapping = _editable(actor, item, reason)
    point = _point_in(target, point, mapping)
    audit.record_delete(actor=actor, obj=point)
    point.delete()
    _renumber(target)
    return target


@transaction.atomic
def checkpoint_move(*, actor: Actor, point: CheckPoint, direction: str, reason: str = "") -> CheckItem:
    """Swap a point with its neighbour ("up"/"down"); orders stay 1..n."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("无效的移动方向")})
    item = CheckItem.objects.select_for_update().get(pk=point.item_id)
    target, mapping = _editable(actor, item, reason)
    point = _point_in(target, point, mapping)
    _renumber(target)
    points = list(CheckPoint.objects.filter(item=target).order_by("order", "id"))
    index = next(i for i, p in enumerate(points) if p.pk == point.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(points):
        a, b = points[index], points[other]
        a.order, b.order = b.order, a.order
        a.save(update_fields=["order", "updated_at"])
        b.save(update_fields=["order", "updated_at"])
        audit.record(actor=actor, action="reorder", target=a, changes={"order": [b.order, a.order]})
    return target


def _renumber(item: CheckItem) -> None:
    for i, p in enumerate(CheckPoint.objects.filter(item=item).order_by("order", "id"), start=1):
        if p.order != i:
            p.order = i
            p.save(update_fields=["order", "updated_at"])


def _joint_partners(actor: Actor, initiator: Organization, partners: Iterable[Organization]) -> list[Organization]:
    allowed = set(actor.visible_org_ids)
    chosen = [initiator, *partners]
    if any(o.pk not in allowed or o.kind != OrgKind.DEPARTMENT for o in chosen):
        raise ValidationError({"partners": _("发起部门和配合部门须为本辖区的行政监管部门")})
    return [p for p in partners if p.pk != initiator.pk]


def _joint_items(
    actor: Actor, initiator: Organization, partners: Iterable[Organization], items: Iterable[CheckItem],
    *, keep: Iterable[int] = (),
) -> list[CheckItem]:
    """The departments' own items a joint item links to: visible to the office (re-read through the
    scoped manager, never trusted from input), of the initiator or a partner department, and
    current and active — except links the joint item already had (``keep``)."""
    wanted = {i.pk for i in items}
    if not wanted:
        return []
    keep = set(keep)
    found = {i.pk: i for i in CheckItem.objects.filter(pk__in=wanted).select_related("organization")}
    if set(found) != wanted:
        raise ValidationError({"items": _("所选事项不存在或不属于本辖区的行政监管部门")})
    departments = {initiator.pk, *(p.pk for p in partners)}
    names = "、".join(f"{i.code} {i.name}" for i in found.values() if i.organization_id not in departments)
    if names:
        raise ValidationError({"items": _("对应部门事项须为发起部门或配合部门的事项：%(names)s") % {"names": names}})
    stale = "、".join(
        f"{i.code} {i.name}" for i in found.values()
        if i.pk not in keep and (not i.is_current or i.status != CheckItem.Status.ACTIVE)
    )
    if stale:
        raise ValidationError({"items": _("只能选择现行有效的事项：%(items)s") % {"items": stale}})
    return sorted(found.values(), key=lambda i: (i.organization_id, i.code, i.pk))


@transaction.atomic
def jointitem_create(*, actor: Actor, data: dict[str, Any]) -> JointCheckItem:
    ensure(policies.can_keep_joint_items, actor)
    partners = _joint_partners(actor, data["initiator"], data.get("partners") or [])
    linked = _joint_items(actor, data["initiator"], partners, data.get("items") or [])
    item = JointCheckItem(field=data["field"], name=data["name"], target=data["target"], initiator=data["initiator"])
    item.set_tenant(actor)
    item.save()
    item.partners.set(partners)
    item.items.set(linked)
    note = "配合部门：" + "、".join(p.name for p in partners)
    if linked:
        note += "；对应部门事项：" + "、".join(f"{i.code} {i.name}" for i in linked)
    audit.record_create(actor=actor, obj=item, note=note)
    return item


@transaction.atomic
def jointitem_update(*, actor: Actor, item: JointCheckItem, data: dict[str, Any]) -> JointCheckItem:
    ensure(policies.can_keep_joint_items, actor)
    ensure(policies.can_edit_joint_item, actor, item)
    partners = _joint_partners(actor, data["initiator"], data.get("partners") or [])
    before_items = sorted(item.items.values_list("pk", flat=True))
    linked = (
        _joint_items(actor, data["initiator"], partners, data["items"] or [], keep=before_items)
        if "items" in data else None
    )
    before = audit.snapshot(item)
    before_partners = sorted(item.partners.values_list("pk", flat=True))
    apply_fields(item, data, ("field", "name", "target", "initiator", "is_active"))
    item.save()
    item.partners.set(partners)
    after_partners = sorted(p.pk for p in partners)
    changes: dict[str, list[Any]] = {}
    if before_partners != after_partners:
        changes["partners"] = [before_partners, after_partners]
    if linked is not None:
        item.items.set(linked)
        after_items = sorted(i.pk for i in linked)
        if before_items != after_items:
            changes["items"] = [before_items, after_items]
    changes = audit.diff(before, audit.snapshot(item, before.keys())) | changes
    if changes:  # one entry: the fields, the partners and the linked items that changed
        audit.record(actor=actor, action="update", target=item, changes=changes)
    return item
