"""The auditors' pages: the audit trail, read-only, for the auditor role alone (CONF-1).

Every other role, patrons, anonymous visitors and superusers without the role
get the same 404 the privacy middleware gives for a refusal, so the pages
reveal nothing, not even that they exist. Auditors change nothing: pages answer
GET; the two forms that post only turn a card number or a username into an id
and redirect. Opening one patron's access history is itself a read of that
patron, made and logged through the gate with the purpose "audit".
"""

import datetime
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from auditors.chart import reads_chart
from auditors.forms import (
    ChartForm,
    EntryFilterForm,
    EntryQueryForm,
    PageForm,
    PatronFindForm,
    default_chart_period,
)
from auditors.selectors import (
    EntryPage,
    EntryQuery,
    actor_activity,
    actor_name,
    agent_reads,
    chain_status,
    daily_reads,
    entries_for_export,
    entries_matching,
    entry_page,
    legal_releases,
    patron_history,
    refused_reads,
    release_page,
    staff_users,
)
from library.exports import csv_response
from library.staff import staff_page
from patrons.models import Patron
from privacy import access, gate
from privacy.models import LegalOrderRelease
from privacy.policy import DataCategory, Purpose

V = TypeVar("V", bound=Callable[..., HttpResponseBase])

NO_SUCH_USER = "No user has that username."
BAD_FILTERS = "The filters in the address are not valid; choose them again below."
READ_ONLY = ("GET", "HEAD")
ENTRY_CSV_HEADER = [
    "seq",
    "timestamp",
    "actor_id",
    "actor",
    "action",
    "record",
    "patron_id",
    "category",
    "purpose",
    "clause",
    "decision",
    "address",
    "details",
    "entry_hash",
]
RELEASE_CSV_HEADER = [
    "release",
    "released_at",
    "order",
    "kind",
    "case_number",
    "issuing_authority",
    "requesting_agency",
    "patron_id",
    "category",
    "records",
    "released_by",
]


def _read_patron(request: HttpRequest, *, pk: int | None = None, card: str | None = None) -> Patron:
    """Read a patron's identity for an audit, through the gate (logged; Refused if absent)."""
    if card is not None:
        return access.find_patron(
            request.user, card_number=card, category=DataCategory.IDENTITY, purpose=Purpose.AUDIT
        )
    return access.find_patron(
        request.user, pk=pk, category=DataCategory.IDENTITY, purpose=Purpose.AUDIT
    )


def _url(name: str, *args: Any, **params: Any) -> str:
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return reverse(name, args=args) + (f"?{query}" if query else "")


def _pager(request: HttpRequest, page: EntryPage, params: dict[str, Any]) -> dict[str, str]:
    links = {}
    if page.newer is not None:
        links["newer_url"] = f"{request.path}?{urlencode({**params, 'after': page.newer})}"
    if page.older is not None:
        links["older_url"] = f"{request.path}?{urlencode({**params, 'before': page.older})}"
    return links


def _entry_csv(filename: str, entries: QuerySet[AuditEntry]) -> StreamingHttpResponse:
    rows = (
        [
            row["seq"],
            timezone.localtime(row["timestamp"]).isoformat(),
            row["actor_id"],
            row["actor_name"],
            row["action_label"],
            row["object_repr"],
            row["patron_id"],
            row["category"],
            row["purpose"],
            row["clause"],
            row["decision"],
            row["remote_addr"],
            row["details"],
            row["entry_hash"],
        ]
        for row in entries_for_export(entries)
    )
    return csv_response(filename, ENTRY_CSV_HEADER, rows)


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "auditors/index.html",
        {"status": chain_status(), "find_form": PatronFindForm()},
    )


def _filter_initial(query: EntryQuery, patron: Patron | None) -> dict[str, Any]:
    return {
        "actor": actor_name(query.actor) if query.actor else "",
        "card_number": patron.card_number if patron else "",
        "category": query.category,
        "action": "" if query.action is None else str(query.action),
        "decision": query.decision,
        "clause": query.clause,
        "date_from": query.date_from,
        "date_to": query.date_to,
    }


