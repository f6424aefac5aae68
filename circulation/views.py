"""The circulation desk: card lookup, check-out, check-in, renewals, holds and fines (CONF-3).

The patron travels between desk steps as a POSTed card number (the lookup) or
as the patron's id in the path, never as a card number or name in a URL. Every
page that shows a patron reads them through the gate with the step's purpose.

Every form posts and is answered with a redirect (post/redirect/get), success
or error, so reloading a page never posts again. A scan's error comes back in
the session and is shown beside an empty, focused field, quoting what was
scanned: a barcode scanner types into the field and presses Enter, and a value
left there would be glued to the next scan.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from circulation import hold_queues, selectors, services
from circulation.forms import (
    BarcodeForm,
    BranchForm,
    CardForm,
    ChargeForm,
    HoldForm,
    PaymentForm,
    WaiveForm,
    focus,
    with_error,
)
from circulation.models import Fine
from circulation.services import CirculationError
from library import dates
from library.models import Branch
from library.roles import Requirement
from library.staff import DESK_BRANCH_SESSION as SESSION_BRANCH
from library.staff import staff_page
from patrons.models import Patron
from privacy import gate
from privacy.gate import NOT_FOUND_MESSAGE, Refused
from privacy.policy import Purpose

CARD_NOT_FOUND = NOT_FOUND_MESSAGE
NO_DESK_BRANCH = "Set this desk's branch first."
HOLD_LABEL = "Barcode of the item to hold"
# The answer of the last desk POST, shown once by the page it redirects to.
SESSION_ANSWER = "desk_answer"
# The patron whose account is open at this desk, and since when: a check-out
# receipt lists what went out since. Never an item: a returned loan must keep
# no link to the patron anywhere (CONF-9).
SESSION_VISIT = "desk_visit"
SCANNED = "Scanned “{scanned}”: {message}"
CHECKED_IN = "Checked in."
CHECKIN_FINE = "A late fine of ${amount} was added to the borrower's account."
PAID = "Took ${amount} by {method}; ${balance} still owed on that fine."
PAID_IN_FULL = "Took ${amount} by {method}; the fine is paid."
WAIVED = "Fine of ${amount} waived ({reason})."
CHARGED = "Charged ${amount} for the {reason} item “{title}”."
NOT_RENEWED = "Not renewed: “{title}”. {refusal}"
RENEWED = "Renewed “{title}”, now due {due}."

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


def _answer(request: HttpRequest, form: str, error: str = "", **extra: Any) -> None:
    """Keep the answer to a desk POST for the page the redirect shows (once)."""
    request.session[SESSION_ANSWER] = {"form": form, "error": error, **extra}


def _take_answer(request: HttpRequest) -> dict[str, Any]:
    answer: dict[str, Any] = request.session.pop(SESSION_ANSWER, None) or {}
    return answer


def _scan_error(form: Form, message: str) -> str:
    """Return the error for a scan, quoting the value scanned (the field itself is emptied)."""
    scanned = str(form.data.get(form.add_prefix("barcode"), "")).strip()[:40]
    return SCANNED.format(scanned=scanned, message=message) if scanned else message


def _form_error(form: Form, field: str) -> str:
    errors = form.errors.get(field) or next(iter(form.errors.values()), None)
    return str(errors[0]) if errors else ""


def _home(request: HttpRequest) -> HttpResponse:
    answer = _take_answer(request)
    branch = desk_branch(request)
    card_form: Form = CardForm()
    checkin_form: Form = BarcodeForm(prefix="checkin")
    if answer.get("form") == "checkin":  # the check-in field keeps the focus between scans
        focus(card_form, "card_number", on=False)
        focus(checkin_form, "barcode")
        if answer.get("error"):
            with_error(checkin_form, "barcode", answer["error"])
    elif answer.get("form") == "card" and answer.get("error"):
        with_error(card_form, "card_number", answer["error"])
    checkin = selectors.checkin_answer(answer.get("checkin"))
    slip_name = ""
    if checkin is not None and checkin.routing == services.Routing.HOLD_SHELF and checkin.hold:
        slip_name = selectors.hold_slip_name(user=request.user, hold=checkin.hold)
    return render(
        request,
        "circulation/desk/home.html",
        {
            "card_form": card_form,
            "checkin_form": checkin_form,
            "branch_form": BranchForm(initial={"branch": branch}),
            "branch": branch,
            "checkin": checkin,
            "slip_name": slip_name,
        },
    )


def _patron_page(request: HttpRequest, patron: Patron) -> HttpResponse:
    answer = _take_answer(request)
    if answer.get("patron") not in (None, patron.pk):
        answer = {}
    branch = desk_branch(request)
    summary = selectors.desk_summary(patron=patron, branch=branch)
    checkout_form: Form = BarcodeForm(prefix="checkout", autofocus=True)
    hold_form: Form = HoldForm(prefix="hold", label=HOLD_LABEL, initial={"pickup_branch": branch})
    error, where = answer.get("error", ""), answer.get("form", "")
    if where == "hold":
        focus(checkout_form, "barcode", on=False)
        focus(hold_form, "barcode")
        if error:
            with_error(hold_form, "barcode", error)
    elif where == "checkout" and error:
        with_error(checkout_form, "barcode", error)
    for fine in summary.fines:
        fine.pay_form = PaymentForm(  # type: ignore[attr-defined]
            prefix=f"pay-{fine.pk}",
            initial={"amount": fine.balance},  # type: ignore[attr-defined]
        )
        fine.waive_form = WaiveForm(prefix=f"waive-{fine.pk}")  # type: ignore[attr-defined]
        if where == f"pay-{fine.pk}" and error:
            with_error(fine.pay_form, "amount", error)  # type: ignore[attr-defined]
        if where == f"waive-{fine.pk}" and error:
            with_error(fine.waive_form, "reason", error)  # type: ignore[attr-defined]
    for loan in summary.loans:
        loan.charge_form = ChargeForm(prefix=f"charge-{loan.pk}")  # type: ignore[attr-defined]
        if where == f"charge-{loan.pk}" and error:
            with_error(loan.charge_form, "amount", error)  # type: ignore[attr-defined]
    return render(
        request,
        "circulation/desk/patron.html",
        {
            "summary": summary,
            "patron": patron,
            "checkout_form": checkout_form,
            "hold_form": hold_form,
            "action_error": error if where == "action" else "",
            "branch": branch,
            "slip_hold": answer.get("slip_hold"),
            "receipt_payment": answer.get("receipt_payment"),
        },
    )


def _to_patron(patron: Patron) -> HttpResponse:
    return redirect(reverse("circulation:desk_patron", args=[patron.pk]))


def _to_home() -> HttpResponse:
    return redirect(reverse("circulation:desk"))


def _visit_since(request: HttpRequest, patron: Patron) -> datetime.datetime:
    """Return when this patron's account was opened at this desk, or the start of today."""
    visit = request.session.get(SESSION_VISIT) or {}
    if visit.get("patron") == patron.pk:
        return datetime.datetime.fromisoformat(visit["since"])
    return services.day_start(timezone.now())


