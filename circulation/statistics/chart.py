"""The statistics chart: each period's totals of check-outs, returns and renewals, as SVG.

Laid out by library.charts like the auditors' reads-per-day chart. A withheld
total (small-cell suppression) is a short hatched stub of fixed height with
"withheld" in its label, never a bar of its value.
"""

import datetime

from circulation.statistics.report import Measure, Period, Report, Row, cell_text
from library import dates
from library.charts import Chart, Series, bar_chart


def _axis_label(period: Period, row: Row) -> str:
    # Short enough for eight to fit along the axis; the bars' own labels are full.
    if period == Period.MONTH:
        return dates.month(row.start)
    if period == Period.WEEK:
        return dates.month_day(row.start - datetime.timedelta(days=row.start.weekday()))
    return dates.month_day(row.start)


def statistics_chart(report: Report) -> Chart:
    """Lay out one bar per measure in each period (row) of the report, from the rows' totals."""
    labels = [row.label for row in report.tables[0].rows]
    series = [
        Series(table.measure.value, [cell.value for cell in table.suppressed.row_totals])
        for table in report.tables
    ]
    names = {measure.value: str(measure.label).lower() for measure in Measure}
    texts = {
        table.measure.value: [cell_text(c, report.minimum) for c in table.suppressed.row_totals]
        for table in report.tables
    }
    withheld = sum(value is None for one in series for value in one.values)
    description = (
        f"Check-outs, returns and renewals per {report.period.value} from "
        f"{dates.day(report.start)} to {dates.day(report.end)}."
    )
    if withheld:
        description += (
            f" {withheld} of the {len(series) * len(labels)} bars are withheld (hatched stubs):"
            f" fewer than {report.minimum}, or hidden so that such a count cannot be worked out."
        )
    return bar_chart(
        title=f"Circulation per {report.period.value}, "
        f"{dates.day(report.start)} to {dates.day(report.end)}",
        description=description,
        x_labels=[_axis_label(report.period, row) for row in report.tables[0].rows],
        series=series,
        bar_label=lambda index, one, value: (
            f"{labels[index]}: {names[one.kind]} {texts[one.kind][index]}"
        ),
    )
