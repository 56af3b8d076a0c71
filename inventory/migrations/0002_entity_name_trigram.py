"""Search indexes of the target registry on PostgreSQL (no-op elsewhere):

- a GIN trigram index on the entity name, so "name contains 酒店" stays fast at 1,000,000 rows;
- a ``varchar_pattern_ops`` btree on the code, so "code starts with 91140522" is an index range
  whatever the database collation;
- (region, key, id) btrees for the keyset orders by risk class and by complaint count.
"""

from django.db import migrations

INDEXES = (
    ("inventory_entity_name_trgm", "CREATE INDEX IF NOT EXISTS inventory_entity_name_trgm "
     "ON inventory_marketentity USING gin (name gin_trgm_ops)"),
    ("inventory_entity_code_pattern", "CREATE INDEX IF NOT EXISTS inventory_entity_code_pattern "
     "ON inventory_marketentity (code varchar_pattern_ops)"),
    # Keyset orders of the list page (sort key, id) for "risk" and "complaints": without the id the
    # planner sorts a whole risk class (hundreds of thousands of rows) for every page.
    ("inventory_entity_risk_keyset", "CREATE INDEX IF NOT EXISTS inventory_entity_risk_keyset "
     "ON inventory_marketentity (region_id, risk_class, id)"),
    ("inventory_entity_complaints_keyset", "CREATE INDEX IF NOT EXISTS inventory_entity_complaints_keyset "
     "ON inventory_marketentity (region_id, complaint_count, id)"),
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for _, sql in INDEXES:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    # After the generated migrations of the app (0002_initial adds the region column the
    # (region, code) index needs); the brief named 0001_initial, which would make two leaves.
    dependencies = [("inventory", "0002_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
