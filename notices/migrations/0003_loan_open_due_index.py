"""An index for the nightly run: open loans by due day, across all patrons.

loan_patron_idx (patron, due_at) serves one patron's loans; "every open loan due
on day D" needs due_at first. Partial, so it holds only open loans (a small
part of the table) and check-in takes a loan out of it. It belongs in
circulation's Loan.Meta.indexes; it is made here while circulation's models are
being changed on another branch, and should move there (with
SeparateDatabaseAndState) once that has merged.
"""

from django.db import migrations

INDEX = "notices_loan_open_due_idx"


def create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {INDEX} ON circulation_loan (due_at) "
        "WHERE returned_at IS NULL AND patron_id IS NOT NULL"
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction; it does not block check-outs.
    atomic = False

    dependencies = [("notices", "0002_default_templates"), ("circulation", "0008_fine_payments_waive_reasons_lost_items")]

    operations = [migrations.RunPython(create, drop)]
