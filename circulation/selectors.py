"""Reads for the circulation desk, each through the gate (CONF-1, CONF-3)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import F, Q
from django.utils import timezone

from circulation import services
from circulation.models import Fine, FinePayment, Hold, Item, Loan
from library import dates
from library.models import Branch
from patrons.models import Patron
from privacy import access
from privacy.policy import DataCategory, Purpose

BLOCK_STATUS = "Card blocked."
BLOCK_EXPIRED = "Card expired on {day}."
BLOCK_FINES = "Unpaid fines of ${owed} are at or over the ${limit} limit."
BLOCK_BANNED = "Banned from this branch until {until}."


@dataclass
class DeskSummary:
    patron: Patron
    loans: list[Loan]
    holds: list[Hold]
    fines: list[Fine]
    owed: Decimal
    blocks: list[str] = field(default_factory=list)
    today: datetime.date = field(default_factory=timezone.localdate)

    @property
    def is_minor(self) -> bool:
        return self.patron.is_minor_on(self.today)

    @property
    def card_expired(self) -> bool:
        return self.patron.card_expires_on < self.today

    @property
    def holds_ready(self) -> list[Hold]:
        return [hold for hold in self.holds if hold.status == Hold.Status.READY]


def desk_patron(
    *,
    user: Any,
    purpose: Purpose = Purpose.CIRCULATION,
    pk: int | str | None = None,
    card_number: str | None = None,
) -> Patron:
    """Return the patron at the desk, read through the gate for a desk purpose (logged)."""
    return access.find_patron(
        user,
        pk=pk,
        card_number=card_number,
        category=DataCategory.CIRCULATION,
        purpose=purpose,
    )


def desk_summary(*, patron: Patron, branch: Branch | None = None) -> DeskSummary:
    """Return what the desk shows of a patron the gate has let it read: five queries, any size.

    Each unpaid fine carries `balance` (its amount less the payments toward it)
    and names its item while unpaid (the link goes when it is settled, CONF-9).
    """
    today = timezone.localdate()
    loans = list(
        Loan.objects.filter(patron=patron, returned_at__isnull=True)
        .select_related("item__record")
        .order_by("due_at", "pk")
    )
    holds = list(
        Hold.objects.filter(patron=patron)
        .select_related("record", "item", "pickup_branch")
        .order_by(F("ready_until").asc(nulls_last=True), "placed_at")
    )
    fines: list[Fine] = list(
        Fine.objects.filter(patron=patron, paid_at__isnull=True, waived_at__isnull=True)
        .select_related("loan__item__record")
        .annotate(paid=services.paid_toward())
        .order_by("created_at", "pk")
    )
    for fine in fines:
        fine.balance = fine.amount - fine.paid  # type: ignore[attr-defined]
    owed = sum((fine.balance for fine in fines), Decimal("0.00"))  # type: ignore[attr-defined]
    blocks = []
    if patron.status == Patron.Status.BLOCKED:
        blocks.append(BLOCK_STATUS)
    if patron.status == Patron.Status.EXPIRED or patron.card_expires_on < today:
        blocks.append(BLOCK_EXPIRED.format(day=dates.day(patron.card_expires_on)))
    if owed >= services.fine_limit():
        blocks.append(BLOCK_FINES.format(owed=owed, limit=services.fine_limit()))
    if branch is not None and (until := ban_until(patron=patron, branch=branch)) is not None:
        blocks.append(BLOCK_BANNED.format(until=dates.moment(until)))
    return DeskSummary(
        patron=patron, loans=loans, holds=holds, fines=fines, owed=owed, blocks=blocks, today=today
    )


def ban_until(
    *, patron: Patron, branch: Branch, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """Return when the patron's ban from this branch ends, if one is in effect; one query.

    Only the end: the incident, its note and who recorded it stay with the
    incident staff (CONF-10). Facilities sits beside circulation in the layers,
    so the model is named by its label, as privacy names the patron
    (privacy.subjects); `in_effect` is its own rule of when a ban holds.
    """
    ban_model = apps.get_model("facilities", "Ban")
    bans = ban_model.objects.in_effect(now).filter(person__patron=patron)
    return (
        bans.filter(Q(all_branches=True) | Q(branches=branch))
        .order_by("-ends_at")
        .values_list("ends_at", flat=True)
        .first()
    )


def checkout_receipt_loans(*, patron: Patron, since: datetime.datetime) -> list[Loan]:
    """Return the patron's open loans checked out since `since`: a check-out receipt's lines."""
    return list(
        Loan.objects.filter(patron=patron, returned_at__isnull=True, checked_out_at__gte=since)
        .select_related("item__record", "branch")
        .order_by("checked_out_at", "pk")
    )


@dataclass(frozen=True)
class PaymentReceipt:
    payment: FinePayment
    fine: Fine
    paid_so_far: Decimal  # this payment and those before it
    balance: Decimal  # still owed on the fine after this payment


def payment_receipt(
    *, user: Any, payment_id: int, now: datetime.datetime | None = None
) -> PaymentReceipt | None:
    """Return a payment this user took today, with the fine's balance after it; else None.

    A receipt names no patron and no item: the payer holds it, and a paid
    fine keeps neither (CONF-9). Only the one who took the money may print it,
    on the day they took it.
    """
    day = timezone.localdate(now or timezone.now())
    payment = (
        FinePayment.objects.select_related("fine", "branch", "received_by")
        .filter(pk=payment_id, received_by=user)
        .first()
    )
    if payment is None or timezone.localdate(payment.received_at) != day:
        return None
    earlier = FinePayment.objects.filter(fine_id=payment.fine_id).filter(
        Q(received_at__lt=payment.received_at)
        | Q(received_at=payment.received_at, pk__lte=payment.pk)
    )
    paid = sum((row.amount for row in earlier), Decimal("0.00"))
    return PaymentReceipt(
        payment=payment, fine=payment.fine, paid_so_far=paid, balance=payment.fine.amount - paid
    )


def hold_for_slip(*, user: Any, hold_id: int) -> tuple[Hold, Patron] | None:
    """Return a hold and its patron, read through the gate for holds (logged); None if no hold."""
    hold = Hold.objects.select_related("record", "item", "pickup_branch").filter(pk=hold_id).first()
    if hold is None:
        return None
    patron = access.find_patron(
        user, pk=hold.patron_id, category=DataCategory.IDENTITY, purpose=Purpose.HOLDS
    )
    return hold, patron


def hold_slip_name(*, user: Any, hold: Hold) -> str:
    """Return the name for a hold-shelf slip, read through the gate for holds (logged)."""
    patron = access.find_patron(
        user, pk=hold.patron_id, category=DataCategory.IDENTITY, purpose=Purpose.HOLDS
    )
    return f"{patron.last_name}, {patron.first_name}"


def checkin_answer(ids: dict[str, Any] | None) -> services.CheckinResult | None:
    """Return a check-in's result again from the ids the desk kept for the page after it."""
    if not ids or not ids.get("item"):
        return None
    item = Item.objects.select_related("record", "transit_to").filter(pk=ids["item"]).first()
    if item is None:
        return None
    fine = Fine.objects.filter(pk=ids["fine"]).first() if ids.get("fine") else None
    hold = (
        Hold.objects.select_related("pickup_branch").filter(pk=ids["hold"]).first()
        if ids.get("hold")
        else None
    )
    routing = ids.get("routing")
    if routing not in services.Routing.values:
        routing = services.Routing.SHELVE
    return services.CheckinResult(item=item, fine=fine, hold=hold, routing=routing)
