"""State changes of 一单两库: check items (versioned) and their check points, the joint-inspection
item list, market entities and registry entries (with bulk actions), inspectors and conflicts.

Every function is keyword-only, atomic and audited (tenancy.audit). Errors are
``ValidationError`` with Chinese messages keyed by field; who may is ``inventory.policies``,
ensured here: a refusal is ``PermissionDenied`` with the policy's message (403 in views and the API).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import audit, events
from tenancy.context import Actor, OrgKind
from tenancy.i18n import translate_stored
from tenancy.models import Membership, Organization, OrgUnit, User
from tenancy.policies import ensure
from tenancy.scoping import assert_writable

from . import codes, extensions, policies
from .models import (
    CheckItem,
    CheckPoint,
    ConflictOfInterest,
    EntityCodeChange,
    Inspector,
    JointCheckItem,
    MarketEntity,
    RegistryEntry,
    Tag,
)

BULK_MAX = 5000

ITEM_FIELDS = ("name", "category", "target_type", "legal_basis", "method", "content", "responsible_unit")
POINT_FIELDS = ("project", "sub_item", "content", "basis", "answer_kind", "photo_required")
ENTITY_FIELDS = (
    "name", "entity_type", "legal_representative", "address", "industry_code", "industry_name",
    "established_on", "status", "risk_class", "on_abnormal_list", "on_dishonest_list", "complaint_count",
)
INSPECTOR_FIELDS = ("unit", "name", "position", "cert_no", "cert_expires_on", "post", "phone", "status", "user")


def _own_unit(actor: Actor, unit: OrgUnit | None) -> OrgUnit | None:
    if unit is not None and unit.organization_id != actor.organization_id:
        raise ValidationError({"unit": _("所选股室不属于本单位")})
    return unit


def _apply(obj: Any, data: dict[str, Any], fields: Iterable[str]) -> None:
    for name in fields:
        if name in data:
            setattr(obj, name, data[name])


def _full_clean(obj: Any, exclude: Sequence[str] = ()) -> None:
    # Model validation with the tenant columns excluded (they come from the actor).
    obj.full_clean(exclude=["organization", "region", *exclude], validate_unique=False, validate_constraints=False)


# --------------------------------------------------------------------------- check items


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
    _apply(item, data, ITEM_FIELDS)
    _own_unit(actor, item.responsible_unit)
    item.set_tenant(actor)
    _full_clean(item)
    item.save()
    audit.record_create(actor=actor, obj=item)
    for i, p in enumerate(points, start=1):
        point = CheckPoint(item=item, order=i)
        _apply(point, p, POINT_FIELDS)
        point.set_tenant(actor)
        _full_clean(point, exclude=["item"])
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
    _apply(target, data, ITEM_FIELDS)
    _own_unit(actor, target.responsible_unit)
    if reason:
        target.change_reason = reason[:200]
    _full_clean(target, exclude=["previous"])
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
    _apply(point, data, POINT_FIELDS)
    point.set_tenant(actor)
    _full_clean(point, exclude=["item"])
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
    _apply(point, data, POINT_FIELDS)
    _full_clean(point, exclude=["item"])
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


# --------------------------------------------------------------------------- joint item list


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
    _apply(item, data, ("field", "name", "target", "initiator", "is_active"))
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


# --------------------------------------------------------------------------- entities and registry


def clean_entity_code(raw: str, *, region_id: int | None, exclude_pk: int | None = None) -> codes.CodeCheck:
    """Validate a code with GB 32100 / the 注册号 check (Chinese message) and refuse a duplicate in
    the region (one entity, many departments: the same code is never two rows)."""
    check = codes.classify_code(raw or "")
    if not check.valid:
        raise ValidationError({"code": translate_stored(check.error) if check.error else _("代码无效")})
    clash = MarketEntity.objects.filter(region_id=region_id, code=check.normalized)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    other = clash.first()
    if other is not None:
        raise ValidationError(
            {"code": _("代码 %(code)s 已登记为“%(name)s”，同一地区不能重复登记；如需纳入本部门名录库，请在该对象页面点击“加入本部门名录库”")
             % {"code": check.normalized, "name": other.name}}
        )
    return check


def _entity_clean(entity: MarketEntity) -> None:
    entity.name = codes.normalize_text(entity.name or "")
    if not entity.name:
        raise ValidationError({"name": _("请填写名称")})
    industry = codes.normalize_code(entity.industry_code or "")
    if industry:
        canonical = codes.canonical_industry_code(industry)
        if canonical is None:
            raise ValidationError({"industry_code": _(codes.INDUSTRY_CODE_ERROR)})
        industry = canonical
    entity.industry_code = industry
    _full_clean(entity)


@transaction.atomic
def entity_create(
    *, actor: Actor, data: dict[str, Any], tags: Sequence[str] = (), note: str = ""
) -> MarketEntity:
    """A new entity of the actor's region, put into the actor's registry when it is a department."""
    ensure(policies.can_write_entities, actor)
    check = clean_entity_code(data.get("code", ""), region_id=actor.region_id)
    entity = MarketEntity(code=check.normalized, code_kind=check.kind, is_legacy_code=check.legacy)
    _apply(entity, data, ENTITY_FIELDS)
    entity.organization_id = actor.organization_id
    entity.region_id = actor.region_id
    _entity_clean(entity)
    entity.save()
    audit.record_create(actor=actor, obj=entity)
    if actor.is_department:
        registry_entry_add(actor=actor, entity=entity, tags=tags, note=note)
    return entity


@transaction.atomic
def entity_update(*, actor: Actor, entity: MarketEntity, data: dict[str, Any]) -> MarketEntity:
    ensure(policies.can_edit_entity, actor, entity)
    before = audit.snapshot(entity)
    old_code = entity.code
    if "code" in data and data["code"] is not None:
        check = clean_entity_code(data["code"], region_id=entity.region_id, exclude_pk=entity.pk)
        entity.code, entity.code_kind, entity.is_legacy_code = check.normalized, check.kind, check.legacy
    _apply(entity, data, ENTITY_FIELDS)
    _entity_clean(entity)
    entity.save()
    if entity.code != old_code:
        _record_code_change(actor, entity, old_code)
    audit.record_update(actor=actor, obj=entity, before=before)
    return entity


def _record_code_change(actor: Actor, entity: MarketEntity, old_code: str) -> EntityCodeChange:
    change = EntityCodeChange(
        entity=entity, old_code=old_code, new_code=entity.code, changed_by_id=actor.user_id,
        actor_name=actor.username, via=actor.via, organization_id=actor.organization_id, region_id=entity.region_id,
    )
    change.save()
    return change


def _tags(actor: Actor, names: Iterable[str], kind: str = Tag.Kind.ENTITY) -> list[Tag]:
    out: list[Tag] = []
    for raw in names:
        name = codes.normalize_text(raw)[:40]
        if not name:
            continue
        tag = Tag.objects.filter(organization_id=actor.organization_id, kind=kind, name=name).first()
        if tag is None:
            tag = Tag(kind=kind, name=name)
            tag.set_tenant(actor)
            tag.save()
        out.append(tag)
    return out


@transaction.atomic
def registry_entry_add(
    *, actor: Actor, entity: MarketEntity, tags: Sequence[str] = (), note: str = ""
) -> RegistryEntry:
    """Put a region's entity into the department's registry (or back in, if it was retired)."""
    ensure(policies.can_keep_registers, actor)
    entry = RegistryEntry.objects.filter(organization_id=actor.organization_id, entity=entity).first()
    if entry is None:
        entry = RegistryEntry(entity=entity, note=note[:300])
        entry.set_tenant(actor)
        entry.save()
        audit.record_create(actor=actor, obj=entry)
    elif entry.status == RegistryEntry.Status.RETIRED:
        before = audit.snapshot(entry, ["status", "retired_reason"])
        entry.status, entry.retired_reason = RegistryEntry.Status.ACTIVE, ""
        entry.save(update_fields=["status", "retired_reason", "updated_at"])
        audit.record_update(actor=actor, obj=entry, before=before, action="restore")
    if tags:
        entry.tags.add(*_tags(actor, tags))
    return entry


def _entries_for(actor: Actor, entity_ids: Sequence[int]) -> list[RegistryEntry]:
    ids = list(dict.fromkeys(int(i) for i in entity_ids))
    if not ids:
        raise ValidationError({"ids": _("请先勾选检查对象")})
    if len(ids) > BULK_MAX:
        raise ValidationError({"ids": _("一次最多处理 %(n)s 条") % {"n": BULK_MAX}})
    entries = list(
        RegistryEntry.objects.select_related("entity").filter(
            organization_id=actor.organization_id, entity_id__in=ids, status=RegistryEntry.Status.ACTIVE
        )
    )
    assert_writable(actor, entries)
    return entries


@transaction.atomic
def registry_bulk_tag(*, actor: Actor, entity_ids: Sequence[int], tag_name: str) -> int:
    """Add a tag (分类标注) to the selected entries of the department's registry. Returns rows tagged."""
    ensure(policies.can_keep_registers, actor)
    tags = _tags(actor, [tag_name])
    if not tags:
        raise ValidationError({"tag": _("请填写标签名称")})
    tag = tags[0]
    entries = _entries_for(actor, entity_ids)
    through = RegistryEntry.tags.through
    have = set(through.objects.filter(tag=tag, registryentry__in=entries).values_list("registryentry_id", flat=True))
    new = [e for e in entries if e.pk not in have]
    through.objects.bulk_create([through(registryentry_id=e.pk, tag_id=tag.pk) for e in new])
    audit.record_many(
        actor=actor, entries=[audit.new_entry(actor=actor, action="tag", target=e, changes={"tags": [None, tag.name]}) for e in new]
    )
    return len(new)


