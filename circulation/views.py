"""The circulation desk: card lookup, check-out, check-in, renewals, holds and fines (CONF-3).

The patron travels between desk steps as a POSTed card number (the lookup) or
as the patron's id in the path, never as a card number or name in a URL. Every
page that shows a patron reads them through the gate with the step's purpose.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from circulation import selectors, services
from circulation.forms import BarcodeForm, BranchForm, CardForm
from circulation.services import CirculationError
from library.models import Branch
from library.roles import Requirement
from library.staff import staff_page
from patrons.models import Patron
from privacy import gate
from privacy.gate import NOT_FOUND_MESSAGE, Refused
from privacy.policy import Purpose

CARD_NOT_FOUND = NOT_FOUND_MESSAGE
NO_DESK_BRANCH = "Set this desk's branch first."
HOLD_LABEL = "Barcode of the item to hold"
SESSION_BRANCH = "desk_branch"

View = TypeVar("View", bound=Callable[..., HttpResponse])


def _at_chosen_branch(view: View) -> View:
    """Tell the gate that this page's reads are made at the branch the desk chose, if any."""

    @wraps(view)
    def at_branch(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        branch_id = request.session.get(SESSION_BRANCH)
        code = (
            Branch.objects.filter(pk=branch_id).values_list("code", flat=True).first()
            if branch_id
            else None
        )
        if code:
            gate.made_at(code)
        return view(request, *args, **kwargs)

    return at_branch  # type: ignore[return-value]


def desk_page_for(requirement: Requirement) -> Callable[[View], View]:
    """Declare a desk page: a staff page whose reads are recorded at the desk's branch."""
    page = staff_page(requirement)

    def decorate(view: View) -> View:
        return page(_at_chosen_branch(view))

    return decorate


desk_page = desk_page_for(Purpose.CIRCULATION)
holds_page = desk_page_for(Purpose.HOLDS)
fines_page = desk_page_for(Purpose.FINES)


def desk_branch(request: HttpRequest, form: Any = None) -> Branch | None:
    """Return the branch this desk works at (kept in the session; not patron data).

    With a form, a missing branch is reported on its barcode field.
    """
    branch_id = request.session.get(SESSION_BRANCH)
    branch = Branch.objects.filter(pk=branch_id).first() if branch_id else None
    branch = branch or Branch.objects.order_by("pk").first()
    if branch is None and form is not None and form.is_valid():
        form.add_error("barcode", NO_DESK_BRANCH)
    return branch


def _home(
    request: HttpRequest,
    *,
    card_form: CardForm | None = None,
    checkin_form: BarcodeForm | None = None,
    checkin: services.CheckinResult | None = None,
    slip_name: str = "",
    status: int = 200,
) -> HttpResponse:
    branch = desk_branch(request)
    if card_form is None:
        card_form = CardForm()
        if checkin_form is not None:  # the check-in field keeps the focus between scans
            card_form.fields["card_number"].widget.attrs.pop("autofocus", None)
    return render(
        request,
        "circulation/desk/home.html",
        {
            "card_form": card_form,
            "checkin_form": checkin_form or BarcodeForm(prefix="checkin"),
            "branch_form": BranchForm(initial={"branch": branch}),
            "branch": branch,
            "checkin": checkin,
            "slip_name": slip_name,
        },
        status=status,
    )


def _patron_page(
    request: HttpRequest,
    patron: Patron,
    *,
    checkout_form: BarcodeForm | None = None,
    hold_form: BarcodeForm | None = None,
    action_error: str = "",
    status: int = 200,
) -> HttpResponse:
    summary = selectors.desk_summary(patron=patron)
    return render(
        request,
        "circulation/desk/patron.html",
        {
            "summary": summary,
            "patron": patron,
            "checkout_form": checkout_form or BarcodeForm(prefix="checkout", autofocus=True),
            "hold_form": hold_form or BarcodeForm(prefix="hold", label=HOLD_LABEL),
            "action_error": action_error,
            "branch": desk_branch(request),
        },
        status=status,
    )


def _to_patron(patron: Patron) -> HttpResponse:
    return redirect(reverse("circulation:desk_patron", args=[patron.pk]))


@desk_page
def desk_home(request: HttpRequest) -> HttpResponse:
    """Show the card lookup and check-in; a POSTed card number opens that patron's summary."""
    if request.method != "POST":
        return _home(request)
    form = CardForm(request.POST)
    if not form.is_valid():
        return _home(request, card_form=form)
    try:
        patron = selectors.desk_patron(
            user=request.user, card_number=form.cleaned_data["card_number"]
        )
    except Refused:
        # The same words whether the card is unknown or the read was refused.
        form.add_error("card_number", CARD_NOT_FOUND)
        return _home(request, card_form=form)
    return _patron_page(request, patron)


@desk_page
def desk_patron(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a patron's summary: identity, loans, holds, fines and blocks."""
    return _patron_page(request, selectors.desk_patron(user=request.user, pk=pk))


@require_POST
@desk_page
def desk_branch_set(request: HttpRequest) -> HttpResponse:
    form = BranchForm(request.POST)
    if form.is_valid():
        request.session[SESSION_BRANCH] = form.cleaned_data["branch"].pk
    return redirect("circulation:desk")


@require_POST
@desk_page
def desk_checkout(request: HttpRequest, pk: int) -> HttpResponse:
    patron = selectors.desk_patron(user=request.user, pk=pk)
    form = BarcodeForm(request.POST, prefix="checkout", autofocus=True)
    branch = desk_branch(request, form)
    if form.is_valid() and branch is not None:
        try:
            loan = services.loan_checkout(
                patron=patron, barcode=form.cleaned_data["barcode"], branch=branch
            )
        except CirculationError as error:
            form.add_error("barcode", error.message)
        else:
            due = timezone.localtime(loan.due_at)
            messages.success(request, f"Checked out “{loan.item.title}”, due {due:%a %b %-d}.")
            return _to_patron(patron)
    return _patron_page(request, patron, checkout_form=form)


@require_POST
@desk_page
def desk_renew(request: HttpRequest, pk: int, loan_id: int) -> HttpResponse:
    patron = selectors.desk_patron(user=request.user, pk=pk)
    try:
        loan = services.loan_renew(patron=patron, loan_id=loan_id)
    except CirculationError as error:
        return _patron_page(request, patron, action_error=str(error.message))
    due = timezone.localtime(loan.due_at)
    messages.success(request, f"Renewed “{loan.item.title}”, now due {due:%a %b %-d}.")
    return _to_patron(patron)


@require_POST
@holds_page
def desk_hold_place(request: HttpRequest, pk: int) -> HttpResponse:
    patron = selectors.desk_patron(user=request.user, pk=pk, purpose=Purpose.HOLDS)
    form = BarcodeForm(request.POST, prefix="hold", label=HOLD_LABEL)
    branch = desk_branch(request, form)
    if form.is_valid() and branch is not None:
        try:
            hold = services.hold_place(
                patron=patron, barcode=form.cleaned_data["barcode"], pickup_branch=branch
            )
        except CirculationError as error:
            form.add_error("barcode", error.message)
        else:
            messages.success(request, f"Hold placed on “{hold.item.title}”.")
            return _to_patron(patron)
    return _patron_page(request, patron, hold_form=form)


@require_POST
@holds_page
def desk_hold_cancel(request: HttpRequest, pk: int, hold_id: int) -> HttpResponse:
    patron = selectors.desk_patron(user=request.user, pk=pk, purpose=Purpose.HOLDS)
    try:
        services.hold_cancel(patron=patron, hold_id=hold_id)
    except CirculationError as error:
        return _patron_page(request, patron, action_error=str(error.message))
    messages.success(request, "Hold cancelled.")
    return _to_patron(patron)


def _settle(request: HttpRequest, pk: int, fine_id: int, *, waive: bool) -> HttpResponse:
    patron = selectors.desk_patron(user=request.user, pk=pk, purpose=Purpose.FINES)
    settle = services.fine_waive if waive else services.fine_pay
    try:
        fine = settle(patron=patron, fine_id=fine_id)
    except CirculationError as error:
        return _patron_page(request, patron, action_error=str(error.message))
    messages.success(request, f"Fine of ${fine.amount} {'waived' if waive else 'paid'}.")
    return _to_patron(patron)


@require_POST
@fines_page
def desk_fine_pay(request: HttpRequest, pk: int, fine_id: int) -> HttpResponse:
    return _settle(request, pk, fine_id, waive=False)


@require_POST
@fines_page
def desk_fine_waive(request: HttpRequest, pk: int, fine_id: int) -> HttpResponse:
    return _settle(request, pk, fine_id, waive=True)


@require_POST
@desk_page
def desk_checkin(request: HttpRequest) -> HttpResponse:
    """Take an item back by barcode; no patron is looked up, and none is shown."""
    form = BarcodeForm(request.POST, prefix="checkin", autofocus=True)
    branch = desk_branch(request, form)
    if not form.is_valid() or branch is None:
        return _home(request, checkin_form=form)
    try:
        result = services.loan_checkin(barcode=form.cleaned_data["barcode"], branch=branch)
    except CirculationError as error:
        form.add_error("barcode", error.message)
        return _home(request, checkin_form=form)
    slip_name = ""
    if result.hold is not None:
        slip_name = selectors.hold_slip_name(user=request.user, hold=result.hold)
    fresh: Any = BarcodeForm(prefix="checkin", autofocus=True)
    return _home(request, checkin_form=fresh, checkin=result, slip_name=slip_name)
