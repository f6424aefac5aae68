"""How long a notice keeps more than its day, kind and patron (CONF-9).

A sent notice keeps its channel for settings.LIBRARY_RETENTION_DAYS
["sent_notices"] days, then is scrubbed to its days, kind and patron: enough to
answer "was I told?", nothing about what it said or how. A notice never sent
within that period (a letter nobody printed, an email a dead mail server
kept back) is deleted: it is too late to be of use.
"""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from audit import entries
from audit.models import AuditEntry
from notices.models import Notice
from privacy.retention import Purger, register, retention_period


def _cutoff_day(now: datetime.datetime) -> datetime.date:
    return timezone.localdate(now) - retention_period("sent_notices")


def _sent_unscrubbed(now: datetime.datetime) -> QuerySet[Notice]:
    return Notice.objects.filter(sent_on__lte=_cutoff_day(now), scrubbed=False)


def _never_sent(now: datetime.datetime) -> QuerySet[Notice]:
    return Notice.objects.filter(sent_on__isnull=True, created_on__lte=_cutoff_day(now))


def notices_scrub_sent(*, batch_size: int, now: datetime.datetime | None = None) -> int:
    """Scrub sent notices past the period to day, kind and patron; return how many.

    One UPDATE a batch, one audit summary each: how many and why, never whose.
    """
    now = now or timezone.now()

    def scrub_batch() -> int:
        due = _sent_unscrubbed(now)
        return Notice.objects.filter(pk__in=due.order_by().values("pk")[:batch_size]).update(
            channel="", item=None, hold=None, scrubbed=True
        )

    return entries.summarised_batches(
        scrub_batch,
        batch_size=batch_size,
        model=Notice,
        action=AuditEntry.Action.UPDATE,
        reason="sent notices past the retention period kept only their day, kind and patron",
        clause="CONF-9",
    )


register(
    Purger(
        kind="sent notices scrubbed",
        model=Notice,
        expired=_sent_unscrubbed,
        reason="sent notices past the retention period kept only their day, kind and patron",
        clause="CONF-9",
        patron_path=None,
        sweep=lambda batch_size: notices_scrub_sent(batch_size=batch_size),
    )
)
register(
    Purger(
        kind="notices never sent",
        model=Notice,
        expired=_never_sent,
        reason="not sent within the retention period for notices",
        clause="CONF-9",
    )
)
