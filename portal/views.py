"""The patron self-service portal. Every read of patron data goes through the gate."""

import csv
import io
import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from circulation import reading_history as history
from circulation import services as circulation
from circulation.models import BibliographicRecord, Hold, Item, Loan
from library import dates
from library.declarations import not_found_response, public, serves_patron_data
from library.paginators import CappedCountPaginator
from library.params import positive_id
from library.search_terms import search_of, search_redirect
from library.staff import AuthenticatedRequest
from notices import services as notices
from patrons import services as patron_services
from patrons import tasks
from patrons.forms import patron_login_tokens
from patrons.models import Patron
from portal import forms, selectors
from privacy import access, services
from privacy import selectors as privacy_selectors
from privacy.models import Consent
from privacy.policy import PROTECTED_CATEGORIES, DataCategory, Purpose
from privacy.records import ALL_TIME, records_for_release

portal_login_required = login_required(login_url="portal:login")

RENEWED = "Renewed “{title}”. It is now due {due}."
NOT_RENEWED = "“{title}” was not renewed: {reason}"
HOLD_PLACED = "Hold placed on “{title}”, to pick up at {branch}."
NOT_HELD = "No hold was placed on “{title}”: {reason}"
HOLD_CANCELLED = "Your hold on “{title}” is cancelled."
HISTORY_ON = "Reading history is on. Items you return from now on will be listed here."
HISTORY_OFF = "Reading history is off. Your history is deleted and nothing more will be kept."
HISTORY_CLEARED = "Your reading history is deleted. It stays on for items you return from now on."
# No title: a message waits in the session or a cookie until it is shown.
HISTORY_ENTRY_DELETED = "One entry is deleted from your reading history."
CONTACT_SAVED = "Your contact details are saved."
NOTICE_ITEMS_ON = "Your emailed notices will name the items from now on."
NOTICE_ITEMS_OFF = "Your notices will not name the items."

# The desk's words, said to the patron (the desk's constants stay what tests there assert).
PORTAL_REASONS = {
    circulation.PATRON_BLOCKED: "your card is blocked. Please speak to library staff.",
    circulation.CARD_EXPIRED: "your card has expired. Please renew it at any library desk.",
    circulation.RENEWAL_LIMIT: (
        "it has been renewed as many times as this kind of item allows. "
        "Please return it by its due date."
    ),
    circulation.ITEM_HELD_FOR_ANOTHER: (
        "another reader is waiting for it. Please return it by its due date."
    ),
    circulation.NO_LOAN_RULE: "it cannot be renewed online. Please ask at a library desk.",
    circulation.HOLD_ALREADY_PLACED: "you already have a hold on it.",
    circulation.HOLD_ON_OWN_LOAN: "you have it on loan already.",
    circulation.ITEM_WITHDRAWN: "it is no longer in the library's collection.",
}


def portal_reason(error: circulation.CirculationError) -> str:
    """Return the patron's words for why the desk's service refused."""
    message = str(error.message)
    return PORTAL_REASONS.get(message, message[:1].lower() + message[1:])


def _own_patron(request: AuthenticatedRequest) -> Patron | None:
    return Patron.objects.select_related("home_branch").filter(user_id=request.user.pk).first()


def _own_patron_through_gate(request: AuthenticatedRequest, category: DataCategory) -> Patron:
    """Return the signed-in patron once the gate allowed reading `category` for their own use.

    Anyone else (staff, an agent, a login with no patron record) is refused
    and logged, and sees the same "not found" as for a missing record.
    """
    patron = _own_patron(request)
    access.read(request.user, patron, category, Purpose.SELF_SERVICE)
    assert patron is not None  # read() raised otherwise
    return patron


login = public(
    auth_views.LoginView.as_view(
        template_name="portal/login.html",
        authentication_form=forms.PortalLoginForm,
        redirect_authenticated_user=True,
        next_page=reverse_lazy("portal:account"),
    )
)
logout = public(auth_views.LogoutView.as_view(next_page=reverse_lazy("portal:login")))


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, with the mail queued for the worker whatever the address."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        # The request looks nobody up and queues one task every time, so it takes
        # as long for an unknown address as for a known one; the task, in the
        # worker, finds the logins with the address and mails them.
        tasks.password_reset_mail_queue(
            email=form.cleaned_data["email"],
            domain=get_current_site(self.request).domain,
            use_https=self.request.is_secure(),
        )
        return HttpResponseRedirect(self.get_success_url())


