"""Retention of security footage (CAM-1).

A recording is kept until its `retain_until`; from that moment it is deleted,
its file first, unless an incident holds it or a legal order that is under
review or valid covers its camera and time. Keeping footage longer than
needed is itself a privacy risk, so the purge is not optional work;
`purge_expired_recordings` is the entry point for the `purge_expired` command.
"""

import datetime
from collections.abc import Callable

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from facilities.models import FootageOrderScope, Recording, RecordingHold
from privacy.models import LegalOrder
from privacy.retention import Purger, purge, register

DEFAULT_BATCH_SIZE = 500


def expired_recordings(now: datetime.datetime | None = None) -> QuerySet[Recording]:
    """Return recordings past their retention that no incident or holding legal order keeps."""
    now = now or timezone.now()
    incident_hold = RecordingHold.objects.filter(recording=OuterRef("pk"))
    order_hold = FootageOrderScope.objects.filter(
        order__in=LegalOrder.objects.holding(),
        cameras=OuterRef("camera_id"),
        starts_at__lt=OuterRef("ends_at"),
        ends_at__gt=OuterRef("starts_at"),
    )
    return Recording.objects.filter(retain_until__lte=now).filter(
        ~Exists(incident_hold), ~Exists(order_hold)
    )


def recordings_delete(batch: QuerySet[Recording]) -> int:
    """Delete a batch of recordings, their files first; return how many rows went."""
    storage = Recording._meta.get_field("file").storage
    rows = list(batch.values_list("pk", "file"))
    # Files go first: a failure after this leaves rows whose files are gone,
    # which the next run deletes, never footage without a row.
    for _, name in rows:
        if name:
            storage.delete(name)
    _, per_model = Recording.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return per_model.get(Recording._meta.label, 0)


RECORDINGS = register(
    Purger(
        kind="camera recordings",
        model=Recording,
        expired=expired_recordings,
        reason="retention",
        clause="CAM-1",
        patron_path=None,  # expired_recordings applies incident and legal-order holds itself
        remove=recordings_delete,
    )
)


def purge_expired_recordings(
    *,
    now: datetime.datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Delete recordings past retention and not on hold, with their files, in batches.

    Return how many were deleted. Safe to run again: what is gone stays gone
    and what is held is never touched. Each batch appends one summary entry to
    the audit trail (how many, why, CAM-1), never which recordings.
    """
    done = 0

    def report(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done)

    return purge(RECORDINGS, now=now or timezone.now(), batch_size=batch_size, progress=report)
