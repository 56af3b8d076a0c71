"""The Celery application. Tasks of tenant data derive from ``tenancy.tasks.TenantTask``; work the
system does for an organization from ``tenancy.tasks.OrganizationTask``.

The beat schedule is defined in code: apps register ``tenancy.periodic.PeriodicJob`` entries from
their ``ready()``, and the schedule is built from that registry once Django is set up (beat sets
Django up before it finalizes the app, and reads the schedule after).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("shuangsuiji")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule_periodic_jobs(sender: Celery, **kwargs: object) -> None:
    from django.apps import apps

    if not apps.ready:  # finalized while Django was still loading: beat finalizes after set-up
        return
    from tenancy.periodic import beat_schedule

    sender.conf.beat_schedule = {**beat_schedule(), **(sender.conf.beat_schedule or {})}
