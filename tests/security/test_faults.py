"""A database error in the middle of a multi-step operation leaves the database as before.

Each test makes a step after the operation's first write fail with a real
database error (a query on a table that does not exist), then compares every
row of every table (tests/security/hostile.py's snapshot) and the audit trail
(its length, its head, and a full verification of the hash chain) with what
they were before. Operations that work in batches, each batch its own
transaction by design, keep the batches before the failure and lose nothing
of the failing one; a second run finishes the work.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from audit import chain, entries, verify
from audit.models import AuditEntry
from circulation import reading_history as patrons
from circulation import services as circulation
from circulation.models import Fine, Hold, Loan, ReadingHistoryEntry
from facilities import services as facilities
from facilities.models import FootageRelease
from library.roles import Role
from patrons.models import Patron, PatronUserObjectPermission
from privacy import access, retention
from privacy import services as privacy
from privacy.models import LegalOrder, LegalOrderRelease
from privacy.policy import DataCategory, Purpose
from tests.factories import (
    BranchFactory,
    ComputerSessionFactory,
    IncidentFactory,
    ItemFactory,
    LegalOrderFactory,
    LoanRuleFactory,
    PatronFactory,
    ReadingHistoryEntryFactory,
    RecordingFactory,
)
from tests.security.hostile import changed_tables, snapshot

pytestmark = pytest.mark.django_db


def database_error(*args: Any, **kwargs: Any) -> None:
    """Fail the way a lost table or a broken connection does: with a real DatabaseError.

    The failing statement runs in a savepoint, as it would run on its own under
    autocommit, so the test's own transaction stays usable afterwards.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM injected_fault_no_such_table")


class State:
    """Every row of every table, and the audit trail's length and head."""

    def __init__(self) -> None:
        self.rows = snapshot()
        self.entries = AuditEntry.objects.count()
        self.head = chain.chain_head()

    def assert_unchanged(self) -> None:
        now = State()
        assert changed_tables(self.rows, now.rows) == []
        assert (now.entries, now.head) == (self.entries, self.head)
        assert verify.verify_chain().intact


@pytest.fixture
def branch():  # type: ignore[no-untyped-def]
    LoanRuleFactory(fine_per_day=Decimal("0.50"))
    return BranchFactory(code="CEN")


# Check-in: fine, reading history, daily count, forgetting the patron, the next hold.


def _loan(branch, *, days_out: int):  # type: ignore[no-untyped-def]
    """An opted-in reader's loan, out for so many days, with another patron's hold waiting."""
    item = ItemFactory(branch=branch)
    reader = PatronFactory(home_branch=branch, keeps_reading_history=True)
    circulation.loan_checkout(
        patron=reader,
        barcode=item.barcode,
        branch=branch,
        now=timezone.now() - datetime.timedelta(days=days_out),
    )
    circulation.hold_place(
        patron=PatronFactory(home_branch=branch), barcode=item.barcode, pickup_branch=branch
    )
    return item


@pytest.fixture
def late_loan(branch):  # type: ignore[no-untyped-def]
    """Four days late: check-in first writes a fine."""
    return _loan(branch, days_out=25)


STEPS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "reading history": lambda mp: mp.setattr(ReadingHistoryEntry, "save", database_error),
    "daily count": lambda mp: mp.setattr(circulation, "_count", database_error),
    "forgetting": lambda mp: mp.setattr(circulation, "loan_forget", database_error),
    "next hold": lambda mp: mp.setattr(circulation, "_hold_shelve", database_error),
}
# A late return first writes the fine (and keeps the patron for it); one on time
# first writes the reading history, then forgets the patron.
CHECKIN_FAULTS = [
    (25, "reading history"),
    (25, "daily count"),
    (25, "next hold"),
    (3, "daily count"),
    (3, "forgetting"),
    (3, "next hold"),
]


@pytest.mark.parametrize(("days_out", "step"), CHECKIN_FAULTS)
def test_a_check_in_failing_after_its_first_write_leaves_everything_as_before(
    branch, monkeypatch, days_out, step
):
    item = _loan(branch, days_out=days_out)
    before = State()
    STEPS[step](monkeypatch)
    with pytest.raises(DatabaseError):
        circulation.loan_checkin(barcode=item.barcode, branch=branch)
    before.assert_unchanged()
    assert Loan.objects.get(item=item).patron_id is not None  # still out, still theirs
    assert not Fine.objects.exists() and not ReadingHistoryEntry.objects.exists()


