"""Desks acting at once on PostgreSQL, in real threads: nothing lost, nothing booked twice.

tests/circulation/test_concurrency.py covers two check-outs of one item and a
check-in racing an opt-out; tests/privacy/test_audit_concurrency.py covers raw
appends to the audit chain. These fill the gaps: renewals, holds, a check-out
racing a hold, the anonymous daily counts, and reads through the gate.
Each test widens the window where an unlocked version would go wrong.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from audit import verify
from audit.models import AuditEntry
from circulation import services
from circulation.models import CirculationDay, Hold, Item, Loan
from library.roles import Role
from privacy import access
from privacy.policy import DataCategory, Purpose
from tests.factories import (
    BranchFactory,
    ItemFactory,
    LoanRuleFactory,
    PatronFactory,
    UserFactory,
)

# Real threads need committed data: each desk works on its own connection.
pytestmark = pytest.mark.django_db(transaction=True)


def at_once(*actions: Callable[[], Any]) -> list[str]:
    """Run the actions in threads released together; return "ok" or each error's message."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(action: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            action()
            outcome = "ok"
        except services.CirculationError as error:
            outcome = str(error.message)
        except Exception as error:
            outcome = f"{type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == len(actions), "a desk never finished (a deadlock?)"
    return sorted(outcomes)


def slowed(function: Callable[..., Any], seconds: float = 0.3) -> Callable[..., Any]:
    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return function(*args, **kwargs)

    return slow


@pytest.fixture
def branch(on_postgres):  # type: ignore[no-untyped-def]
    LoanRuleFactory(renewal_limit=2)
    return BranchFactory(code="CEN")


def test_two_desks_renewing_the_last_renewal_at_once_renew_it_once(branch, monkeypatch):
    item = ItemFactory(branch=branch)
    reader = PatronFactory(home_branch=branch)
    loan = services.loan_checkout(patron=reader, barcode=item.barcode, branch=branch)
    services.loan_renew(patron=reader, loan_id=loan.pk)
    monkeypatch.setattr(services, "_rule", slowed(services._rule))
    outcomes = at_once(
        lambda: services.loan_renew(patron=reader, loan_id=loan.pk),
        lambda: services.loan_renew(patron=reader, loan_id=loan.pk),
    )
    assert outcomes == sorted(["ok", services.RENEWAL_LIMIT])
    loan.refresh_from_db()
    assert loan.renewals == 2
    assert sum(CirculationDay.objects.values_list("renewals", flat=True)) == 2


def test_many_patrons_holding_one_free_title_at_once_all_queue_and_one_scan_fills_one(
    branch, monkeypatch
):
    item = ItemFactory(branch=branch)
    patrons = [PatronFactory(home_branch=branch) for _ in range(5)]
    # Widen the window between the checks and the insert.
    monkeypatch.setattr(Hold, "full_clean", slowed(Hold.full_clean))
    outcomes = at_once(
        *[
            (lambda p=p: services.hold_place(patron=p, barcode=item.barcode, pickup_branch=branch))
            for p in patrons
        ]
    )
    assert outcomes == ["ok"] * 5
    holds = Hold.objects.filter(record=item.record)
    assert holds.count() == 5 and not holds.exclude(status=Hold.Status.WAITING).exists()
    services.loan_checkin(barcode=item.barcode, branch=branch)  # pulled from the shelf
    assert holds.filter(status=Hold.Status.READY).count() == 1


def test_one_patron_placing_the_same_hold_twice_at_once_gets_one_and_a_message(branch, monkeypatch):
    item = ItemFactory(branch=branch)
    reader = PatronFactory(home_branch=branch)
    monkeypatch.setattr(Hold, "full_clean", slowed(Hold.full_clean))
    place = lambda: services.hold_place(  # noqa: E731
        patron=reader, barcode=item.barcode, pickup_branch=branch
    )
    assert at_once(place, place) == sorted(["ok", services.HOLD_ALREADY_PLACED])
    assert Hold.objects.filter(record=item.record, patron=reader).count() == 1


def test_a_check_out_racing_another_patrons_hold_never_books_the_item_twice(branch, monkeypatch):
    for _ in range(3):
        item = ItemFactory(branch=branch)
        borrower, holder = PatronFactory(home_branch=branch), PatronFactory(home_branch=branch)
        monkeypatch.setattr(
            services, "_needed_for_others", slowed(services._needed_for_others, 0.2)
        )
        outcomes = at_once(
            lambda item=item, borrower=borrower: services.loan_checkout(
                patron=borrower, barcode=item.barcode, branch=branch
            ),
            lambda item=item, holder=holder: services.hold_place(
                patron=holder, barcode=item.barcode, pickup_branch=branch
            ),
        )
        monkeypatch.undo()
        assert outcomes in (["ok", "ok"], sorted(["ok", services.ITEM_HELD_FOR_ANOTHER]))
        out = Loan.objects.filter(item=item, returned_at__isnull=True).count()
        on_shelf = Item.objects.filter(pk=item.pk, status=Item.Status.ON_SHELF).count()
        assert out + on_shelf == 1  # on loan to one, or on the shelf for the other; never both
        # The hold waits either way: placing it never readies a copy nobody pulled.
        hold = Hold.objects.get(record=item.record, patron=holder)
        assert hold.status == Hold.Status.WAITING


def test_check_outs_of_many_items_at_once_are_all_counted(branch, monkeypatch):
    items = [ItemFactory(branch=branch) for _ in range(6)]
    readers = [PatronFactory(home_branch=branch) for _ in items]
    monkeypatch.setattr(services, "_count", slowed(services._count, 0.2))
    outcomes = at_once(
        *[
            (lambda i=i, r=r: services.loan_checkout(patron=r, barcode=i.barcode, branch=branch))
            for i, r in zip(items, readers, strict=True)
        ]
    )
    assert outcomes == ["ok"] * 6
    assert Loan.objects.filter(returned_at__isnull=True).count() == 6
    assert CirculationDay.objects.count() == 1  # one row per day, branch, type, age group
    assert CirculationDay.objects.get().checkouts == 6


def test_reads_through_the_gate_from_many_desks_at_once_are_all_logged_in_one_chain(
    branch,
):
    desks = [UserFactory(username=f"desk{n}", role=Role.CIRCULATION) for n in range(6)]
    patrons = [PatronFactory(home_branch=branch) for _ in range(4)]
    start = AuditEntry.objects.count()

    def desk_reads(desk: Any) -> None:
        for patron in patrons:
            access.read(desk, patron, DataCategory.CIRCULATION, Purpose.CIRCULATION)
        access.record_list_read(
            desk, [p.pk for p in patrons], DataCategory.IDENTITY, Purpose.REGISTRATION
        )

    outcomes = at_once(*[(lambda d=d: desk_reads(d)) for d in desks])
    assert outcomes == ["ok"] * 6
    reads = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS, actor__in=desks)
    assert AuditEntry.objects.count() - start == reads.count() == 6 * 8
    for desk in desks:
        assert reads.filter(actor=desk).count() == 8
    assert verify.verify_chain().intact
