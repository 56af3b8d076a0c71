# An import's state, progress, message and heartbeat move to a tenancy.Job it points to (its
# "run"), the one progress mechanism of every background job. Each existing import gets its run,
# carrying what it had: "uploaded" and "previewed" become pending (checked, awaiting
# confirmation); the other states keep their value. Reversing copies them back. The old columns
# go in 0010 (PostgreSQL alters no table with the deferred checks of these updates pending).

import django.db.models.deletion
from django.db import migrations, models

TO_JOB = {"uploaded": "pending", "previewed": "pending"}
TO_IMPORT = {"pending": "previewed", "cancelled": "failed"}


def forwards(apps, schema_editor):
    ImportJob = apps.get_model("inventory", "ImportJob")
    Job = apps.get_model("tenancy", "Job")
    for imp in ImportJob.objects.order_by("pk").iterator():
        run = Job.objects.create(
            organization_id=imp.organization_id, region_id=imp.region_id, kind="import", label=imp.filename[:200],
            params={"kind": imp.kind}, created_by_id=imp.created_by_id, status=TO_JOB.get(imp.status, imp.status),
            progress=imp.progress, message=imp.message, finished_at=imp.finished_at, heartbeat_at=imp.heartbeat_at,
        )
        Job.objects.filter(pk=run.pk).update(created_at=imp.created_at, updated_at=imp.updated_at)
        ImportJob.objects.filter(pk=imp.pk).update(run_id=run.pk)


def backwards(apps, schema_editor):
    ImportJob = apps.get_model("inventory", "ImportJob")
    Job = apps.get_model("tenancy", "Job")
    for imp in ImportJob.objects.exclude(run=None).select_related("run").iterator():
        run = imp.run
        ImportJob.objects.filter(pk=imp.pk).update(
            status=TO_IMPORT.get(run.status, run.status), progress=run.progress, message=run.message,
            finished_at=run.finished_at, heartbeat_at=run.heartbeat_at, run=None,
        )
        Job.objects.filter(pk=run.pk).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0008_entity_code_change_backfill'),
        ('tenancy', '0005_job_heartbeat_pending_refused'),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='run',
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='import_job', to='tenancy.job', verbose_name='后台任务'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
