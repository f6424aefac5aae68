"""Reads for the circulation desk, each through the gate (CONF-1, CONF-3)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils import timezone

from circulation import services
from circulation.models import Fine, Hold, Loan
from patrons.models import Patron
from privacy import access
from privacy.policy import DataCategory, Purpose

BLOCK_STATUS = "Card blocked."
BLOCK_EXPIRED = "Card expired on {day:%B %-d, %Y}."
BLOCK_FINES = "Unpaid fines of ${owed} are at or over the ${limit} limit."


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


def desk_summary(*, patron: Patron) -> DeskSummary:
    """Return what the desk shows of a patron the gate has let it read: four queries, any size."""
    today = timezone.localdate()
    loans = list(
        Loan.objects.filter(patron=patron, returned_at__isnull=True)
        .select_related("item")
        .order_by("due_at", "pk")
    )
    holds = list(
        Hold.objects.filter(patron=patron)
        .select_related("item", "pickup_branch")
        .order_by(F("ready_until").asc(nulls_last=True), "placed_at")
    )
    fines = list(
        Fine.objects.filter(patron=patron, paid_at__isnull=True, waived_at__isnull=True).order_by(
            "created_at", "pk"
        )
    )
    owed = sum((fine.amount for fine in fines), Decimal("0.00"))
    blocks = []
    if patron.status == Patron.Status.BLOCKED:
        blocks.append(BLOCK_STATUS)
    if patron.status == Patron.Status.EXPIRED or patron.card_expires_on < today:
        blocks.append(BLOCK_EXPIRED.format(day=patron.card_expires_on))
    if owed >= services.fine_limit():
        blocks.append(BLOCK_FINES.format(owed=owed, limit=services.fine_limit()))
    return DeskSummary(
        patron=patron, loans=loans, holds=holds, fines=fines, owed=owed, blocks=blocks, today=today
    )


def hold_slip_name(*, user: Any, hold: Hold) -> str:
    """Return the name for a hold-shelf slip, read through the gate for holds (logged)."""
    patron = access.find_patron(
        user, pk=hold.patron_id, category=DataCategory.IDENTITY, purpose=Purpose.HOLDS
    )
    return f"{patron.last_name}, {patron.first_name}"
