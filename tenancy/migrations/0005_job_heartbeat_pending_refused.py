from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenancy', '0004_task_failure'),
    ]

    operations = [
        migrations.AddField(
            model_name='job',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='最近心跳'),
        ),
        migrations.AlterField(
            model_name='job',
            name='status',
            field=models.CharField(choices=[('pending', '待确认'), ('queued', '排队中'), ('running', '进行中'), ('done', '已完成'), ('refused', '未执行'), ('failed', '失败'), ('cancelled', '已取消')], default='queued', max_length=10, verbose_name='状态'),
        ),
    ]
