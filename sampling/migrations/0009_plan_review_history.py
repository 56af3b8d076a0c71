# A plan's approval steps become a table of their own (计划审批记录), shown as the plan's history;
# until now a return reason lived only in the audit log and was read back from there. The steps
# the log already holds (submit, approve, return with its reason) are copied over, so existing
# plans keep their history. The log itself is not changed (it is append-only).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

DECISIONS = {"submit": "submitted", "approve": "approved", "return": "returned"}


def copy_reviews_from_audit_log(apps, schema_editor):
    AuditEntry = apps.get_model("tenancy", "AuditEntry")
    SamplingPlan = apps.get_model("sampling", "SamplingPlan")
    PlanReview = apps.get_model("sampling", "PlanReview")
    entries = AuditEntry.objects.filter(target_type="sampling.samplingplan", action__in=list(DECISIONS)).order_by("at", "id")
    rows = list(entries.values_list("target_id", "action", "note", "user_id", "at"))
    ids = {int(t) for t, *_rest in rows if t.isdigit()}
    # Tenant columns from the plan (the review is the plan's), never from the entry's author.
    plans = SamplingPlan.objects.filter(pk__in=ids).values_list("pk", "organization_id", "region_id")
    tenant = {pk: (org, region) for pk, org, region in plans}
    reviews = [
        PlanReview(
            plan_id=int(target), decision=DECISIONS[action], opinion=note or "", by_id=user_id, at=at,
            organization_id=tenant[int(target)][0], region_id=tenant[int(target)][1],
        )
        for target, action, note, user_id, at in rows
        if target.isdigit() and int(target) in tenant
    ]
    PlanReview.objects.bulk_create(reviews, batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('sampling', '0008_draw_commitment_never_changes'),
        ('tenancy', '0003_tenant_columns_unconstrained_audit_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PlanReview',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(auto_now=True, db_index=True, verbose_name='更新时间')),
                ('decision', models.CharField(choices=[('submitted', '提交审批'), ('approved', '批准'), ('returned', '退回修改')], max_length=10, verbose_name='审批结论')),
                ('opinion', models.TextField(blank=True, verbose_name='审批意见')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='时间')),
                ('by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='办理人')),
                ('organization', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.organization', verbose_name='所属单位')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='sampling.samplingplan', verbose_name='计划')),
                ('region', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.region', verbose_name='行政区划')),
            ],
            options={
                'verbose_name': '计划审批记录',
                'verbose_name_plural': '计划审批记录',
                'ordering': ['plan', 'at', 'id'],
            },
        ),
        migrations.RunPython(copy_reviews_from_audit_log, migrations.RunPython.noop, elidable=False),
    ]
