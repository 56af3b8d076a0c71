# The import's state, progress, message and heartbeat now live in its run (0009 copied them).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0009_importjob_run'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='importjob',
            name='finished_at',
        ),
        migrations.RemoveField(
            model_name='importjob',
            name='heartbeat_at',
        ),
        migrations.RemoveField(
            model_name='importjob',
            name='message',
        ),
        migrations.RemoveField(
            model_name='importjob',
            name='progress',
        ),
        migrations.RemoveField(
            model_name='importjob',
            name='status',
        ),
        migrations.AlterField(
            model_name='importjob',
            name='run',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='import_job', to='tenancy.job', verbose_name='后台任务'),
        ),
    ]