@desk_page
def desk_home(request: HttpRequest) -> HttpResponse:
    """Show the card lookup and check-in; a POSTed card number opens that patron's summary."""
    if request.method != "POST":
        return _home(request)
    form = CardForm(request.POST)
    if not form.is_valid():
        _answer(request, "card", _form_error(form, "card_number"))
        return _to_home()
    try:
        patron = selectors.desk_patron(
            user=request.user, card_number=form.cleaned_data["card_number"]
        )
    except Refused:
        # The same words whether the card is unknown or the read was refused,
        # and the card number is not repeated: it is the patron's (CONF-6).
        _answer(request, "card", CARD_NOT_FOUND)
        return _to_home()
    request.session[SESSION_VISIT] = {"patron": patron.pk, "since": timezone.now().isoformat()}
    return _to_patron(patron)


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
    form = BarcodeForm(request.POST, prefix="checkout")
    branch = desk_branch(request, form)
    if not form.is_valid() or branch is None:
        _answer(request, "checkout", _scan_error(form, _form_error(form, "barcode")), patron=pk)
        return _to_patron(patron)
    try:
        loan = services.loan_checkout(
            patron=patron, barcode=form.cleaned_data["barcode"], branch=branch
        )
    except CirculationError as error:
        _answer(request, "checkout", _scan_error(form, str(error.message)), patron=pk)
        return _to_patron(patron)
    due = dates.day(loan.due_at)
    messages.success(request, f"Checked out “{loan.item.record.title}”, due {due}.")
    _answer(request, "checkout", patron=pk)
    return _to_patron(patron)


