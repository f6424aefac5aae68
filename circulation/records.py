"""The circulation and reading-history categories of a patron's records (CONF-6).

Registered with privacy.records, which releases and desk pages read through
once the gate has allowed the category.
"""

from typing import Any

from django.utils import timezone

from circulation.models import Fine, Hold, Loan, ReadingHistoryEntry
from patrons.models import Patron
from privacy.policy import DataCategory
from privacy.records import RecordSource, Window, day_range, register


def _circulation(patron: Patron, window: Window) -> list[dict[str, Any]]:
    start, end = day_range(window)
    loans = Loan.objects.filter(patron=patron, checked_out_at__range=(start, end)).select_related(
        "item__record"
    )
    holds = Hold.objects.filter(patron=patron, placed_at__range=(start, end)).select_related(
        "record"
    )
    fines = Fine.objects.filter(patron=patron, created_at__range=(start, end))
    return [
        *(
            {
                "kind": "loan",
                "title": loan.item.record.title,
                "barcode": loan.item.barcode,
                "checked_out_at": loan.checked_out_at.isoformat(),
                "due_at": loan.due_at.isoformat(),
                "returned_at": loan.returned_at.isoformat() if loan.returned_at else None,
            }
            for loan in loans
        ),
        *(
            {"kind": "hold", "title": hold.record.title, "placed_at": hold.placed_at.isoformat()}
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


def _circulation_today(patron: Patron) -> dict[str, Any]:
    """Return the patron's open loans, holds and unpaid fines, as a desk page shows them."""
    today = timezone.localdate()
    return {
        "loans": list(
            Loan.objects.filter(patron=patron, returned_at__isnull=True)
            .select_related("item__record")
            .order_by("due_at")
        ),
        "holds": list(
            Hold.objects.filter(patron=patron).select_related("record").order_by("placed_at")
        ),
        "fines": list(
            Fine.objects.filter(
                patron=patron, paid_at__isnull=True, waived_at__isnull=True
            ).order_by("created_at")
        ),
        "today": today,
    }


def _reading_history(patron: Patron, window: Window) -> list[dict[str, Any]]:
    # History the patron deleted, or switched off, is never shown to anyone: a
    # legal hold only keeps it from being destroyed until the order closes
    # (CONF-9, CONF-5).
    if not patron.keeps_reading_history:
        return []
    entries = ReadingHistoryEntry.objects.filter(
        patron=patron, returned_on__range=window, deleted_at__isnull=True
    )
    return [
        {
            "title": entry.title,
            "author": entry.author,
            "checked_out_on": entry.checked_out_on.isoformat(),
            "returned_on": entry.returned_on.isoformat(),
        }
        for entry in entries
    ]


register(
    RecordSource(
        DataCategory.CIRCULATION,
        release=_circulation,
        summary=_circulation_today,
        models=("circulation.Loan", "circulation.Hold", "circulation.Fine"),
    )
)
register(
    RecordSource(
        DataCategory.READING_HISTORY,
        release=_reading_history,
        models=("circulation.ReadingHistoryEntry",),
    )
)
