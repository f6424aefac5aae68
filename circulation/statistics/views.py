"""The statistics page and its CSV download, for the staff roles that run the library.

They read only anonymous daily counts, suppressed (circulation.statistics.report),
so they serve no patron data and never pass the gate; they are staff pages all
the same, opening to the roles the role table gives `circulation.view_circulationday`
(library.roles), and everyone else gets the not-found page (CONF-1, CONF-3).
Filters travel in the query string: dates, a period and dimensions, nothing
about a person. A filter that cannot be read answers 400 with the form's error
and no table.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from circulation.statistics.chart import statistics_chart
from circulation.statistics.forms import StatisticsForm, with_defaults
from circulation.statistics.report import TOTAL, Dimension, Period, Report, statistics_report
from library.exports import csv_response
from library.staff import staff_page

STATISTICS = "circulation.view_circulationday"
READ_ONLY = ("GET", "HEAD")


def _report(request: HttpRequest) -> tuple[StatisticsForm, Report | None]:
    form = StatisticsForm(with_defaults(request.GET, timezone.localdate()))
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    report = statistics_report(
        start=data["date_from"],
        end=data["date_to"],
        period=Period(data["period"]),
        dimensions=[Dimension(value) for value in data["breakdown"]],
        minimum=settings.STATISTICS_MIN_CELL,
    )
    return form, report


def _page(request: HttpRequest, form: StatisticsForm, report: Report | None) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "report": report,
        "minimum": settings.STATISTICS_MIN_CELL,
    }
    if report is None:
        return render(request, "circulation/statistics.html", context, status=400)
    context["widened"] = form.widened
    context["chart"] = statistics_chart(report)
    context["csv_query"] = request.GET.urlencode()
    return render(request, "circulation/statistics.html", context)


@staff_page(STATISTICS, methods=READ_ONLY)
def statistics(request: HttpRequest) -> HttpResponse:
    """Show check-outs, returns and renewals per period and breakdown, suppressed, with a chart."""
    form, report = _report(request)
    return _page(request, form, report)


@staff_page(STATISTICS, methods=READ_ONLY)
def statistics_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Download the page's tables as CSV, withheld cells written as on the page."""
    form, report = _report(request)
    if report is None:
        return _page(request, form, report)
    header = ["Measure", "Period", "From", "To", *report.columns, TOTAL]
    rows: list[list[Any]] = []
    for table in report.tables:
        measure = str(table.measure.label)
        for row in table.rows:
            rows.append([measure, row.label, row.start, row.end, *row.cells, row.total])
        rows.append([measure, TOTAL, report.start, report.end, *table.column_totals, table.total])
    name = f"circulation-{report.period.value}-{report.start}-{report.end}.csv"
    return csv_response(name, header, rows)
