"""Work the nightly command and the hold signals hand to the worker: sending email notices.

A task carries notice ids only (and, for a hold that was not collected, the
title and branch the signal gave, which no row keeps): the worker reads each
notice, renders it and sends it (notices.services.notice_send). What the
worker's log shows of a task's arguments is a count, never a title.
"""

import datetime
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from notices.services import HoldFacts, Outcome, Unsent, notice_send
from patrons.tasks import MAIL_NOT_SENT, MAIL_RETRIES, MAIL_RETRY_MAX_DELAY, MailNotSent

# How long to wait before trying again notices another transaction held locked.
BUSY_RETRY_DELAY = 30


@shared_task(
    bind=True,
    autoretry_for=(MailNotSent,),
    retry_backoff=True,
    retry_backoff_max=MAIL_RETRY_MAX_DELAY,
    retry_jitter=True,
    max_retries=MAIL_RETRIES,
)
def notices_send(self: Task, *, notice_ids: list[int], hold: dict[str, Any] | None = None) -> int:
    """Send each notice in the batch at most once; return how many this run sent.

    Each notice is its own transaction (lock, skip if sent, send, mark sent,
    commit), so a retry after a mail error, or a run of the same batch after a
    worker was killed (acks_late), sends only those still unsent. Notices
    another transaction holds locked are tried again later in a retry of
    their own, so none is left behind by a worker that died holding its lock.
    """
    facts = None
    if hold is not None:
        ready_until = hold.get("ready_until")
        facts = HoldFacts(
            title=hold.get("title", ""),
            pickup_branch=hold.get("pickup_branch", ""),
            ready_until=datetime.date.fromisoformat(ready_until) if ready_until else None,
        )
    sent, busy = 0, []
    for notice_id in notice_ids:
        try:
            outcome = notice_send(notice_id=notice_id, facts=facts)
        except Unsent as error:
            raise MailNotSent(MAIL_NOT_SENT.format(kind=str(error))) from None
        sent += outcome is Outcome.SENT
        if outcome is Outcome.BUSY:
            busy.append(notice_id)
    # Run in the request (no broker: development), nothing else holds a lock
    # for long, and a retry would run at once; the next nightly run queues them.
    if busy and not self.request.is_eager:
        raise self.retry(
            kwargs={"notice_ids": busy, "hold": hold},
            countdown=BUSY_RETRY_DELAY,
            argsrepr="()",
            kwargsrepr=_kwargsrepr(busy),
        )
    return sent


def notices_send_queue(*, notice_ids: list[int], hold: dict[str, Any] | None = None) -> None:
    """Queue one batch of notices; the log shows how many, never a title."""
    notices_send.apply_async(
        kwargs={"notice_ids": notice_ids, "hold": hold},
        argsrepr="()",
        kwargsrepr=_kwargsrepr(notice_ids),
    )


def _kwargsrepr(notice_ids: list[int]) -> str:
    return f"{{'notice_ids': <{len(notice_ids)} ids>, 'hold': '***'}}"


def batches(ids: list[int], size: int | None = None) -> list[list[int]]:
    """Split notice ids into the batches one task each sends (settings.NOTICES_BATCH_SIZE)."""
    size = size or settings.NOTICES_BATCH_SIZE
    return [ids[start : start + size] for start in range(0, len(ids), size)]
