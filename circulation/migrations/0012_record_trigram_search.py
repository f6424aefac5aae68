"""A trigram index on the bibliographic record's search text, on PostgreSQL only.

The catalogue matches each word of a search with LIKE '%WORD%' against
`search_text` (the upper-cased title and authors, a generated column), which a
GIN trigram index serves; items no longer carry a title (migration 0011 took
the old item indexes with their columns). SQLite has no such index.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS record_search_trgm_idx ON circulation_bibliographicrecord "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS record_search_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("circulation", "0011_catalogue_records_required")]

    operations = [migrations.RunPython(create, drop)]
