"""The statistics page's filters, read from the query string (they hold no patron data)."""

import datetime
from typing import Any

from django import forms

from circulation.statistics.report import Dimension, Period, snap
from library.forms import PERIOD_TOO_LONG, BoundedDateRangeForm

# Rows of days are for a quarter at most, weeks and months for two years:
# every breakdown of the period is suppressed together on each request, and its
# cost grows with the rows times the branches.
DAY_ROWS_MAX_DAYS = 92
MAX_DAYS = 731
DEFAULT_DAYS = 12 * 7


class StatisticsForm(BoundedDateRangeForm):
    """A period (both ends, inclusive), the rows' length and the breakdown of the columns."""

    max_days = MAX_DAYS
    widened = False  # set by clean when the dates were widened to whole periods

    period = forms.ChoiceField(choices=Period.choices, label="Count per")
    breakdown = forms.MultipleChoiceField(
        choices=Dimension.choices,
        required=False,
        label="Break down by",
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if (
            cleaned.get("period") == Period.DAY
            and start
            and end
            and (end - start).days + 1 > DAY_ROWS_MAX_DAYS
        ):
            raise forms.ValidationError(
                PERIOD_TOO_LONG.format(days=DAY_ROWS_MAX_DAYS) + " Count per week or month instead."
            )
        # Whole periods only: a row that counted part of a week or a month
        # would differ from the whole one by the days left out (report.snap).
        if start and end and cleaned.get("period") in Period.values:
            whole = snap(start, end, Period(cleaned["period"]))
            self.widened = whole != (start, end)
            cleaned["date_from"], cleaned["date_to"] = whole
        return cleaned


def with_defaults(query: Any, today: datetime.date) -> dict[str, Any]:
    """Return the query string's filters with the defaults filled in (the last 12 weeks, weekly)."""
    data: dict[str, Any] = {
        "date_from": (today - datetime.timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "date_to": today.isoformat(),
        "period": Period.WEEK.value,
        "breakdown": [],
    }
    for key in data:
        if key in query:
            data[key] = query.getlist(key) if key == "breakdown" else query.get(key)
    return data
