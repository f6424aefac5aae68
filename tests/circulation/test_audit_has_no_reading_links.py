"""CONF-9: no audit entry may tie a patron to an item, whatever loans, holds and fines do."""

import datetime
import json

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from circulation.models import Fine, Hold
from tests.factories import FineFactory, HoldFactory, ItemFactory, LoanFactory, PatronFactory

pytestmark = pytest.mark.django_db


def _entry_text(entry):
    return json.dumps(
        {
            "repr": entry.object_repr,
            "changes": entry.changes,
            "text": entry.changes_text,
            "extra": entry.additional_data,
            "data": entry.serialized_data,
        },
        default=str,
    )


def _mentions_patron(entry, patron):
    text = _entry_text(entry)
    changes = entry.changes or {}
    return (
        patron.card_number in text
        or str(patron.pk) in [str(v) for value in changes.get("patron", []) for v in [value]]
        or (entry.content_type.model == "patron" and entry.object_pk == str(patron.pk))
    )


def _mentions_item(entry, item, loan_ids):
    text = _entry_text(entry)
    changes = entry.changes or {}
    return (
        item.barcode in text
        or item.record.title in text
        or str(item.pk) in [str(v) for v in changes.get("item", [])]
        or any(str(loan_id) in [str(v) for v in changes.get("loan", [])] for loan_id in loan_ids)
        or (entry.content_type.model == "loan" and entry.object_pk in {str(i) for i in loan_ids})
    )


def test_no_entry_names_both_the_patron_and_the_item_over_a_loan_life_cycle():
    patron = PatronFactory(card_number="21005555555555")
    item = ItemFactory(barcode="31007777777777", title="A Very Particular Title")
    loan = LoanFactory(patron=patron, item=item)
    loan.renewals = 1
    loan.due_at += datetime.timedelta(days=21)
    loan.save()
    hold = HoldFactory(patron=patron, item=ItemFactory())
    hold.delete()
    fine = FineFactory(patron=patron, loan=loan)
    loan.returned_at = timezone.now()
    loan.save()
    fine.loan = None
    fine.patron = None  # a settled fine keeps neither (CONF-9)
    fine.paid_at = timezone.now()
    fine.save()
    loan.patron = None
    loan.save()

    entries = list(AuditEntry.objects.select_related("content_type"))
    assert len(entries) >= 4  # patron, items and the fine are still logged
    linking = [
        entry.seq
        for entry in entries
        if _mentions_patron(entry, patron) and _mentions_item(entry, item, {loan.pk})
    ]
    assert linking == []


def test_loans_and_holds_leave_no_entries_that_a_timestamp_could_join_to_a_patron_read():
    """An entry naming only the item would sit beside the desk's read of the patron."""
    loan = LoanFactory()
    HoldFactory(patron=loan.patron, item=loan.item).delete()
    loan.returned_at = timezone.now()
    loan.patron = None
    loan.save()
    FineFactory(patron=PatronFactory(), loan=None)
    models = set(AuditEntry.objects.values_list("content_type__model", flat=True))
    assert not models & {"loan", "hold"}
    for entry in AuditEntry.objects.filter(content_type__model="fine"):
        assert "loan" not in (entry.changes or {})
    assert Hold.objects.count() == 0 and Fine.objects.count() == 1