def _resolve_filters(request: HttpRequest, form: EntryFilterForm) -> EntryQuery | None:
    """Turn the typed username and card number into ids; add form errors when they match none."""
    data = form.cleaned_data
    actor_id = None
    if data["actor"]:
        actor_id = (
            get_user_model()
            .objects.filter(username=data["actor"].strip())
            .values_list("pk", flat=True)
            .first()
        )
        if actor_id is None:
            form.add_error("actor", NO_SUCH_USER)
    patron_id = None
    if data["card_number"]:
        try:
            patron_id = _read_patron(request, card=data["card_number"]).pk
        except gate.Refused:
            form.add_error("card_number", gate.NOT_FOUND_MESSAGE)
    if form.errors:
        return None
    return EntryQuery(
        actor=actor_id,
        patron=patron_id,
        category=data["category"],
        action=int(data["action"]) if data["action"] else None,
        decision=data["decision"],
        clause=data["clause"],
        date_from=data["date_from"],
        date_to=data["date_to"],
    )


@staff_page(Purpose.AUDIT, hidden=True, methods=(*READ_ONLY, "POST"))
def entry_list(request: HttpRequest) -> HttpResponse:
    """The whole trail, filtered; filters are posted, resolved to ids, then shown by GET."""
    if request.method == "POST":
        form = EntryFilterForm(request.POST)
        if form.is_valid() and (query := _resolve_filters(request, form)) is not None:
            return HttpResponseRedirect(_url("audit:entries", **query.as_params()))
        return render(request, "auditors/entries.html", {"form": form}, status=400)

    query_form = EntryQueryForm(request.GET)
    if not query_form.is_valid():
        return render(
            request,
            "auditors/entries.html",
            {"form": EntryFilterForm(), "bad_filters": BAD_FILTERS},
            status=400,
        )
    query = query_form.query()
    patron = _read_patron(request, pk=query.patron) if query.patron else None
    page = entry_page(
        entries_matching(query),
        before=query_form.cleaned_data["before"],
        after=query_form.cleaned_data["after"],
    )
    params = query.as_params()
    return render(
        request,
        "auditors/entries.html",
        {
            "form": EntryFilterForm(initial=_filter_initial(query, patron)),
            "page": page,
            "filtered": bool(params),
            "export_url": _url("audit:entries_export", **params),
            **_pager(request, page, params),
        },
    )


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def entry_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    query_form = EntryQueryForm(request.GET)
    if not query_form.is_valid():
        return HttpResponse(BAD_FILTERS, status=400, content_type="text/plain; charset=utf-8")
    query = query_form.query()
    if query.patron:
        _read_patron(request, pk=query.patron)
    return _entry_csv("audit-entries.csv", entries_matching(query))


@staff_page(Purpose.AUDIT, hidden=True, methods=(*READ_ONLY, "POST"))
def patron_find(request: HttpRequest) -> HttpResponse:
    """Turn a card number into the patron's access history, reading the patron through the gate."""
    form = PatronFindForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            patron = _read_patron(request, card=form.cleaned_data["card_number"])
        except gate.Refused:
            form.add_error("card_number", gate.NOT_FOUND_MESSAGE)
        else:
            return HttpResponseRedirect(reverse("audit:patron_history", args=[patron.pk]))
    status = 400 if form.is_bound else 200
    return render(request, "auditors/patron_find.html", {"form": form}, status=status)