@transaction.atomic
def entity_bulk_set_risk(*, actor: Actor, entity_ids: Sequence[int], risk_class: str) -> int:
    """Set the credit risk class of the selected entities (of the department's registry)."""
    ensure(policies.can_keep_registers, actor)
    if risk_class not in MarketEntity.Risk.values:
        raise ValidationError({"risk_class": _("请选择风险等级 A/B/C/D")})
    entries = _entries_for(actor, entity_ids)
    changed = [e.entity for e in entries if e.entity.risk_class != risk_class]
    assert_writable(actor, changed)
    now = timezone.now()
    log = [
        audit.new_entry(actor=actor, action="set_risk", target=e, changes={"risk_class": [e.risk_class, risk_class]})
        for e in changed
    ]
    MarketEntity.objects.filter(pk__in=[e.pk for e in changed]).update(risk_class=risk_class, updated_at=now)
    audit.record_many(actor=actor, entries=log)
    return len(changed)


@transaction.atomic
def registry_bulk_retire(*, actor: Actor, entity_ids: Sequence[int], reason: str) -> int:
    """Move the selected entities out of the department's registry (the entity itself stays)."""
    ensure(policies.can_keep_registers, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写移出原因")})
    entries = _entries_for(actor, entity_ids)
    RegistryEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
        status=RegistryEntry.Status.RETIRED, retired_reason=reason[:200], updated_at=timezone.now()
    )
    audit.record_many(actor=actor, entries=[
        audit.new_entry(actor=actor, action="retire", target=e, changes={"status": ["active", "retired"]}, note=reason)
        for e in entries
    ])
    return len(entries)


