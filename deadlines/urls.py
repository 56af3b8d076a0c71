from django.urls import path

from . import views

app_name = "deadlines"

urlpatterns = [
    path("", views.due_list, name="due_list"),
    path("items/<int:pk>/", views.due_detail, name="due_detail"),
    path("items/<int:pk>/waive/", views.due_waive, name="due_waive"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/bell/", views.notification_bell, name="notification_bell"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/<str:key>/", views.rule_edit, name="rule_edit"),
    path("holidays/", views.holiday_list, name="holiday_list"),
    path("holidays/new/", views.holiday_create, name="holiday_create"),
    path("holidays/<int:year>/", views.holiday_edit, name="holiday_edit"),
    path("holidays/<int:year>/delete/", views.holiday_delete, name="holiday_delete"),
    path("failures/", views.failure_list, name="failure_list"),
    path("panels/mine/", views.panel_mine, name="panel_mine"),
    path("panels/organization/", views.panel_organization, name="panel_organization"),
    path("panels/region/", views.panel_region, name="panel_region"),
    path("panels/joint/", views.panel_joint, name="panel_joint"),
]
