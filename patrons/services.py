"""Writes about patrons: the reading-history switch (CONF-9)."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from circulation.models import ReadingHistoryEntry
from library.retention import held_patron_ids
from patrons.models import Patron
from privacy import audit
from privacy.models import AuditEntry

HISTORY_DELETE_BATCH = 5000
OPT_OUT_REASON = "patron opted out of reading history"


@transaction.atomic
def patron_reading_history_opt_in(*, patron: Patron, actor: Any = None) -> Patron:
    """Start keeping the patron's reading history from now on; nothing earlier is recovered."""
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    if not patron.keeps_reading_history:
        patron.keeps_reading_history = True
        patron.reading_history_changed_at = timezone.now()
        patron.full_clean()
        patron.save(update_fields=["keeps_reading_history", "reading_history_changed_at"])
    return patron


def patron_reading_history_opt_out(
    *, patron: Patron, actor: Any = None, batch_size: int = HISTORY_DELETE_BATCH
) -> int:
    """Stop keeping the patron's reading history and delete all of it now; return how many.

    The switch is turned off first, under the patron's row lock that check-in
    also takes, so no entry can be added once the deleting starts. A long
    history goes in batches, each its own transaction, so no lock is held for
    the whole run; the retention purge removes anything an interrupted run left.
    """
    with transaction.atomic():
        patron = Patron.objects.select_for_update().get(pk=patron.pk)
        patron.keeps_reading_history = False
        patron.reading_history_changed_at = timezone.now()
        patron.full_clean()
        patron.save(update_fields=["keeps_reading_history", "reading_history_changed_at"])
    if held_patron_ids().filter(pk=patron.pk).exists():
        # Under a legal hold (CONF-5) the history stays, hidden, until the order
        # is closed; purge_expired deletes it then. No new history is kept.
        return 0
    return reading_history_delete(
        patron_ids=[patron.pk], reason=OPT_OUT_REASON, actor=actor, batch_size=batch_size
    )


def reading_history_delete(
    *, patron_ids: list[int], reason: str, actor: Any = None, batch_size: int
) -> int:
    """Delete these patrons' reading history set-based in batches; one summary entry per batch."""
    deleted = 0
    entries = ReadingHistoryEntry.objects.filter(patron_id__in=patron_ids)
    while True:
        with transaction.atomic():
            # The database deletes straight from a limited subquery: one statement a batch.
            batch = entries.order_by().values("pk")[:batch_size]
            count, _ = ReadingHistoryEntry.objects.filter(pk__in=batch).delete()
            if not count:
                break
            # Says how many and why, never whose or which titles (CONF-9).
            audit.record_summary(
                model=ReadingHistoryEntry,
                action=AuditEntry.Action.DELETE,
                count=count,
                reason=reason,
                clause="CONF-9",
                actor=actor,
            )
            deleted += count
    return deleted
