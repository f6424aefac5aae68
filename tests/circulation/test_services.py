"""Check-out, check-in, renewals, holds and fines through the desk's services."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from circulation import services
from circulation.models import CirculationDay, Fine, Hold, Item, Loan, ReadingHistoryEntry
from circulation.services import CirculationError
from patrons.models import Patron
from tests.circulation.helpers import snapshot
from tests.factories import (
    BranchFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    LoanRuleFactory,
    MinorFactory,
    PatronFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    return BranchFactory(code="CEN", name="Central Library")


@pytest.fixture
def book(branch):
    LoanRuleFactory(
        loan_days=21, renewal_limit=1, fine_per_day=Decimal("0.25"), max_fine=Decimal("2.00")
    )
    return ItemFactory(barcode="31000000000001", branch=branch)


@pytest.fixture
def patron(branch):
    return PatronFactory(home_branch=branch)


def checkout(patron, item, branch, **kwargs):
    return services.loan_checkout(patron=patron, barcode=item.barcode, branch=branch, **kwargs)


def refused(message, action, *args, **kwargs):
    before = snapshot()
    with pytest.raises(CirculationError) as error:
        action(*args, **kwargs)
    assert error.value.message == message
    assert snapshot() == before


def test_checkout_lends_until_the_end_of_the_day_the_loan_rule_gives(patron, book, branch):
    now = timezone.now()
    loan = checkout(patron, book, branch, now=now)
    due = timezone.localtime(loan.due_at)
    assert due.date() == timezone.localdate(now) + datetime.timedelta(days=21)
    assert (due.hour, due.minute) == (23, 59)
    assert loan.patron == patron and loan.is_open


def test_checkout_counts_the_day_without_patron_or_item(patron, book, branch):
    checkout(patron, book, branch)
    row = CirculationDay.objects.get()
    assert (row.checkouts, row.item_type, row.patron_category) == (1, "book", "adult")
    assert {f.name for f in CirculationDay._meta.fields}.isdisjoint({"patron", "item"})


def test_minor_checkouts_are_counted_as_minor(book, branch):
    checkout(MinorFactory(), book, branch)
    assert CirculationDay.objects.get().patron_category == "minor"


def test_unknown_barcode_is_refused_and_changes_nothing(patron, book, branch):
    refused(
        services.UNKNOWN_BARCODE,
        services.loan_checkout,
        patron=patron,
        barcode="39999999999999",
        branch=branch,
    )


def test_item_already_out_is_refused_and_changes_nothing(patron, book, branch):
    checkout(PatronFactory(), book, branch)
    refused(services.ITEM_ALREADY_OUT, checkout, patron, book, branch)


def test_blocked_patron_is_refused_and_changes_nothing(book, branch):
    refused(services.PATRON_BLOCKED, checkout, PatronFactory(status="blocked"), book, branch)


def test_expired_card_is_refused_and_changes_nothing(book, branch):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    refused(services.CARD_EXPIRED, checkout, PatronFactory(card_expires_on=yesterday), book, branch)


def test_fines_at_the_limit_stop_checkouts_and_below_it_do_not(patron, book, branch, settings):
    settings.CIRCULATION_FINE_LIMIT_CENTS = 500
    FineFactory(patron=patron, amount=Decimal("5.00"))
    refused(services.FINES_OVER_LIMIT, checkout, patron, book, branch)
    settings.CIRCULATION_FINE_LIMIT_CENTS = 501
    assert checkout(patron, book, branch).is_open


def test_withdrawn_item_is_refused_and_changes_nothing(patron, branch, book):
    item = ItemFactory(withdrawn=True, branch=branch)
    refused(services.ITEM_WITHDRAWN, checkout, patron, item, branch)


def test_item_held_by_someone_else_is_refused_and_changes_nothing(patron, book, branch):
    services.hold_place(patron=PatronFactory(), barcode=book.barcode, pickup_branch=branch)
    refused(services.ITEM_HELD_FOR_ANOTHER, checkout, patron, book, branch)


def test_holder_checks_out_and_the_hold_is_gone(patron, book, branch):
    hold = services.hold_place(patron=patron, barcode=book.barcode, pickup_branch=branch)
    assert hold.status == Hold.Status.WAITING  # placed, not pulled: not ready yet
    checkout(patron, book, branch)
    assert not Hold.objects.exists()


def test_the_holder_collects_the_copy_from_the_hold_shelf(patron, book, branch):
    services.hold_place(patron=patron, barcode=book.barcode, pickup_branch=branch)
    pulled = services.loan_checkin(barcode=book.barcode, branch=branch)
    assert pulled.routing == services.Routing.HOLD_SHELF and pulled.hold.status == "ready"
    refused(services.ITEM_ON_HOLD_SHELF, checkout, PatronFactory(), book, branch)
    checkout(patron, book, branch)
    book.refresh_from_db()
    assert not Hold.objects.exists() and book.status == Item.Status.ON_LOAN


def test_renewal_extends_the_loan_and_counts_it(patron, book, branch):
    now = timezone.now()
    loan = checkout(patron, book, branch, now=now)
    later = now + datetime.timedelta(days=10)
    renewed = services.loan_renew(patron=patron, loan_id=loan.pk, now=later)
    assert timezone.localtime(renewed.due_at).date() == timezone.localdate(
        later
    ) + datetime.timedelta(days=21)
    assert renewed.renewals == 1
    assert CirculationDay.objects.get(day=timezone.localdate(later)).renewals == 1


def test_renewal_limit_is_refused_and_changes_nothing(patron, book, branch):
    loan = checkout(patron, book, branch)
    services.loan_renew(patron=patron, loan_id=loan.pk)
    refused(services.RENEWAL_LIMIT, services.loan_renew, patron=patron, loan_id=loan.pk)


def test_renewal_refused_when_someone_else_holds_the_item(patron, book, branch):
    loan = checkout(patron, book, branch)
    services.hold_place(patron=PatronFactory(), barcode=book.barcode, pickup_branch=branch)
    refused(services.ITEM_HELD_FOR_ANOTHER, services.loan_renew, patron=patron, loan_id=loan.pk)


def test_renewing_another_patrons_loan_is_refused(patron, book, branch):
    loan = checkout(PatronFactory(), book, branch)
    refused(services.LOAN_NOT_FOUND, services.loan_renew, patron=patron, loan_id=loan.pk)


def test_checkin_of_an_item_not_out_is_refused_and_changes_nothing(book, branch):
    refused(services.ITEM_NOT_OUT, services.loan_checkin, barcode=book.barcode, branch=branch)


def test_checkin_forgets_the_patron_and_keeps_only_days(patron, book, branch):
    checkout(patron, book, branch)
    result = services.loan_checkin(barcode=book.barcode, branch=branch)
    loan = Loan.objects.get()
    assert result.fine is None and loan.patron_id is None
    for moment in (loan.checked_out_at, loan.due_at, loan.returned_at):
        local = timezone.localtime(moment)
        assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    assert not ReadingHistoryEntry.objects.exists()
    assert CirculationDay.objects.get().returns == 1


def test_checkin_for_an_opted_in_patron_keeps_history_but_still_forgets_the_loan(book, branch):
    reader = PatronFactory(keeps_reading_history=True)
    checkout(reader, book, branch)
    services.loan_checkin(barcode=book.barcode, branch=branch)
    entry = ReadingHistoryEntry.objects.get()
    assert (entry.patron, entry.item, entry.title) == (reader, book, book.record.title)
    assert Loan.objects.get().patron_id is None


def test_late_return_is_fined_per_day_and_keeps_the_link_until_paid(patron, book, branch):
    now = timezone.now()
    checkout(patron, book, branch, now=now - datetime.timedelta(days=24))
    result = services.loan_checkin(barcode=book.barcode, branch=branch, now=now)
    assert result.fine is not None and result.fine.amount == Decimal("0.75")
    loan = Loan.objects.get()
    assert loan.patron_id == patron.pk and result.fine.loan_id == loan.pk
    services.fine_pay(patron=patron, fine_id=result.fine.pk)
    loan.refresh_from_db()
    fine = Fine.objects.get()
    assert loan.patron_id is None and fine.loan_id is None and fine.paid_at is not None


def test_fine_is_capped_by_the_loan_rule(patron, book, branch):
    now = timezone.now()
    checkout(patron, book, branch, now=now - datetime.timedelta(days=200))
    result = services.loan_checkin(barcode=book.barcode, branch=branch, now=now)
    assert result.fine.amount == Decimal("2.00")


def test_waiving_the_fine_also_forgets_the_patron(patron, book, branch):
    now = timezone.now()
    checkout(patron, book, branch, now=now - datetime.timedelta(days=30))
    fine = services.loan_checkin(barcode=book.barcode, branch=branch, now=now).fine
    services.fine_waive(patron=patron, fine_id=fine.pk, reason="staff_error")
    assert Loan.objects.get().patron_id is None
    assert Fine.objects.get().waived_at is not None


def test_a_loan_with_a_second_unpaid_fine_keeps_its_patron_until_both_are_settled(
    patron, book, branch
):
    now = timezone.now()
    checkout(patron, book, branch, now=now - datetime.timedelta(days=30))
    late = services.loan_checkin(barcode=book.barcode, branch=branch, now=now).fine
    loan = Loan.objects.get()
    damaged = FineFactory(patron=patron, loan=loan, reason="damaged")
    services.fine_pay(patron=patron, fine_id=late.pk)
    assert Loan.objects.get().patron_id == patron.pk
    services.fine_pay(patron=patron, fine_id=damaged.pk)
    assert Loan.objects.get().patron_id is None


def test_paying_a_settled_fine_is_refused_and_changes_nothing(patron):
    fine = FineFactory(patron=patron)
    services.fine_pay(patron=patron, fine_id=fine.pk)
    # Settled, it names no patron any more (CONF-9): to the desk it is no fine of theirs.
    refused(services.FINE_NOT_FOUND, services.fine_pay, patron=patron, fine_id=fine.pk)


def test_paying_another_patrons_fine_is_refused(patron):
    fine = FineFactory()
    refused(services.FINE_NOT_FOUND, services.fine_pay, patron=patron, fine_id=fine.pk)


def test_hold_on_an_item_out_waits_and_checkin_puts_it_on_the_shelf(patron, book, branch):
    checkout(PatronFactory(), book, branch)
    hold = services.hold_place(patron=patron, barcode=book.barcode, pickup_branch=branch)
    assert hold.status == Hold.Status.WAITING
    result = services.loan_checkin(barcode=book.barcode, branch=branch)
    assert result.hold == hold
    hold.refresh_from_db()
    assert hold.status == Hold.Status.READY and hold.ready_until > timezone.localdate()


def test_hold_twice_is_refused_and_changes_nothing(patron, book, branch):
    services.hold_place(patron=patron, barcode=book.barcode, pickup_branch=branch)
    refused(
        services.HOLD_ALREADY_PLACED,
        services.hold_place,
        patron=patron,
        barcode=book.barcode,
        pickup_branch=branch,
    )


def test_hold_on_own_loan_is_refused(patron, book, branch):
    checkout(patron, book, branch)
    refused(
        services.HOLD_ON_OWN_LOAN,
        services.hold_place,
        patron=patron,
        barcode=book.barcode,
        pickup_branch=branch,
    )


def test_blocked_patron_cannot_place_holds(book, branch):
    refused(
        services.PATRON_BLOCKED,
        services.hold_place,
        patron=PatronFactory(status="blocked"),
        barcode=book.barcode,
        pickup_branch=branch,
    )


def test_cancelling_a_ready_hold_deletes_it_and_the_next_is_ready_once_scanned(
    patron, book, branch
):
    first = services.hold_place(patron=patron, barcode=book.barcode, pickup_branch=branch)
    second = services.hold_place(patron=PatronFactory(), barcode=book.barcode, pickup_branch=branch)
    services.loan_checkin(barcode=book.barcode, branch=branch)  # pulled for the first
    first.refresh_from_db()
    assert first.status == Hold.Status.READY and second.status == Hold.Status.WAITING
    services.hold_cancel(patron=patron, hold_id=first.pk)
    assert not Hold.objects.filter(pk=first.pk).exists()
    second.refresh_from_db()
    assert second.status == Hold.Status.WAITING  # the copy still has the first slip
    services.loan_checkin(barcode=book.barcode, branch=branch)  # taken off and scanned
    second.refresh_from_db()
    assert second.status == Hold.Status.READY


def test_cancelling_someone_elses_hold_is_refused(patron):
    hold = HoldFactory()
    refused(services.HOLD_NOT_FOUND, services.hold_cancel, patron=patron, hold_id=hold.pk)


def test_a_returned_factory_loan_without_patron_is_untouched_by_settling_fines(patron):
    loan = LoanFactory(patron=patron)
    fine = FineFactory(patron=patron, loan=loan)
    services.fine_pay(patron=patron, fine_id=fine.pk)
    # The loan is still out, so it keeps its patron.
    assert Loan.objects.get().patron_id == patron.pk
    assert Patron.objects.get(pk=patron.pk)
