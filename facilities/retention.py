"""Retention of security footage (CAM-1).

A recording is kept until its `retain_until`; from that moment it is deleted,
its file first, unless an incident holds it or a legal order that is under
review or valid covers its camera and time. Keeping footage longer than
needed is itself a privacy risk, so the purge is not optional work;
`purge_expired_recordings` is the entry point for the `purge_expired` command.
"""

import datetime
from collections.abc import Callable

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from facilities.models import FootageOrderScope, Recording, RecordingHold
from privacy import audit
from privacy.models import AuditEntry, LegalOrder

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
    now = now or timezone.now()
    storage = Recording._meta.get_field("file").storage
    total = 0
    while True:
        candidates = list(
            expired_recordings(now).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not candidates:
            break
        with transaction.atomic():
            # Re-read under a row lock: a hold placed since the first read wins.
            batch = list(
                expired_recordings(now)
                .filter(pk__in=candidates)
                .select_for_update()
                .values_list("pk", "file")
            )
            # Files go first: a failure after this leaves rows whose files are
            # gone, which the next run deletes, never footage without a row.
            for _, name in batch:
                if name:
                    storage.delete(name)
            _, per_model = Recording.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
            deleted = per_model.get(Recording._meta.label, 0)
            if deleted:
                audit.record_summary(
                    model=Recording,
                    action=AuditEntry.Action.DELETE,
                    count=deleted,
                    reason="retention",
                    clause="CAM-1",
                )
        total += deleted
        if progress is not None:
            progress(total)
        if len(candidates) < batch_size:
            break
    return total