def posted_loan(request: HttpRequest) -> int:
    """Return the loan id posted as `loan`; 0 (no loan's id) when missing or not a number.

    A loan goes in the body, not the address, so no log of addresses ties a
    patron to a loan that is later returned (CONF-9).
    """
    value = request.POST.get("loan", "")
    return int(value) if value.isdigit() and len(value) < 19 else 0


@require_POST
@desk_page
def desk_renew(request: HttpRequest, pk: int) -> HttpResponse:
    """Renew the posted loan on this card."""
    patron = selectors.desk_patron(user=request.user, pk=pk)
    loan_id = posted_loan(request)
    try:
        loan = services.loan_renew(patron=patron, loan_id=loan_id)
    except CirculationError as error:
        _answer(request, "action", str(error.message), patron=pk)
        return _to_patron(patron)
    due = dates.day(loan.due_at)
    messages.success(request, RENEWED.format(title=loan.item.record.title, due=due))
    return _to_patron(patron)


@require_POST
@desk_page
def desk_renew_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Renew every loan on the card that may be renewed; say, loan by loan, why not otherwise."""
    patron = selectors.desk_patron(user=request.user, pk=pk)
    for outcome in services.loans_renew_all(patron=patron):
        if outcome.loan is not None:
            due = dates.day(outcome.loan.due_at)
            messages.success(request, RENEWED.format(title=outcome.title, due=due))
        else:
            messages.error(
                request, NOT_RENEWED.format(title=outcome.title, refusal=outcome.refusal)
            )
    return _to_patron(patron)


@require_POST
@desk_page
def desk_loan_checkin(request: HttpRequest, pk: int) -> HttpResponse:
    """Check in one loan from the patron's page (the item is in hand, its label unreadable)."""
    patron = selectors.desk_patron(user=request.user, pk=pk)
    loan_id = posted_loan(request)
    branch = desk_branch(request)
    if branch is None:
        _answer(request, "action", NO_DESK_BRANCH, patron=pk)
        return _to_patron(patron)
    try:
        result = services.loan_checkin_for(patron=patron, loan_id=loan_id, branch=branch)
    except CirculationError as error:
        _answer(request, "action", str(error.message), patron=pk)
        return _to_patron(patron)
    # No title here: the loan is returned, and the message must not tie this
    # patron to the item once it is (CONF-9); the row leaving the list says which.
    messages.success(request, CHECKED_IN)
    if result.fine is not None:
        messages.success(request, CHECKIN_FINE.format(amount=result.fine.amount))
    _answer(
        request,
        "checkout",
        patron=pk,
        slip_hold=result.hold.pk
        if result.hold and result.routing == services.Routing.HOLD_SHELF
        else None,
    )
    return _to_patron(patron)


@require_POST
@holds_page
def desk_hold_place(request: HttpRequest, pk: int) -> HttpResponse:
    patron = selectors.desk_patron(user=request.user, pk=pk, purpose=Purpose.HOLDS)
    form = HoldForm(request.POST, prefix="hold", label=HOLD_LABEL)
    if not form.is_valid():
        _answer(request, "hold", _scan_error(form, _form_error(form, "barcode")), patron=pk)
        return _to_patron(patron)
    try:
        hold = services.hold_place(
            patron=patron,
            barcode=form.cleaned_data["barcode"],
            pickup_branch=form.cleaned_data["pickup_branch"],
            copy_only=form.cleaned_data["copy_only"],
        )
    except CirculationError as error:
        _answer(request, "hold", _scan_error(form, str(error.message)), patron=pk)
        return _to_patron(patron)
    messages.success(
        request, f"Hold placed on “{hold.record.title}”, to pick up at {hold.pickup_branch.name}."
    )
    _answer(
        request,
        "hold",
        patron=pk,
        slip_hold=None,
    )
    return _to_patron(patron)


@require_POST
@holds_page
def desk_hold_cancel(request: HttpRequest, pk: int, hold_id: int) -> HttpResponse:
    patron = selectors.desk_patron(user=request.user, pk=pk, purpose=Purpose.HOLDS)
    try:
        services.hold_cancel(patron=patron, hold_id=hold_id)
    except CirculationError as error:
        _answer(request, "action", str(error.message), patron=pk)
        return _to_patron(patron)
    messages.success(request, "Hold cancelled.")
    return _to_patron(patron)