# --------------------------------------------------------------------------- inspectors


def _inspector_checks(actor: Actor, inspector: Inspector) -> None:
    inspector.cert_no = codes.normalize_code(inspector.cert_no or "")
    inspector.name = codes.normalize_text(inspector.name or "")
    if not inspector.cert_no:
        raise ValidationError({"cert_no": _("请填写执法证号")})
    clash = Inspector.objects.filter(organization_id=actor.organization_id, cert_no=inspector.cert_no)
    if inspector.pk:
        clash = clash.exclude(pk=inspector.pk)
    if clash.exists():
        raise ValidationError({"cert_no": _("执法证号 %(cert)s 已在本单位名录库中") % {"cert": inspector.cert_no}})
    _own_unit(actor, inspector.unit)
    if inspector.user_id and not Membership.objects.filter(
        organization_id=actor.organization_id, user_id=inspector.user_id, is_active=True
    ).exists():
        raise ValidationError({"user": _("关联账号须为本单位成员")})
    _full_clean(inspector, exclude=["unit", "user"])


@transaction.atomic
def inspector_create(*, actor: Actor, data: dict[str, Any], specialties: Sequence[str] = ()) -> Inspector:
    ensure(policies.can_keep_registers, actor)
    inspector = Inspector()
    _apply(inspector, data, INSPECTOR_FIELDS)
    inspector.set_tenant(actor)
    _inspector_checks(actor, inspector)
    inspector.save()
    if specialties:
        inspector.specialties.set(_tags(actor, specialties, Tag.Kind.INSPECTOR))
    audit.record_create(actor=actor, obj=inspector)
    events.emit("inventory.inspector.saved", actor=actor, obj=inspector)
    return inspector


