"""Reads for the patron portal. Callers pass the gate for the patron and category first."""

import contextlib
import datetime
import json
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDate
from django.utils import timezone

from audit.models import AuditEntry
from circulation.catalogue import InvalidIsbn, normalise_isbn
from circulation.models import BibliographicRecord, Fine, Hold, Item, Loan, ReadingHistoryEntry
from library.db import lagging_reads
from library.paginators import CappedCountPaginator
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
        .select_related("item__record")
        .order_by("due_at", "pk")
    )


def holds_of(patron: Patron) -> QuerySet[Hold]:
    return (
        Hold.objects.filter(patron=patron)
        .select_related("record", "item", "pickup_branch")
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


def catalogue_search(search: str) -> QuerySet[BibliographicRecord]:
    """Return the titles matching every word of `search` (title or author), or one ISBN or barcode.

    One row per title, ordered by title. A single term that is a copy's
    barcode or a title's ISBN finds that title alone (one indexed query).
    Otherwise each word is matched against the record's upper-cased search
    text through one trigram index (circulation migration 0012), and only as
    many matches as the paginator counts are taken before ordering: past that the page says
    "more than 1,000" and asks for another word, and ordering every match of a
    common word by title would cost a sort over tens of thousands of rows at
    500,000 titles. No patron is read, so a replica may answer (library.db):
    a title catalogued a moment ago may be missing for that moment.
    """
    terms = _terms(search)
    titles = BibliographicRecord.objects.using(lagging_reads())
    if not terms:
        return titles.none()
    if len(terms) == 1:
        # Two indexed lookups, not one OR across the join, which PostgreSQL can
        # only answer by scanning every title.
        found = list(
            Item.objects.using(titles.db)
            .filter(barcode=terms[0])
            .values_list("record_id", flat=True)[:1]
        )
        with contextlib.suppress(InvalidIsbn):  # not an ISBN: the barcode only
            isbn = normalise_isbn(terms[0])
            found = found or list(titles.filter(isbn=isbn).values_list("pk", flat=True)[:2])
        if found:
            return titles.filter(pk__in=found).order_by("title", "pk")
    words = Q()
    for term in terms:
        words &= Q(search_text__contains=term.upper())
    # One more than the paginator counts to, so it can still say "more than".
    cap = CappedCountPaginator.cap + 1
    matches = titles.filter(words).order_by().values("pk")[:cap]
    return titles.filter(pk__in=matches).order_by("title", "pk")


@dataclass(frozen=True)
class BranchAvailability:
    branch: str
    on_shelf: int  # copies a patron could take from the shelf there now
    copies: int  # every copy there that can be lent at all


def availability(record_ids: list[int]) -> dict[int, list[BranchAvailability]]:
    """Return, per title, how many copies each branch has and how many are on its shelf (one query).

    A copy is counted where it is now (its current branch); lost, damaged and
    withdrawn copies are not counted at all. A replica may answer (library.db):
    a copy checked out a moment ago may still show as on the shelf.
    """
    rows = (
        Item.objects.using(lagging_reads())
        .filter(record_id__in=record_ids)
        .exclude(status__in=[Item.Status.LOST, Item.Status.DAMAGED, Item.Status.WITHDRAWN])
        .values("record_id", "current_branch__name")
        .annotate(
            copies=Count("pk"),
            on_shelf=Count("pk", filter=Q(status=Item.Status.ON_SHELF)),
        )
        .order_by("record_id", "current_branch__name")
    )
    found: dict[int, list[BranchAvailability]] = {}
    for row in rows:
        found.setdefault(row["record_id"], []).append(
            BranchAvailability(
                branch=row["current_branch__name"], on_shelf=row["on_shelf"], copies=row["copies"]
            )
        )
    return found


def own_circulation_among(patron: Patron, record_ids: list[int]) -> tuple[set[int], set[int]]:
    """Return which of these titles the patron has a copy of on loan, and which they hold."""
    loaned = set(
        Loan.objects.filter(
            patron=patron, returned_at__isnull=True, item__record_id__in=record_ids
        ).values_list("item__record_id", flat=True)
    )
    held = set(
        Hold.objects.filter(patron=patron, record_id__in=record_ids).values_list(
            "record_id", flat=True
        )
    )
    return loaned, held


def minors_of(adult: Patron, readable: QuerySet[Patron]) -> QuerySet[Patron]:
    """Return the minors listed to an adult among the patrons the gate lets them read."""
    return readable.exclude(pk=adult.pk).order_by("first_name")


@dataclass(frozen=True)
class AccessLine:
    """The reads of one day by one role at one branch for one purpose (and category, clause)."""

    cursor: int  # the seq of the group's newest read: the page after it starts below it
    day: datetime.date  # in the library's time zone
    who: str
    branch: str
    category: str
    purpose: str
    clause: str
    reads: int


def _who(roles: str | None, requester: str | None) -> str:
    names = json.loads(roles) if roles else []
    if names:
        return (
            ", ".join(str(Role(role).label) for role in names if role in Role.values)
            or "Library staff"
        )
    return str(Requester(requester).label) if requester in Requester.values else "The library"


def access_history(
    patron: Patron, *, before: int | None = None, size: int = ACCESS_PAGE_SIZE
) -> tuple[list[AccessLine], int | None]:
    """Return one page of who read this patron's data and why, grouped, newest day first.

    One line is the allowed reads of one day (in the library's time zone) by
    one role at one branch for one purpose, category and clause, with their
    count. The grouping is done by the database; `before` is the cursor of the
    last line shown. Reads under a legal order that forbids telling the patron
    stay hidden until the director lifts that (CONF-5); the patron's own reads
    are left out.
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
    groups = (
        entries.annotate(
            day=TruncDate("timestamp", tzinfo=timezone.get_default_timezone()),
            roles=KeyTextTransform("roles", "additional_data"),
            requester=KeyTextTransform("requester", "additional_data"),
            branch=KeyTextTransform("branch", "additional_data"),
        )
        .values("day", "roles", "requester", "branch", "category", "purpose", "clause")
        .annotate(reads=Count("pk"), newest=Max("seq"))
        # Timestamps never go down as seq goes up (audit.chain), so the newest
        # read's seq orders the groups newest day first and is the cursor.
        .order_by("-newest")
    )
    if before is not None:
        groups = groups.filter(newest__lt=before)
    page = list(groups[: size + 1])
    lines = [
        AccessLine(
            cursor=group["newest"],
            day=group["day"],
            who=_who(group["roles"], group["requester"]),
            branch=group["branch"] or "",
            category=str(DataCategory(group["category"]).label)
            if group["category"] in DataCategory.values
            else "",
            purpose=str(Purpose(group["purpose"]).label)
            if group["purpose"] in Purpose.values
            else "",
            clause=group["clause"],
            reads=group["reads"],
        )
        for group in page[:size]
    ]
    cursor = lines[-1].cursor if len(page) > size else None
    return lines, cursor
