"""Every URL of inventory (namespace "inventory"): the check-item lists, the entity registry, the
inspector roster, imports."""

from django.urls import path

from inventory.views import entities, imports, inspectors, items

app_name = "inventory"
urlpatterns = [
    # 抽查事项清单 and check forms
    path("items/", items.item_list, name="item_list"),
    path("items/export/", items.item_export, name="item_export"),
    path("items/new/", items.item_create, name="item_create"),
    path("items/<int:pk>/", items.item_detail, name="item_detail"),
    path("items/<int:pk>/edit/", items.item_edit, name="item_edit"),
    path("items/<int:pk>/retire/", items.item_retire, name="item_retire"),
    path("items/<int:pk>/points/add/", items.point_add, name="point_add"),
    path("points/<int:pk>/edit/", items.point_edit, name="point_edit"),
    path("points/<int:pk>/delete/", items.point_delete, name="point_delete"),
    path("points/<int:pk>/move/", items.point_move, name="point_move"),
    # 部门联合抽查事项清单 (kept by the leading-group office)
    path("joint-items/", items.joint_list, name="joint_list"),
    path("joint-items/new/", items.joint_create, name="joint_create"),
    path("joint-items/<int:pk>/edit/", items.joint_edit, name="joint_edit"),
    # 检查对象名录库
    path("entities/", entities.entity_list, name="entity_list"),
    path("entities/export/", entities.entity_export, name="entity_export"),
    path("entities/bulk/", entities.entity_bulk, name="entity_bulk"),
    path("entities/new/", entities.entity_create, name="entity_create"),
    path("entities/<int:pk>/", entities.entity_detail, name="entity_detail"),
    path("entities/<int:pk>/edit/", entities.entity_edit, name="entity_edit"),
    path("entities/<int:pk>/join/", entities.entity_join, name="entity_join"),
    # 执法检查人员名录库
    path("inspectors/", inspectors.inspector_list, name="inspector_list"),
    path("inspectors/export/", inspectors.inspector_export, name="inspector_export"),
    path("inspectors/new/", inspectors.inspector_create, name="inspector_create"),
    path("inspectors/<int:pk>/", inspectors.inspector_detail, name="inspector_detail"),
    path("inspectors/<int:pk>/edit/", inspectors.inspector_edit, name="inspector_edit"),
    path("inspectors/<int:pk>/conflicts/add/", inspectors.conflict_add, name="conflict_add"),
    path("conflicts/<int:pk>/withdraw/", inspectors.conflict_withdraw, name="conflict_withdraw"),
    # 导入记录
    path("imports/", imports.import_list, name="import_list"),
    path("imports/new/", imports.import_upload, name="import_upload"),
    path("imports/template/<str:kind>.xlsx", imports.import_template, name="import_template"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/confirm/", imports.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/progress/", imports.import_progress, name="import_progress"),
    path("imports/<int:pk>/rejected.xlsx", imports.import_rejected, name="import_rejected"),
]
