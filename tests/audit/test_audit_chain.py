import datetime

import pytest
from auditlog.models import LogEntry as AuditlogLogEntry  # noqa: F401  (the swapped model's base)
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from audit import verify
from audit.chain import GENESIS_HASH, AuditTrailIsAppendOnly
from audit.models import AuditEntry
from audit.verify import verify_chain
from patrons.models import Patron
from tests.audit import tamper
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db


def _access_entry(patron, **fields):
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Patron),
        object_pk=str(patron.pk),
        object_id=patron.pk,
        action=AuditEntry.Action.ACCESS,
        **fields,
    )


def test_auditlog_writes_into_the_chained_model():
    PatronFactory()
    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.seq == 1 and entry.prev_hash == GENESIS_HASH
    assert verify.contents_match(entry)


def test_each_entry_links_to_the_one_before():
    patron = PatronFactory()
    _access_entry(patron, category="identity")
    first, second = AuditEntry.objects.order_by("seq")
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.entry_hash


def test_entries_name_objects_by_id_not_by_their_text():
    patron = PatronFactory(first_name="Winifred", card_number="21009999999999")
    entry = AuditEntry.objects.get(object_id=patron.pk)
    assert entry.object_repr == f"patron #{patron.pk}"


def test_identity_fields_are_redacted_whole_in_changes():
    patron = PatronFactory(first_name="Winifred", address_line="12 Elm St")
    patron.address_line = "99 Oak Ave"
    patron.save()
    text = " ".join(str(entry.changes) for entry in AuditEntry.objects.all())
    assert "Winifred" not in text and "Elm" not in text and "Oak" not in text
    assert "[redacted]" in text


def test_an_entry_cannot_be_saved_again():
    PatronFactory()
    entry = AuditEntry.objects.get()
    entry.object_repr = "something else"
    with pytest.raises(AuditTrailIsAppendOnly):
        entry.save()


def test_an_entry_cannot_be_deleted_through_the_model():
    PatronFactory()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEntry.objects.get().delete()


def test_the_verifier_accepts_an_untouched_chain():
    for _ in range(5):
        PatronFactory()
    report = verify_chain()
    assert report.intact and report.checked == 5 and report.head_seq == 5


def test_the_verifier_finds_an_altered_entry():
    for _ in range(3):
        PatronFactory()
    tamper.alter(2, object_repr="patron #999")
    report = verify_chain()
    assert report.first_break.seq == 2
    assert "altered" in report.first_break.problem


def test_a_bulk_summary_says_what_and_how_many_but_not_who():
    from audit.entries import record_summary

    PatronFactory.create_batch(2)
    entry = record_summary(
        model=Patron, action=AuditEntry.Action.DELETE, count=2, reason="retention"
    )
    entry.refresh_from_db()
    assert entry.additional_data == {"bulk": True, "count": 2, "reason": "retention"}
    assert entry.object_pk == "-" and entry.object_repr == "patrons"
    assert verify_chain().intact


@pytest.mark.parametrize("microsecond", [0, 120_000, 1])
def test_the_chain_verifies_whatever_the_fraction_of_the_second(microsecond):
    # Python's isoformat writes no fraction on a whole second and six digits
    # otherwise (format 1); PostgreSQL's hash always six (format 2). The time
    # is kept as given only by the chain's first entry: later ones are raised
    # to the head's time, and none may be in the future.
    on_the_second = (timezone.now() - datetime.timedelta(days=1)).replace(microsecond=microsecond)
    entry = AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Patron),
        object_pk="1",
        object_id=1,
        action=AuditEntry.Action.ACCESS,
        category="identity",
        timestamp=on_the_second,
    )
    _access_entry(PatronFactory(), category="circulation")

    assert AuditEntry.objects.get(pk=entry.pk).timestamp == on_the_second
    assert verify_chain().intact
    tamper.alter(entry.seq, timestamp=on_the_second + datetime.timedelta(microseconds=1))
    assert verify_chain().first_break.seq == entry.seq