@require_POST
@fines_page
def desk_fine_pay(request: HttpRequest, pk: int, fine_id: int) -> HttpResponse:
    """Take a payment of any amount up to what is owed; over-paying is refused."""
    patron = selectors.desk_patron(user=request.user, pk=pk, purpose=Purpose.FINES)
    where = f"pay-{fine_id}"
    form = PaymentForm(request.POST, prefix=where)
    if not form.is_valid():
        _answer(request, where, _form_error(form, "amount"), patron=pk)
        return _to_patron(patron)
    try:
        payment = services.fine_pay(
            patron=patron,
            fine_id=fine_id,
            amount=form.cleaned_data["amount"],
            method=form.cleaned_data["method"],
            received_by=request.user,
            branch=desk_branch(request) or patron.home_branch,
        )
    except CirculationError as error:
        # A fine not on this card is an action error; a bad amount is the field's.
        beside = where if error.field == "amount" else "action"
        _answer(request, beside, str(error.message), patron=pk)
        return _to_patron(patron)
    fine = payment.fine
    method = payment.get_method_display().lower()
    if fine.paid_at is not None:
        messages.success(request, PAID_IN_FULL.format(amount=payment.amount, method=method))
    else:
        balance = services.fine_balance(fine)
        messages.success(
            request, PAID.format(amount=payment.amount, method=method, balance=balance)
        )
    _answer(request, "", patron=pk, receipt_payment=payment.pk)
    return _to_patron(patron)


@require_POST
@fines_page
def desk_fine_waive(request: HttpRequest, pk: int, fine_id: int) -> HttpResponse:
    """Waive what is owed on a fine; a reason from the list is required."""
    patron = selectors.desk_patron(user=request.user, pk=pk, purpose=Purpose.FINES)
    where = f"waive-{fine_id}"
    form = WaiveForm(request.POST, prefix=where)
    if not form.is_valid():
        _answer(request, where, services.WAIVE_REASON_NEEDED, patron=pk)
        return _to_patron(patron)
    try:
        fine = services.fine_waive(
            patron=patron, fine_id=fine_id, reason=form.cleaned_data["reason"]
        )
    except CirculationError as error:
        _answer(request, "action", str(error.message), patron=pk)
        return _to_patron(patron)
    reason = fine.get_waive_reason_display().lower()
    messages.success(request, WAIVED.format(amount=fine.amount, reason=reason))
    return _to_patron(patron)


@require_POST
@fines_page
def desk_fine_charge(request: HttpRequest, pk: int) -> HttpResponse:
    """Charge for a lost or damaged item on loan to this patron."""
    patron = selectors.desk_patron(user=request.user, pk=pk, purpose=Purpose.FINES)
    loan_id = posted_loan(request)
    where = f"charge-{loan_id}"
    form = ChargeForm(request.POST, prefix=where)
    if not form.is_valid():
        _answer(request, where, _form_error(form, "amount"), patron=pk)
        return _to_patron(patron)
    amount: Decimal | None = form.cleaned_data["amount"]
    try:
        fine = services.fine_charge(
            patron=patron, loan_id=loan_id, reason=form.cleaned_data["reason"], amount=amount
        )
    except CirculationError as error:
        beside = where if error.field == "amount" else "action"
        _answer(request, beside, str(error.message), patron=pk)
        return _to_patron(patron)
    assert fine.loan is not None
    reason = "lost" if fine.reason == Fine.Reason.LOST else "damaged"
    messages.success(
        request,
        CHARGED.format(amount=fine.amount, reason=reason, title=fine.loan.item.record.title),
    )
    return _to_patron(patron)


@require_POST
@desk_page
def desk_checkin(request: HttpRequest) -> HttpResponse:
    """Take an item back by barcode; no patron is looked up, and none is shown."""
    form = BarcodeForm(request.POST, prefix="checkin")
    branch = desk_branch(request, form)
    if not form.is_valid() or branch is None:
        _answer(request, "checkin", _scan_error(form, _form_error(form, "barcode")))
        return _to_home()
    try:
        result = services.loan_checkin(barcode=form.cleaned_data["barcode"], branch=branch)
    except CirculationError as error:
        _answer(request, "checkin", _scan_error(form, str(error.message)))
        return _to_home()
    # The desk has moved on from any patron it had open: the session must not
    # hold that patron beside the item just returned (CONF-9).
    request.session.pop(SESSION_VISIT, None)
    # Ids only, none tying a patron to the item beyond what the tables hold:
    # the item (no patron), the fine (names the loan only while unpaid), the
    # hold (live, so already a link).
    _answer(
        request,
        "checkin",
        checkin={
            "item": result.item.pk,
            "fine": result.fine.pk if result.fine else None,
            "hold": result.hold.pk if result.hold else None,
            "routing": result.routing,
        },
    )
    return _to_home()


