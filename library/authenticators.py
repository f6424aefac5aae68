"""Authenticator (TOTP) devices for staff whose roles need a second factor."""

from django.contrib.auth.models import User
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

NOT_STAFF = "No active staff user has that name."


@transaction.atomic
def authenticator_enroll(
    *, user: User, name: str = "authenticator", key: str | None = None
) -> TOTPDevice:
    """Give a staff user a new authenticator, replacing any they had."""
    TOTPDevice.objects.filter(user=user).delete()
    fields = {"user": user, "name": name, "confirmed": True}
    if key:
        fields["key"] = key
    return TOTPDevice.objects.create(**fields)
