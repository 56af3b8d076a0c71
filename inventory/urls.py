from django.urls import include, path

from . import views

app_name = "inventory"
urlpatterns = [
    path("", include("inventory.urls_import")),
    # 抽查事项清单 and check forms
    path("items/", views.item_list, name="item_list"),
    path("items/export/", views.item_export, name="item_export"),
    path("items/new/", views.item_create, name="item_create"),
    path("items/<int:pk>/", views.item_detail, name="item_detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/retire/", views.item_retire, name="item_retire"),
    path("items/<int:pk>/points/add/", views.point_add, name="point_add"),
    path("points/<int:pk>/edit/", views.point_edit, name="point_edit"),
    path("points/<int:pk>/delete/", views.point_delete, name="point_delete"),
    path("points/<int:pk>/move/", views.point_move, name="point_move"),
    # 部门联合抽查事项清单 (kept by the leading-group office)
    path("joint-items/", views.joint_list, name="joint_list"),
    path("joint-items/new/", views.joint_create, name="joint_create"),
    path("joint-items/<int:pk>/edit/", views.joint_edit, name="joint_edit"),
    # 检查对象名录库
    path("entities/", views.entity_list, name="entity_list"),
    path("entities/export/", views.entity_export, name="entity_export"),
    path("entities/bulk/", views.entity_bulk, name="entity_bulk"),
    path("entities/new/", views.entity_create, name="entity_create"),
    path("entities/<int:pk>/", views.entity_detail, name="entity_detail"),
    path("entities/<int:pk>/edit/", views.entity_edit, name="entity_edit"),
    path("entities/<int:pk>/join/", views.entity_join, name="entity_join"),
    # 执法检查人员名录库
    path("inspectors/", views.inspector_list, name="inspector_list"),
    path("inspectors/export/", views.inspector_export, name="inspector_export"),
    path("inspectors/new/", views.inspector_create, name="inspector_create"),
    path("inspectors/<int:pk>/", views.inspector_detail, name="inspector_detail"),
    path("inspectors/<int:pk>/edit/", views.inspector_edit, name="inspector_edit"),
    path("inspectors/<int:pk>/conflicts/add/", views.conflict_add, name="conflict_add"),
    path("conflicts/<int:pk>/withdraw/", views.conflict_withdraw, name="conflict_withdraw"),
]
