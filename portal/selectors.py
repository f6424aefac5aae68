"""Reads for the patron portal. Callers pass the gate for the patron and category first."""

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet

from audit.models import AuditEntry
from circulation.models import Fine, Hold, Item, Loan, ReadingHistoryEntry
from library.roles import Role
from patrons.models import Patron
from privacy.models import LegalOrder
from privacy.policy import DataCategory, Purpose, Requester

ACCESS_PAGE_SIZE = 50
LOAN_PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 50
CATALOGUE_PAGE_SIZE = 20
SEARCH_MAX_TERMS = 8


def current_loans(patron: Patron) -> QuerySet[Loan]:
    return (
        Loan.objects.filter(patron=patron, returned_at__isnull=True)
        .select_related("item")
        .order_by("due_at", "pk")
    )


def holds_of(patron: Patron) -> QuerySet[Hold]:
    return (
        Hold.objects.filter(patron=patron)
        .select_related("item", "pickup_branch")
        .order_by("placed_at")
    )


def unpaid_fines(patron: Patron) -> QuerySet[Fine]:
    return Fine.objects.filter(
        patron=patron, paid_at__isnull=True, waived_at__isnull=True
    ).order_by("created_at")


def _terms(search: str) -> list[str]:
    return search.split()[:SEARCH_MAX_TERMS]


def reading_history(patron: Patron, *, search: str = "") -> QuerySet[ReadingHistoryEntry]:
    """Return the history the patron sees, newest first: none while the switch is off (CONF-9).

    Each search word must be in the title or the author. Entries the patron
    deleted under a legal hold, or kept by one after opting out, are never shown.
    """
    if not patron.keeps_reading_history:
        return ReadingHistoryEntry.objects.none()
    entries = ReadingHistoryEntry.objects.filter(patron=patron, deleted_at__isnull=True)
    for term in _terms(search):
        entries = entries.filter(Q(title__icontains=term) | Q(author__icontains=term))
    return entries.order_by("-returned_on", "-pk")


def catalogue_search(search: str) -> QuerySet[Item]:
    """Return items in the collection matching every word (title or author) or the barcode.

    Each item says whether it is out on loan, in the same query; no patron is read.
    """
    terms = _terms(search)
    if not terms:
        return Item.objects.none()
    words = Q()
    for term in terms:
        words &= Q(title__icontains=term) | Q(author__icontains=term)
    return (
        Item.objects.filter(withdrawn=False)
        .filter(words | Q(barcode=search.strip()))
        .select_related("branch")
        .annotate(
            on_loan=Exists(Loan.objects.filter(item=OuterRef("pk"), returned_at__isnull=True))
        )
        .order_by("title", "pk")
    )


def own_circulation_among(patron: Patron, item_ids: list[int]) -> tuple[set[int], set[int]]:
    """Return which of these items the patron has on loan and which they hold (two queries)."""
    loaned = set(
        Loan.objects.filter(
            patron=patron, returned_at__isnull=True, item_id__in=item_ids
        ).values_list("item_id", flat=True)
    )
    held = set(
        Hold.objects.filter(patron=patron, item_id__in=item_ids).values_list("item_id", flat=True)
    )
    return loaned, held


def minors_of(adult: Patron, readable: QuerySet[Patron]) -> QuerySet[Patron]:
    """Return the minors listed to an adult among the patrons the gate lets them read."""
    return readable.exclude(pk=adult.pk).order_by("first_name")


@dataclass(frozen=True)
class AccessLine:
    seq: int
    when: Any
    who: str
    branch: str
    category: str
    purpose: str
    clause: str


def _who(entry: AuditEntry) -> str:
    data = entry.additional_data or {}
    roles = data.get("roles") or []
    if roles:
        return (
            ", ".join(str(Role(role).label) for role in roles if role in Role.values)
            or "Library staff"
        )
    requester = data.get("requester", "")
    return str(Requester(requester).label) if requester in Requester.values else "The library"


def access_history(
    patron: Patron, *, before: int | None = None, size: int = ACCESS_PAGE_SIZE
) -> tuple[list[AccessLine], int | None]:
    """Return one page of who read this patron's data and why, newest first, and the next cursor.

    Reads under a legal order that forbids telling the patron stay hidden
    until the director lifts that (CONF-5); the patron's own reads are left out.
    """
    gagged = list(
        LegalOrder.objects.filter(patrons=patron, patron_may_be_told=False).values_list(
            "pk", flat=True
        )
    )
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Patron),
        object_id=patron.pk,
        action=AuditEntry.Action.ACCESS,
        decision="allowed",
    )
    if patron.user_id is not None:
        entries = entries.exclude(actor_id=patron.user_id)
    if gagged:
        # Only reads that name a gagged order are hidden; a read naming no order
        # has no key, and a bare NOT IN would drop it too (SQL's NULL logic).
        entries = entries.exclude(
            additional_data__has_key="legal_order", additional_data__legal_order__in=gagged
        )
    if before is not None:
        entries = entries.filter(seq__lt=before)
    page = list(
        entries.order_by("-seq").only(
            "seq", "timestamp", "additional_data", "category", "purpose", "clause"
        )[: size + 1]
    )
    lines = [
        AccessLine(
            seq=entry.seq,
            when=entry.timestamp,
            who=_who(entry),
            branch=(entry.additional_data or {}).get("branch", ""),
            category=str(DataCategory(entry.category).label)
            if entry.category in DataCategory.values
            else "",
            purpose=str(Purpose(entry.purpose).label) if entry.purpose in Purpose.values else "",
            clause=entry.clause,
        )
        for entry in page[:size]
    ]
    cursor = lines[-1].seq if len(page) > size else None
    return lines, cursor
