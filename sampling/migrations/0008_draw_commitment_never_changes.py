# A commitment is a promise (DRAW.md §1): once published, its secret, frozen pool and strata never
# change — a new pool needs a new, visible commitment — and a completed draw's seed and public
# entropy never change either. The services never write them after the fact; this trigger makes
# sure nothing else does. SQLite, the embedded demo default, relies on the services.

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION sampling_draw_commitment_fixed() RETURNS trigger AS $$
BEGIN
    IF NEW.commitment IS DISTINCT FROM OLD.commitment OR NEW.secret IS DISTINCT FROM OLD.secret
       OR NEW.task_uid IS DISTINCT FROM OLD.task_uid OR NEW.pool_hash IS DISTINCT FROM OLD.pool_hash
       OR NEW.pool_blob IS DISTINCT FROM OLD.pool_blob OR NEW.excluded_blob IS DISTINCT FROM OLD.excluded_blob
       OR NEW.strata IS DISTINCT FROM OLD.strata OR NEW.reserve_size IS DISTINCT FROM OLD.reserve_size
       OR NEW.inspector_pool_hash IS DISTINCT FROM OLD.inspector_pool_hash THEN
        RAISE EXCEPTION 'draw %: a published commitment never changes (make a new one)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status = 'completed' AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.seed IS DISTINCT FROM OLD.seed
       OR NEW.public_entropy IS DISTINCT FROM OLD.public_entropy) THEN
        RAISE EXCEPTION 'draw %: a completed draw''s status, seed and public entropy never change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER sampling_draw_commitment_fixed
    BEFORE UPDATE ON sampling_draw
    FOR EACH ROW EXECUTE FUNCTION sampling_draw_commitment_fixed();
"""
DROP = """
DROP TRIGGER IF EXISTS sampling_draw_commitment_fixed ON sampling_draw;
DROP FUNCTION IF EXISTS sampling_draw_commitment_fixed();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # no placeholders: RAISE formats with %


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("sampling", "0007_selection_key_compared_bytewise"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
