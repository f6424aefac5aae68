"""The reads-per-day chart, laid out on the server (library.charts) for an SVG template.

Allowed reads are solid bars and refused reads hatched ones, with a legend, axis
labels, a title and a description, so the chart reads without colour and
without JavaScript; the page also shows the numbers as a table.
"""

import datetime

from django.utils.formats import date_format

from auditors.selectors import DayCount
from library.charts import HEIGHT, Chart, Series, bar_chart

__all__ = ["HEIGHT", "Chart", "reads_chart"]


def _day(day: datetime.date) -> str:
    # The site's one date style (library/formats), as the table beside the chart shows it.
    return date_format(day)


def reads_chart(days: list[DayCount]) -> Chart:
    """Lay out one pair of bars per day: reads allowed (solid) and refused (hatched)."""
    first, last = days[0].day, days[-1].day
    allowed = sum(day.allowed for day in days)
    refused = sum(day.refused for day in days)
    busiest = max(days, key=lambda day: day.allowed + day.refused)
    description = (
        f"Reads of patron data per day from {_day(first)} to {_day(last)}: "
        f"{allowed} allowed and {refused} refused in all."
    )
    if busiest.allowed + busiest.refused:
        description += (
            f" The busiest day was {_day(busiest.day)}, with {busiest.allowed} allowed "
            f"and {busiest.refused} refused."
        )
    return bar_chart(
        title=f"Reads allowed and refused per day, {_day(first)} to {_day(last)}",
        description=description,
        x_labels=[date_format(day.day, "MONTH_DAY_FORMAT") for day in days],
        series=[
            Series("allowed", [day.allowed for day in days]),
            Series("refused", [day.refused for day in days]),
        ],
        bar_label=lambda index, series, value: f"{_day(days[index].day)}: {value} {series.kind}",
    )
