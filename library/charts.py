"""Bar charts laid out on the server as plain numbers for an SVG template.

A chart is groups along the x axis (days, weeks, months) with one bar per
series in each group, round steps up the value axis, a title and a
description, so it reads without colour and without JavaScript. A value of
None is withheld (small-cell suppression): it is drawn as a short hatched stub
of fixed height that says nothing of the value, never as the value itself.
The auditors' reads-per-day chart and the circulation statistics use it.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 36, 28
LEGEND_Y = 8
Y_STEPS = 4
X_LABELS = 8
# The height, in SVG units, of the hatched stub standing for a withheld value.
WITHHELD_STUB = 6
# The share of a group's width its bars take together (the rest is the gap).
GROUP_FILL = 0.8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # the series, for the template's fill
    label: str
    withheld: bool = False


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Series:
    """One bar per group: its kind (the template's fill) and values, None where withheld."""

    kind: str
    values: Sequence[int | None]


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


def round_step(highest: int) -> int:
    """Return a round step (1, 2 or 5 times a power of ten) so Y_STEPS steps reach highest."""
    if highest <= Y_STEPS:
        return 1
    rough = highest / Y_STEPS
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def bar_chart(
    *,
    title: str,
    description: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    bar_label: Callable[[int, Series, int | None], str],
) -> Chart:
    """Lay out one bar per series in each of len(x_labels) groups (at least one).

    `bar_label(group index, series, value)` is each bar's text for screen
    readers and tooltips; x labels are thinned to at most X_LABELS.
    """
    shown = [value for one in series for value in one.values if value is not None]
    step = round_step(max(shown, default=0))
    top_value = step * Y_STEPS
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_width / len(x_labels)
    share = GROUP_FILL / len(series)

    def y(value: float) -> float:
        return round(TOP + plot_height * (1 - value / top_value), 2)

    bars = []
    for index in range(len(x_labels)):
        for number, one in enumerate(series):
            value = one.values[index]
            x = round(LEFT + group * (index + (1 - GROUP_FILL) / 2 + number * share), 2)
            width = round(group * share, 2)
            label = bar_label(index, one, value)
            if value is None:
                bottom = TOP + plot_height
                bars.append(
                    Bar(x, bottom - WITHHELD_STUB, width, WITHHELD_STUB, one.kind, label, True)
                )
            else:
                height = round(plot_height * value / top_value, 2)
                bars.append(Bar(x, y(value), width, height, one.kind, label))
    every = max(1, math.ceil(len(x_labels) / X_LABELS))
    x_ticks = [
        Tick(round(LEFT + group * (index + 0.5), 2), label)
        for index, label in enumerate(x_labels)
        if index % every == 0
    ]
    y_ticks = [Tick(y(step * n), str(step * n)) for n in range(Y_STEPS + 1)]
    return Chart(title=title, description=description, bars=bars, y_ticks=y_ticks, x_ticks=x_ticks)