def test_the_same_check_in_without_the_fault_writes_every_step(late_loan, branch):
    """The other side: the steps the faults interrupt really write something."""
    before = State()
    result = circulation.loan_checkin(barcode=late_loan.barcode, branch=branch)
    assert result.fine is not None and result.hold is not None
    assert ReadingHistoryEntry.objects.count() == 1
    assert set(changed_tables(before.rows, snapshot())) >= {
        "circulation_fine",
        "circulation_readinghistoryentry",
        "circulation_circulationday",
        "circulation_loan",
        "circulation_hold",
    }


def test_a_check_out_failing_after_the_loan_is_written_leaves_everything_as_before(
    late_loan, branch, monkeypatch
):
    item = ItemFactory(branch=branch)
    reader = PatronFactory(home_branch=branch)
    circulation.hold_place(patron=reader, barcode=item.barcode, pickup_branch=branch)
    before = State()
    monkeypatch.setattr(circulation, "_count", database_error)
    with pytest.raises(DatabaseError):
        circulation.loan_checkout(patron=reader, barcode=item.barcode, branch=branch)
    before.assert_unchanged()
    assert Hold.objects.filter(record=item.record, patron=reader).exists()


def test_settling_a_fine_failing_before_the_loan_is_forgotten_leaves_it_unsettled(
    late_loan, branch, monkeypatch
):
    circulation.loan_checkin(barcode=late_loan.barcode, branch=branch)
    fine = Fine.objects.get()
    before = State()
    monkeypatch.setattr(circulation, "loan_forget", database_error)
    with pytest.raises(DatabaseError):
        circulation.fine_pay(patron=fine.patron, fine_id=fine.pk)
    before.assert_unchanged()
    fine.refresh_from_db()
    assert fine.is_outstanding and fine.loan_id is not None


# Legal orders: validation, closing, and releases of records and of footage.


@pytest.fixture
def director(staff):  # type: ignore[no-untyped-def]
    return staff(Role.DIRECTOR)


def test_validating_an_order_failing_before_its_grants_leaves_it_under_review(
    director, monkeypatch
):
    alice = PatronFactory()
    order = LegalOrderFactory(patrons=[alice], received_by=director, status="under_review")
    before = State()
    monkeypatch.setattr(privacy, "_grant_order", database_error)
    with pytest.raises(DatabaseError):
        privacy.legal_order_validate(order=order, director=director)
    before.assert_unchanged()
    order.refresh_from_db()
    assert order.status == LegalOrder.Status.UNDER_REVIEW
    assert not PatronUserObjectPermission.objects.exists()


def test_closing_an_order_failing_before_its_grants_end_leaves_it_in_force(director, monkeypatch):
    alice = PatronFactory()
    order = LegalOrderFactory(patrons=[alice], received_by=director, status="under_review")
    privacy.legal_order_validate(order=order, director=director)
    before = State()
    monkeypatch.setattr(privacy, "_revoke_order", database_error)
    with pytest.raises(DatabaseError):
        privacy.legal_order_close(
            order=order, director=director, status=LegalOrder.Status.FULFILLED
        )
    before.assert_unchanged()
    assert LegalOrder.objects.in_force().filter(pk=order.pk).exists()
    assert PatronUserObjectPermission.objects.filter(user=director).exists()


def test_a_release_of_records_failing_to_be_recorded_releases_nothing(director, monkeypatch):
    """The gate logs its decision first, by design (a refusal must outlive any rollback).

    So the one thing left is that decision: one allowed entry. No release is
    recorded, and the view, failing, sends no records.
    """
    alice = PatronFactory()
    order = LegalOrderFactory(patrons=[alice], received_by=director)
    order.workers.add(director)
    assign_perm("patrons.disclose_under_order", director, alice)
    before = State()
    monkeypatch.setattr(LegalOrderRelease, "save", database_error)
    with pytest.raises(DatabaseError):
        privacy.legal_order_release(
            order=order, actor=director, patron=alice, category=DataCategory.CIRCULATION
        )
    assert changed_tables(before.rows, snapshot()) == []
    logged = list(AuditEntry.objects.filter(seq__gt=before.head.seq))
    assert [(e.decision, e.purpose, e.clause, e.object_id) for e in logged] == [
        ("allowed", "legal_order", "CONF-5", alice.pk)
    ]
    assert verify.verify_chain().intact


