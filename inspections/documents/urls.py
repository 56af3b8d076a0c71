"""The documents' URLs, included by ``inspections.urls`` (namespace "inspections")."""

from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/record/", views.record_preview, name="record_preview"),
    path("<int:pk>/record.pdf", views.record_pdf, name="record_pdf"),
    path("<int:pk>/notice/", views.notice_preview, name="notice_preview"),
    path("<int:pk>/notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("tasks/<int:pk>/records/", views.task_records, name="task_records"),
    path("record-jobs/<int:pk>/", views.records_job, name="records_job"),
    path("record-jobs/<int:pk>/download/", views.records_job_download, name="records_job_download"),
]