password_reset = public(
    PasswordResetView.as_view(
        template_name="portal/password_reset.html",
        success_url=reverse_lazy("portal:password_reset_done"),
    )
)
password_reset_done = public(
    auth_views.PasswordResetDoneView.as_view(template_name="portal/password_reset_done.html")
)
password_reset_confirm = public(
    auth_views.PasswordResetConfirmView.as_view(
        token_generator=patron_login_tokens,
        template_name="portal/password_reset_confirm.html",
        success_url=reverse_lazy("portal:password_reset_complete"),
    )
)
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="portal/password_reset_complete.html"
    )
)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, asking for the old password, for a patron's own login only.

    Staff and agents change their passwords elsewhere; here they get the
    not-found page, as on every portal page.
    """

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not Patron.objects.filter(user_id=request.user.pk).exists():
            return not_found_response(request)
        return super().dispatch(request, *args, **kwargs)


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not Patron.objects.filter(user_id=request.user.pk).exists():
            return not_found_response(request)
        return super().dispatch(request, *args, **kwargs)


password_change = serves_patron_data(
    portal_login_required(
        PasswordChangeView.as_view(
            template_name="portal/password_change.html",
            success_url=reverse_lazy("portal:password_change_done"),
        )
    )
)
password_change_done = serves_patron_data(
    portal_login_required(
        PasswordChangeDoneView.as_view(template_name="portal/password_change_done.html")
    )
)


@serves_patron_data
@require_http_methods(["GET", "POST"])
@portal_login_required
def contact(request: AuthenticatedRequest) -> HttpResponse:
    """Let the patron change their email address, phone and address (patrons.services)."""
    patron = _own_patron_through_gate(request, DataCategory.IDENTITY)
    form = forms.PortalContactForm.for_patron(patron, request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in patron_services.CONTACT_FIELDS}
        patron_services.patron_contact_update(patron=patron, **data)
        messages.success(request, CONTACT_SAVED)
        return redirect("portal:account")
    return render(request, "portal/contact.html", {"form": form})


def _account_context(
    request: AuthenticatedRequest, patron: Patron, purpose: Purpose
) -> dict[str, Any]:
    access.read_many(
        request.user, patron, [DataCategory.IDENTITY, DataCategory.CIRCULATION], purpose
    )
    loans = Paginator(selectors.current_loans(patron), selectors.LOAN_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return {
        "patron": patron,
        "loans": loans,
        "holds": list(selectors.holds_of(patron)),
        "fines": list(selectors.unpaid_fines(patron)),
        "now": timezone.now(),
    }


@serves_patron_data
@portal_login_required
def account(request: AuthenticatedRequest) -> HttpResponse:
    """Show the patron's own details, loans, holds and fines (CONF-4)."""
    patron = _own_patron(request)
    if patron is None:
        return not_found_response(request)
    context = _account_context(request, patron, Purpose.SELF_SERVICE)
    minors = access.scoped_patrons(request.user, DataCategory.IDENTITY, Purpose.GUARDIAN)
    context["minors"] = list(selectors.minors_of(patron, minors))
    # Only the account holder acts on the account; a listed adult only looks (CONF-4).
    context["actions"] = True
    context["notice_form"] = forms.NoticeItemsForm(
        initial={"name_items": patron.notices_name_items}
    )
    return render(request, "portal/account.html", context)


@serves_patron_data
@require_POST
@portal_login_required
def notice_items(request: AuthenticatedRequest) -> HttpResponse:
    """Turn the naming of items in the patron's emailed notices on or off (CONF-9)."""
    patron = _own_patron_through_gate(request, DataCategory.IDENTITY)
    form = forms.NoticeItemsForm(request.POST)
    form.is_valid()  # an unticked box is "off": this form has no invalid input
    name_items = bool(form.cleaned_data.get("name_items"))
    notices.patron_notices_name_items_set(patron=patron, name_items=name_items)
    messages.success(request, NOTICE_ITEMS_ON if name_items else NOTICE_ITEMS_OFF)
    return redirect("portal:account")


