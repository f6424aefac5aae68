"""Login hardening: a second factor for sensitive roles, throttling that stores no card numbers."""

import hashlib
import hmac
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django_otp import devices_for_user
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from library.authenticators import normalise_code
from library.roles import ROLES, roles_of

# Roles that reach footage, legal orders or the whole audit trail sign in with
# an authenticator code as well as a password (TOTP, django-otp); so do
# superusers. Read from the role table.
TWO_FACTOR_ROLES = frozenset(role for role, rights in ROLES.items() if rights.second_factor)
NEEDS_CODE = "Your role signs in with an authenticator code too. Enter the 6-digit code."


def needs_second_factor(user: Any) -> bool:
    """Return True if this user's roles, or being a superuser, require a second factor."""
    # A superuser gets no patron data, but can give anyone a role and read
    # every authenticator's secret in the admin: a password alone is not enough.
    return bool(getattr(user, "is_superuser", False)) or bool(roles_of(user) & TWO_FACTOR_ROLES)


def second_factor_satisfied(user: Any) -> bool:
    """Return True if the user needs no second factor or has given one this session."""
    if not needs_second_factor(user):
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


class StaffLoginForm(OTPAuthenticationFormMixin, AdminAuthenticationForm):
    """The staff sign-in: user name and password, plus an authenticator code for sensitive roles."""

    otp_device = forms.CharField(required=False, widget=forms.HiddenInput)
    otp_token = forms.CharField(
        required=False,
        label="Authenticator code",
        help_text=(
            "For the director, persons in charge, security, IT, auditors and administrators. "
            "Lost your phone? Type one of your recovery codes instead."
        ),
        # Not inputmode=numeric: recovery codes hold letters.
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
    otp_challenge = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_otp_token(self) -> str:
        # Recovery codes are stored in lower case; people type them as printed
        # or shouted, with spaces or dashes (library.authenticators).
        return normalise_code(self.cleaned_data.get("otp_token") or "")

    def _chosen_device(self, user: Any) -> Any:
        # Staff hold one authenticator and at most one set of recovery codes
        # (library.authenticators), so there is nothing to choose: as many
        # digits as the authenticator shows are its code, anything else a
        # recovery code. Only that device is tried, so a wrong code counts
        # against one device alone.
        named = super()._chosen_device(user)
        if named is not None:
            return named
        token = self.cleaned_data.get("otp_token") or ""
        devices = list(devices_for_user(user, confirmed=True))
        for device in devices:
            if isinstance(device, TOTPDevice) and token.isdigit() and len(token) == device.digits:
                return device
        return next((device for device in devices if isinstance(device, StaticDevice)), None)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and needs_second_factor(user):
            if not self.cleaned_data.get("otp_token"):
                raise forms.ValidationError(NEEDS_CODE, code="token_required")
            try:
                self.clean_otp(user)
            except forms.ValidationError:
                # A refused code is a failed sign-in like a wrong password: axes
                # counts it against the account, so codes cannot be guessed
                # without limit (django-axes' documented user_login_failed).
                user_login_failed.send(
                    sender=__name__,
                    credentials={"username": self.cleaned_data.get("username")},
                    request=self.request,
                )
                raise
        return cleaned


def throttle_key(subject: str) -> str:
    """Return a keyed hash of what a sign-in names, as django-axes stores it.

    Throttling needs to recognise repeated attempts on one account, not to know
    the card number, so the axes tables and log lines hold only this hash.
    """
    digest = hmac.new(settings.SECRET_KEY.encode(), subject.encode(), hashlib.sha256)
    return "h:" + digest.hexdigest()[:32]
