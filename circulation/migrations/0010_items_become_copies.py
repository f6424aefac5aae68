"""Give every item a bibliographic record and a status; holds move to the title.

Items with the same title and author become copies of one record. An item's
status is read from what the old columns and rows said: withdrawn, lost, out
on an open loan, on the hold shelf for a ready hold, else on the shelf at its
own branch. A waiting hold becomes a hold on the title (any copy); where one
patron held two copies of what is now one title, the older hold is kept.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery

BATCH = 5_000


def forwards(apps, schema_editor):
    Item = apps.get_model("circulation", "Item")
    Loan = apps.get_model("circulation", "Loan")
    Hold = apps.get_model("circulation", "Hold")
    Record = apps.get_model("circulation", "BibliographicRecord")

    pairs = Item.objects.order_by().values_list("title", "author").distinct()
    batch = []
    for title, author in pairs.iterator(chunk_size=BATCH):
        batch.append(Record(title=title, authors=author))
        if len(batch) >= BATCH:
            Record.objects.bulk_create(batch)
            batch = []
    Record.objects.bulk_create(batch)
    same = Record.objects.filter(title=OuterRef("title"), authors=OuterRef("author"))
    Item.objects.update(record=Subquery(same.order_by("pk").values("pk")[:1]))
    Item.objects.update(current_branch_id=Subquery(Item.objects.filter(pk=OuterRef("pk")).values("branch_id")[:1]))

    open_loan = Loan.objects.filter(item=OuterRef("pk"), returned_at__isnull=True)
    ready = Hold.objects.filter(item=OuterRef("pk"), status="ready")
    Item.objects.filter(Exists(ready)).update(status="hold_shelf")
    Item.objects.filter(Exists(open_loan)).update(status="on_loan")
    Item.objects.filter(lost_at__isnull=False).update(status="lost")
    Item.objects.filter(withdrawn=True).update(status="withdrawn")

    Hold.objects.update(
        record=Subquery(Item.objects.filter(pk=OuterRef("item")).values("record")[:1])
    )
    Hold.objects.filter(status="waiting").update(item=None)
    older = Hold.objects.filter(
        patron=OuterRef("patron"), record=OuterRef("record"), placed_at__lt=OuterRef("placed_at")
    )
    Hold.objects.filter(Exists(older)).delete()


class Migration(migrations.Migration):
    dependencies = [("circulation", "0009_catalogue_records")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
