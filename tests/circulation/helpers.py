"""Shared checks for circulation tests."""

from audit.models import AuditEntry
from circulation.models import CirculationDay, Fine, Hold, Item, Loan, ReadingHistoryEntry
from patrons.models import Patron


def snapshot():
    """Return every row the desk could change, to show a refused action changed nothing."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Loan, Hold, Fine, CirculationDay, ReadingHistoryEntry, Item, Patron)
    } | {"audit": AuditEntry.objects.count()}
