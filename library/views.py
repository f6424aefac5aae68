from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from library import authenticators
from library.declarations import public
from library.forms import LoginFactorForm, OwnFactorForm
from library.roles import Duty
from library.security import needs_second_factor
from library.staff import AuthenticatedRequest, staff_menu, staff_page

NO_SECOND_FACTOR = "Your role signs in without a second factor; there is nothing to set up."
CODES_REVOKED = "{count} recovery codes of {user} revoked."


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "library/home.html")


@staff_page()
def staff_home(request: HttpRequest) -> HttpResponse:
    """List the staff pages this user's roles open, from the role table."""
    return render(request, "library/staff_home.html", {"items": staff_menu(request.user)})


def _factors(user: Any) -> dict[str, Any]:
    return {
        "has_authenticator": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "codes_left": authenticators.recovery_codes_left(user),
    }


def _enrolled(device: Any) -> dict[str, Any]:
    """The setup link and its QR code, shown once on the page that enrolled the device."""
    return {"setup_link": device.config_url, "setup_qr": authenticators.qr_svg(device.config_url)}


@never_cache
@staff_page(superusers=True, methods=["GET", "POST"])
def second_factor(request: AuthenticatedRequest) -> HttpResponse:
    """A staff member's own second factor: a new authenticator, new recovery codes (shown once)."""
    user = request.user
    context: dict[str, Any] = {"needs": needs_second_factor(user), "form": OwnFactorForm()}
    status = 200
    if request.method == "POST":
        form = OwnFactorForm(request.POST)
        if not context["needs"]:
            form.add_error(None, NO_SECOND_FACTOR)
        if form.is_valid():
            if form.cleaned_data["action"] == "codes":
                context["codes"] = authenticators.recovery_codes_issue(user=user, by=user)
            else:
                device = authenticators.authenticator_replace(user=user, by=user)
                # The session's factor was the old device: this one stands for it.
                otp_login(request, device)
                context.update(_enrolled(device))
        else:
            context["form"], status = form, 400
    context.update(_factors(user))
    return render(request, "library/second_factor.html", context, status=status)


@never_cache
@staff_page(Duty.MANAGE_LOGINS, superusers=True, methods=["GET", "POST"])
def logins_second_factor(request: AuthenticatedRequest) -> HttpResponse:
    """Enrol a staff member's authenticator (shown once) or revoke their recovery codes."""
    logins = authenticators.manageable_logins(request.user)
    form = LoginFactorForm(logins=logins)
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        form = LoginFactorForm(request.POST, logins=logins)
        if form.is_valid():
            login = form.cleaned_data["login"]
            if form.cleaned_data["action"] == "revoke":
                count = authenticators.recovery_codes_revoke(user=login, by=request.user)
                messages.success(request, CODES_REVOKED.format(count=count, user=login.username))
                return redirect("logins_second_factor")
            device = authenticators.authenticator_replace(user=login, by=request.user)
            context.update(_enrolled(device), enrolled_for=login)
        else:
            status = 400
    context.update(form=form, logins=authenticators.with_factors(logins))
    return render(request, "library/logins_second_factor.html", context, status=status)
