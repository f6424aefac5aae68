"""purge_expired: each kind of record goes at the end of its period, never under a legal hold."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from activity.models import ComputerSession, EventSignup, ReferenceConsultation
from audit.models import AuditEntry
from circulation.models import Fine, FoundItem, Hold, ReadingHistoryEntry
from privacy import retention
from tests.factories import (
    ComputerSessionFactory,
    EventFactory,
    EventSignupFactory,
    FineFactory,
    FoundItemFactory,
    HoldFactory,
    LegalOrderFactory,
    PatronFactory,
    ReadingHistoryEntryFactory,
    ReferenceConsultationFactory,
)

pytestmark = pytest.mark.django_db
SECOND = datetime.timedelta(seconds=1)
NOW = timezone.now().replace(microsecond=0)


def purger(kind):
    return next(p for p in retention.purgers() if p.kind == kind)


def purge(kind, now=NOW, **kwargs):
    return retention.purge(purger(kind), now=now, **kwargs)


def summaries():
    return list(AuditEntry.objects.filter(additional_data__bulk=True).order_by("seq"))


@pytest.mark.parametrize(
    ("offset", "kept"), [(-SECOND, True), (datetime.timedelta(0), False), (SECOND, False)]
)
def test_computer_sessions_go_exactly_one_day_after_they_end(offset, kept, settings):
    settings.LIBRARY_RETENTION_DAYS = {**settings.LIBRARY_RETENTION_DAYS, "computer_sessions": 1}
    ended = NOW - datetime.timedelta(days=1) - offset
    ComputerSessionFactory(started_at=ended - datetime.timedelta(hours=2), ended_at=ended)
    purge("computer sessions")
    assert ComputerSession.objects.exists() is kept


@pytest.mark.parametrize(
    ("offset", "kept"), [(-SECOND, True), (datetime.timedelta(0), False), (SECOND, False)]
)
def test_reference_consultations_go_exactly_at_their_period(offset, kept, settings):
    settings.LIBRARY_RETENTION_DAYS = {
        **settings.LIBRARY_RETENTION_DAYS,
        "reference_consultations": 30,
    }
    ReferenceConsultationFactory(asked_at=NOW - datetime.timedelta(days=30) - offset)
    purge("reference consultations")
    assert ReferenceConsultation.objects.exists() is kept


@pytest.mark.parametrize(
    ("offset", "kept"), [(-SECOND, True), (datetime.timedelta(0), False), (SECOND, False)]
)
def test_event_signups_go_their_period_after_the_event_ends(offset, kept):
    ends = NOW - datetime.timedelta(days=30) - offset
    event = EventFactory(starts_at=ends - datetime.timedelta(hours=2), ends_at=ends)
    EventSignupFactory(event=event)
    purge("event sign-ups")
    assert EventSignup.objects.exists() is kept


def test_signups_for_a_communication_with_no_end_are_kept():
    EventSignupFactory(event=EventFactory(kind="communication", starts_at=None, ends_at=None))
    purge("event sign-ups", now=NOW + datetime.timedelta(days=3650))
    assert EventSignup.objects.exists()


def test_an_unended_session_counts_from_its_start():
    ComputerSessionFactory(started_at=NOW - datetime.timedelta(days=1), ended_at=None)
    purge("computer sessions")
    assert not ComputerSession.objects.exists()


def test_settled_fines_go_after_their_period_and_unpaid_ones_never(settings):
    settings.LIBRARY_RETENTION_DAYS = {**settings.LIBRARY_RETENTION_DAYS, "settled_fines": 400}
    old = NOW - datetime.timedelta(days=400)
    FineFactory(paid_at=old)
    FineFactory(waived_at=old + SECOND)
    unpaid = FineFactory(created_at=old - datetime.timedelta(days=100))
    purge("settled fines")
    assert list(Fine.objects.order_by("pk").values_list("waived_at", flat=True)) == [
        old + SECOND,
        None,
    ]
    assert Fine.objects.filter(pk=unpaid.pk).exists()


def test_uncollected_holds_go_after_the_last_pickup_day_and_the_next_one_waits_for_a_scan():
    today = timezone.localdate(NOW)
    expired = HoldFactory(status="ready", ready_until=today - datetime.timedelta(days=1))
    next_in_line = HoldFactory(item=expired.item)
    on_time = HoldFactory(status="ready", ready_until=today)
    purge("expired holds")
    assert set(Hold.objects.values_list("pk", flat=True)) == {next_in_line.pk, on_time.pk}
    next_in_line.refresh_from_db()
    # The copy still carries the expired hold's slip: the desk's scan readies the next.
    assert next_in_line.status == Hold.Status.WAITING


def test_found_items_go_after_their_period():
    FoundItemFactory(found_at=NOW - datetime.timedelta(days=90))
    kept = FoundItemFactory(found_at=NOW - datetime.timedelta(days=90) + SECOND)
    purge("found items")
    assert list(FoundItem.objects.all()) == [kept]


@pytest.mark.parametrize("status", ["under_review", "valid"])
def test_records_of_a_patron_under_a_legal_hold_are_kept(status):
    held, free = PatronFactory(), PatronFactory()
    LegalOrderFactory(patrons=[held], status=status)
    old = NOW - datetime.timedelta(days=365)
    for patron in (held, free):
        ComputerSessionFactory(patron=patron, started_at=old, ended_at=old)
        ReferenceConsultationFactory(patron=patron, asked_at=old)
    for kind in ("computer sessions", "reference consultations"):
        purge(kind)
    assert list(ComputerSession.objects.values_list("patron", flat=True)) == [held.pk]
    assert list(ReferenceConsultation.objects.values_list("patron", flat=True)) == [held.pk]


@pytest.mark.parametrize("status", ["received", "rejected", "fulfilled", "expired"])
def test_orders_not_under_review_or_valid_hold_nothing(status):
    patron = PatronFactory()
    LegalOrderFactory(patrons=[patron], status=status)
    old = NOW - datetime.timedelta(days=365)
    ComputerSessionFactory(patron=patron, started_at=old, ended_at=old)
    purge("computer sessions")
    assert not ComputerSession.objects.exists()


def test_consultations_without_a_patron_are_purged_too():
    ReferenceConsultationFactory(patron=None, asked_at=NOW - datetime.timedelta(days=31))
    LegalOrderFactory(patrons=[PatronFactory()])
    purge("reference consultations")
    assert not ReferenceConsultation.objects.exists()


def test_each_batch_leaves_one_summary_with_kind_and_count_never_whose():
    patrons = PatronFactory.create_batch(5)
    old = NOW - datetime.timedelta(days=2)
    for patron in patrons:
        ComputerSessionFactory(patron=patron, started_at=old, ended_at=old, resource="PC-7")
    before = AuditEntry.objects.count()
    assert purge("computer sessions", batch_size=2) == 5
    entries = summaries()
    assert AuditEntry.objects.count() - before == 3  # no per-row delete entries
    assert [e.additional_data["count"] for e in entries] == [2, 2, 1]
    for entry in entries:
        assert entry.additional_data["kind"] == "computer sessions"
        assert entry.object_id is None and entry.object_pk == "-"
        assert not entry.changes
        text = str(entry.additional_data) + entry.object_repr
        assert not any(p.card_number in text for p in patrons)
        assert "PC-7" not in text


def test_batches_walk_past_kept_and_held_rows_to_every_expired_one():
    # Batches are stretches of ids: rows still within their period, and rows
    # under a legal hold, sit between expired ones and must neither stop the
    # walk nor be taken with it.
    held = PatronFactory()
    LegalOrderFactory(patrons=[held])
    old, recent = NOW - datetime.timedelta(days=2), NOW - datetime.timedelta(minutes=5)
    made = []
    for index in range(9):
        patron = held if index % 3 == 1 else PatronFactory()
        ended = recent if index % 3 == 2 else old
        made.append(ComputerSessionFactory(patron=patron, started_at=ended, ended_at=ended))

    assert purge("computer sessions", batch_size=2) == 3

    remaining = set(ComputerSession.objects.values_list("pk", flat=True))
    assert remaining == {made[i].pk for i in (1, 2, 4, 5, 7, 8)}
    assert sum(e.additional_data["count"] for e in summaries()) == 3


def test_opted_out_history_left_behind_is_swept():
    entry = ReadingHistoryEntryFactory()
    kept = ReadingHistoryEntryFactory()
    type(entry.patron).objects.filter(pk=entry.patron_id).update(keeps_reading_history=False)
    purge("reading history of patrons who opted out")
    assert list(ReadingHistoryEntry.objects.all()) == [kept]


def test_a_new_kind_is_one_register_call(settings):
    retention.register(
        retention.Purger(
            kind="test kind",
            model=ReferenceConsultation,
            expired=lambda now: ReferenceConsultation.objects.filter(channel="chat"),
            reason="test",
        )
    )
    try:
        ReferenceConsultationFactory(channel="chat")
        ReferenceConsultationFactory(channel="phone")
        assert purge("test kind") == 1
    finally:
        retention._registry.pop("test kind")


def test_command_purges_prints_a_summary_and_a_second_run_finds_nothing():
    old = timezone.now() - datetime.timedelta(days=60)
    ComputerSessionFactory(started_at=old, ended_at=old)
    ReferenceConsultationFactory(asked_at=old)
    out, err = io.StringIO(), io.StringIO()
    call_command("purge_expired", stdout=out, stderr=err)
    assert out.getvalue().strip() == (
        "Purged 2 expired records (1 computer sessions, 1 reference consultations)."
    )
    assert "computer sessions" in err.getvalue()  # the progress bar
    out = io.StringIO()
    call_command("purge_expired", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == "Purged 0 expired records (nothing was due)."


def test_command_refuses_bad_input_with_one_line():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("purge_expired", "--batch-size", "0")
    with pytest.raises(CommandError, match="Unknown kind 'camera'"):
        call_command("purge_expired", "--kind", "camera")


def test_retention_periods_come_from_the_environment(monkeypatch):
    import importlib

    from config import settings as project_settings

    monkeypatch.setenv("RETENTION_COMPUTER_SESSIONS_DAYS", "3")
    try:
        reloaded = importlib.reload(project_settings)
        assert reloaded.LIBRARY_RETENTION_DAYS["computer_sessions"] == 3
    finally:
        monkeypatch.delenv("RETENTION_COMPUTER_SESSIONS_DAYS")
        importlib.reload(project_settings)
