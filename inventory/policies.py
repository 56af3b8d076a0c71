"""Who may do what in 一单两库: pure predicates over the actor (and one object), registered with
``tenancy.policies.policy``. Services ``ensure`` them; views, templates (``{% allowed %}``), the API
and the sidebar ask the same functions.

* A department's administrators and planners keep its registers: its check-item list, its
  registry entries (with their tags), its inspector roster and their declared conflicts.
* An office's administrators and planners keep the joint check-item list (联合抽查事项清单).
* The entity registry is the region's: the writers of any department of the region, and of a
  platform, register and correct entities; the form pages are a department's.
* Imports: administrators and planners; entities by any organization (an office or a platform
  upserts the shared registry only), inspectors and items by a department, into its own registers.
* Reading: departments and offices read the item list and the inspector roster; every member
  reads the entity registry; an inspector's personal fields only in its own organization.

Scoping decides what is found (another tenant's row is a 404); these rules decide, for a visible
row, whether the actor may act on it (403).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tenancy.context import Actor
from tenancy.policies import WRITERS, acts_for, holds, policy

ENTITIES = "entities"  # ImportJob.Kind.ENTITIES, without importing the models here


# --------------------------------------------------------------------------- reading


@policy("inventory.read_registers", _("只有行政监管部门和双随机办可以查看事项清单和执法检查人员名录库。"))
def can_read_registers(actor: Actor) -> bool:
    """Departments keep, offices read, the item lists and the inspector rosters."""
    return actor.is_member and (actor.is_department or actor.is_office)


@policy("inventory.read_entities", _("只有本平台单位的成员可以查看检查对象名录库。"))
def can_read_entities(actor: Actor) -> bool:
    """The entity registry is region-wide reference data: every member reads it (a platform too)."""
    return actor.is_member


@policy("inventory.see_personal_fields", _("执法人员的联系方式等个人信息只有本单位可以查看。"))
def can_see_personal_fields(actor: Actor, inspector: Any) -> bool:
    """Phones and other personal fields: only the inspector's own organization (offices see names)."""
    return acts_for(actor, inspector.organization_id)


# --------------------------------------------------------------------------- a department's registers


@policy("inventory.keep_registers", _("只有本单位管理员或计划编制人员可以修改"))
def can_keep_registers(actor: Actor) -> bool:
    """A department's administrators and planners: create items, inspectors, registry entries."""
    return actor.is_department and holds(actor, *WRITERS)


@policy("inventory.edit_item", _("不能修改其他单位的事项"))
def can_edit_item(actor: Actor, item: Any) -> bool:
    """Edit, version, retire an item and its check points: its own department's writers."""
    return can_keep_registers(actor) and acts_for(actor, item.organization_id)


@policy("inventory.edit_inspector", _("不能修改其他单位的执法人员"))
def can_edit_inspector(actor: Actor, inspector: Any) -> bool:
    """Edit an inspector and declare or withdraw their conflicts: their own department's writers."""
    return can_keep_registers(actor) and acts_for(actor, inspector.organization_id)


@policy("inventory.withdraw_conflict", _("不能撤回其他单位的利害关系申报"))
def can_withdraw_conflict(actor: Actor, conflict: Any) -> bool:
    return can_keep_registers(actor) and acts_for(actor, conflict.organization_id)


# --------------------------------------------------------------------------- the office's joint list


@policy("inventory.keep_joint_items", _("只有本单位管理员或计划编制人员可以修改"))
def can_keep_joint_items(actor: Actor) -> bool:
    return actor.is_office and holds(actor, *WRITERS)


@policy("inventory.edit_joint_item", _("只有牵头的双随机办可以修改"))
def can_edit_joint_item(actor: Actor, item: Any) -> bool:
    return can_keep_joint_items(actor) and acts_for(actor, item.organization_id)


# --------------------------------------------------------------------------- the region's entities


@policy("inventory.write_entities", _("只有本单位管理员或计划编制人员可以登记检查对象"))
def can_write_entities(actor: Actor) -> bool:
    """Register and correct entities (service and API): a department's or a platform's writers."""
    return (actor.is_department or actor.is_platform) and holds(actor, *WRITERS)


@policy("inventory.edit_entity", _("只有本单位管理员或计划编制人员可以修改检查对象"))
def can_edit_entity(actor: Actor, entity: Any) -> bool:
    """Correct an entity of a region the actor sees (the registry is shared by the region)."""
    return can_write_entities(actor) and entity.region_id in actor.visible_region_ids


@policy("inventory.bulk_upsert_entities", _("只有本单位管理员或计划编制人员可以批量写入检查对象"))
def can_bulk_upsert_entities(actor: Actor) -> bool:
    """The API's bulk upsert: any organization's writers, and a platform's members (the
    provincial platform feeds the registry)."""
    return holds(actor, *WRITERS) or (actor.is_member and actor.is_platform)


# --------------------------------------------------------------------------- imports


@policy("inventory.import", _("只有本单位管理员或计划编制人员可以导入"))
def can_import(actor: Actor) -> bool:
    return holds(actor, *WRITERS)


@policy("inventory.import_kind", _("只有行政监管部门可以导入执法检查人员和抽查事项"))
def can_import_kind(actor: Actor, kind: str) -> bool:
    """Entities: any organization; inspectors and items belong to a department."""
    return kind == ENTITIES or actor.is_department


@policy("inventory.confirm_import", _("只能导入本单位上传的文件"))
def can_confirm_import(actor: Actor, job: Any) -> bool:
    return can_import(actor) and acts_for(actor, job.organization_id)
