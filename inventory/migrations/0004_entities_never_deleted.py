# Market entities are never deleted: one that ceases to exist is 注销/吊销, one wrongly entered is
# moved out of the registry, and draws, inspections and the audit log refer to them for good.
# On PostgreSQL a trigger refuses DELETE from any client of the database (TRUNCATE, which test
# set-up uses, stays possible for the owner). What refers to an entity in bulk (draw selections)
# relies on it instead of a foreign-key check per row. SQLite, the embedded demo default, relies
# on PROTECT in the models.

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION never_deleted() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%% rows are never deleted (%% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inventory_marketentity_never_deleted
    BEFORE DELETE ON inventory_marketentity
    FOR EACH ROW EXECUTE FUNCTION never_deleted();
"""
DROP = """
DROP TRIGGER IF EXISTS inventory_marketentity_never_deleted ON inventory_marketentity;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_tenant_columns_unconstrained_entity_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
