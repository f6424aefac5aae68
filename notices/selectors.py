"""Notice reads: the letters waiting to be printed, and the templates."""

from typing import Any

from django.db.models import Q, QuerySet

from notices.models import Channel, Kind, Notice, NoticeTemplate
from privacy import access
from privacy.policy import DataCategory, Purpose

LETTERS_PAGE_SIZE = 200


def letters_waiting(user: Any) -> list[Notice]:
    """Return the unsent letters whose patrons this user may read, oldest first, reads logged.

    The patrons' names and addresses are read through the gate for the
    circulation desk's purpose (CONF-3): one logged read per patron shown.
    """
    waiting = (
        Notice.objects.filter(channel=Channel.LETTER, sent_on__isnull=True)
        # A hold-ready letter whose hold was collected or cancelled has nothing to say.
        .exclude(Q(kind=Kind.HOLD_READY) & Q(hold__isnull=True))
        .select_related("patron")
    )
    readable = access.restrict_to_readable(
        waiting,
        patron_path="patron",
        user=user,
        category=DataCategory.IDENTITY,
        purpose=Purpose.CIRCULATION,
    )
    letters = list(readable.order_by("created_on", "pk")[:LETTERS_PAGE_SIZE])
    shown = access.record_list_read(
        user, [letter.patron_id for letter in letters], DataCategory.IDENTITY, Purpose.CIRCULATION
    )
    return [letter for letter in letters if letter.patron_id in shown]


def templates() -> QuerySet[NoticeTemplate]:
    """Return every notice template, by kind and channel."""
    return NoticeTemplate.objects.all()
