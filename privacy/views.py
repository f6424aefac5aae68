"""Staff pages of the privacy app: legal orders, agents, consents, the inquiry desk.

Views are thin: they check the role, call a service or selector, and render.
Every patron read inside goes through the gate (privacy.access).
"""

import datetime
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from library import dates
from library.declarations import not_found_response, serves_patron_data
from library.params import positive_id
from library.roles import may
from library.staff import AuthenticatedRequest, staff_page
from privacy import access, forms, gate, records, selectors, services
from privacy.models import Consent, ContractedAgent, Inquiry, LegalOrder
from privacy.policy import DataCategory, Purpose
from privacy.subjects import patron_model

UNKNOWN_CARDS = "No patron has these card numbers: {}."


def _errors_to_form(form: Any, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


def _order_for(request: AuthenticatedRequest, pk: int) -> LegalOrder:
    """Return an order the user may see; anyone else gets the same 404 as a missing one."""
    return get_object_or_404(selectors.legal_orders_for(request.user), pk=pk)


@staff_page(Purpose.LEGAL_ORDER, Purpose.ORDER_REVIEW)
def order_list(request: AuthenticatedRequest) -> HttpResponse:
    """List the orders a user may see; the director also sees the queue awaiting review."""
    is_director = may(request.user, Purpose.ORDER_REVIEW)
    context = {
        "orders": selectors.legal_orders_for(request.user)[:200],
        "queue": selectors.legal_order_queue() if is_director else [],
        "is_director": is_director,
    }
    return render(request, "privacy/order_list.html", context)


@staff_page(Purpose.ORDER_REVIEW)
def order_create(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.LegalOrderForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # The cards are read as part of recording the order, and logged once the
        # order exists, naming it: a gagged order then hides these reads from the
        # patron exactly as it hides every other read under it (CONF-5).
        named = list(patron_model().objects.filter(card_number__in=data["card_numbers"]))
        found = {patron.card_number for patron in named}
        unknown = [number for number in data["card_numbers"] if number not in found]
        if unknown:
            form.add_error("card_numbers", UNKNOWN_CARDS.format(", ".join(unknown)))
        else:
            try:
                order = services.legal_order_receive(
                    received_by=request.user,
                    kind=data["kind"],
                    issuing_authority=data["issuing_authority"],
                    requesting_agency=data["requesting_agency"],
                    case_number=data["case_number"],
                    patrons=named,
                    categories=data["categories"],
                    records_from=data["records_from"],
                    records_until=data["records_until"],
                    expires_at=data["expires_at"],
                    patron_may_be_told=data["patron_may_be_told"],
                    document=data["document"],
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                access.record_list_read(
                    request.user,
                    [patron.pk for patron in named],
                    DataCategory.IDENTITY,
                    Purpose.ORDER_REVIEW,
                    legal_order=order,
                )
                messages.success(
                    request, "Order recorded. It releases nothing until you mark it valid."
                )
                return redirect("privacy:order_detail", pk=order.pk)
    return render(request, "privacy/order_form.html", {"form": form})


@staff_page(Purpose.LEGAL_ORDER, Purpose.ORDER_REVIEW)
def order_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    order = _order_for(request, pk)
    is_director, in_force = may(request.user, Purpose.ORDER_REVIEW), order.is_in_force()
    # Staff working an order learn whom it names only while it is in force (CONF-5);
    # the director, who reviews and closes orders, sees the scope throughout.
    named = list(order.patrons.order_by("card_number")) if is_director or in_force else []
    # The director reviews whom the order names; staff working it see them only
    # while it is in force and covers identity (the gate derives both).
    purpose = Purpose.ORDER_REVIEW if is_director else Purpose.LEGAL_ORDER
    readable = access.record_list_read(
        request.user, [p.pk for p in named], DataCategory.IDENTITY, purpose, legal_order=order
    )
    scope = [patron for patron in named if patron.pk in readable]
    # Releases name the patron by card number where the scope above was read
    # (every release is of a patron the order names); otherwise by record number.
    cards = {patron.pk: patron.card_number for patron in scope}
    releases = [(release, cards.get(release.patron_id)) for release in selectors.releases_of(order)]
    context = {
        "order": order,
        "scope": scope,
        "releases": releases,
        "is_director": is_director,
        "in_force": in_force,
        "decision_form": forms.OrderDecisionForm(),
        "worker_form": forms.OrderWorkerForm(),
        "release_form": forms.ReleaseForm(order=order, scope=scope),
        "categories": [DataCategory(c).label for c in order.categories],
    }
    return render(request, "privacy/order_detail.html", context)


@require_POST
@staff_page(Purpose.ORDER_REVIEW)
def order_decide(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    order = _order_for(request, pk)
    note = forms.OrderDecisionForm(request.POST)
    note_text = note.cleaned_data["note"] if note.is_valid() else ""
    steps = {
        "review": lambda: services.legal_order_start_review(order=order, reviewer=request.user),
        "validate": lambda: services.legal_order_validate(
            order=order, director=request.user, note=note_text
        ),
        "reject": lambda: services.legal_order_close(
            order=order, director=request.user, status=LegalOrder.Status.REJECTED, note=note_text
        ),
        "fulfil": lambda: services.legal_order_close(
            order=order, director=request.user, status=LegalOrder.Status.FULFILLED, note=note_text
        ),
    }
    if action not in steps:
        return not_found_response(request)
    try:
        steps[action]()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The order's status was updated.")
    return redirect("privacy:order_detail", pk=order.pk)


@require_POST
@staff_page(Purpose.ORDER_REVIEW)
def order_add_worker(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    order = _order_for(request, pk)
    form = forms.OrderWorkerForm(request.POST)
    if form.is_valid():
        services.legal_order_add_worker(
            order=order, director=request.user, worker=form.cleaned_data["worker"]
        )
        messages.success(request, "Staff member added to the order.")
    else:
        messages.error(request, "Choose a staff member.")
    return redirect("privacy:order_detail", pk=order.pk)


@require_POST
@staff_page(Purpose.LEGAL_ORDER, Purpose.ORDER_REVIEW)
def order_release(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    order = _order_for(request, pk)
    form = forms.ReleaseForm(request.POST, order=order)
    if not form.is_valid():
        messages.error(request, "Choose a patron and a category inside the order's scope.")
        return redirect("privacy:order_detail", pk=order.pk)
    patron = order.patrons.filter(pk=form.cleaned_data["patron"]).first()
    if patron is None:
        return not_found_response(request)
    release, payload, _ = services.legal_order_release(
        order=order,
        actor=request.user,
        patron=patron,
        category=DataCategory(form.cleaned_data["category"]),
        note=form.cleaned_data["note"],
    )
    if request.POST.get("format") == "document":
        return redirect("privacy:order_release_document", pk=order.pk, release_pk=release.pk)
    response = HttpResponse(json.dumps(payload, indent=2), content_type="application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="release-{payload["release"]["id"]}.json"'
    )
    return response


# The library's name on documents that leave it; a LIBRARY_NAME setting overrides it.
LIBRARY_NAME = "Public Library"


def _shown(value: Any) -> str:
    """Return a released value as the document prints it: moments in the library's time zone."""
    if value is None:
        return ""
    if isinstance(value, str) and "T" in value:
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            return dates.moment(moment)
    return str(value)


@staff_page(Purpose.LEGAL_ORDER, Purpose.ORDER_REVIEW, methods=("GET", "HEAD"))
def order_release_document(request: AuthenticatedRequest, pk: int, release_pk: int) -> HttpResponse:
    """Show a release under an order as a document to print and sign (CONF-5).

    The records are read again through the gate and logged as the release was,
    so the page opens only while the order is in force and to its workers; the
    patron is named by card number where the order's scope may be read.
    """
    order = _order_for(request, pk)
    release = get_object_or_404(
        selectors.releases_of(order).select_related("patron"), pk=release_pk
    )
    released = services.legal_order_release_records(release=release, actor=request.user)
    # As on the order's page: the director reviews whom the order names; its
    # workers read them under the order (the gate decides both, CONF-5).
    purpose = (
        Purpose.ORDER_REVIEW if may(request.user, Purpose.ORDER_REVIEW) else Purpose.LEGAL_ORDER
    )
    readable = access.record_list_read(
        request.user, [release.patron_id], DataCategory.IDENTITY, purpose, legal_order=order
    )
    columns: list[str] = []
    for record in released:
        columns.extend(key for key in record if key not in columns)
    context = {
        "library_name": getattr(settings, "LIBRARY_NAME", LIBRARY_NAME),
        "order": order,
        "release": release,
        "card_number": release.patron.card_number if release.patron_id in readable else None,
        "columns": [column.replace("_", " ").capitalize() for column in columns],
        "rows": [[_shown(record.get(column)) for column in columns] for record in released],
        "category": DataCategory(release.category).label,
        "printed_at": timezone.now(),
        # A court reads the times without our screen around them: name the zone once.
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "privacy/release_document.html", context)


@staff_page(services.AGENTS)
def agent_list(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.AgentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agent = services.agent_register(director=request.user, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, "Agent recorded. Set its password in the staff admin.")
            return redirect("privacy:agent_detail", pk=agent.pk)
    return render(request, "privacy/agent_list.html", {"agents": selectors.agents(), "form": form})


@staff_page(services.AGENTS)
def agent_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    agent = get_object_or_404(ContractedAgent, pk=pk)
    form = forms.CardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patron = access.find_patron(
                request.user,
                card_number=form.cleaned_data["card_number"],
                category=DataCategory.IDENTITY,
                purpose=Purpose.REGISTRATION,
            )
        except gate.Refused as refused:
            form.add_error("card_number", refused.decision.message)
        else:
            if request.POST.get("action") == "unassign":
                services.agent_unassign(agent=agent, patron=patron, director=request.user)
                messages.success(request, "Account taken away from the agent.")
            else:
                services.agent_assign(agent=agent, patron=patron, director=request.user)
                messages.success(request, "Account assigned to the agent.")
            return redirect("privacy:agent_detail", pk=agent.pk)
    assigned = list(selectors.agent_assigned_patrons(agent)[:500])
    access.record_list_read(
        request.user, [p.pk for p in assigned], DataCategory.IDENTITY, Purpose.REGISTRATION
    )
    return render(
        request, "privacy/agent_detail.html", {"agent": agent, "assigned": assigned, "form": form}
    )


def _is_agent(request: HttpRequest) -> bool:
    return (
        request.user.is_authenticated
        and ContractedAgent.objects.filter(user_id=request.user.pk).exists()
    )


@serves_patron_data
def agent_accounts(request: HttpRequest) -> HttpResponse:
    if not _is_agent(request):
        return not_found_response(request)
    patrons = list(
        access.scoped_patrons(request.user, DataCategory.IDENTITY, Purpose.CONTRACT)[:500]
    )
    access.record_list_read(
        request.user, [p.pk for p in patrons], DataCategory.IDENTITY, Purpose.CONTRACT
    )
    return render(request, "privacy/agent_accounts.html", {"patrons": patrons})


@serves_patron_data
def agent_account(request: HttpRequest, pk: int) -> HttpResponse:
    if not _is_agent(request):
        return not_found_response(request)
    patron = access.find_patron(
        request.user, pk=pk, category=DataCategory.CIRCULATION, purpose=Purpose.CONTRACT
    )
    summary = records.patron_summary(patron, DataCategory.CIRCULATION)
    # The name is identity: shown only when the contract covers it, and read
    # through the gate like any other category (CONF-7).
    agent = ContractedAgent.objects.get(user_id=request.user.pk or 0)
    name = None
    if DataCategory.IDENTITY.value in agent.categories:
        access.read(request.user, patron, DataCategory.IDENTITY, Purpose.CONTRACT)
        name = patron.full_name
    context = {"account": patron.pk, "name": name, **summary}
    return render(request, "privacy/agent_account.html", context)


@staff_page(Purpose.REGISTRATION)
def consent_desk(request: AuthenticatedRequest) -> HttpResponse:
    """Look a patron up; record or withdraw consents (CONF-7) after an identity check (CONF-4)."""
    # The patron is carried between steps as a POSTed card number, never in the URL,
    # and every step reads them through the gate again.
    lookup = forms.CardForm(request.POST or None)
    grant = forms.ConsentForm(request.POST if "grant" in request.POST else None)
    patron = None
    if request.method == "POST" and lookup.is_valid():
        try:
            patron = access.find_patron(
                request.user,
                card_number=lookup.cleaned_data["card_number"],
                category=DataCategory.IDENTITY,
                purpose=Purpose.REGISTRATION,
            )
        except gate.Refused as refused:
            lookup.add_error("card_number", refused.decision.message)
    if patron is not None and "grant" in request.POST and grant.is_valid():
        data = grant.cleaned_data
        try:
            # Both or neither: a refused consent leaves no identity check behind.
            with transaction.atomic():
                check = services.identity_check_record(
                    checked_by=request.user,
                    document_kind=data["document_kind"],
                    patron=patron,
                )
                services.consent_grant(
                    patron=patron,
                    recipient=data["recipient"],
                    category=data["category"],
                    purpose=data["purpose"],
                    recorded_by=request.user,
                    identity_check=check,
                )
        except ValidationError as error:
            _errors_to_form(grant, error)
        else:
            messages.success(request, "Consent recorded.")
            grant = forms.ConsentForm()
    withdraw = positive_id(request.POST.get("withdraw"))
    if patron is not None and withdraw is not None:
        consent = Consent.objects.filter(pk=withdraw, patron=patron).first()
        if consent is not None:
            services.consent_withdraw(consent=consent, withdrawn_by=request.user)
            messages.success(request, "Consent withdrawn.")
    context = {
        "lookup": lookup,
        "grant": grant,
        "patron": patron,
        "consents": selectors.consents_of(patron) if patron else [],
    }
    return render(request, "privacy/consent_desk.html", context)


# The session keeps the desk's last branch and channel between entries: ids and
# codes only, never anything about a patron or the person asking.
DESK_SESSION_KEY = "inquiry_desk"


def _desk_initial(request: AuthenticatedRequest) -> dict[str, Any]:
    kept = request.session.get(DESK_SESSION_KEY) or {}
    return {"branch": positive_id(kept.get("branch")), "channel": kept.get("channel") or ""}


@staff_page(Purpose.DESK_INQUIRY)
def inquiry_desk(request: AuthenticatedRequest) -> HttpResponse:
    """Record who asks what at a desk and show the policy's answer, and data only where allowed.

    The question comes first (where, how, who asks, what); only the details it
    needs are then shown and read. A small script shows them as soon as the
    question is chosen; without it, "Continue" does the same on the server.
    """
    initial = _desk_initial(request)
    answer, summary, question = None, None, None
    if request.method == "POST" and request.POST.get("step") == "choose":
        chosen = forms.QuestionForm(request.POST)
        # Not an entry yet: show the question again, with the details it needs.
        values = chosen.cleaned_data if chosen.is_valid() else {}
        form = forms.InquiryForm(
            user=request.user,
            initial={**initial, **{k: v for k, v in values.items() if v}},
        )
    else:
        form = forms.InquiryForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and request.POST.get("step") != "choose" and form.is_valid():
        data = form.cleaned_data
        # The reads this answer makes are recorded at the desk's branch.
        gate.made_at(data["branch"].code)
        answer = services.inquiry_answer(staff=request.user, **data)
        if answer.released is not None:
            summary = {"records": answer.released}  # what the order covers, no more (CONF-5)
        elif answer.patron is not None and answer.category is not DataCategory.PRESENCE:
            summary = records.patron_summary(answer.patron, answer.category)
        request.session[DESK_SESSION_KEY] = {
            "branch": data["branch"].pk,
            "channel": data["channel"],
        }
        question = {
            "branch": data["branch"],
            "channel": answer.inquiry.get_channel_display(),
            "requester": dict(forms.DESK_REQUESTERS).get(data["requester"], ""),
            "kind": answer.inquiry.get_kind_display(),
            "category": DataCategory(data["category"]).label
            if data["kind"] == Inquiry.Kind.ACCOUNT_DATA and data["category"]
            else "",
        }
        form = forms.InquiryForm(user=request.user, initial=_desk_initial(request))
    context = {
        "form": form,
        "details": form.details(),
        "question_fields": forms.QUESTION_CHOICE_FIELDS,
        "needs": forms.needs_by_question(),
        "answer": answer,
        "summary": summary,
        "question": question,
    }
    return render(request, "privacy/inquiry_desk.html", context)