# Printable slips: each a page of its own with a Print button (templates/circulation/slips/).


@require_GET
@desk_page
def desk_checkout_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """Print what went out at this visit and when it is due; never anything returned (CONF-9)."""
    patron = selectors.desk_patron(user=request.user, pk=pk)
    since = _visit_since(request, patron)
    return render(
        request,
        "circulation/slips/checkout.html",
        {
            "loans": selectors.checkout_receipt_loans(patron=patron, since=since),
            "card_ending": patron.card_number[-4:],
            "branch": desk_branch(request),
            "printed_at": timezone.localtime(),
            "patron": patron,
        },
    )


@require_GET
@holds_page
def desk_hold_slip(request: HttpRequest, hold_id: int) -> HttpResponse:
    """Print a hold-shelf slip: pickup branch, last day, and only enough to find the holder.

    The shelf is where other patrons pass, so the slip has no title and no
    full name or card number: the first letters of the surname and the card's
    last four digits let staff and the holder find it (CONF-1, CONF-6).
    """
    found = selectors.hold_for_slip(user=request.user, hold_id=hold_id)
    if found is None:
        raise Http404
    hold, patron = found
    return render(
        request,
        "circulation/slips/hold.html",
        {
            "hold": hold,
            "shelf_name": patron.last_name[:4].upper(),
            "card_ending": patron.card_number[-4:],
            "printed_at": timezone.localtime(),
        },
    )


@require_GET
@fines_page
def desk_payment_receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Print a receipt for a payment this clerk took today; it names no patron and no item."""
    receipt = selectors.payment_receipt(user=request.user, payment_id=payment_id)
    if receipt is None:
        raise Http404
    return render(
        request,
        "circulation/slips/payment.html",
        {
            "receipt": receipt,
            "received_at": timezone.localtime(receipt.payment.received_at),
            "printed_at": timezone.localtime(),
        },
    )


# Holds in motion at the desk's branch (circulation.hold_queues): what to pull
# from the shelves, what is travelling, and what waits on the hold shelf.


def _queue_branch(request: HttpRequest) -> tuple[Branch | None, BranchForm]:
    """Return the branch a queue page shows: the one asked for (?branch=), else the desk's."""
    form = BranchForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form.cleaned_data["branch"], form
    branch = desk_branch(request)
    return branch, BranchForm(initial={"branch": branch})


@require_GET
@holds_page
def pull_list(request: HttpRequest) -> HttpResponse:
    """The copies to take from this branch's shelves for waiting holds; it names no patron."""
    branch, form = _queue_branch(request)
    lines = hold_queues.pull_list(branch) if branch else []
    return render(
        request,
        "circulation/desk/pull_list.html",
        {"branch": branch, "branch_form": form, "lines": lines, "limit": hold_queues.LIST_LIMIT},
    )


@require_GET
@holds_page
def in_transit(request: HttpRequest) -> HttpResponse:
    """Copies on their way from and to this branch for holds; it names no patron."""
    branch, form = _queue_branch(request)
    sent, coming = hold_queues.in_transit(branch) if branch else ([], [])
    return render(
        request,
        "circulation/desk/in_transit.html",
        {"branch": branch, "branch_form": form, "sent": sent, "coming": coming},
    )


@require_GET
@holds_page
def hold_shelf(request: HttpRequest) -> HttpResponse:
    """The holds ready on this branch's hold shelf, with holders as the gate allows (logged)."""
    branch, form = _queue_branch(request)
    lines = hold_queues.hold_shelf(user=request.user, branch=branch) if branch else []
    return render(
        request,
        "circulation/desk/hold_shelf.html",
        {
            "branch": branch,
            "branch_form": form,
            "lines": lines,
            "to_clear": hold_queues.hold_shelf_to_clear(branch) if branch else [],
            "expired": sum(line.expired for line in lines),
        },
    )
