"""Loans due on a given library day, for notice tests."""

import datetime

from django.utils import timezone

from circulation.models import Loan
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
