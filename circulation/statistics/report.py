"""The statistics report: counts from CirculationDay per period and breakdown, suppressed.

Reads only the anonymous daily counts (circulation.models.CirculationDay), never
loans or reading history, so no person's borrowing enters a statistic (CONF-9);
every table then passes through small-cell suppression (suppression.suppress)
before a page, a CSV file or a chart shows it. No patron data is read, so
nothing here goes through the gate. For the same reason, and since a count a
moment old is as good as a current one, the report reads from a replica when
one is configured (library.db.lagging_reads).
"""

import datetime
import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from django.db import models
from django.db.models import F, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from circulation.models import CirculationDay, ItemType, PatronCategory
from circulation.statistics.suppression import (
    Cell,
    Cube,
    CubeKey,
    SuppressedTable,
    Withheld,
    withhold_cube,
)
from library import dates
from library.db import lagging_reads
from library.models import Branch

FEWER_THAN = "fewer than {minimum}"
WITHHELD = "withheld"
ALL = "All"
TOTAL = "Total"


class Period(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week (Monday to Sunday)"
    MONTH = "month", "Month"


class Dimension(models.TextChoices):
    BRANCH = "branch", "Branch"
    ITEM_TYPE = "item_type", "Item type"
    AGE_GROUP = "patron_category", "Age group"


class Measure(models.TextChoices):
    CHECKOUTS = "checkouts", "Check-outs"
    RETURNS = "returns", "Returns"
    RENEWALS = "renewals", "Renewals"


@dataclass(frozen=True)
class Row:
    """One period of the table: its label, what each column shows, and its total."""

    label: str
    start: datetime.date
    end: datetime.date
    cells: list[str]
    total: str


@dataclass(frozen=True)
class MeasureTable:
    """One measure's table: a row per period, a column per breakdown group, totals."""

    measure: Measure
    rows: list[Row]
    column_totals: list[str]
    total: str
    suppressed: SuppressedTable


@dataclass(frozen=True)
class Report:
    start: datetime.date
    end: datetime.date
    period: Period
    dimensions: tuple[Dimension, ...]
    columns: list[str]
    tables: list[MeasureTable]
    minimum: int


def cell_text(cell: Cell, minimum: int) -> str:
    """Return what a page or a CSV file shows for a cell: its count, or why it is withheld."""
    if cell.withheld is Withheld.SMALL:
        return FEWER_THAN.format(minimum=minimum)
    if cell.withheld is Withheld.COMPLEMENTARY:
        return WITHHELD
    return str(cell.value)


def periods(
    start: datetime.date, end: datetime.date, period: Period
) -> list[tuple[datetime.date, datetime.date, datetime.date]]:
    """Return (key, first day, last day) of each period meeting start..end, clipped to it.

    The key is the period's own first day (a Monday for weeks, the 1st for
    months), as the database truncates a day to; start <= end is required.
    """
    found = []
    day = start
    while day <= end:
        if period == Period.DAY:
            key, following = day, day + datetime.timedelta(days=1)
        elif period == Period.WEEK:
            key = day - datetime.timedelta(days=day.weekday())
            following = key + datetime.timedelta(days=7)
        else:
            key = day.replace(day=1)
            following = (key + datetime.timedelta(days=32)).replace(day=1)
        last = min(end, following - datetime.timedelta(days=1))
        found.append((key, day, last))
        day = following
    return found


def _period_label(period: Period, key: datetime.date) -> str:
    if period == Period.DAY:
        return dates.day(key)
    if period == Period.WEEK:
        return f"Week of {dates.day(key)}"
    return dates.month(key)


def _dimension_values(dimension: Dimension, using: str) -> list[tuple[Hashable, str]]:
    if dimension == Dimension.BRANCH:
        branches = Branch.objects.using(using).order_by("name", "pk")
        return [(branch.pk, branch.name) for branch in branches]
    if dimension == Dimension.ITEM_TYPE:
        return [(value, str(label)) for value, label in ItemType.choices]
    return [(value, str(label)) for value, label in PatronCategory.choices]


def _field(dimension: Dimension) -> str:
    return "branch_id" if dimension == Dimension.BRANCH else dimension.value


def statistics_report(
    *,
    start: datetime.date,
    end: datetime.date,
    period: Period,
    dimensions: Sequence[Dimension],
    minimum: int,
) -> Report:
    """Return check-outs, returns and renewals per period (rows) and breakdown group (columns).

    start..end is inclusive and start <= end; `dimensions` (none, some or all
    of branch, item type, age group, in that order) make the columns, one per
    combination of their values, every combination listed even when empty (an
    absent column would say its count is zero). Without a dimension there is
    one column, "All". Each measure is suppressed with `minimum`
    (STATISTICS_MIN_CELL) over every breakdown at once (suppression.withhold_cube),
    so the table asked for and any other breakdown of the same period agree
    on what is withheld. One aggregate query; its rows grow with the periods
    and branches, never with loans or patrons.
    """
    # One database for the whole report, so its branches and counts agree.
    using = lagging_reads()
    values = {d: _dimension_values(d, using) for d in Dimension}
    # A dimension without values (no branch yet) breaks nothing down.
    chosen = tuple(d for d in Dimension if d in dimensions and values[d])
    spans = periods(start, end, period)
    truncate = {
        Period.DAY: F("day"),
        Period.WEEK: TruncWeek("day"),
        Period.MONTH: TruncMonth("day"),
    }
    # Every breakdown is read and suppressed at once, whichever is asked for,
    # so no two breakdowns of the same period tell apart what one withholds.
    fields = [_field(d) for d in Dimension]
    sums = (
        CirculationDay.objects.using(using)
        .filter(day__gte=start, day__lte=end)
        .annotate(period_key=truncate[period])
        .values("period_key", *fields)
        .annotate(**{m.value: Sum(m.value) for m in Measure})
        .order_by()
    )
    axes: list[list[Hashable]] = [[key for key, _first, _last in spans]]
    axes += [[value for value, _label in values[d]] for d in Dimension]
    counts: dict[Measure, dict[CubeKey, int]] = {m: {} for m in Measure}
    for row in sums:
        key = row["period_key"]
        if isinstance(key, datetime.datetime):
            key = key.date()
        for measure in Measure:
            counts[measure][(key, *(row[f] for f in fields))] = row[measure.value] or 0
    shown_axes = [1 + list(Dimension).index(d) for d in chosen]
    groups = list(itertools.product(*(values[d] for d in chosen)))
    columns = [" · ".join(label for _value, label in group) or ALL for group in groups]
    tables = []
    for measure in Measure:
        cube = withhold_cube(counts[measure], axes=axes, minimum=minimum)
        table = _table(cube, cube.view_keys(shown_axes), minimum)
        rows = [
            Row(
                label=_period_label(period, key),
                start=first,
                end=last,
                cells=[cell_text(cell, minimum) for cell in cells],
                total=cell_text(total, minimum),
            )
            for (key, first, last), cells, total in zip(
                spans, table.cells, table.row_totals, strict=True
            )
        ]
        tables.append(
            MeasureTable(
                measure=measure,
                rows=rows,
                column_totals=[cell_text(cell, minimum) for cell in table.column_totals],
                total=cell_text(table.total, minimum),
                suppressed=table,
            )
        )
    return Report(
        start=start,
        end=end,
        period=period,
        dimensions=chosen,
        columns=columns,
        tables=tables,
        minimum=minimum,
    )


def _table(cube: Cube, keys: list[list[CubeKey]], minimum: int) -> SuppressedTable:
    """Return one view of a suppressed cube as a table (a lone column is its own total)."""
    grid = [[cube.cell(key) for key in row] for row in keys]
    body = [row if len(row) == 1 else row[:-1] for row in grid]
    return SuppressedTable(
        cells=tuple(tuple(row) for row in body[:-1]),
        row_totals=tuple(row[-1] for row in grid[:-1]),
        column_totals=tuple(body[-1]),
        total=grid[-1][-1],
        minimum=minimum,
    )