def _report(
    request: HttpRequest,
    *,
    entries_for: Callable[[datetime.date | None, datetime.date | None], QuerySet[AuditEntry]],
    heading: str,
    intro: str,
    export_name: str,
    export_args: Sequence[Any] = (),
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """Render one report: a period form, a page of entries, pager and CSV link."""
    form = PageForm(request.GET)
    context: dict[str, Any] = {"heading": heading, "intro": intro, "form": form, **(extra or {})}
    if not form.is_valid():
        return render(request, "auditors/report.html", context, status=400)
    data = form.cleaned_data
    page = entry_page(
        entries_for(data["date_from"], data["date_to"]), before=data["before"], after=data["after"]
    )
    period = {key: data[key].isoformat() for key in ("date_from", "date_to") if data[key]}
    context.update(
        page=page,
        export_url=_url(export_name, *export_args, **period),
        **_pager(request, page, period),
    )
    return render(request, "auditors/report.html", context)


def _period(request: HttpRequest) -> tuple[datetime.date | None, datetime.date | None] | None:
    form = PageForm(request.GET)
    if not form.is_valid():
        return None
    return form.cleaned_data["date_from"], form.cleaned_data["date_to"]


def _bad_period() -> HttpResponse:
    return HttpResponse(BAD_FILTERS, status=400, content_type="text/plain; charset=utf-8")


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def patron_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _read_patron(request, pk=pk)
    return _report(
        request,
        entries_for=lambda start, end: patron_history(patron.pk, start, end),
        heading=f"Access history of patron #{patron.pk}",
        intro="Everyone who read or changed this patron's record, when, why and under which "
        "clause, including refused reads. Opening this page was itself logged.",
        export_name="audit:patron_history_export",
        export_args=[patron.pk],
        extra={"patron": patron},
    )


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def patron_history_export(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    patron = _read_patron(request, pk=pk)
    if (period := _period(request)) is None:
        return _bad_period()
    return _entry_csv(f"audit-patron-{patron.pk}.csv", patron_history(patron.pk, *period))


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def staff_list(request: HttpRequest) -> HttpResponse:
    return render(request, "auditors/staff_list.html", {"users": staff_users()})


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def staff_activity(request: HttpRequest, pk: int) -> HttpResponse:
    name = actor_name(pk)
    return _report(
        request,
        entries_for=lambda start, end: actor_activity(pk, start, end),
        heading=f"Activity of {name}",
        intro="Everything this person did that the audit trail recorded: reads of patron "
        "data allowed and refused, and changes to records.",
        export_name="audit:staff_activity_export",
        export_args=[pk],
    )


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def staff_activity_export(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    if (period := _period(request)) is None:
        return _bad_period()
    return _entry_csv(f"audit-user-{pk}.csv", actor_activity(pk, *period))


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def refused(request: HttpRequest) -> HttpResponse:
    return _report(
        request,
        entries_for=refused_reads,
        heading="Refused reads",
        intro="Every read of patron data the policy refused, with the clause that refused it.",
        export_name="audit:refused_export",
    )


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def refused_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    if (period := _period(request)) is None:
        return _bad_period()
    return _entry_csv("audit-refused-reads.csv", refused_reads(*period))


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def agent_reads_view(request: HttpRequest) -> HttpResponse:
    return _report(
        request,
        entries_for=agent_reads,
        heading="Reads by contracted agents",
        intro="Reads asked for by agents under contract with the library (CONF-7), "
        "allowed and refused.",
        export_name="audit:agent_reads_export",
    )


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def agent_reads_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    if (period := _period(request)) is None:
        return _bad_period()
    return _entry_csv("audit-agent-reads.csv", agent_reads(*period))


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def legal_releases_view(request: HttpRequest) -> HttpResponse:
    form = PageForm(request.GET)
    context: dict[str, Any] = {"form": form}
    if not form.is_valid():
        return render(request, "auditors/legal_releases.html", context, status=400)
    data = form.cleaned_data
    releases, newer, older = release_page(
        legal_releases(date_from=data["date_from"], date_to=data["date_to"]),
        before=data["before"],
        after=data["after"],
    )
    period = {key: data[key].isoformat() for key in ("date_from", "date_to") if data[key]}
    context.update(
        releases=releases,
        export_url=_url("audit:legal_releases_export", **period),
        **_pager(request, EntryPage([], newer, older), period),
    )
    return render(request, "auditors/legal_releases.html", context)


def _release_row(release: LegalOrderRelease) -> list[Any]:
    order = release.order
    return [
        release.pk,
        timezone.localtime(release.released_at).isoformat(),
        order.pk,
        order.get_kind_display(),
        order.case_number,
        order.issuing_authority,
        order.requesting_agency,
        release.patron_id,
        release.category,
        release.records,
        release.released_by.get_username(),
    ]


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def legal_releases_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    if (period := _period(request)) is None:
        return _bad_period()
    releases = legal_releases(date_from=period[0], date_to=period[1]).iterator(chunk_size=2000)
    return csv_response(
        "audit-legal-order-releases.csv",
        RELEASE_CSV_HEADER,
        (_release_row(release) for release in releases),
    )


@staff_page(Purpose.AUDIT, hidden=True, methods=READ_ONLY)
def chart(request: HttpRequest) -> HttpResponse:
    """Reads allowed and refused per day over a period, as an SVG chart and a table."""
    if request.GET:
        form = ChartForm(request.GET)
    else:
        start, end = default_chart_period(timezone.localdate())
        form = ChartForm({"date_from": start.isoformat(), "date_to": end.isoformat()})
    if not form.is_valid():
        return render(request, "auditors/chart.html", {"form": form}, status=400)
    days = daily_reads(form.cleaned_data["date_from"], form.cleaned_data["date_to"])
    context = {"form": form, "days": days, "chart": reads_chart(days)}
    return render(request, "auditors/chart.html", context)
