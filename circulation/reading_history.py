"""Writes about patrons: the reading-history switch and deleting history (CONF-9).

A patron may always delete their history, but while a legal hold names them
(an order under review or valid, CONF-5) deleting records the court is waiting
for is not theirs to ask: what they delete is hidden from them at once and kept
until the order closes, when purge_expired deletes it. The patron is not told
about the hold; the portal behaves the same either way.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit import entries as audit_entries
from audit.models import AuditEntry
from circulation.models import ReadingHistoryEntry
from patrons.models import Patron
from privacy.retention import held_patron_ids

HISTORY_DELETE_BATCH = 50_000
OPT_OUT_REASON = "patron opted out of reading history"
ENTRY_DELETE_REASON = "patron deleted an entry of their reading history"
CLEAR_REASON = "patron deleted all of their reading history"
HELD_SUFFIX = "; hidden from the patron and kept under a legal hold until the order closes"
HISTORY_ENTRY_NOT_FOUND = "That entry is not in your reading history."


class ReadingHistoryError(ValidationError):
    """A reading-history request that changed nothing."""


def _under_legal_hold(patron: Patron) -> bool:
    return held_patron_ids().filter(pk=patron.pk).exists()


def _hide_history(*, patron: Patron, entry_ids: list[int] | None, reason: str, actor: Any) -> int:
    """Hide entries a legal hold keeps; purge_expired deletes them when the hold ends."""
    entries = ReadingHistoryEntry.objects.filter(patron=patron, deleted_at__isnull=True)
    if entry_ids is not None:
        entries = entries.filter(pk__in=entry_ids)
    count = entries.update(deleted_at=timezone.now())
    if count:
        audit_entries.record_summary(
            model=ReadingHistoryEntry,
            action=AuditEntry.Action.UPDATE,
            count=count,
            reason=reason + HELD_SUFFIX,
            clause="CONF-5",
            actor=actor,
        )
    return count


@transaction.atomic
def patron_reading_history_opt_in(*, patron: Patron, actor: Any = None) -> Patron:
    """Start keeping the patron's reading history from now on; nothing earlier is recovered."""
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    if not patron.keeps_reading_history:
        patron.keeps_reading_history = True
        patron.reading_history_changed_at = timezone.now()
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
        patron.save(update_fields=["keeps_reading_history", "reading_history_changed_at"])
    if _under_legal_hold(patron):
        # Under a legal hold (CONF-5) the history stays, hidden even if the
        # patron opts in again, until the order is closed; purge_expired
        # deletes it then. No new history is kept.
        with transaction.atomic():
            _hide_history(patron=patron, entry_ids=None, reason=OPT_OUT_REASON, actor=actor)
        return 0
    return reading_history_delete(
        patron_ids=[patron.pk], reason=OPT_OUT_REASON, actor=actor, batch_size=batch_size
    )


def reading_history_delete(
    *, patron_ids: list[int], reason: str, actor: Any = None, batch_size: int
) -> int:
    """Delete these patrons' reading history set-based in batches; one summary entry per batch."""
    entries = ReadingHistoryEntry.objects.filter(patron_id__in=patron_ids)

    def delete_batch() -> int:
        # The database deletes straight from a limited subquery: one statement a
        # batch. The patron filter outside it too lets both sides use the
        # patron index instead of scanning everyone's history.
        count, _ = entries.filter(pk__in=entries.order_by().values("pk")[:batch_size]).delete()
        return count

    # The summaries say how many and why, never whose or which titles (CONF-9).
    return audit_entries.summarised_batches(
        delete_batch,
        batch_size=batch_size,
        model=ReadingHistoryEntry,
        action=AuditEntry.Action.DELETE,
        reason=reason,
        clause="CONF-9",
        actor=actor,
    )


@transaction.atomic
def reading_history_entry_delete(*, patron: Patron, entry_id: int, actor: Any = None) -> None:
    """Delete one entry of the patron's own reading history; the summary names no title."""
    entry = (
        ReadingHistoryEntry.objects.select_for_update()
        .filter(pk=entry_id, patron=patron, deleted_at__isnull=True)
        .first()
    )
    if entry is None:
        raise ReadingHistoryError(HISTORY_ENTRY_NOT_FOUND)
    if _under_legal_hold(patron):
        _hide_history(patron=patron, entry_ids=[entry.pk], reason=ENTRY_DELETE_REASON, actor=actor)
        return
    ReadingHistoryEntry.objects.filter(pk=entry.pk).delete()
    # How many and why, never whose or which title (CONF-9).
    audit_entries.record_summary(
        model=ReadingHistoryEntry,
        action=AuditEntry.Action.DELETE,
        count=1,
        reason=ENTRY_DELETE_REASON,
        clause="CONF-9",
        actor=actor,
    )


def patron_reading_history_clear(
    *, patron: Patron, actor: Any = None, batch_size: int = HISTORY_DELETE_BATCH
) -> int:
    """Delete all of the patron's reading history and keep the switch as it is; return how many.

    Batched like the opt-out, each batch atomic; an entry a check-in adds
    meanwhile goes too, since the loop runs until none is left.
    """
    if _under_legal_hold(patron):
        with transaction.atomic():
            return _hide_history(patron=patron, entry_ids=None, reason=CLEAR_REASON, actor=actor)
    return reading_history_delete(
        patron_ids=[patron.pk], reason=CLEAR_REASON, actor=actor, batch_size=batch_size
    )
