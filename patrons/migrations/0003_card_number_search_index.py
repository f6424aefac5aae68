"""An index for the admin's exact card-number search, on PostgreSQL only.

The admin's search for "=card_number" runs UPPER(card_number::text) = UPPER(...),
OR-ed with the name searches of 0002. The unique index on card_number cannot
serve that expression, so without this one the whole OR falls back to reading
every patron; with it, each arm uses an index and PostgreSQL combines them.
"""

from django.db import migrations

INDEX = "patron_card_number_upper_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS {INDEX} ON patrons_patron (UPPER("card_number"::text))'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("patrons", "0002_trigram_name_search")]

    operations = [migrations.RunPython(create, drop)]
