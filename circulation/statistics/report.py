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
from django.db.models import Sum

from circulation.models import CirculationDay, ItemType, PatronCategory
from circulation.statistics.suppression import ALL as ALL_KEY
from circulation.statistics.suppression import (
    Cell,
    CountedCell,
    Cube,
    CubeKey,
    SuppressedTable,
    Withheld,
    counted,
    sum_cells,
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


def snap(
    start: datetime.date, end: datetime.date, period: Period
) -> tuple[datetime.date, datetime.date]:
    """Return start..end widened to whole periods: Monday to Sunday, or the 1st to the last day.

    Every row then covers a whole day, week or month, whatever range was asked
    for, so two requests cannot differ in a row's count (a month ending on the
    30th against one ending on the 31st would give the 31st back).
    """
    if period == Period.WEEK:
        return (
            start - datetime.timedelta(days=start.weekday()),
            end + datetime.timedelta(days=6 - end.weekday()),
        )
    if period == Period.MONTH:
        following = (end.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        return start.replace(day=1), following - datetime.timedelta(days=1)
    return start, end


def periods(
    start: datetime.date, end: datetime.date, period: Period
) -> list[tuple[datetime.date, datetime.date, datetime.date]]:
    """Return (key, first day, last day) of each period meeting start..end, clipped to it.

    The key is the period's own first day (a Monday for weeks, the 1st for
    months), as the database truncates a day to; start <= end is required.
    The report snaps start..end first (snap), so it never clips.
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


def pieces(start: datetime.date, end: datetime.date) -> list[list[datetime.date]]:
    """Return the days of start..end cut at every Monday and every 1st of a month.

    A piece (one to seven days) lies inside one week and one month; every day,
    week and month is a union of pieces, so each is suppressed once, on its own
    (suppression.py says why that is safe).
    """
    found: list[list[datetime.date]] = []
    day = start
    while day <= end:
        if not found or day.weekday() == 0 or day.day == 1:
            found.append([])
        found[-1].append(day)
        day += datetime.timedelta(days=1)
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

    start..end is inclusive and start <= end, and is first widened to whole
    periods (snap). `dimensions` (none, some or all of branch, item type, age
    group, in that order) make the columns, one per combination of their
    values, every combination listed even when empty (an absent column would
    say its count is zero). Without a dimension there is one column, "All".

    Every number shown is a function of its period and column alone, never of
    the range asked for (suppression.py gives the argument): each piece of
    days inside one week and one month is suppressed on its own, its days and
    its sum over every breakdown at once (suppression.withhold_cube); a week
    or a month is the sum of its pieces, shown only when each piece's count is
    shown; totals over the rows likewise. One aggregate query; its rows grow
    with the days and branches, never with loans or patrons.
    """
    start, end = snap(start, end, period)
    # One database for the whole report, so its branches and counts agree.
    using = lagging_reads()
    values = {d: _dimension_values(d, using) for d in Dimension}
    # A dimension without values (no branch yet) breaks nothing down.
    chosen = tuple(d for d in Dimension if d in dimensions and values[d])
    spans = periods(start, end, period)
    # Every breakdown is read and suppressed at once, whichever is asked for,
    # so no two breakdowns of the same period tell apart what one withholds.
    fields = [_field(d) for d in Dimension]
    # Whole pieces, even for a range of days that starts or ends inside one:
    # a day is always suppressed with every other day of its piece.
    first_day, last_day = snap(start, end, Period.WEEK)
    cut = [days for days in pieces(first_day, last_day) if days[-1] >= start and days[0] <= end]
    first_day, last_day = cut[0][0], cut[-1][-1]
    sums = (
        CirculationDay.objects.using(using)
        .filter(day__gte=first_day, day__lte=last_day)
        .values("day", *fields)
        .annotate(**{m.value: Sum(m.value) for m in Measure})
        .order_by()
    )
    breakdown_axes: list[list[Hashable]] = [
        [value for value, _label in values[d]] for d in Dimension
    ]
    # measure -> day -> cube key (with the day) -> count
    counts: dict[Measure, dict[datetime.date, dict[CubeKey, int]]] = {m: {} for m in Measure}
    for row in sums:
        for measure in Measure:
            key = (row["day"], *(row[f] for f in fields))
            counts[measure].setdefault(row["day"], {})[key] = row[measure.value] or 0
    shown_axes = [list(Dimension).index(d) for d in chosen]
    groups = list(itertools.product(*(values[d] for d in chosen)))
    columns = [" · ".join(label for _value, label in group) or ALL for group in groups]
    # The cube keys (without the day) of the columns, then of the row's total.
    column_keys: list[CubeKey] = []
    for group in groups:
        column: list[Hashable | None] = [ALL_KEY] * len(Dimension)
        for n, (value, _label) in zip(shown_axes, group, strict=True):
            column[n] = value
        column_keys.append(tuple(column))
    total_key: CubeKey = (ALL_KEY,) * len(Dimension)
    keys = column_keys if len(column_keys) == 1 and not chosen else [*column_keys, total_key]
    tables = []
    for measure in Measure:
        by_day = counts[measure]
        cubes = []
        for days in cut:
            piece_counts = {k: v for day in days for k, v in by_day.get(day, {}).items()}
            cube = withhold_cube(piece_counts, axes=[days, *breakdown_axes], minimum=minimum)
            cubes.append((days, cube))
        grid = []
        for _key, first, last in spans:
            inside = [cube for days, cube in cubes if days[0] <= last and days[-1] >= first]
            grid.append([_period_cell(inside, period, first, key, minimum) for key in keys])
        # Totals over the rows, from the same parts a week or a month is made of:
        # a whole piece by its own total, so a range's total reads as the sum of
        # the same published pieces whether the rows are days, weeks or months;
        # a piece cut by the range's ends by its days inside. Shown only when
        # every part is (sum_cells).
        grid.append([sum_cells(_range_parts(cubes, start, end, key), minimum) for key in keys])
        table = SuppressedTable(
            cells=tuple(tuple(row if len(row) == 1 else row[:-1]) for row in grid[:-1]),
            row_totals=tuple(row[-1] for row in grid[:-1]),
            column_totals=tuple(grid[-1] if len(grid[-1]) == 1 else grid[-1][:-1]),
            total=grid[-1][-1],
            minimum=minimum,
        )
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


def _range_parts(
    cubes: list[tuple[list[datetime.date], Cube]],
    start: datetime.date,
    end: datetime.date,
    key: CubeKey,
) -> list[CountedCell]:
    """Return the cells whose sum is one column's count over start..end (whole days)."""
    parts = []
    for days, cube in cubes:
        inside = [day for day in days if start <= day <= end]
        if len(inside) == len(days):
            parts.append(counted(cube, (ALL_KEY, *key)))
        else:
            parts += [counted(cube, (day, *key)) for day in inside]
    return parts


def _period_cell(
    cubes: list[Cube], period: Period, first: datetime.date, key: CubeKey, minimum: int
) -> CountedCell:
    """Return one period's count for one column (key without the day) from its pieces' cubes.

    A day is its row of its piece; a week or a month sums its pieces (sum_cells).
    """
    if period == Period.DAY:
        (cube,) = cubes
        return counted(cube, (first, *key))
    return sum_cells([counted(cube, (ALL_KEY, *key)) for cube in cubes], minimum)
