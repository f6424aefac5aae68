# The database numbers, links and hashes each entry itself (hash format 2).
#
# On PostgreSQL the trigger of 0002, which refused an entry out of order, gives
# way to one that writes each new entry's seq, prev_hash, timestamp floor and
# entry_hash inside the INSERT (audit.database_hash): an append becomes one
# statement, and no INSERT the application's role may send can choose them.
# Entries already in the table keep hash format 1 and verify as they did.
#
# The trigger's text comes from audit.database_hash, whose format-2 expression
# is frozen: the verifier reads the same text, so the two cannot drift.

import importlib

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import audit.models
from audit import database_hash

TABLE = "privacy_auditentry"
_ORDER_KEPT = importlib.import_module("audit.migrations.0002_the_database_keeps_the_trail_in_order")


def _names(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
    quote = schema_editor.connection.ops.quote_name
    return quote(schema), quote(TABLE)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(_ORDER_KEPT.BACKWARD, params=None)
    schema_editor.execute(database_hash.trigger_sql(*_names(schema_editor)), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(database_hash.drop_trigger_sql(*_names(schema_editor)), params=None)
    schema_editor.execute(_ORDER_KEPT.FORWARD, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_verification_lists_every_break'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='auditentry',
            name='hash_format',
            field=audit.models.HashFormatField(default=1, editable=False),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='entry_hash',
            field=audit.models.ChainHashField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='prev_hash',
            field=audit.models.ChainHashField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='seq',
            field=audit.models.ChainNumberField(editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='timestamp',
            field=audit.models.ChainTimestampField(db_index=True, default=django.utils.timezone.now, verbose_name='timestamp'),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.CheckConstraint(condition=models.Q(('hash_format__in', [1, 2])), name='audit_hash_format'),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
