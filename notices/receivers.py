"""Hold notices: made and queued when circulation says a hold is ready or was not collected.

The signals are sent from transaction.on_commit (circulation.signals), so the
hold a notice is about is committed, and a rolled-back check-in tells nobody.
"""

import datetime
from typing import Any

from django.dispatch import receiver

from circulation.signals import hold_expired, hold_ready
from notices.models import Kind
from notices.services import notice_for_hold
from notices.tasks import notices_send_queue


@receiver(hold_ready, dispatch_uid="notices.hold_ready")
def on_hold_ready(
    sender: Any,
    *,
    hold_id: int,
    patron_id: int,
    title: str = "",
    pickup_branch: str = "",
    ready_until: datetime.date | None = None,
    **kwargs: Any,
) -> None:
    """Make a hold-ready notice; queue it when it is an email (a letter waits for the desk)."""
    notice = notice_for_hold(kind=Kind.HOLD_READY, patron_id=patron_id, hold_id=hold_id)
    if notice is not None and notice.channel == "email":
        # The title and day are read from the hold at send time, while it still exists.
        notices_send_queue(notice_ids=[notice.pk])


@receiver(hold_expired, dispatch_uid="notices.hold_expired")
def on_hold_expired(
    sender: Any, *, patron_id: int, title: str = "", pickup_branch: str = "", **kwargs: Any
) -> None:
    """Make a hold-expired notice; the title rides in the task only, since no row may keep it."""
    notice = notice_for_hold(kind=Kind.HOLD_EXPIRED, patron_id=patron_id)
    if notice is not None and notice.channel == "email":
        notices_send_queue(
            notice_ids=[notice.pk], hold={"title": title, "pickup_branch": pickup_branch}
        )
