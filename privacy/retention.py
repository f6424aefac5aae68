"""Retention: each kind of record is kept for its period, then `purge_expired` deletes it.

A small registry. Each app lists its purgers in its own `retention.py`, which
is found and imported automatically, so adding a kind of record is one call:

    from privacy.retention import Purger, register, retention_cutoff

    register(Purger(
        kind="camera recordings",
        model=Recording,
        expired=lambda now: Recording.objects.filter(
            ended_at__lte=retention_cutoff(now, "camera_recordings")),
        reason="past its retention period",
        clause="CAM-1",
        patron_path=None,  # no patron column; `expired` applies any hold itself
    ))

A record is past its period when its reference time is at or before
now - period. Records tied (through `patron_path`) to a patron named in a
legal order that is under review or valid are kept: that is a legal hold.
Every batch deleted leaves one audit summary naming the kind and the count,
never which records or whose (CONF-1, CONF-9).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditlog.context import disable_auditlog
from django.conf import settings
from django.db import models, transaction
from django.utils.module_loading import autodiscover_modules

DEFAULT_BATCH_SIZE = 1000
# A batch is one transaction holding its row locks: bounded, so a typo cannot
# lock a table for hours (or overflow the database's LIMIT).
MAX_BATCH_SIZE = 100_000


@dataclass(frozen=True)
class Purger:
    kind: str  # plural words for people: "computer sessions"
    model: type[models.Model]
    expired: Callable[[datetime.datetime], models.QuerySet[Any]]
    reason: str
    clause: str = ""
    # The path from the model to its patron, for legal holds; None for records
    # with no patron (or whose `expired` applies holds itself).
    patron_path: str | None = "patron"
    after: Callable[[datetime.datetime], object] | None = None  # tidy-up once the purge is done
    # Deletes one batch (a queryset of expired, unheld rows, locked) and returns
    # how many went; for records that own files. The default deletes the rows.
    remove: Callable[[models.QuerySet[Any]], int] | None = None
    # A kind that is not deleted but swept in its own set-based batches (the
    # returned-loan anonymisation): given the batch size, it does the work,
    # writes its own summaries and returns how many records it changed.
    # `expired` then says what is due, for the progress bar.
    sweep: Callable[[int], int] | None = None


_registry: dict[str, Purger] = {}


def register(purger: Purger) -> Purger:
    """Add a kind of record to the purge; registering a kind again replaces it."""
    _registry[purger.kind] = purger
    return purger


def purgers() -> list[Purger]:
    """Return every registered purger, importing each app's `retention` module first."""
    autodiscover_modules("retention")
    return list(_registry.values())


def retention_period(name: str) -> datetime.timedelta:
    """Return the configured retention period for a kind (settings.LIBRARY_RETENTION_DAYS)."""
    return datetime.timedelta(days=settings.LIBRARY_RETENTION_DAYS[name])


def retention_cutoff(now: datetime.datetime, name: str) -> datetime.datetime:
    """Return the moment at or before which a record of this kind is past its period."""
    return now - retention_period(name)


def held_patron_ids() -> models.QuerySet[Any]:
    """Return, as a subquery, the patrons named in an order under review or valid (a legal hold)."""
    from privacy.models import LegalOrder
    from privacy.subjects import patron_model

    return patron_model().objects.filter(legal_orders__in=LegalOrder.objects.holding()).values("pk")


def expired_unheld(purger: Purger, now: datetime.datetime) -> models.QuerySet[Any]:
    """Return the records this purger would delete now: past their period and not on hold."""
    queryset = purger.expired(now)
    if purger.patron_path:
        queryset = queryset.exclude(**{f"{purger.patron_path}__in": held_patron_ids()})
    return queryset


def purge(
    purger: Purger,
    *,
    now: datetime.datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    actor: Any = None,
    progress: Callable[[int], None] = lambda count: None,
) -> int:
    """Delete this kind's expired records in batches, one audit summary each; return how many."""
    from audit import entries
    from audit.models import AuditEntry

    if purger.sweep is not None:
        total = purger.sweep(batch_size)
        progress(total)
        if purger.after is not None:
            purger.after(now)
        return total
    label = purger.model._meta.label
    total, after = 0, 0
    while True:
        with transaction.atomic():
            candidates = expired_unheld(purger, now)
            first = candidates.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:1]
            if not (found := list(first)):
                break
            # A batch is a stretch of ids from the first expired one, so each
            # batch reads only its own rows; a limited subquery would make every
            # batch scan the whole table again.
            after = found[0] + batch_size - 1
            batch = candidates.filter(pk__gte=found[0], pk__lte=after)
            # One summary for the batch instead of one entry per row, which
            # would keep in the append-only trail what retention deletes.
            with disable_auditlog():
                if purger.remove is not None:
                    # Re-read under a row lock: a hold placed since the first read wins.
                    count = purger.remove(batch.select_for_update())
                else:
                    _, per_model = batch.delete()
                    count = per_model.get(label, 0)
            if count:
                entries.record_summary(
                    model=purger.model,
                    action=AuditEntry.Action.DELETE,
                    count=count,
                    reason=purger.reason,
                    clause=purger.clause,
                    actor=actor,
                    details={"kind": purger.kind},
                )
        total += count
        progress(count)
    if purger.after is not None:
        purger.after(now)
    return total
