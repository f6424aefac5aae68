"""The desk's lists of holds in motion: the pull list, items in transit, the hold shelf.

The pull list and the in-transit list name no patron: staff need the copy
and where it goes, not who asked for it (CONF-9). The hold shelf shows its
holders only as far as the gate lets this user read them, and every holder
it names is logged as read (privacy.access.record_list_read, CONF-1, CONF-3).
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone

from circulation.models import BibliographicRecord, Hold, Item
from library.models import Branch
from privacy import access
from privacy.policy import DataCategory, Purpose

LIST_LIMIT = 500  # a day's work at one branch; the page says when there is more


@dataclass(frozen=True)
class PullLine:
    record: BibliographicRecord
    copies: list[Item]  # on the shelf here, in call-number order
    waiting: int  # holds this branch's copies could fill
    oldest: datetime.datetime  # when the oldest of them was placed

    @property
    def to_pull(self) -> int:
        return min(len(self.copies), self.waiting)


def pull_list(branch: Branch) -> list[PullLine]:
    """Return the titles whose copies on this branch's shelves waiting holds could take (3 queries).

    A title-level hold can take any copy on a shelf here; a hold on one copy
    only that copy. Ordered by the first copy's shelving location and call
    number, the way staff walk the shelves. A hold shows on every branch that
    has a copy for it, until one branch's scan traps a copy (loan_checkin).
    """
    shelf = Item.objects.filter(current_branch=branch, status=Item.Status.ON_SHELF)
    fillable = Hold.objects.filter(record=OuterRef("pk"), status=Hold.Status.WAITING).filter(
        Q(item_level=False, record__items__in=shelf) | Q(item_level=True, item__in=shelf)
    )
    waiting = Q(holds__status=Hold.Status.WAITING) & (
        Q(holds__item_level=False) | Q(holds__item__in=shelf)
    )
    records = list(
        BibliographicRecord.objects.filter(Exists(fillable))
        .annotate(
            waiting=Count("holds", filter=waiting), oldest=Min("holds__placed_at", filter=waiting)
        )
        .order_by("oldest")[:LIST_LIMIT]
    )
    copies: dict[int, list[Item]] = {}
    for item in shelf.filter(record__in=records).order_by("shelving_location", "call_number"):
        copies.setdefault(item.record_id, []).append(item)
    lines = [
        PullLine(record=r, copies=copies.get(r.pk, []), waiting=r.waiting, oldest=r.oldest)
        for r in records
    ]
    return sorted(
        (line for line in lines if line.copies),
        key=lambda line: (line.copies[0].shelving_location, line.copies[0].call_number),
    )


def in_transit(branch: Branch) -> tuple[list[Item], list[Item]]:
    """Return the copies on their way from this branch, and those on their way to it (2 queries)."""
    moving = Item.objects.filter(status=Item.Status.IN_TRANSIT).select_related(
        "record", "current_branch", "transit_to"
    )
    sent = list(
        moving.filter(current_branch=branch).order_by("status_since", "barcode")[:LIST_LIMIT]
    )
    coming = list(moving.filter(transit_to=branch).order_by("status_since", "barcode")[:LIST_LIMIT])
    return sent, coming


@dataclass(frozen=True)
class ShelfLine:
    hold: Hold
    holder: str  # "Surname, First name (card …1234)", or "" where the gate withholds it
    expired: bool  # past its last pickup day: take it off the shelf


def hold_shelf(*, user: Any, branch: Branch, today: datetime.date | None = None) -> list[ShelfLine]:
    """Return the ready holds waiting on this branch's hold shelf, oldest last day first.

    Holders are read through the gate for holds, one logged read each, and
    shown only where it allows (CONF-1, CONF-3).
    """
    today = today or timezone.localdate()
    holds = list(
        Hold.objects.filter(pickup_branch=branch, status=Hold.Status.READY)
        .select_related("record", "item", "patron")
        .order_by("ready_until", "pk")[:LIST_LIMIT]
    )
    shown = access.record_list_read(
        user, [hold.patron_id for hold in holds], DataCategory.IDENTITY, Purpose.HOLDS
    )
    lines = []
    for hold in holds:
        holder = ""
        if hold.patron_id in shown:
            patron = hold.patron
            holder = f"{patron.last_name}, {patron.first_name} (card …{patron.card_number[-4:]})"
        assert hold.ready_until is not None  # a ready hold has its last day
        lines.append(ShelfLine(hold=hold, holder=holder, expired=hold.ready_until < today))
    return lines


def hold_shelf_to_clear(branch: Branch) -> list[Item]:
    """Return the copies on this branch's hold shelf whose hold was cancelled or expired (1 query).

    Staff take them off the shelf and scan them at check-in, which passes each
    to the next patron in line or back to the shelf; they name no patron.
    """
    trapped = Hold.objects.filter(item=OuterRef("pk"), status=Hold.Status.READY)
    return list(
        Item.objects.filter(current_branch=branch, status=Item.Status.ON_HOLD_SHELF)
        .filter(~Exists(trapped))
        .select_related("record")
        .order_by("status_since", "barcode")[:LIST_LIMIT]
    )
