"""Check items: create, versioning when in use, retire, check points, joint items, pages, permissions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from inventory.models import CheckItem, CheckPoint, JointCheckItem
from inventory.services import items as item_services
from sampling.models import SamplingPlan, SamplingTask
from tenancy.models import AuditEntry
from tenancy.scoping import actor_scope
from tests.factories import make_item

pytestmark = pytest.mark.django_db


def use_in_task(world, item: CheckItem) -> SamplingTask:
    org = item.organization
    with scopes_disabled():
        plan = SamplingPlan.objects.create(organization=org, region=org.region, year=2026, name="2026年度计划")
        task = SamplingTask.objects.create(organization=org, region=org.region, plan=plan, name="第一季度", uid=f"T-{item.pk}")
        task.items.add(item)
    return task


def test_create_item_with_points_and_audit(world):
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        item = item_services.checkitem_create(
            actor=actor,
            data={"code": " LY-001 ", "name": "旅行社经营行为检查", "category": "key", "method": "onsite"},
            points=[{"project": "经营许可", "answer_kind": "status"}, {"project": "合同签订", "answer_kind": "photo", "photo_required": True}],
        )
        assert item.code == "LY-001" and item.version == 1 and item.is_current
        assert [p.project for p in item.points.order_by("order")] == ["经营许可", "合同签订"]
        assert AuditEntry.objects.filter(action="create", target_type="inventory.checkitem", target_id=str(item.pk)).exists()
        with pytest.raises(ValidationError) as e:
            item_services.checkitem_create(actor=actor, data={"code": "LY-001", "name": "重复"})
        assert "已在本单位清单中" in str(e.value.message_dict["code"])


def test_viewer_and_office_cannot_write(world):
    for key, role in (("A1", "viewer"), ("A1", "inspector"), ("AO", "admin")):
        actor = world.actor(key, role)
        with actor_scope(actor), pytest.raises(PermissionDenied):
            item_services.checkitem_create(actor=actor, data={"code": "X", "name": "X"})


def test_edit_unused_item_in_place(world):
    item = make_item(world, "A1")
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        saved = item_services.checkitem_update(actor=actor, item=item, data={"name": "新名称"})
        assert saved.pk == item.pk and saved.version == 1 and saved.name == "新名称"
        assert CheckItem.objects.filter(code=item.code).count() == 1


def test_edit_item_in_use_makes_new_version_and_keeps_old(world):
    item = make_item(world, "A1", points=3)
    task = use_in_task(world, item)
    actor = world.actor("A1", "planner")
    old_name = item.name
    with actor_scope(actor):
        assert item_services.checkitem_in_use(item)
        new = item_services.checkitem_update(actor=actor, item=item, data={"name": "修订后的事项"}, reason="条例修订")
        assert new.pk != item.pk and new.version == 2 and new.previous_id == item.pk and new.is_current
        assert new.change_reason == "条例修订"
        old = CheckItem.objects.get(pk=item.pk)
        assert old.name == old_name and not old.is_current and old.version == 1
        # Points copied; the old version keeps its own.
        assert list(new.points.order_by("order").values_list("project", flat=True)) == ["检查项目1", "检查项目2", "检查项目3"]
        assert old.points.count() == 3
        # The task keeps the version it used.
        assert list(task.items.values_list("pk", flat=True)) == [item.pk]
        assert AuditEntry.objects.filter(action="new_version", target_id=str(new.pk)).exists()
        # The old version can no longer be edited.
        with pytest.raises(ValidationError):
            item_services.checkitem_update(actor=actor, item=old, data={"name": "x"})


def test_point_edit_on_item_in_use_edits_the_copy(world):
    item = make_item(world, "A1", points=2)
    use_in_task(world, item)
    actor = world.actor("A1", "admin")
    with actor_scope(actor):
        first = item.points.order_by("order").first()
        point = item_services.checkpoint_update(actor=actor, point=first, data={"project": "改后的项目"})
        assert point.item_id != item.pk
        new_item = CheckItem.objects.get(pk=point.item_id)
        assert new_item.version == 2
        assert CheckPoint.objects.get(pk=first.pk).project == "检查项目1"
        assert list(new_item.points.order_by("order").values_list("project", flat=True)) == ["改后的项目", "检查项目2"]


def test_points_add_move_delete_keep_order(world):
    item = make_item(world, "A1", points=3)
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        p4 = item_services.checkpoint_add(actor=actor, item=item, data={"project": "第四项", "answer_kind": "number"})
        assert p4.order == 4
        item_services.checkpoint_move(actor=actor, point=p4, direction="up")
        assert list(item.points.order_by("order").values_list("project", flat=True)) == ["检查项目1", "检查项目2", "第四项", "检查项目3"]
        item_services.checkpoint_delete(actor=actor, point=item.points.get(project="检查项目1"))
        assert list(item.points.order_by("order").values_list("order", "project")) == [(1, "检查项目2"), (2, "第四项"), (3, "检查项目3")]


def test_retire_needs_reason(world):
    item = make_item(world, "A1")
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        with pytest.raises(ValidationError):
            item_services.checkitem_retire(actor=actor, item=item, reason=" ")
        item_services.checkitem_retire(actor=actor, item=item, reason="法规废止")
        item.refresh_from_db()
        assert item.status == "retired" and item.retired_reason == "法规废止"
        with pytest.raises(ValidationError):
            item_services.checkitem_update(actor=actor, item=item, data={"name": "x"})


def test_item_pages(world, login):
    item = make_item(world, "A1", name="旅行社经营行为检查")
    client = login(world.user("A1", "planner"))
    body = client.get(reverse("inventory:item_list") + "?q=旅行社").content.decode()
    assert "旅行社经营行为检查" in body and 'data-testid="item-create"' in body
    detail = client.get(reverse("inventory:item_detail", args=[item.pk])).content.decode()
    assert "检查项目1" in detail and "检查项目2" in detail and 'data-testid="point-add"' in detail
    # Create keeps what was typed on error (duplicate code).
    response = client.post(reverse("inventory:item_create"), {"code": item.code, "name": "我的新事项", "category": "general", "method": "onsite"})
    assert response.status_code == 200 and "已在本单位清单中" in response.content.decode() and "我的新事项" in response.content.decode()
    # Edit an item in use: redirect to the new version, old version listed in history.
    use_in_task(world, item)
    response = client.post(
        reverse("inventory:item_edit", args=[item.pk]),
        {"name": "旅行社经营行为检查（2026修订）", "category": "key", "method": "onsite", "change_reason": "新条例"},
    )
    with scopes_disabled():
        new = CheckItem.objects.get(code=item.code, version=2)
    assert response.status_code == 302 and response["Location"] == reverse("inventory:item_detail", args=[new.pk])
    history = client.get(reverse("inventory:item_detail", args=[new.pk])).content.decode()
    assert "v1" in history and "v2" in history and "新条例" in history
    old = client.get(reverse("inventory:item_detail", args=[item.pk])).content.decode()
    assert 'data-testid="old-version"' in old and 'data-testid="item-edit"' not in old


def test_viewer_gets_403_on_edit_and_sees_no_buttons(world, login):
    item = make_item(world, "A1")
    client = login(world.user("A1", "viewer"))
    assert client.get(reverse("inventory:item_edit", args=[item.pk])).status_code == 403
    assert client.post(reverse("inventory:point_add", args=[item.pk]), {"project": "x"}).status_code == 403
    body = client.get(reverse("inventory:item_detail", args=[item.pk])).content.decode()
    assert 'data-testid="item-edit"' not in body and 'data-testid="point-add"' not in body


def test_joint_items_kept_by_office_read_by_departments(world, login):
    office = world.actor("AO", "planner")
    with actor_scope(office):
        item = item_services.jointitem_create(
            actor=office,
            data={"field": "文化旅游", "name": "旅游市场联合检查", "target": "旅行社", "initiator": world.orgs["A1"], "partners": [world.orgs["A2"]]},
        )
        assert list(item.partners.all()) == [world.orgs["A2"]]
        with pytest.raises(ValidationError):
            item_services.jointitem_create(
                actor=office, data={"field": "x", "name": "x", "target": "x", "initiator": world.orgs["B1"], "partners": []}
            )
    dept = world.actor("A2", "admin")
    with actor_scope(dept):
        assert list(JointCheckItem.objects.values_list("name", flat=True)) == ["旅游市场联合检查"]
        with pytest.raises(PermissionDenied):
            item_services.jointitem_update(actor=dept, item=item, data={"field": "x", "name": "x", "target": "x", "initiator": world.orgs["A1"]})
    with actor_scope(world.actor("B1", "admin")):
        assert not JointCheckItem.objects.exists()
    body = login(world.user("A1", "viewer")).get(reverse("inventory:joint_list")).content.decode()
    assert "旅游市场联合检查" in body and "测试单位A2" in body and 'data-testid="joint-create"' not in body


def test_point_add_error_keeps_input(world, login):
    item = make_item(world, "A1")
    client = login(world.user("A1", "planner"))
    response = client.post(reverse("inventory:point_add", args=[item.pk]), {"project": "", "content": "我写的检查内容", "answer_kind": "status"})
    body = response.content.decode()
    assert response.status_code == 400 and "我写的检查内容" in body and "errorlist" in body
    ok = client.post(reverse("inventory:point_add", args=[item.pk]), {"project": "新项目", "answer_kind": "date"})
    assert ok.status_code == 302
    with scopes_disabled():
        assert item.points.order_by("-order").first().project == "新项目"


def test_point_inline_edit_with_htmx(world, login):
    item = make_item(world, "A1")
    with scopes_disabled():
        point = item.points.order_by("order").first()
    client = login(world.user("A1", "planner"))
    url = reverse("inventory:point_edit", args=[point.pk])
    row = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert row.startswith("<tr") and 'data-testid="point-edit-row"' in row and "检查项目1" in row
    bad = client.post(url, {"project": "", "answer_kind": "status"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="point-edit-row"' in bad and "errorlist" in bad
    ok = client.post(url, {"project": "已改", "answer_kind": "text"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 204 and ok["HX-Redirect"] == reverse("inventory:item_detail", args=[item.pk])
    with scopes_disabled():
        point.refresh_from_db()
    assert point.project == "已改" and point.answer_kind == "text"


def on_plan(item: CheckItem, status: str, *, joint: JointCheckItem | None = None) -> SamplingPlan:
    """A plan of the item's department that lists ``item`` (or, for an office's joint plan, ``joint``)."""
    org = joint.organization if joint is not None else item.organization
    with scopes_disabled():
        plan = SamplingPlan.objects.create(
            organization=org, region=org.region, year=2026, name=f"2026年度计划（{status}）", status=status,
            kind="joint" if joint is not None else "department",
        )
        if joint is not None:
            plan.joint_items.add(joint)
        else:
            plan.items.add(item)
    return plan


@pytest.mark.parametrize("status", ["approved", "published", "superseded"])
def test_item_on_an_approved_or_published_plan_is_in_use(world, status):
    item = make_item(world, "A1", points=1)
    on_plan(item, status)
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        assert item_services.checkitem_in_use(item)
        new = item_services.checkitem_update(actor=actor, item=item, data={"name": "按新条例修订"}, reason="条例修订")
        assert new.pk != item.pk and new.version == 2
        old = CheckItem.objects.get(pk=item.pk)
        assert not old.is_current and old.name != "按新条例修订"
        assert list(SamplingPlan.objects.get(items=old).items.values_list("pk", flat=True)) == [old.pk]


@pytest.mark.parametrize("status", ["draft", "submitted"])
def test_item_on_a_draft_plan_is_edited_in_place(world, status):
    item = make_item(world, "A1")
    on_plan(item, status)
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        assert not item_services.checkitem_in_use(item)
        saved = item_services.checkitem_update(actor=actor, item=item, data={"name": "草案阶段修改"})
        assert saved.pk == item.pk and saved.version == 1


def test_item_linked_to_a_joint_item_of_an_approved_joint_plan_is_in_use(world):
    item = make_item(world, "A1")
    office = world.actor("AO", "planner")
    with actor_scope(office):
        joint = item_services.jointitem_create(
            actor=office,
            data={"field": "文化旅游", "name": "旅游市场联合检查", "target": "旅行社", "initiator": world.orgs["A1"],
                  "partners": [], "items": [item]},
        )
    assert not item_services.checkitem_in_use(item)  # linked, but on no approved plan yet
    plan = on_plan(item, "draft", joint=joint)
    assert not item_services.checkitem_in_use(item)
    with scopes_disabled():
        SamplingPlan.objects.filter(pk=plan.pk).update(status="approved")
    assert item_services.checkitem_in_use(item)


def test_item_page_warns_when_on_an_approved_plan(world, login):
    item = make_item(world, "A1")
    on_plan(item, "published")
    body = login(world.user("A1", "planner")).get(reverse("inventory:item_edit", args=[item.pk])).content.decode()
    assert 'data-testid="version-warning"' in body


def test_joint_item_links_department_items(world, login):
    a1 = make_item(world, "A1", name="A1旅行社检查")
    a2 = make_item(world, "A2", name="A2星级饭店检查")
    b1 = make_item(world, "B1", name="B1其他县事项")
    other = make_item(world, "A2", name="A2未参与事项")
    office = world.actor("AO", "planner")
    base = {"field": "文化旅游", "name": "旅游市场联合检查", "target": "旅行社"}
    with actor_scope(office):
        joint = item_services.jointitem_create(
            actor=office, data={**base, "initiator": world.orgs["A1"], "partners": [world.orgs["A2"]], "items": [a1, a2]},
        )
        assert sorted(joint.items.values_list("pk", flat=True)) == sorted([a1.pk, a2.pk])
        # Another county's item is not visible to the office: refused, whatever the input says.
        with pytest.raises(ValidationError) as e:
            item_services.jointitem_update(actor=office, item=joint, data={**base, "initiator": world.orgs["A1"], "items": [a1, b1]})
        assert "items" in e.value.message_dict
        # An item of a department that does not take part.
        with pytest.raises(ValidationError) as e:
            item_services.jointitem_update(actor=office, item=joint, data={**base, "initiator": world.orgs["A1"], "items": [a1, other]})
        assert "发起部门或配合部门" in "".join(e.value.message_dict["items"])
        item_services.jointitem_update(
            actor=office, item=joint, data={**base, "initiator": world.orgs["A1"], "partners": [world.orgs["A2"]], "items": [a2]}
        )
        assert list(joint.items.values_list("pk", flat=True)) == [a2.pk]
        entry = AuditEntry.objects.filter(action="update", target_id=str(joint.pk)).latest("pk")
        assert entry.changes["items"] == [sorted([a1.pk, a2.pk]), [a2.pk]]
    # The form offers the region's department items (not the other county's) and saves the choice.
    client = login(world.user("AO", "planner"))
    page = client.get(reverse("inventory:joint_edit", args=[joint.pk])).content.decode()
    assert 'name="items"' in page and "A1旅行社检查" in page and "A2星级饭店检查" in page and "B1其他县事项" not in page
    response = client.post(
        reverse("inventory:joint_edit", args=[joint.pk]),
        {**base, "initiator": world.orgs["A1"].pk, "partners": [world.orgs["A2"].pk], "items": [a1.pk, a2.pk], "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()
    with scopes_disabled():
        assert sorted(JointCheckItem.objects.get(pk=joint.pk).items.values_list("pk", flat=True)) == sorted([a1.pk, a2.pk])
    bad = client.post(
        reverse("inventory:joint_edit", args=[joint.pk]),
        {**base, "initiator": world.orgs["A1"].pk, "items": [b1.pk]},
    )
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    # Shown on the joint item list: the office sees both links, a department only its own item.
    listing = client.get(reverse("inventory:joint_list")).content.decode()
    assert "A1旅行社检查" in listing and "A2星级饭店检查" in listing
    dept = login(world.user("A2", "viewer")).get(reverse("inventory:joint_list")).content.decode()
    assert "A2星级饭店检查" in dept and "A1旅行社检查" not in dept
