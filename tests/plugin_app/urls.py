from django.urls import path

from . import views

app_name = "tests_plugin"

urlpatterns = [path("", views.workbench, name="workbench")]
