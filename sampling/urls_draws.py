"""URLs of the draw ceremony, results, verification, recusals and replacements (namespace "sampling")."""

from django.urls import path

from sampling.views import draws as views

urlpatterns = [
    path("tasks/<int:pk>/draw/", views.draw_start, name="draw_start"),
    path("tasks/<int:pk>/draw/commit/", views.draw_commit, name="draw_commit"),
    path("plans/<int:pk>/draw-all/", views.draw_plan_all, name="draw_plan_all"),
    path("draws/<int:pk>/", views.draw_detail, name="draw_detail"),
    path("draws/<int:pk>/execute/", views.draw_execute, name="draw_execute"),
    path("draws/<int:pk>/abandon/", views.draw_abandon, name="draw_abandon"),
    path("draws/<int:pk>/verify/", views.draw_verify, name="draw_verify"),
    path("draws/<int:pk>/record.json", views.draw_record, name="draw_record"),
    path("draws/<int:pk>/targets.xlsx", views.draw_targets_xlsx, name="draw_targets_xlsx"),
    path("draws/<int:pk>/recusal/", views.recusal_request, name="recusal_request"),
    path("draws/<int:pk>/replace/", views.replacement_create, name="replacement_create"),
    path("draw-jobs/<int:pk>/", views.draw_progress, name="draw_progress"),
    path("recusals/", views.recusal_list, name="recusal_list"),
    path("recusals/<int:pk>/", views.recusal_decide, name="recusal_decide"),
    path("recusals/attachments/<int:pk>/", views.recusal_attachment, name="recusal_attachment"),
]