@serves_patron_data
@portal_login_required
def minor_account(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Show a minor's account to an adult listed on it, until the minor comes of age (CONF-4)."""
    minor = access.find_minor(request.user, pk=pk, category=DataCategory.IDENTITY)
    context = _account_context(request, minor, Purpose.GUARDIAN)
    return render(request, "portal/minor_account.html", context)


@serves_patron_data
@portal_login_required
def consents(request: AuthenticatedRequest) -> HttpResponse:
    """Let patrons see, give and withdraw their consents to third parties (CONF-7)."""
    patron = _own_patron(request)
    if patron is None:
        return not_found_response(request)
    access.read(request.user, patron, DataCategory.IDENTITY, Purpose.SELF_SERVICE)
    form = forms.SelfConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_grant(patron=patron, recorded_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request, "Your consent is recorded. You can withdraw it here at any time."
            )
            return redirect("portal:consents")
    return render(
        request,
        "portal/consents.html",
        {"form": form, "consents": privacy_selectors.consents_of(patron)},
    )


@serves_patron_data
@require_POST
@portal_login_required
def consent_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    consent = Consent.objects.filter(pk=pk, patron__user_id=request.user.pk).first()
    if consent is None:
        return not_found_response(request)
    services.consent_withdraw(consent=consent, withdrawn_by=request.user)
    messages.success(request, "Consent withdrawn. Nothing more will be released to that recipient.")
    return redirect("portal:consents")


@serves_patron_data
@portal_login_required
def access_history(request: AuthenticatedRequest) -> HttpResponse:
    """Show the allowed reads of the patron's data by day, role, branch and purpose, counted."""
    patron = _own_patron(request)
    if patron is None:
        return not_found_response(request)
    lines, cursor = selectors.access_history(patron, before=positive_id(request.GET.get("before")))
    return render(request, "portal/access_history.html", {"lines": lines, "cursor": cursor})


DOWNLOAD_CHUNK = 5000  # who has seen the record, read in chunks of this many lines


@serves_patron_data
@portal_login_required
def download(request: AuthenticatedRequest) -> HttpResponse:
    """Give the patron everything the library holds about them, in one JSON file."""
    patron = _own_patron(request)
    if patron is None:
        return not_found_response(request)
    data: dict[str, Any] = {"card_number": patron.card_number}
    categories = sorted(PROTECTED_CATEGORIES)
    access.read_many(request.user, patron, categories, Purpose.SELF_SERVICE)
    # Every category, from the sources the apps register for the inventory's
    # models (privacy.records); consents and identity checks come under identity.
    start, end = ALL_TIME
    for category in categories:
        data[category.value] = records_for_release(
            patron=patron, category=category, records_from=start, records_until=end
        )["records"]
    lines, cursor = selectors.access_history(patron, size=DOWNLOAD_CHUNK)
    history = lines
    while cursor is not None:
        lines, cursor = selectors.access_history(patron, before=cursor, size=DOWNLOAD_CHUNK)
        history += lines
    data["who_has_seen_my_record"] = [
        {
            "day": line.day.isoformat(),
            "who": line.who,
            "branch": line.branch,
            "what": line.category,
            "purpose": line.purpose,
            "clause": line.clause,
            "reads": line.reads,
        }
        for line in history
    ]
    response = HttpResponse(
        json.dumps(data, indent=2, default=str), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-library-data.json"'
    return response


@serves_patron_data
@require_POST
@portal_login_required
def loan_renew(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Renew one of the patron's own loans; a refusal says why in words."""
    patron = _own_patron_through_gate(request, DataCategory.CIRCULATION)
    loan = (
        Loan.objects.filter(pk=pk, patron=patron, returned_at__isnull=True)
        .select_related("item__record")
        .first()
    )
    if loan is None:
        return not_found_response(request)
    title = loan.item.record.title
    try:
        loan = circulation.loan_renew(patron=patron, loan_id=loan.pk)
    except circulation.CirculationError as error:
        messages.error(request, NOT_RENEWED.format(title=title, reason=portal_reason(error)))
    else:
        due = dates.day(loan.due_at)
        messages.success(request, RENEWED.format(title=title, due=due))
    return redirect("portal:account")


@serves_patron_data
@require_POST
@portal_login_required
def hold_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Cancel one of the patron's own holds."""
    patron = _own_patron_through_gate(request, DataCategory.CIRCULATION)
    hold = Hold.objects.filter(pk=pk, patron=patron).select_related("record").first()
    if hold is None:
        return not_found_response(request)
    try:
        circulation.hold_cancel(patron=patron, hold_id=hold.pk)
    except circulation.CirculationError:  # cancelled meanwhile, in another tab
        return not_found_response(request)
    messages.success(request, HOLD_CANCELLED.format(title=hold.record.title))
    return redirect("portal:account")


@serves_patron_data
@portal_login_required
def catalogue(request: AuthenticatedRequest) -> HttpResponse:
    """Search by title, author, ISBN or barcode: one row per title, with copies per branch."""
    patron = _own_patron_through_gate(request, DataCategory.CIRCULATION)
    # The collection, not patron data: unlike reading history, a GET query is fine here.
    form = forms.SearchForm(request.GET or None, label="Title, author, ISBN or barcode")
    search = form.terms
    # A common word can match much of a large collection: count to 1,000 at most.
    page = CappedCountPaginator(
        selectors.catalogue_search(search), selectors.CATALOGUE_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    records = list(page)
    ids = [record.pk for record in records]
    loaned, held = selectors.own_circulation_among(patron, ids)
    where = selectors.availability(ids)
    return render(
        request,
        "portal/catalogue.html",
        {
            "form": form,
            "search": search,
            "page": page,
            "page_query": urlencode({"q": search}) if search else "",
            "records": [
                (record, where.get(record.pk, []), record.pk in loaned, record.pk in held)
                for record in records
            ],
        },
    )


@serves_patron_data
@require_http_methods(["GET", "POST"])
@portal_login_required
def hold_place(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Ask where to pick a title up (and which copy, if the patron insists); place the hold."""
    patron = _own_patron_through_gate(request, DataCategory.CIRCULATION)
    copies = Item.objects.exclude(
        status__in=[Item.Status.LOST, Item.Status.DAMAGED, Item.Status.WITHDRAWN]
    )
    # One query either way, so a title nothing could fill looks as absent as a missing one.
    record = (
        BibliographicRecord.objects.filter(pk=pk)
        .filter(Exists(copies.filter(record=OuterRef("pk"))))
        .first()
    )
    if record is None:
        return not_found_response(request)
    copies = copies.filter(record=record).select_related("current_branch")
    form = forms.HoldForm(
        request.POST or None, copies=copies, initial={"pickup_branch": patron.home_branch}
    )
    if request.method == "POST" and form.is_valid():
        branch = form.cleaned_data["pickup_branch"]
        copy = form.cleaned_data["copy"]
        try:
            circulation.hold_place(
                patron=patron,
                record=record,
                pickup_branch=branch,
                barcode=copy.barcode if copy else "",
                copy_only=copy is not None,
            )
        except circulation.CirculationError as error:
            form.add_error(None, NOT_HELD.format(title=record.title, reason=portal_reason(error)))
        else:
            messages.success(request, HOLD_PLACED.format(title=record.title, branch=branch))
            return redirect("portal:account")
    search = forms.SearchForm(request.GET or None).terms
    return render(
        request,
        "portal/hold_place.html",
        {"record": record, "form": form, "search": search},
    )


def _history_record(entry: Any) -> dict[str, str]:
    return {
        "title": entry.title,
        "author": entry.author,
        "borrowed_on": entry.checked_out_on.isoformat(),
        "returned_on": entry.returned_on.isoformat(),
    }


@serves_patron_data
@require_http_methods(["GET", "POST"])
@portal_login_required
def reading_history(request: AuthenticatedRequest) -> HttpResponse:
    """Show the reading-history switch, what it keeps, and the history itself when on (CONF-9).

    A search posts: what a patron read stays out of addresses, which carry only
    a token for the term kept a few minutes in the session (library.search_terms).
    """
    patron = _own_patron_through_gate(request, DataCategory.READING_HISTORY)
    if request.method == "POST":
        return search_redirect(request, forms.SearchForm(request.POST).terms, drop={"page"})
    search = search_of(request)
    form = forms.SearchForm(
        initial={"q": search.term}, label="Search your history by title or author"
    )
    page = Paginator(
        selectors.reading_history(patron, search=search.term), selectors.HISTORY_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/reading_history.html",
        {
            "patron": patron,
            "form": form,
            "search": search,
            "page": page,
            "page_query": search.query,
        },
    )


@serves_patron_data
@require_POST
@portal_login_required
def reading_history_on(request: AuthenticatedRequest) -> HttpResponse:
    patron = _own_patron_through_gate(request, DataCategory.READING_HISTORY)
    history.patron_reading_history_opt_in(patron=patron, actor=request.user)
    messages.success(request, HISTORY_ON)
    return redirect("portal:reading_history")


@serves_patron_data
@require_http_methods(["GET", "POST"])
@portal_login_required
def reading_history_off(request: AuthenticatedRequest) -> HttpResponse:
    """Ask, then turn reading history off and delete all of it (CONF-9)."""
    patron = _own_patron_through_gate(request, DataCategory.READING_HISTORY)
    if request.method == "POST":
        history.patron_reading_history_opt_out(patron=patron, actor=request.user)
        messages.success(request, HISTORY_OFF)
        return redirect("portal:reading_history")
    if not patron.keeps_reading_history:
        return redirect("portal:reading_history")
    return render(
        request,
        "portal/reading_history_confirm.html",
        {
            "count": selectors.reading_history(patron).count(),
            "turning_off": True,
            "action": "portal:reading_history_off",
        },
    )


@serves_patron_data
@require_http_methods(["GET", "POST"])
@portal_login_required
def reading_history_clear(request: AuthenticatedRequest) -> HttpResponse:
    """Ask, then delete all of the patron's reading history; the switch stays on."""
    patron = _own_patron_through_gate(request, DataCategory.READING_HISTORY)
    if request.method == "POST":
        history.patron_reading_history_clear(patron=patron, actor=request.user)
        messages.success(request, HISTORY_CLEARED)
        return redirect("portal:reading_history")
    return render(
        request,
        "portal/reading_history_confirm.html",
        {
            "count": selectors.reading_history(patron).count(),
            "turning_off": False,
            "action": "portal:reading_history_clear",
        },
    )


@serves_patron_data
@require_http_methods(["GET", "POST"])
@portal_login_required
def reading_history_entry_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Ask, then delete one entry of the patron's reading history (CONF-9)."""
    patron = _own_patron_through_gate(request, DataCategory.READING_HISTORY)
    if not patron.keeps_reading_history:
        return not_found_response(request)
    if request.method != "POST":
        entry = selectors.reading_history(patron).filter(pk=pk).first()
        if entry is None:
            return not_found_response(request)
        return render(request, "portal/reading_history_entry_confirm.html", {"entry": entry})
    try:
        history.reading_history_entry_delete(patron=patron, entry_id=pk, actor=request.user)
    except history.ReadingHistoryError:
        return not_found_response(request)
    messages.success(request, HISTORY_ENTRY_DELETED)
    return redirect("portal:reading_history")


# A title starting with one of these would be read as a formula by a spreadsheet.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


@serves_patron_data
@portal_login_required
def reading_history_export(request: AuthenticatedRequest, fmt: str) -> HttpResponse:
    """Give the patron their reading history as CSV or JSON: all, or what the page's token finds."""
    patron = _own_patron_through_gate(request, DataCategory.READING_HISTORY)
    search = search_of(request)
    records = [
        _history_record(entry)
        for entry in selectors.reading_history(patron, search=search.term).iterator()
    ]
    if fmt == "json":
        response = HttpResponse(
            json.dumps({"reading_history": records}, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["Title", "Author", "Borrowed on", "Returned on"])
        for record in records:
            writer.writerow(
                [
                    _csv_cell(record["title"]),
                    _csv_cell(record["author"]),
                    record["borrowed_on"],
                    record["returned_on"],
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-reading-history.{fmt}"'
    return response
