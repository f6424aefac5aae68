"""Trigram indexes for the catalogue search, on PostgreSQL only.

The portal's catalogue searches UPPER(title) and UPPER(author) with LIKE
'%...%', which a plain index cannot serve; a GIN trigram index on the same
expression can (as patrons 0002 does for names). SQLite, the embedded default,
has no such index and needs none at its size.
"""

from django.db import migrations

INDEXES = [
    ("item_title_trgm_idx", "title"),
    ("item_author_trgm_idx", "author"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON circulation_item "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("circulation", "0005_loan_returned_linked_index")]

    operations = [migrations.RunPython(create, drop)]
