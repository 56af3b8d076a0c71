# An approved result is locked (issue 12 §4): a correction is a new version pointing at it, and
# the approved row keeps its content for good. The services never change it; these triggers
# make sure nothing else does, on PostgreSQL and on SQLite alike. The only updates of an approved
# row are the ones services/reviews.py makes: ``is_current`` true → false when a correction of
# it is approved (inspection_approve), with ``updated_at``. Every other column — the result codes'
# links included — is refused, whether the row is still current or superseded. A column added
# later is not covered until a migration adds it to LOCKED.
#
# The result codes are a many-to-many table: adding a code to an approved inspection is refused
# on both databases; removing one too on PostgreSQL (SQLite's flush, which test set-up uses,
# deletes table by table in no fixed order: a delete trigger there could refuse it).

from django.db import migrations

# inspections_inspection's columns as of 0004, but is_current (true → false allowed) and updated_at.
LOCKED = (
    "id", "organization_id", "region_id", "created_at", "draw_id", "plan_id", "task_id", "selection_id", "entity_id",
    "team", "window_start", "window_end", "status", "confirmed_at", "confirmed_by_id", "method", "started_on",
    "ended_on", "result_reason", "signature_id", "signature_refused", "refusal_reason", "version", "previous_id",
    "correction_reason", "replaces_id", "revision", "changed_in", "submitted_at", "submitted_by_id", "approved_at",
    "approved_by_id",
)
MESSAGE = "an approved inspection is locked: a correction is a new version"

PG_CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in LOCKED)
SQLITE_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in LOCKED)

PG_CREATE = f"""
CREATE OR REPLACE FUNCTION inspections_approved_locked() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'approved' AND ({PG_CHANGED} OR (NEW.is_current AND NOT OLD.is_current)) THEN
        RAISE EXCEPTION 'inspection %: {MESSAGE}', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inspections_inspection_approved_locked
    BEFORE UPDATE ON inspections_inspection
    FOR EACH ROW EXECUTE FUNCTION inspections_approved_locked();

CREATE OR REPLACE FUNCTION inspections_approved_results_locked() RETURNS trigger AS $$
DECLARE
    target bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        target := OLD.inspection_id;
    ELSE
        target := NEW.inspection_id;
    END IF;
    IF EXISTS (SELECT 1 FROM inspections_inspection WHERE id = target AND status = 'approved')
       OR (TG_OP = 'UPDATE' AND EXISTS (
           SELECT 1 FROM inspections_inspection WHERE id = OLD.inspection_id AND status = 'approved')) THEN
        RAISE EXCEPTION 'inspection %: {MESSAGE} (result codes)', target
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inspections_inspection_results_approved_locked
    BEFORE INSERT OR UPDATE OR DELETE ON inspections_inspection_results
    FOR EACH ROW EXECUTE FUNCTION inspections_approved_results_locked();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS inspections_inspection_results_approved_locked ON inspections_inspection_results;
DROP FUNCTION IF EXISTS inspections_approved_results_locked();
DROP TRIGGER IF EXISTS inspections_inspection_approved_locked ON inspections_inspection;
DROP FUNCTION IF EXISTS inspections_approved_locked();
"""

SQLITE_CREATE = (
    f"""
CREATE TRIGGER inspections_inspection_approved_locked
BEFORE UPDATE ON inspections_inspection
FOR EACH ROW WHEN OLD.status = 'approved' AND ({SQLITE_CHANGED} OR (NEW.is_current AND NOT OLD.is_current))
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
""",
    f"""
CREATE TRIGGER inspections_inspection_results_approved_insert
BEFORE INSERT ON inspections_inspection_results
FOR EACH ROW WHEN (SELECT status FROM inspections_inspection WHERE id = NEW.inspection_id) = 'approved'
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE} (result codes)');
END;
""",
    f"""
CREATE TRIGGER inspections_inspection_results_approved_update
BEFORE UPDATE ON inspections_inspection_results
FOR EACH ROW WHEN (SELECT status FROM inspections_inspection WHERE id = OLD.inspection_id) = 'approved'
    OR (SELECT status FROM inspections_inspection WHERE id = NEW.inspection_id) = 'approved'
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE} (result codes)');
END;
""",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS inspections_inspection_results_approved_update;",
    "DROP TRIGGER IF EXISTS inspections_inspection_results_approved_insert;",
    "DROP TRIGGER IF EXISTS inspections_inspection_approved_locked;",
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE, params=None)  # no placeholders: RAISE formats with %
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("inspections", "0004_combined_visit"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
