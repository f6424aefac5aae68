"""Registration pages for staff: find a patron, register one, and keep their account (CONF-3).

Every page serves the registration operation (library.roles): it opens to the
roles that register patrons and to nobody else, who get the not-found page.
Each page reads its patron through the gate for registration (logged) before
anything is shown or written, and writes through patrons.services. A card
number travels only in a POST; patrons are named in addresses by id. No page
shows or sets a patron's password, or the link that sets it.
"""

import hashlib
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from library import dates
from library.staff import AuthenticatedRequest, staff_page
from patrons import forms, selectors, services
from patrons.models import Patron
from privacy.gate import NOT_FOUND_MESSAGE, Refused
from privacy.policy import Purpose

registration_page = staff_page(Purpose.REGISTRATION, methods=["GET", "POST"])
registration_action = staff_page(Purpose.REGISTRATION, methods=["POST"])
registration_view = staff_page(Purpose.REGISTRATION, methods=["GET"])

REGISTERED = "Patron registered. Card number {card}, valid until {day}."
CONTACT_SAVED = "Contact details saved."
NOTE_SAVED = "Desk note saved."
RENEWED = "Card renewed until {day}."
BLOCKED = "Card blocked."
UNBLOCKED = "Block ended."
LOGIN_ISSUED = (
    "Portal login issued. A link to set a password was mailed to the patron's own "
    "email address; only the patron sees it."
)


def _to_patron(patron: Patron) -> HttpResponse:
    return redirect(reverse("patrons:patron", args=[patron.pk]))


def _patron(request: AuthenticatedRequest, pk: int) -> Patron:
    return selectors.registration_patron(user=request.user, pk=pk)


