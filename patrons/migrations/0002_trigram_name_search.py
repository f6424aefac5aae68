"""Trigram indexes for staff name search, on PostgreSQL only.

The admin's search runs UPPER(name::text) LIKE UPPER('%...%'), which a plain
index cannot serve; a GIN trigram index on that same expression can. SQLite,
the embedded default, has no such index and needs none at its size.
"""

from django.db import migrations

INDEXES = [
    ("patron_last_name_trgm_idx", "last_name"),
    ("patron_first_name_trgm_idx", "first_name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON patrons_patron '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("patrons", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
