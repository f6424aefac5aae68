"""Staff pages for computer sessions, reference consultations and event sign-ups (CONF-6, FAC-2).

Each page reads patrons through the gate with its own category and purpose;
card numbers arrive only by POST, patrons travel in paths by id.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from activity import selectors, services
from activity.forms import CardLookupForm, ConsultationForm, SessionStartForm
from activity.models import ComputerSession, Event
from activity.services import ActivityError
from library.staff import staff_page
from patrons.models import Patron
from privacy.gate import NOT_FOUND_MESSAGE, Refused
from privacy.policy import DataCategory, Purpose

ONLINE = DataCategory.ONLINE_SERVICES, Purpose.COMPUTER_SERVICES
REFERENCE = DataCategory.REFERENCE, Purpose.REFERENCE
EVENTS = DataCategory.EVENTS, Purpose.EVENTS
computers_page = staff_page(Purpose.COMPUTER_SERVICES)
reference_page = staff_page(Purpose.REFERENCE)
events_page = staff_page(Purpose.EVENTS)

# The computers and reference pages hold two forms with a card number each (the
# form that records and the lookup): the lookup's ids differ, so a label names
# one field and the page has no duplicate ids. The field names stay the same.
LOOKUP_ID = "id_lookup_%s"


def _computers(
    request: HttpRequest,
    *,
    form: SessionStartForm | None = None,
    lookup: CardLookupForm | None = None,
    patron: Patron | None = None,
) -> HttpResponse:
    # Open sessions are listed by computer only: ending one needs no name.
    open_sessions = ComputerSession.objects.filter(ended_at__isnull=True).select_related("branch")
    return render(
        request,
        "activity/computers.html",
        {
            "form": form or SessionStartForm(),
            "lookup": lookup or CardLookupForm(auto_id=LOOKUP_ID),
            "open_sessions": open_sessions[:200],
            "patron": patron,
            "sessions": selectors.patron_computer_sessions(patron=patron) if patron else [],
        },
    )


@computers_page
def computers(request: HttpRequest) -> HttpResponse:
    """Start sessions and see which computers are in use."""
    if request.method != "POST":
        return _computers(request)
    form = SessionStartForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            patron = selectors.patron_for(
                user=request.user,
                category=ONLINE[0],
                purpose=ONLINE[1],
                card_number=data["card_number"],
            )
            services.computer_session_start(
                patron=patron, resource=data["resource"], branch=data["branch"], kind=data["kind"]
            )
        except Refused:
            form.add_error("card_number", NOT_FOUND_MESSAGE)
        except ActivityError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, f"Session started on {data['resource']}.")
            return redirect("activity:computers")
    return _computers(request, form=form)


@require_POST
@computers_page
def computer_end(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        session = services.computer_session_end(session_id=session_id)
    except ActivityError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Session on {session.resource} ended.")
    return redirect("activity:computers")


@computers_page
def computers_patron(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Show one patron's sessions: by a POSTed card number, or by id."""
    lookup = CardLookupForm(request.POST or None, auto_id=LOOKUP_ID)
    if pk is not None:
        patron = selectors.patron_for(
            user=request.user, category=ONLINE[0], purpose=ONLINE[1], pk=pk
        )
        return _computers(request, patron=patron)
    if lookup.is_valid():
        try:
            patron = selectors.patron_for(
                user=request.user,
                category=ONLINE[0],
                purpose=ONLINE[1],
                card_number=lookup.cleaned_data["card_number"],
            )
        except Refused:
            lookup.add_error("card_number", NOT_FOUND_MESSAGE)
        else:
            return _computers(request, patron=patron)
    return _computers(request, lookup=lookup)


def _reference(
    request: HttpRequest,
    *,
    form: ConsultationForm | None = None,
    lookup: CardLookupForm | None = None,
    patron: Patron | None = None,
) -> HttpResponse:
    consultations = selectors.patron_reference_consultations(patron=patron) if patron else []
    return render(
        request,
        "activity/reference.html",
        {
            "form": form or ConsultationForm(),
            "lookup": lookup or CardLookupForm(auto_id=LOOKUP_ID),
            "patron": patron,
            "consultations": consultations,
        },
    )


@reference_page
def reference(request: HttpRequest) -> HttpResponse:
    """Record a reference question and answer, with a patron only if they gave a card."""
    if request.method != "POST":
        return _reference(request)
    form = ConsultationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        patron = None
        try:
            if data["card_number"]:
                patron = selectors.patron_for(
                    user=request.user,
                    category=REFERENCE[0],
                    purpose=REFERENCE[1],
                    card_number=data["card_number"],
                )
        except Refused:
            form.add_error("card_number", NOT_FOUND_MESSAGE)
        else:
            services.reference_consultation_record(
                channel=data["channel"],
                question=data["question"],
                answer=data["answer"],
                branch=data["branch"],
                staff=request.user,
                patron=patron,
            )
            messages.success(request, "Consultation recorded.")
            return redirect("activity:reference")
    return _reference(request, form=form)


@reference_page
def reference_patron(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Show one patron's consultations: by a POSTed card number, or by id."""
    lookup = CardLookupForm(request.POST or None, auto_id=LOOKUP_ID)
    if pk is not None:
        patron = selectors.patron_for(
            user=request.user, category=REFERENCE[0], purpose=REFERENCE[1], pk=pk
        )
        return _reference(request, patron=patron)
    if lookup.is_valid():
        try:
            patron = selectors.patron_for(
                user=request.user,
                category=REFERENCE[0],
                purpose=REFERENCE[1],
                card_number=lookup.cleaned_data["card_number"],
            )
        except Refused:
            lookup.add_error("card_number", NOT_FOUND_MESSAGE)
        else:
            return _reference(request, patron=patron)
    return _reference(request, lookup=lookup)


@events_page
def events(request: HttpRequest) -> HttpResponse:
    """List events and communications; no patron is shown here."""
    listed = Event.objects.select_related("branch").order_by("-starts_at")[:200]
    return render(request, "activity/events.html", {"events": listed})


def _event(request: HttpRequest, event: Event, form: CardLookupForm | None = None) -> HttpResponse:
    signups = selectors.event_signups(user=request.user, event=event)
    return render(
        request,
        "activity/event.html",
        {"event": event, "signups": signups, "form": form or CardLookupForm()},
    )


@events_page
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an event's sign-ups (each patron shown is logged) and sign someone up."""
    event = get_object_or_404(Event.objects.select_related("branch"), pk=pk)
    if request.method != "POST":
        return _event(request, event)
    form = CardLookupForm(request.POST)
    if form.is_valid():
        try:
            patron = selectors.patron_for(
                user=request.user,
                category=EVENTS[0],
                purpose=EVENTS[1],
                card_number=form.cleaned_data["card_number"],
            )
            services.event_signup_create(event=event, patron=patron)
        except Refused:
            form.add_error("card_number", NOT_FOUND_MESSAGE)
        except ActivityError as error:
            form.add_error("card_number", error.message)
        else:
            messages.success(request, "Signed up.")
            return redirect("activity:event", pk=event.pk)
    return _event(request, event, form)


@require_POST
@events_page
def event_signup_cancel(request: HttpRequest, pk: int, signup_id: int) -> HttpResponse:
    event = get_object_or_404(Event, pk=pk)
    try:
        services.event_signup_cancel(event=event, signup_id=signup_id)
    except ActivityError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Sign-up cancelled.")
    return redirect("activity:event", pk=event.pk)
