"""Sign-in factors (issue 18): enrolment shows a QR code, recovery codes sign in once each.

Authenticators are django-otp's TOTP devices and recovery codes its static
device (library.authenticators); the QR code is segno's SVG, inline on the page.
"""

import html
import json
import re

import pytest
import segno
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry
from library import authenticators
from library.roles import Role
from tests.conftest import StaffClient
from tests.security.test_content_security_policy import inline_parts

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def _signed_in(user: User) -> StaffClient:
    client = StaffClient()
    client.force_login(user)
    return client


def _staff_login(client, user, code):
    return client.post(
        reverse("admin:login"), {"username": user.username, "password": PASSWORD, "otp_token": code}
    )


def _verified(client) -> bool:
    return client.get(reverse("staff_home")).status_code == 200


def _trail_text() -> str:
    """Everything the audit trail holds, as one string."""
    return json.dumps(
        list(
            AuditEntry.objects.values(
                "object_pk", "object_repr", "changes", "additional_data", "serialized_data"
            )
        ),
        default=str,
    )


def _factor_entries(device_model):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(device_model), clause="CONF-1"
    )


# --- enrolment shows the QR code of the setup link


def test_enrolling_ones_own_authenticator_shows_its_setup_link_as_a_qr_code(director):
    client = _signed_in(director)
    response = client.post(reverse("second_factor"), {"action": "authenticator"})
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=director)
    assert device.name == "authenticator"  # the test's device was replaced
    page = response.content.decode()
    [svg] = SVG.findall(page)
    # The very QR code segno draws for the setup link: it encodes the otpauth URL.
    assert svg == segno.make(device.config_url, error="m").svg_inline(**authenticators.QR_STYLE)
    assert device.config_url.startswith("otpauth://totp/")
    assert f'href="{html.escape(device.config_url)}"' in page
    assert inline_parts(page) == []  # the strict CSP holds: no style attribute in the SVG
    assert response["Cache-Control"].startswith("max-age=0")
    # The session's factor moved to the new device: still signed in.
    assert _verified(client)
    # Shown once: the page does not show it again.
    again = client.get(reverse("second_factor")).content.decode()
    assert "<svg" not in again and device.config_url not in again


def test_it_staff_enrol_a_colleagues_authenticator_and_the_trail_says_who_for_whom(director, staff):
    it = staff(Role.IT_STAFF)
    response = _signed_in(it).post(
        reverse("logins_second_factor"), {"login": director.username, "action": "authenticator"}
    )
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=director)
    [svg] = SVG.findall(response.content.decode())
    assert svg == segno.make(device.config_url, error="m").svg_inline(**authenticators.QR_STYLE)
    [entry] = _factor_entries(TOTPDevice).filter(object_pk=str(device.pk))
    assert entry.actor == it
    assert entry.additional_data["for_user"] == director.pk
    assert entry.additional_data["by_user"] == it.pk
    assert device.key not in _trail_text()


def test_it_staff_do_not_manage_a_superusers_factors(staff, django_user_model):
    root = django_user_model.objects.create_superuser("root", password=PASSWORD, is_staff=True)
    response = _signed_in(staff(Role.IT_STAFF)).post(
        reverse("logins_second_factor"), {"login": root.username, "action": "authenticator"}
    )
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=root).exists()
    # A superuser manages them.
    other = django_user_model.objects.create_superuser("root2", password=PASSWORD)
    response = _signed_in(other).post(
        reverse("logins_second_factor"), {"login": root.username, "action": "authenticator"}
    )
    assert response.status_code == 200
    assert TOTPDevice.objects.filter(user=root).exists()


def test_only_it_staff_and_superusers_open_the_logins_page(staff):
    for role in Role:
        expected = 200 if role is Role.IT_STAFF else 404
        status = _signed_in(staff(role)).get(reverse("logins_second_factor")).status_code
        assert status == expected, role


# --- recovery codes: issued and revoked through the service, audited without the codes


def test_recovery_codes_are_shown_once_and_audited_without_the_codes(director):
    client = _signed_in(director)
    response = client.post(reverse("second_factor"), {"action": "codes"})
    assert response.status_code == 200
    codes = list(StaticToken.objects.filter(device__user=director).values_list("token", flat=True))
    assert len(codes) == authenticators.RECOVERY_CODE_COUNT
    page = response.content.decode()
    assert all(code in page for code in codes)
    assert not any(code in client.get(reverse("second_factor")).content.decode() for code in codes)

    [entry] = _factor_entries(StaticDevice)
    assert entry.actor == director
    assert entry.additional_data["for_user"] == entry.additional_data["by_user"] == director.pk
    assert entry.changes_dict == {"recovery codes": ["0", "10"]}
    trail = _trail_text()
    assert not any(code in trail for code in codes)