def _errors_to_form(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@registration_page
def find(request: AuthenticatedRequest) -> HttpResponse:
    """Find a patron by card number (posted, never in the address) and open their page."""
    form = forms.CardLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patron = selectors.registration_patron(
                user=request.user, card_number=form.cleaned_data["card_number"]
            )
        except Refused:
            # The same words whether the card is unknown or the read was refused.
            form.add_error("card_number", NOT_FOUND_MESSAGE)
        else:
            return _to_patron(patron)
    return render(request, "patrons/find.html", {"form": form})


DUPLICATE_SALT = "patrons.register.duplicate"
DUPLICATE_TOKEN_SECONDS = 30 * 60


def duplicate_token(request: AuthenticatedRequest, person: dict[str, Any]) -> str:
    """Return a signed token for the details a duplicate warning was shown about.

    It carries a SHA-256 digest of the details and the clerk's id, never the
    details themselves (no patron data in a form field's plain text), and is
    good for DUPLICATE_TOKEN_SECONDS.
    """
    return signing.dumps(
        [request.user.pk, _person_digest(person)], salt=DUPLICATE_SALT, compress=True
    )


def _confirmed(request: AuthenticatedRequest, data: dict[str, Any], person: dict[str, Any]) -> bool:
    """True when the clerk confirms a warning that was shown for these very details."""
    if not data.get("duplicate_confirmed"):
        return False
    try:
        signed = signing.loads(
            data.get("duplicate_token") or "",
            salt=DUPLICATE_SALT,
            max_age=DUPLICATE_TOKEN_SECONDS,
        )
    except signing.BadSignature:
        return False
    return bool(signed == [request.user.pk, _person_digest(person)])


def _person_digest(person: dict[str, Any]) -> str:
    text = "\x1f".join(str(person[key]).strip().lower() for key in sorted(person))
    return hashlib.sha256(text.encode()).hexdigest()


@registration_page
def register(request: AuthenticatedRequest) -> HttpResponse:
    """Register a patron: check for a likely duplicate and, for a minor, the adult (CONF-4)."""
    form = forms.RegistrationForm(request.POST or None)
    duplicates: list[str] = []
    suspected = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        adult = None
        if data["responsible_adult_card"]:
            try:
                adult = selectors.registration_patron(
                    user=request.user, card_number=data["responsible_adult_card"]
                )
            except Refused:
                form.add_error("responsible_adult_card", NOT_FOUND_MESSAGE)
        if not form.errors:
            person = {
                "first_name": data["first_name"],
                "last_name": data["last_name"],
                "date_of_birth": data["date_of_birth"],
                "email": data["email"],
                "phone": data["phone"],
            }
            try:
                patron = services.patron_register(
                    **person,
                    home_branch=data["home_branch"],
                    registered_by=request.user,
                    card_number=data["card_number"],
                    address_line=data["address_line"],
                    city=data["city"],
                    postal_code=data["postal_code"],
                    responsible_adult=adult,
                    relationship=data["relationship"],
                    duplicate_confirmed=_confirmed(request, data, person),
                )
            except services.DuplicateSuspected:
                # Said by kind only; the matches are logged as reads (patrons.selectors).
                suspected = True
                duplicates = selectors.registration_duplicates(user=request.user, **person)
                # A fresh form: the confirmation box starts unticked, with this warning's token.
                token = duplicate_token(request, person)
                form = forms.RegistrationForm(
                    {**request.POST.dict(), "duplicate_confirmed": "", "duplicate_token": token}
                )
                form.is_valid()
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(
                    request,
                    REGISTERED.format(
                        card=patron.card_number, day=dates.day(patron.card_expires_on)
                    ),
                )
                return _to_patron(patron)
    if not suspected:
        form.fields.pop("duplicate_confirmed")
        form.fields.pop("duplicate_token")
    return render(
        request,
        "patrons/register.html",
        {
            "form": form,
            "suspected": suspected,
            "duplicates": [selectors.DUPLICATE_SAYS[kind] for kind in duplicates],
            "duplicate_message": services.DUPLICATE_SUSPECTED,
        },
    )


@registration_view
def patron(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Show what registration may read of a patron, and the actions on their account."""
    found = _patron(request, pk)
    summary = selectors.registration_summary(patron=found, today=timezone.localdate())
    return render(request, "patrons/patron.html", {"summary": summary, "p": found})


@registration_page
def contact(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Change a patron's contact details."""
    found = _patron(request, pk)
    form = forms.StaffContactForm.for_patron(found, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.patron_contact_update(
                patron=found, changed_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, CONTACT_SAVED)
            return _to_patron(found)
    return render(request, "patrons/contact.html", {"form": form, "p": found})


@registration_page
def desk_note(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Write the note staff see at the desk, or clear it."""
    found = _patron(request, pk)
    # Bound on every POST: an empty note is a note removed, not a form not sent.
    data = request.POST if request.method == "POST" else None
    form = forms.DeskNoteForm(data, initial={"desk_note": found.desk_note})
    if request.method == "POST" and form.is_valid():
        try:
            services.patron_desk_note_set(patron=found, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, NOTE_SAVED)
            return _to_patron(found)
    return render(request, "patrons/desk_note.html", {"form": form, "p": found})


@registration_action
def renew(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Renew a patron's card for another card period from today."""
    found = services.patron_card_renew(patron=_patron(request, pk))
    messages.success(request, RENEWED.format(day=dates.day(found.card_expires_on)))
    return _to_patron(found)


def _block_page(request: AuthenticatedRequest, pk: int, *, ending: bool) -> HttpResponse:
    found = _patron(request, pk)
    form = forms.BlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if ending:
                services.patron_unblock(patron=found, reason=reason, ended_by=request.user)
            else:
                services.patron_block(patron=found, reason=reason, blocked_by=request.user)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, UNBLOCKED if ending else BLOCKED)
            return _to_patron(found)
    summary = selectors.registration_summary(patron=found, today=timezone.localdate())
    return render(
        request,
        "patrons/block.html",
        {"form": form, "p": found, "summary": summary, "ending": ending},
    )


@registration_page
def block(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Block a patron's card, with a reason: no check-outs, renewals or holds."""
    return _block_page(request, pk, ending=False)


@registration_page
def unblock(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """End the block on a patron's card, with a reason."""
    return _block_page(request, pk, ending=True)


@registration_action
def login_issue(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Issue a portal login: the patron is mailed a set-password link; staff never see it."""
    found = _patron(request, pk)
    try:
        services.patron_login_issue(
            patron=found, domain=request.get_host(), use_https=request.is_secure()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, LOGIN_ISSUED)
    return _to_patron(found)