def test_a_footage_release_failing_at_its_audit_entry_leaves_everything_as_before(
    director, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    recording = RecordingFactory()
    incident = IncidentFactory(branch=recording.camera.branch)
    before = State()
    made = chain.chain_append_many

    def append_that_fails(entries: list[AuditEntry], **kwargs: Any) -> None:
        database_error()

    # The gate core writes the release's entry through the chain; make that write fail.
    monkeypatch.setattr(chain, "chain_append_many", append_that_fails)
    with pytest.raises(DatabaseError):
        facilities.footage_release(
            actor=director,
            recipient_kind="police",
            recipient_name="Lawrence Police Department",
            reason="Help with the incident",
            recording=recording,
            incident=incident,
        )
    before.assert_unchanged()
    assert not FootageRelease.objects.exists()
    monkeypatch.setattr(chain, "chain_append_many", made)
    facilities.footage_release(
        actor=director,
        recipient_kind="police",
        recipient_name="Lawrence Police Department",
        reason="Help with the incident",
        recording=recording,
        incident=incident,
    )
    assert FootageRelease.objects.count() == 1  # the other side: without the fault it is done


# Batches: the retention purge and opting out of reading history.


def _failing_on_call(number: int, real: Callable[..., Any]) -> Callable[..., Any]:
    calls = {"n": 0}

    def maybe_fail(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == number:
            database_error()
        return real(*args, **kwargs)

    return maybe_fail


def _summaries(reason: str) -> list[int]:
    return [
        entry.additional_data["count"]
        for entry in AuditEntry.objects.filter(additional_data__reason=reason).order_by("seq")
    ]


def test_a_purge_batch_failing_at_its_summary_keeps_its_rows_and_a_rerun_finishes(
    branch, monkeypatch
):
    old = timezone.now() - datetime.timedelta(days=5)
    for _ in range(5):
        ComputerSessionFactory(branch=branch, started_at=old, ended_at=old)
    purger = next(p for p in retention.purgers() if p.kind == "computer sessions")
    model = purger.model
    monkeypatch.setattr(entries, "record_summary", _failing_on_call(2, entries.record_summary))
    with pytest.raises(DatabaseError):
        retention.purge(purger, now=timezone.now(), batch_size=2)
    # The first batch is done and summarised; the failing one lost nothing.
    assert model.objects.count() == 3 and _summaries(purger.reason) == [2]
    assert verify.verify_chain().intact
    monkeypatch.undo()
    assert retention.purge(purger, now=timezone.now(), batch_size=2) == 3
    assert not model.objects.exists() and _summaries(purger.reason) == [2, 2, 1]


def test_an_opt_out_batch_failing_keeps_its_rows_and_the_purge_finishes_the_work(
    monkeypatch,
):
    reader = PatronFactory(keeps_reading_history=True)
    for _ in range(5):
        ReadingHistoryEntryFactory(patron=reader)
    monkeypatch.setattr(entries, "record_summary", _failing_on_call(2, entries.record_summary))
    with pytest.raises(DatabaseError):
        patrons.patron_reading_history_opt_out(patron=reader, batch_size=2)
    reader.refresh_from_db()
    assert not reader.keeps_reading_history  # switched off first: nothing new is kept
    assert ReadingHistoryEntry.objects.count() == 3
    assert _summaries(patrons.OPT_OUT_REASON) == [2]
    monkeypatch.undo()
    purger = next(p for p in retention.purgers() if p.model is ReadingHistoryEntry)
    retention.purge(purger, now=timezone.now())
    assert not ReadingHistoryEntry.objects.filter(patron=reader).exists()
    assert verify.verify_chain().intact


# The audit trail itself.


def _entries(patrons_read: list[Patron]) -> list[AuditEntry]:
    content_type = ContentType.objects.get_for_model(Patron)
    return [
        AuditEntry(
            content_type=content_type,
            object_pk=str(patron.pk),
            object_id=patron.pk,
            action=AuditEntry.Action.ACCESS,
            category="identity",
            purpose="registration",
            clause="CONF-3",
            decision="allowed",
        )
        for patron in patrons_read
    ]


def test_an_append_of_many_entries_failing_after_the_first_leaves_the_trail_as_before(
    monkeypatch, desk
):
    listed = [PatronFactory() for _ in range(3)]
    access.read(desk, listed[0], DataCategory.IDENTITY, Purpose.REGISTRATION)
    before = State()
    real = chain._insert_into

    def second_refused(entries, using, table, **options):  # type: ignore[no-untyped-def]
        # One INSERT for all of them, whose second row has no object: the
        # database refuses the statement whole. In a savepoint, as it would
        # run on its own under autocommit, so the test's transaction survives.
        entries[1].object_pk = None
        with transaction.atomic(using=using):
            real(entries, using, table, **options)

    monkeypatch.setattr(chain, "_insert_into", second_refused)
    with pytest.raises(DatabaseError):
        access.record_list_read(
            desk, [p.pk for p in listed], DataCategory.IDENTITY, Purpose.REGISTRATION
        )
    before.assert_unchanged()
    monkeypatch.undo()
    chain.chain_append_many(_entries(listed))
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # no gap where the failure was
    assert verify.verify_chain().intact
