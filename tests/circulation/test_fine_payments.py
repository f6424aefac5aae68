"""Payments toward fines, waivers and charges, at the service level (CONF-9 for settled fines)."""

from decimal import Decimal

import pytest

from circulation import services
from circulation.models import Fine, FinePayment, Item, Loan
from tests.circulation.helpers import snapshot
from tests.factories import (
    BranchFactory,
    FineFactory,
    ItemFactory,
    LoanFactory,
    LoanRuleFactory,
    PatronFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    LoanRuleFactory()
    return BranchFactory(code="CEN")


@pytest.fixture
def patron(branch):
    return PatronFactory(home_branch=branch)


def returned_loan_with_fine(patron, branch, amount="4.00"):
    """A returned loan kept tied to its patron only by an unpaid fine."""
    loan = LoanFactory(patron=patron, item=ItemFactory(branch=branch))
    services.loan_checkin(barcode=loan.item.barcode, branch=branch)
    loan.refresh_from_db()
    fine = FineFactory(patron=patron, loan=loan, amount=Decimal(amount))
    Loan.objects.filter(pk=loan.pk).update(patron=patron)  # what an unpaid fine keeps
    return loan, fine


def test_a_fine_names_its_item_while_unpaid_and_not_once_paid_in_parts(patron, branch, desk):
    loan, fine = returned_loan_with_fine(patron, branch)
    services.fine_pay(patron=patron, fine_id=fine.pk, amount=Decimal("1.00"), received_by=desk)
    fine.refresh_from_db()
    assert fine.loan is not None and fine.loan.item_id == loan.item_id
    assert services.fine_balance(fine) == Decimal("3.00")
    assert services.fines_owed(patron) == Decimal("3.00")
    services.fine_pay(patron=patron, fine_id=fine.pk, amount=Decimal("3.00"), received_by=desk)
    fine.refresh_from_db()
    loan.refresh_from_db()
    assert fine.paid_at is not None and fine.loan_id is None and fine.patron_id is None
    assert loan.patron_id is None
    assert list(FinePayment.objects.values_list("amount", flat=True)) == [
        Decimal("1.00"),
        Decimal("3.00"),
    ]
    assert services.fines_owed(patron) == Decimal("0.00")


def test_paying_without_an_amount_pays_the_balance(patron, branch):
    fine = FineFactory(patron=patron, amount=Decimal("2.50"))
    services.fine_pay(patron=patron, fine_id=fine.pk, amount=Decimal("1.00"))
    payment = services.fine_pay(patron=patron, fine_id=fine.pk)
    assert payment.amount == Decimal("1.50")
    assert Fine.objects.get(pk=fine.pk).paid_at is not None


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("2.51", services.PAYMENT_OVER_BALANCE.format(amount="2.51", balance="2.50")),
        ("0.00", services.PAYMENT_NOT_POSITIVE),
        ("-1.00", services.PAYMENT_NOT_POSITIVE),
    ],
)
def test_a_bad_amount_is_refused_and_nothing_is_saved(patron, amount, message):
    fine = FineFactory(patron=patron, amount=Decimal("2.50"))
    before = snapshot()
    with pytest.raises(services.CirculationError) as raised:
        services.fine_pay(patron=patron, fine_id=fine.pk, amount=Decimal(amount))
    assert raised.value.message == message and raised.value.field == "amount"
    assert snapshot() == before
    assert not FinePayment.objects.exists()


def test_waiving_after_a_part_payment_settles_and_records_the_reason(patron, branch):
    loan, fine = returned_loan_with_fine(patron, branch)
    services.fine_pay(patron=patron, fine_id=fine.pk, amount=Decimal("1.00"))
    with pytest.raises(services.CirculationError):
        services.fine_waive(patron=patron, fine_id=fine.pk, reason="")
    services.fine_waive(patron=patron, fine_id=fine.pk, reason=Fine.WaiveReason.AMNESTY)
    fine.refresh_from_db()
    loan.refresh_from_db()
    assert fine.waive_reason == "amnesty" and fine.loan_id is None and fine.patron_id is None
    assert loan.patron_id is None


def test_charging_a_lost_item_ends_its_loan_and_paying_forgets_it(patron, branch):
    item = ItemFactory(branch=branch, replacement_cost=Decimal("30.00"))
    loan = services.loan_checkout(patron=patron, barcode=item.barcode, branch=branch)
    fine = services.fine_charge(patron=patron, loan_id=loan.pk, reason=Fine.Reason.LOST)
    loan.refresh_from_db()
    item.refresh_from_db()
    assert fine.amount == Decimal("30.00") and fine.loan_id == loan.pk
    assert loan.returned_at is not None and loan.patron_id == patron.pk
    assert item.status == Item.Status.LOST
    services.fine_pay(patron=patron, fine_id=fine.pk)
    loan.refresh_from_db()
    assert loan.patron_id is None


def test_only_lost_or_damaged_is_charged_and_only_for_this_patrons_loan(patron, branch):
    loan = LoanFactory(patron=patron, item=ItemFactory(branch=branch))
    with pytest.raises(services.CirculationError, match="lost or a damaged"):
        services.fine_charge(patron=patron, loan_id=loan.pk, reason="overdue", amount=Decimal(1))
    with pytest.raises(services.CirculationError, match="not on this card"):
        services.fine_charge(
            patron=PatronFactory(), loan_id=loan.pk, reason="damaged", amount=Decimal(1)
        )
    assert not Fine.objects.exists()


def test_renew_all_reports_each_loan(patron, branch):
    ok = LoanFactory(patron=patron, item=ItemFactory(branch=branch, title="A"))
    LoanFactory(patron=patron, item=ItemFactory(branch=branch, title="B"), renewals=2)
    outcomes = services.loans_renew_all(patron=patron)
    assert {(o.title, o.loan is not None, o.refusal) for o in outcomes} == {
        ("A", True, ""),
        ("B", False, services.RENEWAL_LIMIT),
    }
    assert Loan.objects.get(pk=ok.pk).renewals == 1