def test_new_codes_replace_the_old_ones(director):
    old = authenticators.recovery_codes_issue(user=director, by=director)
    new = authenticators.recovery_codes_issue(user=director, by=director)
    held = set(StaticToken.objects.filter(device__user=director).values_list("token", flat=True))
    assert held == set(new) and not held & set(old)
    assert StaticDevice.objects.filter(user=director).count() == 1


def test_it_staff_revoke_a_colleagues_codes_and_the_trail_says_who_for_whom(director, staff):
    it = staff(Role.IT_STAFF)
    codes = authenticators.recovery_codes_issue(user=director, by=director)
    response = _signed_in(it).post(
        reverse("logins_second_factor"), {"login": director.username, "action": "revoke"}
    )
    assert response.status_code == 302
    assert not StaticToken.objects.filter(device__user=director).exists()
    revoked = _factor_entries(StaticDevice).get(actor=it)
    assert revoked.additional_data["for_user"] == director.pk
    assert revoked.changes_dict == {"recovery codes": ["10", "0"]}
    trail = _trail_text()
    assert not any(code in trail for code in codes)


def test_roles_without_a_second_factor_get_no_codes(desk):
    response = _signed_in(desk).post(reverse("second_factor"), {"action": "codes"})
    assert response.status_code == 400
    assert not StaticDevice.objects.exists()


# --- signing in with a recovery code


def test_a_recovery_code_signs_in_once_and_not_twice(unverified_client, director):
    TOTPDevice.objects.create(user=director, name="lost phone", confirmed=True)
    code = authenticators.recovery_codes_issue(user=director, by=director)[0]
    # Typed as printed on paper, in capitals, with a dash: the same code.
    typed = f"{code[:4].upper()}-{code[4:].upper()}"
    assert _staff_login(unverified_client, director, typed).status_code == 302
    assert _verified(unverified_client)
    assert authenticators.recovery_codes_left(director) == authenticators.RECOVERY_CODE_COUNT - 1

    again = StaffClient()
    refused = _staff_login(again, director, code)
    assert refused.status_code == 200
    assert not _verified(again)


def test_a_revoked_code_does_not_sign_in(unverified_client, director, staff):
    code = authenticators.recovery_codes_issue(user=director, by=director)[0]
    authenticators.recovery_codes_revoke(user=director, by=staff(Role.IT_STAFF))
    assert _staff_login(unverified_client, director, code).status_code == 200
    assert not _verified(unverified_client)


def test_a_wrong_recovery_code_counts_against_the_codes_not_the_authenticator(
    unverified_client, director
):
    phone = TOTPDevice.objects.create(user=director, name="phone", confirmed=True)
    authenticators.recovery_codes_issue(user=director, by=director)
    assert _staff_login(unverified_client, director, "aaaabbbb").status_code == 200
    phone.refresh_from_db()
    assert phone.throttling_failure_count == 0
    assert StaticDevice.objects.get(user=director).throttling_failure_count == 1


# --- the admin shows no secret, and offers no QR page that fails


def _root(django_user_model):
    return django_user_model.objects.create_superuser("root", password=PASSWORD)


def test_the_admin_shows_no_authenticators_secret(django_user_model, director):
    device = authenticators.authenticator_enroll(user=director)
    client = _signed_in(_root(django_user_model))
    change = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert change.status_code == 200
    page = change.content.decode()
    assert device.key not in page
    assert reverse("admin:otp_totp_totpdevice_config", kwargs={"pk": device.pk}) not in page
    listing = client.get(reverse("admin:otp_totp_totpdevice_changelist")).content.decode()
    assert "qrcode" not in listing.lower()
    # Not offered: the QR and setup pages are the not-found page, never a 503.
    for name in ("admin:otp_totp_totpdevice_qrcode", "admin:otp_totp_totpdevice_config"):
        assert client.get(reverse(name, kwargs={"pk": device.pk})).status_code == 404


def test_the_admins_qr_page_draws_with_segno_when_secrets_are_shown(django_user_model, director):
    device = authenticators.authenticator_enroll(user=director)
    client = _signed_in(_root(django_user_model))
    with override_settings(OTP_ADMIN_HIDE_SENSITIVE_DATA=False):
        response = client.get(reverse("admin:otp_totp_totpdevice_qrcode", kwargs={"pk": device.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content


def test_recovery_codes_have_no_admin(django_user_model):
    client = _signed_in(_root(django_user_model))
    page = client.get(reverse("admin:index")).content.decode()
    assert "otp_static" not in page


def test_the_logins_page_lists_staff_logins_with_their_factors(director, staff, alice):
    authenticators.authenticator_enroll(user=director)
    authenticators.recovery_codes_issue(user=director, by=director)
    page = _signed_in(staff(Role.IT_STAFF)).get(reverse("logins_second_factor")).content.decode()
    assert "<td>director</td><td>enrolled</td><td>10</td>" in page
    assert f"<td>{alice.user.username}</td>" not in page  # a patron's login is not staff
