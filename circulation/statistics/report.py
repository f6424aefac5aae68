"""The statistics report: counts from CirculationDay per period and breakdown, suppressed.

Reads only the anonymous daily counts (circulation.models.CirculationDay), never
loans or reading history, so no person's borrowing enters a statistic (CONF-9);
every table then passes through small-cell suppression (suppression.suppress)
before a page, a CSV file or a chart shows it. No patron data is read, so
nothing here goes through the gate.
"""

import datetime
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models
from django.db.models import F, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from circulation.models import CirculationDay, ItemType, PatronCategory
from circulation.statistics.suppression import Cell, SuppressedTable, Withheld, suppress
from library import dates
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


def _dimension_values(dimension: Dimension) -> list[tuple[object, str]]:
    if dimension == Dimension.BRANCH:
        return [(branch.pk, branch.name) for branch in Branch.objects.order_by("name", "pk")]
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
    one column, "All". Each measure's table is suppressed with `minimum`
    (STATISTICS_MIN_CELL). One aggregate query; rows grow with the period
    count, never with loans or patrons.
    """
    chosen = tuple(d for d in Dimension if d in dimensions)
    spans = periods(start, end, period)
    truncate = {
        Period.DAY: F("day"),
        Period.WEEK: TruncWeek("day"),
        Period.MONTH: TruncMonth("day"),
    }
    fields = [_field(d) for d in chosen]
    sums = (
        CirculationDay.objects.filter(day__gte=start, day__lte=end)
        .annotate(period_key=truncate[period])
        .values("period_key", *fields)
        .annotate(**{m.value: Sum(m.value) for m in Measure})
        .order_by()
    )
    found: dict[tuple[object, ...], dict[str, int]] = {}
    for row in sums:
        key = row["period_key"]
        if isinstance(key, datetime.datetime):
            key = key.date()
        found[(key, *(row[f] for f in fields))] = {m.value: row[m.value] or 0 for m in Measure}
    groups = list(itertools.product(*(_dimension_values(d) for d in chosen)))
    columns = [" · ".join(label for _value, label in group) or ALL for group in groups]
    tables = []
    for measure in Measure:
        counts = [
            [
                found.get((key, *(value for value, _label in group)), {}).get(measure.value, 0)
                for group in groups
            ]
            for key, _first, _last in spans
        ]
        table = suppress(counts, minimum=minimum)
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
