"""Opting out deletes reading history at once, unless a legal hold keeps it (CONF-9, CONF-5)."""

import io

import pytest
from django.core.management import call_command

from circulation.models import ReadingHistoryEntry
from patrons.services import patron_reading_history_opt_out
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
