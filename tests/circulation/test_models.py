import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from circulation.models import Hold, Item
from tests.factories import (
    BranchFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
)

pytestmark = pytest.mark.django_db


def test_an_item_has_at_most_one_open_loan():
    loan = LoanFactory()
    with pytest.raises(IntegrityError):
        LoanFactory(item=loan.item)


def test_a_returned_item_can_go_out_again():
    first = LoanFactory()
    first.returned_at = timezone.now()
    first.save()
    second = LoanFactory(item=first.item)
    assert second.is_open and not first.is_open


def test_an_open_loan_must_have_a_patron():
    with pytest.raises(IntegrityError):
        LoanFactory(patron=None)


def test_a_returned_loan_may_forget_its_patron():
    loan = LoanFactory(returned_at=timezone.now() + datetime.timedelta(minutes=1), patron=None)
    assert loan.patron_id is None


def test_a_loan_cannot_be_due_before_it_was_checked_out():
    now = timezone.now()
    with pytest.raises(IntegrityError):
        LoanFactory(checked_out_at=now, due_at=now - datetime.timedelta(days=1))


def test_barcodes_are_unique():
    ItemFactory(barcode="31000000009999")
    with pytest.raises(IntegrityError):
        ItemFactory(barcode="31000000009999")


def test_a_fine_must_be_positive():
    with pytest.raises(IntegrityError):
        FineFactory(amount=Decimal("0.00"))


def test_a_fine_is_paid_or_waived_not_both():
    now = timezone.now()
    with pytest.raises(IntegrityError):
        FineFactory(paid_at=now, waived_at=now)


def test_a_settled_fine_keeps_no_patron():
    with pytest.raises(IntegrityError):
        FineFactory(patron=PatronFactory(), paid_at=timezone.now())


def test_an_unpaid_fine_always_names_its_patron():
    with pytest.raises(IntegrityError):
        FineFactory(patron=None)


def test_a_settled_fine_keeps_no_link_to_its_loan():
    loan = LoanFactory()
    with pytest.raises(IntegrityError):
        FineFactory(patron=loan.patron, loan=loan, paid_at=timezone.now())


def test_a_patron_holds_a_title_once():
    hold = HoldFactory()
    with pytest.raises(IntegrityError):
        HoldFactory(record=hold.record, patron=hold.patron)


def test_a_copy_fills_one_hold_at_a_time():
    ready = HoldFactory(status="ready", ready_until=datetime.date(2026, 12, 1))
    with pytest.raises(IntegrityError):
        HoldFactory(item=ready.item, status="in_transit", pickup_branch=BranchFactory(code="NTH"))


def test_a_waiting_title_hold_has_no_copy_and_a_trapped_one_has():
    hold = HoldFactory()
    with pytest.raises(IntegrityError):
        Hold.objects.filter(pk=hold.pk).update(status="ready", ready_until=datetime.date.today())


def test_an_item_in_transit_says_where_it_is_going():
    item = ItemFactory()
    with pytest.raises(IntegrityError):
        Item.objects.filter(pk=item.pk).update(status="in_transit")


def test_a_ready_hold_has_a_pickup_deadline():
    with pytest.raises(IntegrityError):
        HoldFactory(status="ready", ready_until=None)


def test_loan_text_never_names_the_patron():
    patron = PatronFactory(first_name="Zelda", last_name="Quartermain")
    loan = LoanFactory(patron=patron)
    assert "Zelda" not in str(loan) and patron.card_number not in str(loan)
