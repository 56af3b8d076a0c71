"""Who may, in 一单两库 (inventory/policies.py): the predicates by organization kind and role, the
services refusing with the policy's message, and pages offering what the same predicates allow."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from inventory import policies
from inventory.services import imports as import_services
from inventory.services import inspectors as inspector_services
from tenancy.context import Role
from tenancy.policies import POLICIES, allowed
from tenancy.scoping import actor_scope
from tests.factories import make_entity, make_inspector, make_item, make_joint_item

pytestmark = pytest.mark.django_db

ACTOR_RULES = (
    "inventory.read_registers", "inventory.read_entities", "inventory.keep_registers", "inventory.keep_joint_items",
    "inventory.write_entities", "inventory.bulk_upsert_entities", "inventory.import",
)


def _allowed_rules(world, org: str, role: str) -> set[str]:
    actor = world.actor(org, role)
    return {key for key in ACTOR_RULES if allowed(key, actor)}


def test_every_rule_is_registered_by_key():
    assert {p.key for p in POLICIES if p.key.startswith("inventory.")} == {
        *ACTOR_RULES, "inventory.see_personal_fields", "inventory.edit_item", "inventory.edit_inspector",
        "inventory.withdraw_conflict", "inventory.edit_joint_item", "inventory.edit_entity",
        "inventory.import_kind", "inventory.confirm_import",
    }


@pytest.mark.parametrize(
    ("org", "role", "expected"),
    [
        ("A1", Role.PLANNER, {"inventory.read_registers", "inventory.read_entities", "inventory.keep_registers",
                              "inventory.write_entities", "inventory.bulk_upsert_entities", "inventory.import"}),
        ("A1", Role.ADMIN, {"inventory.read_registers", "inventory.read_entities", "inventory.keep_registers",
                            "inventory.write_entities", "inventory.bulk_upsert_entities", "inventory.import"}),
        ("A1", Role.LEADER, {"inventory.read_registers", "inventory.read_entities"}),
        ("A1", Role.VIEWER, {"inventory.read_registers", "inventory.read_entities"}),
        ("A1", Role.INSPECTOR, {"inventory.read_registers", "inventory.read_entities"}),
        ("AO", Role.PLANNER, {"inventory.read_registers", "inventory.read_entities", "inventory.keep_joint_items",
                              "inventory.bulk_upsert_entities", "inventory.import"}),
        ("AO", Role.VIEWER, {"inventory.read_registers", "inventory.read_entities"}),
    ],
)
def test_actor_rules_by_kind_and_role(world, org, role, expected):
    assert _allowed_rules(world, org, role) == expected


def test_object_rules_follow_the_owner(world):
    own_item, other_item = make_item(world, "A1"), make_item(world, "A2")
    own_inspector, other_inspector = make_inspector(world, "A1"), make_inspector(world, "A2")
    entity_a, entity_b = make_entity(world, "A2"), make_entity(world, "B1")
    planner, viewer = world.actor("A1", "planner"), world.actor("A1", "viewer")
    assert policies.can_edit_item(planner, own_item) and not policies.can_edit_item(planner, other_item)
    assert not policies.can_edit_item(viewer, own_item)
    assert policies.can_edit_inspector(planner, own_inspector) and not policies.can_edit_inspector(planner, other_inspector)
    # Personal fields: the inspector's own organization, whatever the role; never the office.
    assert policies.can_see_personal_fields(viewer, own_inspector)
    assert not policies.can_see_personal_fields(world.actor("AO", "admin"), own_inspector)
    # The entity registry is the county's: another department's entity, not another county's.
    assert policies.can_edit_entity(planner, entity_a) and not policies.can_edit_entity(planner, entity_b)
    joint = make_joint_item(world, "AO")
    assert policies.can_edit_joint_item(world.actor("AO", "planner"), joint)
    assert not policies.can_edit_joint_item(world.actor("BO", "planner"), joint)
    assert not policies.can_edit_joint_item(planner, joint)
    assert policies.can_import_kind(world.actor("AO", "admin"), "entities")
    assert not policies.can_import_kind(world.actor("AO", "admin"), "inspectors")


def test_services_refuse_with_the_policys_message(world):
    inspector = make_inspector(world, "A1")
    viewer = world.actor("A1", "viewer")
    with actor_scope(viewer):
        with pytest.raises(PermissionDenied, match="只有本单位管理员或计划编制人员可以修改"):
            inspector_services.inspector_update(actor=viewer, inspector=inspector, data={"name": "改名"})
        with pytest.raises(PermissionDenied, match="只有本单位管理员或计划编制人员可以导入"):
            import_services.import_preview(actor=viewer, kind="entities", data=b"code,name\n", filename="x.csv")
        with pytest.raises(PermissionDenied, match="只有本单位管理员或计划编制人员可以批量写入检查对象"):
            import_services.entity_bulk_upsert(actor=viewer, records=[{"code": "x", "name": "甲"}])
    admin = world.actor("A1", "admin")
    code = make_entity(world, "A1").code
    with actor_scope(admin):
        job = import_services.import_preview(actor=admin, kind="entities", data=f"统一社会信用代码,名称\n{code},甲\n".encode(), filename="x.csv")
    other = world.actor("AO", "admin")  # the office sees its departments' imports, but imports only its own
    with actor_scope(other), pytest.raises(PermissionDenied, match="只能导入本单位上传的文件"):
        import_services.import_confirm(actor=other, job=job, mode="valid")


def test_pages_offer_what_the_policies_allow(world, login):
    joint = make_joint_item(world, "AO")
    edit_url = reverse("inventory:joint_edit", args=[joint.pk])
    assert edit_url in login(world.user("AO", "planner")).get(reverse("inventory:joint_list")).content.decode()
    department = login(world.user("A1", "planner")).get(reverse("inventory:joint_list")).content.decode()
    assert joint.name in department and edit_url not in department  # listed for the department, not editable
    viewer = login(world.user("A1", "viewer"))
    page = viewer.get(reverse("inventory:entity_list")).content.decode()
    assert 'data-testid="entity-create"' not in page
    assert viewer.get(reverse("inventory:entity_create")).status_code == 403
    planner = login(world.user("A1", "planner"))
    assert 'data-testid="entity-create"' in planner.get(reverse("inventory:entity_list")).content.decode()
    inspector = make_inspector(world, "A1")
    office = login(world.user("AO", "admin")).get(reverse("inventory:inspector_detail", args=[inspector.pk])).content.decode()
    assert 'data-testid="inspector-edit"' not in office and inspector.phone not in office
