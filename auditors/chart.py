"""The reads-per-day chart, laid out on the server as plain numbers for an SVG template.

Allowed reads are solid bars and refused reads hatched ones, with a legend, axis
labels, a title and a description, so the chart reads without colour and
without JavaScript; the page also shows the numbers as a table.
"""

import datetime
import math
from dataclasses import dataclass

from django.utils.formats import date_format

from auditors.selectors import DayCount

WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 36, 28
LEGEND_Y = 8
Y_STEPS = 4
X_LABELS = 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # "allowed" or "refused"
    label: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    legend_y: int = LEGEND_Y


def _step(highest: int) -> int:
    """Return a round step (1, 2 or 5 times a power of ten) so Y_STEPS steps reach highest."""
    if highest <= Y_STEPS:
        return 1
    rough = highest / Y_STEPS
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def _day_label(count: DayCount) -> str:
    return date_format(count.day, "MONTH_DAY_FORMAT")


def _day(day: datetime.date) -> str:
    # The site's one date style (library/formats), as the table beside the chart shows it.
    return date_format(day)


def reads_chart(days: list[DayCount]) -> Chart:
    """Lay out one pair of bars per day: reads allowed (solid) and refused (hatched)."""
    first, last = days[0].day, days[-1].day
    allowed = sum(day.allowed for day in days)
    refused = sum(day.refused for day in days)
    busiest = max(days, key=lambda day: day.allowed + day.refused)
    step = _step(max(max(day.allowed, day.refused) for day in days))
    top_value = step * Y_STEPS
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_width / len(days)

    def y(value: int) -> float:
        return round(TOP + plot_height * (1 - value / top_value), 2)

    bars = []
    for index, day in enumerate(days):
        for offset, kind, value in ((0.1, "allowed", day.allowed), (0.5, "refused", day.refused)):
            bars.append(
                Bar(
                    x=round(LEFT + group * (index + offset), 2),
                    y=y(value),
                    width=round(group * 0.4, 2),
                    height=round(plot_height * value / top_value, 2),
                    kind=kind,
                    label=f"{_day(day.day)}: {value} {kind}",
                )
            )
    every = max(1, math.ceil(len(days) / X_LABELS))
    x_ticks = [
        Tick(round(LEFT + group * (index + 0.5), 2), _day_label(day))
        for index, day in enumerate(days)
        if index % every == 0
    ]
    y_ticks = [Tick(y(step * n), str(step * n)) for n in range(Y_STEPS + 1)]
    busiest_total = busiest.allowed + busiest.refused
    description = (
        f"Reads of patron data per day from {_day(first)} to {_day(last)}: "
        f"{allowed} allowed and {refused} refused in all."
    )
    if busiest_total:
        description += (
            f" The busiest day was {_day(busiest.day)}, with {busiest.allowed} allowed "
            f"and {busiest.refused} refused."
        )
    return Chart(
        title=f"Reads allowed and refused per day, {_day(first)} to {_day(last)}",
        description=description,
        bars=bars,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
    )
