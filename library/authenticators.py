"""Staff sign-in factors: authenticators (TOTP) and recovery codes, through django-otp.

The one service for them. An authenticator is django-otp's TOTP device; its
setup link (`otpauth://`) is shown once, as a link and as a QR code drawn by
segno. Recovery codes are django-otp's static device: ten codes, each signing
in once, for a staff member who has lost their phone; they are shown once, when
issued. Issuing and revoking codes, and enrolling an authenticator from a staff
page, each append an entry to the audit trail saying who did it, for whom and
under which clause, never a code or a secret (CONF-1).
"""

from typing import Any

import segno
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils.safestring import SafeString, mark_safe
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

NOT_STAFF = "No active staff user has that name."
# Sign-in factors keep people out of patron data (CONF-1).
CLAUSE = "CONF-1"
RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "recovery codes"
AUTHENTICATOR_ENROLLED = "Authenticator enrolled; any earlier one no longer works."
RECOVERY_CODES_ISSUED = "Recovery codes issued; any earlier ones no longer work."
RECOVERY_CODES_REVOKED = "Recovery codes revoked."
# The QR code's drawing: black modules on white, whatever the page's colours.
QR_STYLE: dict[str, Any] = {"scale": 4, "dark": "#000", "light": "#fff"}


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


@transaction.atomic
def authenticator_replace(*, user: User, by: User) -> TOTPDevice:
    """Enrol a new authenticator for `user` from a staff page, recording who did it."""
    device = authenticator_enroll(user=user)
    _record(
        device,
        user=user,
        by=by,
        changes={"authenticator": ["", "enrolled"]},
        reason=AUTHENTICATOR_ENROLLED,
    )
    return device


def qr_svg(data: str) -> SafeString:
    """Return an inline SVG QR code of `data` (segno; no style attribute, so CSP allows it)."""
    # segno's SVG is paths alone: the data is drawn, never written as text.
    return mark_safe(segno.make(data, error="m").svg_inline(**QR_STYLE))  # noqa: S308


def normalise_code(token: str) -> str:
    """Return a typed code as stored: recovery codes are lower case, spaces and dashes ignored."""
    return "".join(token.split()).replace("-", "").lower()


def recovery_codes_left(user: User) -> int:
    """Return how many unused recovery codes a user holds."""
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def recovery_codes_issue(*, user: User, by: User) -> list[str]:
    """Give `user` new recovery codes, replacing any they had; return them (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    replaced = device.token_set.count()
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    _record(
        device,
        user=user,
        by=by,
        changes={"recovery codes": [str(replaced), str(RECOVERY_CODE_COUNT)]},
        reason=RECOVERY_CODES_ISSUED,
    )
    return sorted(codes)


@transaction.atomic
def recovery_codes_revoke(*, user: User, by: User) -> int:
    """Revoke every recovery code `user` holds; return how many there were."""
    revoked = 0
    for device in StaticDevice.objects.filter(user=user):
        count = device.token_set.count()
        _record(
            device,
            user=user,
            by=by,
            changes={"recovery codes": [str(count), "0"]},
            reason=RECOVERY_CODES_REVOKED,
        )
        device.delete()
        revoked += count
    return revoked


def _record(
    device: Device, *, user: User, by: User, changes: dict[str, list[str]], reason: str
) -> None:
    # Written with django-auditlog's entry API, as library.roles does: the
    # trail's own package builds on this one. How many codes, never a code.
    from auditlog import get_logentry_model

    entry_model = get_logentry_model()
    entry_model.objects.log_create(
        device,
        action=entry_model.Action.UPDATE,
        actor=by,
        clause=CLAUSE,
        changes=changes,
        additional_data={"reason": reason, "for_user": user.pk, "by_user": by.pk},
    )


def manageable_logins(by: Any) -> Any:
    """Return the staff logins `by` may manage: active staff; superusers only for a superuser."""
    logins = User.objects.filter(is_active=True, is_staff=True).order_by("username")
    if not getattr(by, "is_superuser", False):
        logins = logins.filter(is_superuser=False)
    return logins


def with_factors(logins: Any) -> Any:
    """Return the logins, each with has_authenticator and codes_left (two joins, one query)."""
    authenticator = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return logins.annotate(
        has_authenticator=Exists(authenticator), codes_left=Count("staticdevice__token_set")
    )
