"""Reads of the privacy app. Callers have already passed the gate for the patron and category."""

import datetime
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from circulation.models import Fine, Hold, Loan, ReadingHistoryEntry
from patrons.models import Consent, Patron
from privacy.models import ContractedAgent, LegalOrder, LegalOrderRelease
from privacy.policy import DataCategory

Window = tuple[datetime.date, datetime.date]
ALL_TIME: Window = (datetime.date(1900, 1, 1), datetime.date(2999, 12, 31))


def _day_range(window: Window) -> tuple[datetime.datetime, datetime.datetime]:
    start, end = window
    zone = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, zone),
        datetime.datetime.combine(end, datetime.time.max, zone),
    )


def _identity(patron: Patron, window: Window) -> list[dict[str, Any]]:
    return [
        {
            "card_number": patron.card_number,
            "first_name": patron.first_name,
            "last_name": patron.last_name,
            "address": ", ".join(
                part for part in [patron.address_line, patron.city, patron.postal_code] if part
            ),
            "phone": patron.phone,
            "email": patron.email,
            "date_of_birth": patron.date_of_birth.isoformat(),
            "registered_on": patron.registered_on.isoformat(),
        }
    ]


def _circulation(patron: Patron, window: Window) -> list[dict[str, Any]]:
    start, end = _day_range(window)
    loans = Loan.objects.filter(patron=patron, checked_out_at__range=(start, end)).select_related(
        "item"
    )
    holds = Hold.objects.filter(patron=patron, placed_at__range=(start, end)).select_related("item")
    fines = Fine.objects.filter(patron=patron, created_at__range=(start, end))
    return [
        *(
            {
                "kind": "loan",
                "title": loan.item.title,
                "barcode": loan.item.barcode,
                "checked_out_at": loan.checked_out_at.isoformat(),
                "due_at": loan.due_at.isoformat(),
                "returned_at": loan.returned_at.isoformat() if loan.returned_at else None,
            }
            for loan in loans
        ),
        *(
            {"kind": "hold", "title": hold.item.title, "placed_at": hold.placed_at.isoformat()}
            for hold in holds
        ),
        *(
            {
                "kind": "fine",
                "reason": fine.reason,
                "amount": str(fine.amount),
                "created_at": fine.created_at.isoformat(),
            }
            for fine in fines
        ),
    ]


def _reading_history(patron: Patron, window: Window) -> list[dict[str, Any]]:
    entries = ReadingHistoryEntry.objects.filter(patron=patron, returned_on__range=window)
    return [
        {
            "title": entry.title,
            "author": entry.author,
            "checked_out_on": entry.checked_out_on.isoformat(),
            "returned_on": entry.returned_on.isoformat(),
        }
        for entry in entries
    ]


# Which records make up each category when they are released. A category with
# no source here has no records kept in this system.
RELEASE_SOURCES: dict[str, Callable[[Patron, Window], list[dict[str, Any]]]] = {
    DataCategory.IDENTITY: _identity,
    DataCategory.CIRCULATION: _circulation,
    DataCategory.READING_HISTORY: _reading_history,
}


def records_for_release(
    *, patron: Patron, category: str, records_from: datetime.date, records_until: datetime.date
) -> dict[str, Any]:
    """Return one category of a patron's records dated inside the window, as plain data."""
    source = RELEASE_SOURCES.get(category)
    records = source(patron, (records_from, records_until)) if source else []
    return {"patron": patron.pk, "category": str(category), "records": records}


def legal_orders_for(user: Any) -> QuerySet[LegalOrder]:
    """Return the orders a user may see: all of them for the director, else those they work on."""
    from library.roles import Role, roles_of

    orders = LegalOrder.objects.select_related("received_by", "reviewed_by")
    if Role.DIRECTOR in roles_of(user):
        return orders
    return orders.filter(workers=user)


def legal_order_queue() -> QuerySet[LegalOrder]:
    """Return open orders, the ones awaiting the director first."""
    open_first = Q(status__in=[LegalOrder.Status.RECEIVED, LegalOrder.Status.UNDER_REVIEW])
    return LegalOrder.objects.filter(open_first | Q(status=LegalOrder.Status.VALID)).order_by(
        "status", "received_at"
    )


def releases_of(order: LegalOrder) -> QuerySet[LegalOrderRelease]:
    return order.releases.select_related("released_by").order_by("-released_at")


def agents() -> QuerySet[ContractedAgent]:
    return ContractedAgent.objects.select_related("user").order_by("name")


def agent_assigned_patrons(agent: ContractedAgent) -> QuerySet[Patron]:
    """Return the accounts assigned to an agent (the grants, whatever the contract's dates)."""
    return Patron.objects.filter(
        patronuserobjectpermission__user_id=agent.user_id,
        patronuserobjectpermission__permission__codename="disclose_as_agent",
    ).order_by("card_number")


def consents_of(patron: Patron) -> QuerySet[Consent]:
    return Consent.objects.filter(patron=patron).order_by("withdrawn_at", "-granted_at")


def patron_summary(patron: Patron, category: str) -> dict[str, Any]:
    """Return what a desk page shows of one category of data, once the gate allowed it."""
    if category == DataCategory.CIRCULATION:
        today = timezone.localdate()
        return {
            "loans": list(
                Loan.objects.filter(patron=patron, returned_at__isnull=True)
                .select_related("item")
                .order_by("due_at")
            ),
            "holds": list(
                Hold.objects.filter(patron=patron).select_related("item").order_by("placed_at")
            ),
            "fines": list(
                Fine.objects.filter(
                    patron=patron, paid_at__isnull=True, waived_at__isnull=True
                ).order_by("created_at")
            ),
            "today": today,
        }
    source = RELEASE_SOURCES.get(category)
    return {"records": source(patron, ALL_TIME) if source else []}
