"""Loans due on a given library day, and the default templates, for notice tests."""

import datetime

from django.utils import timezone

from circulation.models import Loan
from notices.defaults import DEFAULTS, default_words
from notices.models import Channel, NoticeTemplate
from patrons.models import Patron
from tests.factories import LoanFactory


def end_of_day(day: datetime.date) -> datetime.datetime:
    """Return 23:59:59 on a library day, the way check-out sets due_at."""
    zone = timezone.get_current_timezone()
    return datetime.datetime.combine(day, datetime.time(23, 59, 59), zone)


def loan_due(patron: Patron, day: datetime.date, **fields: object) -> Loan:
    """Return an open loan of a new item to the patron, due at the end of `day`."""
    due = end_of_day(day)
    return LoanFactory(
        patron=patron, due_at=due, checked_out_at=due - datetime.timedelta(days=21), **fields
    )


def notice_templates() -> None:
    """Make each default template that is missing.

    The data migration made them, but a transactional test run earlier empties
    every table when it ends, the migration's rows included.
    """
    for kind in DEFAULTS:
        for channel in Channel:
            subject, body = default_words(kind, channel)
            NoticeTemplate.objects.get_or_create(
                kind=kind, channel=channel, defaults={"subject": subject, "body": body}
            )
