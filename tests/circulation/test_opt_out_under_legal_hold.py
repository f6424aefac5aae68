"""Opting out and deleting remove reading history at once, unless a legal hold keeps it
(CONF-9, CONF-5): then it is hidden from the patron and purged when the order closes."""

import io

import pytest
from django.core.management import call_command

from audit.models import AuditEntry
from circulation.models import ReadingHistoryEntry
from circulation.reading_history import (
    HISTORY_ENTRY_NOT_FOUND,
    ReadingHistoryError,
    patron_reading_history_clear,
    patron_reading_history_opt_in,
    patron_reading_history_opt_out,
    reading_history_entry_delete,
)
from patrons.models import Patron
from portal.selectors import reading_history
from privacy.models import LegalOrder
from tests.factories import LegalOrderFactory, ReadingHistoryEntryFactory

pytestmark = pytest.mark.django_db


def test_opting_out_deletes_history_at_once(alice):
    ReadingHistoryEntryFactory.create_batch(3, patron=alice)
    assert patron_reading_history_opt_out(patron=alice) == 3
    assert not ReadingHistoryEntry.objects.filter(patron=alice).exists()


def test_under_a_legal_hold_history_stays_until_the_order_closes_then_is_purged(alice):
    ReadingHistoryEntryFactory.create_batch(3, patron=alice)
    order = LegalOrderFactory(patrons=[alice], status=LegalOrder.Status.UNDER_REVIEW)
    assert patron_reading_history_opt_out(patron=alice) == 0
    alice.refresh_from_db()
    assert not alice.keeps_reading_history
    call_command("purge_expired", stdout=io.StringIO(), stderr=io.StringIO())
    assert ReadingHistoryEntry.objects.filter(patron=alice).count() == 3
    order.status = LegalOrder.Status.FULFILLED
    order.save()
    call_command("purge_expired", stdout=io.StringIO(), stderr=io.StringIO())
    assert not ReadingHistoryEntry.objects.filter(patron=alice).exists()


def _purge():
    call_command("purge_expired", stdout=io.StringIO(), stderr=io.StringIO())


def test_opting_out_under_a_hold_hides_what_it_keeps(alice):
    ReadingHistoryEntryFactory.create_batch(2, patron=alice)
    LegalOrderFactory(patrons=[alice], status=LegalOrder.Status.VALID)
    patron_reading_history_opt_out(patron=alice)
    patron_reading_history_opt_in(patron=alice)
    assert ReadingHistoryEntry.objects.filter(patron=alice, deleted_at__isnull=False).count() == 2
    assert not reading_history(Patron.objects.get(pk=alice.pk)).exists()


def test_deleting_one_entry_under_a_hold_hides_it_and_the_purge_deletes_it_after_the_order(alice):
    entry, other = ReadingHistoryEntryFactory.create_batch(2, patron=alice)
    order = LegalOrderFactory(patrons=[alice], status=LegalOrder.Status.UNDER_REVIEW)
    reading_history_entry_delete(patron=alice, entry_id=entry.pk)
    assert list(reading_history(alice)) == [other]
    _purge()
    assert ReadingHistoryEntry.objects.filter(pk=entry.pk).exists()
    order.status = LegalOrder.Status.FULFILLED
    order.save()
    _purge()
    assert list(ReadingHistoryEntry.objects.filter(patron=alice)) == [other]


def test_deleting_all_under_a_hold_hides_everything_and_keeps_it_for_the_order(alice):
    ReadingHistoryEntryFactory.create_batch(3, patron=alice)
    LegalOrderFactory(patrons=[alice], status=LegalOrder.Status.VALID)
    assert patron_reading_history_clear(patron=alice) == 3
    assert not reading_history(alice).exists()
    assert ReadingHistoryEntry.objects.filter(patron=alice).count() == 3
    summary = AuditEntry.objects.filter(additional_data__bulk=True).latest()
    assert summary.clause == "CONF-5" and summary.additional_data["count"] == 3


def test_an_entry_already_deleted_under_a_hold_cannot_be_deleted_again(alice):
    entry = ReadingHistoryEntryFactory(patron=alice)
    LegalOrderFactory(patrons=[alice], status=LegalOrder.Status.VALID)
    reading_history_entry_delete(patron=alice, entry_id=entry.pk)
    with pytest.raises(ReadingHistoryError, match=HISTORY_ENTRY_NOT_FOUND):
        reading_history_entry_delete(patron=alice, entry_id=entry.pk)


def test_without_a_hold_deleting_one_entry_removes_the_row(alice):
    entry = ReadingHistoryEntryFactory(patron=alice)
    reading_history_entry_delete(patron=alice, entry_id=entry.pk)
    assert not ReadingHistoryEntry.objects.filter(pk=entry.pk).exists()


def test_a_patron_cannot_delete_another_patrons_entry(alice, bob):
    entry = ReadingHistoryEntryFactory(patron=alice)
    with pytest.raises(ReadingHistoryError, match=HISTORY_ENTRY_NOT_FOUND):
        reading_history_entry_delete(patron=bob, entry_id=entry.pk)
    assert ReadingHistoryEntry.objects.filter(pk=entry.pk).exists()
