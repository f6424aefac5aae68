"""The one date style for text built in Python (messages, choice labels).

Templates ask for the style by name (`|date`, `|date:"DATETIME_FORMAT"`); text
that views and forms build themselves reads the same formats here, so a
message says "Mar 5, 2026" like the page around it, in the library's time zone
(library/formats/en/formats.py).
"""

import datetime

from django.utils import formats, timezone


def day(value: datetime.date | datetime.datetime) -> str:
    """Return a day as every page shows it ("Mar 5, 2026"); a moment is read in local time first."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT")


def moment(value: datetime.datetime) -> str:
    """Return a moment as every page shows it ("Mar 5, 2026 14:05"), in the library's time zone."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT")


def month(value: datetime.date) -> str:
    """Return a month as every page shows it ("Mar 2026")."""
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


def month_day(value: datetime.date) -> str:
    """Return a day without its year, for a chart's axis ("Mar 5")."""
    return formats.date_format(value, "MONTH_DAY_FORMAT")
