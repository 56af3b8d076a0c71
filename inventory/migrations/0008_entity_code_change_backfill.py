# Entity code changes were kept only in the audit log ({"code": [old, new]} on an entity's
# "update" entry); copy them into EntityCodeChange. Entries whose entity is gone or whose change
# is not a pair of codes are skipped. Reversing deletes the copies.

from django.db import migrations

BATCH = 2000


def forwards(apps, schema_editor):
    AuditEntry = apps.get_model("tenancy", "AuditEntry")
    MarketEntity = apps.get_model("inventory", "MarketEntity")
    EntityCodeChange = apps.get_model("inventory", "EntityCodeChange")
    entries = (
        AuditEntry.objects.filter(target_type="inventory.marketentity", action="update", changes__has_key="code")
        .order_by("at", "pk")
        .values_list("target_id", "changes", "at", "user_id", "actor_name", "via", "organization_id")
    )
    pending = []
    for target_id, changes, at, user_id, actor_name, via, organization_id in entries.iterator(chunk_size=BATCH):
        pair = changes.get("code")
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(c, str) and c for c in pair)):
            continue
        if not str(target_id).isdigit():
            continue
        pending.append((int(target_id), pair, at, user_id, actor_name, via, organization_id))
    regions = dict(
        MarketEntity.objects.filter(pk__in={p[0] for p in pending}).values_list("pk", "region_id")
    ) if pending else {}
    rows = [
        EntityCodeChange(
            entity_id=entity_id, old_code=old, new_code=new, changed_at=at, changed_by_id=user_id,
            actor_name=actor_name or "", via=via or "web", organization_id=organization_id, region_id=regions[entity_id],
        )
        for entity_id, (old, new), at, user_id, actor_name, via, organization_id in pending
        if entity_id in regions
    ]
    EntityCodeChange.objects.bulk_create(rows, batch_size=BATCH)


def backwards(apps, schema_editor):
    apps.get_model("inventory", "EntityCodeChange").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0007_entity_code_change"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
