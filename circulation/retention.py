"""How long settled fines, expired holds and found items are kept; leftover history (CONF-9)."""

import datetime

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from circulation import services
from circulation.models import Fine, FoundItem, Hold, Loan, ReadingHistoryEntry
from privacy.retention import Purger, register, retention_cutoff, retention_period


def _settled_fines(now: datetime.datetime) -> QuerySet[Fine]:
    return Fine.objects.alias(settled=Coalesce("paid_at", "waived_at")).filter(
        settled__lte=retention_cutoff(now, "settled_fines")
    )


def _expired_holds(now: datetime.datetime) -> QuerySet[Hold]:
    # A ready hold not collected by its last pickup day (plus any grace days).
    last_day = timezone.localdate(now) - retention_period("expired_holds")
    return Hold.objects.filter(status=Hold.Status.READY, ready_until__lt=last_day)


def _found_items(now: datetime.datetime) -> QuerySet[FoundItem]:
    return FoundItem.objects.filter(found_at__lte=retention_cutoff(now, "found_items"))


def _opted_out_history(now: datetime.datetime) -> QuerySet[ReadingHistoryEntry]:
    # Opting out deletes at once; this finishes an interrupted run, and deletes
    # what a legal hold kept once the hold ends.
    return ReadingHistoryEntry.objects.filter(patron__keeps_reading_history=False)


def _deleted_history(now: datetime.datetime) -> QuerySet[ReadingHistoryEntry]:
    # Entries the patron deleted while a legal hold kept them (hidden since).
    return ReadingHistoryEntry.objects.filter(deleted_at__isnull=False)


# The safety net for CONF-9, first: returned loans that no path forgot (an
# interrupted run, a fine settled by hand). The sweep's batches are larger: each
# is one UPDATE over a small partial index.
register(
    Purger(
        kind="returned loans forgotten",
        model=Loan,
        expired=lambda now: services.loans_still_linked(),
        reason="returned loans forgotten",
        clause="CONF-9",
        patron_path=None,
        sweep=lambda batch_size: services.loans_forget_returned(batch_size=batch_size * 10),
    )
)
register(
    Purger(
        kind="settled fines",
        model=Fine,
        expired=_settled_fines,
        reason="paid or waived longer ago than the retention period",
        clause="CONF-3",
    )
)
register(
    Purger(
        kind="expired holds",
        model=Hold,
        expired=_expired_holds,
        reason="not collected by the last pickup day",
        clause="CONF-9",
        remove=lambda holds: services.holds_expire(holds),
    )
)
register(
    Purger(
        kind="found items",
        model=FoundItem,
        expired=_found_items,
        reason="past the retention period for found items",
        clause="CONF-8",
        patron_path="owner",
    )
)
register(
    Purger(
        kind="reading history of patrons who opted out",
        model=ReadingHistoryEntry,
        expired=_opted_out_history,
        reason="patron opted out of reading history",
        clause="CONF-9",
        # A legal hold wins over the opt-out until the order is closed (CONF-5):
        # deleting records a court is waiting for is not the patron's to ask.
        patron_path="patron",
    )
)
register(
    Purger(
        kind="reading history the patron deleted",
        model=ReadingHistoryEntry,
        expired=_deleted_history,
        reason="patron deleted it from their reading history",
        clause="CONF-9",
        patron_path="patron",  # kept while a legal hold lasts (CONF-5)
    )
)
