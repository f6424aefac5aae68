# The database keeps the trail in order by itself, whoever writes to it:
#
# - every entry's seq is positive (a check constraint, on every database);
# - on PostgreSQL, a trigger refuses an entry that is not numbered one after
#   the head or does not link to the head's hash, so no statement the
#   application's role may run (it may only INSERT and SELECT on the trail,
#   audit_db_roles) can leave a gap, a duplicate, a number at or below zero or
#   a broken link; removing or rewriting entries needs UPDATE or DELETE, which
#   that role does not hold.

from django.conf import settings
from django.db import migrations, models

TABLE = "privacy_auditentry"
GENESIS = "0" * 64

FORWARD = f"""
CREATE OR REPLACE FUNCTION privacy_audit_append_in_order() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_seq bigint;
    head_hash varchar;
BEGIN
    -- Rows inserted earlier in the same statement are visible here, so a
    -- several-row INSERT is checked row by row as well.
    SELECT seq, entry_hash INTO head_seq, head_hash FROM {TABLE} ORDER BY seq DESC LIMIT 1;
    IF head_seq IS NULL THEN
        head_seq := 0;
        head_hash := '{GENESIS}';
    END IF;
    IF NEW.seq IS DISTINCT FROM head_seq + 1 OR NEW.prev_hash IS DISTINCT FROM head_hash THEN
        RAISE EXCEPTION 'The audit trail is append-only: entry % must follow entry % and link to its hash.',
            NEW.seq, head_seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER privacy_audit_append_in_order
    BEFORE INSERT ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION privacy_audit_append_in_order();
"""

BACKWARD = f"""
DROP TRIGGER IF EXISTS privacy_audit_append_in_order ON {TABLE};
DROP FUNCTION IF EXISTS privacy_audit_append_in_order();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.CheckConstraint(condition=models.Q(('seq__gt', 0)), name='audit_seq_positive'),
        ),
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD), elidable=False),
    ]
