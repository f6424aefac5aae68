"""Two desks acting on the same item, title or fine at the same moment: exactly one succeeds."""

import threading
import time

import pytest
from django.db import connection

from circulation import services
from circulation.models import Loan
from tests.factories import BranchFactory, ItemFactory, LoanRuleFactory, PatronFactory

# Real threads need committed data: each desk runs on its own connection.
committed = pytest.mark.django_db(transaction=True)


@committed
def test_two_desks_checking_out_one_item_at_once_one_wins(on_postgres, monkeypatch):
    branch = BranchFactory(code="CEN")
    LoanRuleFactory()
    item = ItemFactory(branch=branch)
    patrons = [PatronFactory(home_branch=branch), PatronFactory(home_branch=branch)]

    # Widen the window between the check and the insert, where an unlocked
    # check-out would let both desks see the item free.
    needed = services._needed_for_others

    def slow_needed(item, patron):
        time.sleep(0.3)
        return needed(item, patron)

    monkeypatch.setattr(services, "_needed_for_others", slow_needed)
    # With the row lock the second desk sees the loan and never tries to write
    # one; without it both would insert and the unique constraint would catch it.
    inserts: list[int] = []
    save = Loan.save

    def counting_save(self, *args, **kwargs):
        if self._state.adding:
            inserts.append(1)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Loan, "save", counting_save)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def desk(patron):
        try:
            barrier.wait()
            services.loan_checkout(patron=patron, barcode=item.barcode, branch=branch)
            outcomes.append("ok")
        except services.CirculationError as error:
            outcomes.append(error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=desk, args=(patron,)) for patron in patrons]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == sorted(["ok", services.ITEM_ALREADY_OUT])
    assert Loan.objects.filter(item=item, returned_at__isnull=True).count() == 1
    assert len(inserts) == 1