@transaction.atomic
def inspector_update(
    *, actor: Actor, inspector: Inspector, data: dict[str, Any], specialties: Sequence[str] | None = None
) -> Inspector:
    ensure(policies.can_keep_registers, actor)
    ensure(policies.can_edit_inspector, actor, inspector)
    before = audit.snapshot(inspector)
    before_tags = sorted(inspector.specialties.values_list("name", flat=True))
    _apply(inspector, data, INSPECTOR_FIELDS)
    _inspector_checks(actor, inspector)
    inspector.save()
    if specialties is not None:
        inspector.specialties.set(_tags(actor, specialties, Tag.Kind.INSPECTOR))
    after_tags = sorted(inspector.specialties.values_list("name", flat=True))
    entry = audit.record_update(actor=actor, obj=inspector, before=before)
    if entry is None and before_tags != after_tags:
        audit.record(actor=actor, action="update", target=inspector, changes={"specialties": [before_tags, after_tags]})
    events.emit("inventory.inspector.saved", actor=actor, obj=inspector)
    return inspector


@transaction.atomic
def conflict_declare(
    *, actor: Actor, inspector: Inspector, entity: MarketEntity, reason: str,
    declared_on: dt.date | None = None, approved_by: str = "",
) -> ConflictOfInterest:
    """利害关系申报: the inspector will never be drawn for the entity (曲阳 §16 回避)."""
    ensure(policies.can_keep_registers, actor)
    ensure(policies.can_edit_inspector, actor, inspector, message=_("不能为其他单位的执法人员申报"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写回避事由")})
    if ConflictOfInterest.objects.filter(inspector=inspector, entity=entity, is_active=True).exists():
        raise ValidationError({"entity": _("%(inspector)s 与“%(entity)s”的利害关系已申报") % {"inspector": inspector.name, "entity": entity.name}})
    conflict = ConflictOfInterest(
        inspector=inspector, entity=entity, reason=reason[:200],
        declared_on=declared_on or timezone.localdate(), approved_by=(approved_by or "")[:50],
    )
    conflict.set_tenant(actor)
    conflict.save()
    audit.record_create(actor=actor, obj=conflict)
    return conflict


@transaction.atomic
def conflict_withdraw(*, actor: Actor, conflict: ConflictOfInterest, reason: str = "") -> ConflictOfInterest:
    ensure(policies.can_keep_registers, actor)
    ensure(policies.can_withdraw_conflict, actor, conflict)
    if not conflict.is_active:
        raise ValidationError(_("该申报已撤回"))
    before = audit.snapshot(conflict, ["is_active"])
    conflict.is_active = False
    conflict.save(update_fields=["is_active", "updated_at"])
    audit.record_update(actor=actor, obj=conflict, before=before, action="withdraw", note=reason)
    return conflict


def member_users(actor: Actor) -> list[User]:
    """Users who may be linked to an inspector: members of the actor's organization."""
    ids = Membership.objects.filter(organization_id=actor.organization_id, is_active=True).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=list(ids)).order_by("username"))
