"""The Celery application. Tasks of tenant data derive from ``tenancy.tasks.TenantTask``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("shuangsuiji")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
