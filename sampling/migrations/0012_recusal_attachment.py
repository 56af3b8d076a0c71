# Recusal requests take attachments (a signed application, a proof), checked by content (tenancy.uploads).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import tenancy.uploads


class Migration(migrations.Migration):

    dependencies = [
        ('sampling', '0011_filing_record_pool_by_reference'),
        ('tenancy', '0004_task_failure'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RecusalAttachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(auto_now=True, db_index=True, verbose_name='更新时间')),
                ('file', models.FileField(max_length=255, upload_to=tenancy.uploads.attachment_path, verbose_name='文件')),
                ('original_name', models.CharField(max_length=255, verbose_name='原文件名')),
                ('content_type', models.CharField(max_length=60, verbose_name='文件类型')),
                ('size', models.PositiveBigIntegerField(verbose_name='大小（字节）')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('organization', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.organization', verbose_name='所属单位')),
                ('region', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.region', verbose_name='行政区划')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attachments', to='sampling.recusalrequest', verbose_name='回避申请')),
                ('uploaded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上传人')),
            ],
            options={
                'verbose_name': '回避申请附件',
                'verbose_name_plural': '回避申请附件',
                'ordering': ['created_at', 'id'],
                'abstract': False,
            },
        ),
    ]