@committed
def test_checkin_and_opt_out_at_once_leave_no_history(on_postgres, monkeypatch):
    from circulation import reading_history as patron_services
    from circulation.models import ReadingHistoryEntry

    branch = BranchFactory(code="CEN")
    LoanRuleFactory()
    item = ItemFactory(branch=branch)
    reader = PatronFactory(home_branch=branch, keeps_reading_history=True)
    services.loan_checkout(patron=reader, barcode=item.barcode, branch=branch)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(action):
        try:
            barrier.wait()
            action()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=run,
            args=(lambda: services.loan_checkin(barcode=item.barcode, branch=branch),),
        ),
        threading.Thread(
            target=run,
            args=(lambda: patron_services.patron_reading_history_opt_out(patron=reader),),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == []
    assert not ReadingHistoryEntry.objects.exists()


@committed
def test_two_desks_taking_payments_for_one_fine_at_once_cannot_over_pay(on_postgres, monkeypatch):
    from decimal import Decimal

    from circulation.models import FinePayment
    from tests.factories import FineFactory

    branch = BranchFactory(code="CEN")
    patron = PatronFactory(home_branch=branch)
    fine = FineFactory(patron=patron, amount=Decimal("4.00"))

    # Widen the window between reading the balance and saving the payment, where
    # an unlocked read would let both desks see $4.00 owed.
    balance = services.fine_balance

    def slow_balance(fine):
        owed = balance(fine)
        time.sleep(0.3)
        return owed

    monkeypatch.setattr(services, "fine_balance", slow_balance)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def desk():
        try:
            barrier.wait()
            services.fine_pay(patron=patron, fine_id=fine.pk, amount=Decimal("3.00"))
            outcomes.append("ok")
        except services.CirculationError as error:
            outcomes.append(str(error.message))
        finally:
            connection.close()

    threads = [threading.Thread(target=desk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    refused = services.PAYMENT_OVER_BALANCE.format(amount="3.00", balance="1.00")
    assert sorted(outcomes) == sorted(["ok", refused])
    assert [payment.amount for payment in FinePayment.objects.all()] == [Decimal("3.00")]


def _at_once(*actions) -> list[object]:
    """Run each action on its own connection, all released together; return results or errors."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = []

    def run(action):
        try:
            barrier.wait()
            results.append(action())
        except services.CirculationError as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return results


def _slow_route(monkeypatch):
    # Widen the window between choosing the next hold and trapping the copy for
    # it, where two unlocked desks would both choose the same hold.
    shelve = services._hold_shelve

    def slow(hold, item, today):
        time.sleep(0.5)
        return shelve(hold, item, today)

    monkeypatch.setattr(services, "_hold_shelve", slow)


@committed
def test_two_desks_scanning_the_last_copy_for_two_holds_fill_exactly_one(on_postgres, monkeypatch):
    from circulation.models import Hold, Item

    branch = BranchFactory(code="CEN")
    item = ItemFactory(branch=branch)
    for _ in range(2):
        services.hold_place(
            patron=PatronFactory(home_branch=branch), barcode=item.barcode, pickup_branch=branch
        )
    _slow_route(monkeypatch)
    results = _at_once(
        lambda: services.loan_checkin(barcode=item.barcode, branch=branch),
        lambda: services.loan_checkin(barcode=item.barcode, branch=branch),
    )
    routings = sorted(result.routing for result in results)  # type: ignore[attr-defined]
    assert routings == sorted([services.Routing.HOLD_SHELF, services.Routing.ALREADY_ROUTED])
    assert Hold.objects.filter(status=Hold.Status.READY).count() == 1
    assert Hold.objects.filter(status=Hold.Status.WAITING).count() == 1
    assert Item.objects.get(pk=item.pk).status == Item.Status.ON_HOLD_SHELF


@committed
def test_two_copies_scanned_at_once_for_one_hold_fill_it_once(on_postgres, monkeypatch):
    from circulation.models import Hold, Item

    branch = BranchFactory(code="CEN")
    first = ItemFactory(branch=branch)
    second = ItemFactory(branch=branch, record=first.record)
    hold = services.hold_place(
        patron=PatronFactory(home_branch=branch), barcode=first.barcode, pickup_branch=branch
    )
    _slow_route(monkeypatch)
    results = _at_once(
        lambda: services.loan_checkin(barcode=first.barcode, branch=branch),
        lambda: services.loan_checkin(barcode=second.barcode, branch=branch),
    )
    # One copy goes to the hold shelf; the other finds no hold and is refused as
    # a shelf scan nobody wants (nothing changed), or is shelved.
    trapped = [r for r in results if getattr(r, "routing", None) == services.Routing.HOLD_SHELF]
    assert len(trapped) == 1
    hold.refresh_from_db()
    assert hold.status == Hold.Status.READY
    statuses = sorted(Item.objects.filter(record=first.record).values_list("status", flat=True))
    assert statuses == sorted([Item.Status.ON_HOLD_SHELF, Item.Status.ON_SHELF])


@committed
def test_two_copies_scanned_at_once_for_two_holds_fill_both_one_each(on_postgres, monkeypatch):
    # Without the title's lock the second desk waits on the first hold's row, finds
    # it taken, and shelves its copy though a second patron is waiting.
    from circulation.models import Hold, Item

    branch = BranchFactory(code="CEN")
    first = ItemFactory(branch=branch)
    second = ItemFactory(branch=branch, record=first.record)
    for _ in range(2):
        services.hold_place(
            patron=PatronFactory(home_branch=branch), barcode=first.barcode, pickup_branch=branch
        )
    _slow_route(monkeypatch)
    _at_once(
        lambda: services.loan_checkin(barcode=first.barcode, branch=branch),
        lambda: services.loan_checkin(barcode=second.barcode, branch=branch),
    )
    ready = Hold.objects.filter(status=Hold.Status.READY)
    assert ready.count() == 2 and len({hold.item_id for hold in ready}) == 2
    assert set(Item.objects.filter(record=first.record).values_list("status", flat=True)) == {
        Item.Status.ON_HOLD_SHELF
    }
