"""The patron self-service portal. Every read of patron data goes through the gate."""

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from library.decorators import AuthenticatedRequest
from library.params import positive_id
from patrons import forms, selectors
from patrons.models import Consent, Patron
from privacy import access, services
from privacy.declarations import public, serves_patron_data
from privacy.middleware import not_found_response
from privacy.policy import PROTECTED_CATEGORIES, DataCategory, Purpose
from privacy.selectors import ALL_TIME, records_for_release

portal_login_required = login_required(login_url="portal:login")


def _own_patron(request: AuthenticatedRequest) -> Patron | None:
    return Patron.objects.select_related("home_branch").filter(user_id=request.user.pk).first()


login = public(
    auth_views.LoginView.as_view(
        template_name="patrons/portal/login.html",
        authentication_form=forms.PortalLoginForm,
        redirect_authenticated_user=True,
        next_page=reverse_lazy("portal:account"),
    )
)
logout = public(auth_views.LogoutView.as_view(next_page=reverse_lazy("portal:login")))
password_reset = public(
    auth_views.PasswordResetView.as_view(
        template_name="patrons/portal/password_reset.html",
        email_template_name="patrons/portal/password_reset_email.txt",
        subject_template_name="patrons/portal/password_reset_subject.txt",
        success_url=reverse_lazy("portal:password_reset_done"),
    )
)
password_reset_done = public(
    auth_views.PasswordResetDoneView.as_view(
        template_name="patrons/portal/password_reset_done.html"
    )
)
password_reset_confirm = public(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="patrons/portal/password_reset_confirm.html",
        success_url=reverse_lazy("portal:password_reset_complete"),
    )
)
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="patrons/portal/password_reset_complete.html"
    )
)


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
    return render(request, "patrons/portal/account.html", context)


@serves_patron_data
@portal_login_required
def minor_account(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Show a minor's account to an adult listed on it, until the minor comes of age (CONF-4)."""
    minor = access.find_patron(
        request.user, pk=pk, category=DataCategory.IDENTITY, purpose=Purpose.GUARDIAN
    )
    context = _account_context(request, minor, Purpose.GUARDIAN)
    return render(request, "patrons/portal/minor_account.html", context)


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
        "patrons/portal/consents.html",
        {"form": form, "consents": selectors.consents_of(patron)},
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
    """Show every allowed read of the patron's data: when, which role, why, which clause."""
    patron = _own_patron(request)
    if patron is None:
        return not_found_response(request)
    lines, cursor = selectors.access_history(patron, before=positive_id(request.GET.get("before")))
    return render(request, "patrons/portal/access_history.html", {"lines": lines, "cursor": cursor})


@serves_patron_data
@portal_login_required
def download(request: AuthenticatedRequest) -> HttpResponse:
    """Give the patron everything the library holds about them, in one JSON file."""
    patron = _own_patron(request)
    if patron is None:
        return not_found_response(request)
    data: dict[str, Any] = {"card_number": patron.card_number}
    for category in sorted(PROTECTED_CATEGORIES):
        access.read(request.user, patron, category, Purpose.SELF_SERVICE)
        start, end = ALL_TIME
        data[category.value] = records_for_release(
            patron=patron, category=category, records_from=start, records_until=end
        )["records"]
    data["consents"] = [
        {
            "recipient": consent.recipient,
            "category": consent.category,
            "purpose": consent.purpose,
            "granted_at": consent.granted_at.isoformat(),
            "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None,
        }
        for consent in selectors.consents_of(patron)
    ]
    lines, cursor = selectors.access_history(patron)
    history = lines
    while cursor is not None:
        lines, cursor = selectors.access_history(patron, before=cursor)
        history += lines
    data["who_has_seen_my_record"] = [
        {
            "when": line.when.isoformat(),
            "who": line.who,
            "branch": line.branch,
            "purpose": line.purpose,
            "clause": line.clause,
        }
        for line in history
    ]
    response = HttpResponse(
        json.dumps(data, indent=2, default=str), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-library-data.json"'
    return response
