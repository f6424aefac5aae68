"""Signing in: the second factor through the page itself, superusers included; passwords.

tests/library/test_security.py posts the sign-in form directly; these submit
the fields the page actually renders, so a template that drops the code field
(as Django's own admin login template does) fails here.
"""

import re

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from library.roles import Role
from library.security import NEEDS_CODE

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _fields(html: str) -> set[str]:
    form = re.search(r'<form[^>]*id="login-form".*?</form>', html, re.S)
    assert form is not None
    return set(re.findall(r'name="([^"]+)"', form[0]))


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _sign_in_through_the_page(client: Client, username: str, code: str):  # type: ignore[no-untyped-def]
    page = client.get("/staff/admin/login/?next=/staff/")
    fields = _fields(page.content.decode())
    values = {"username": username, "password": PASSWORD, "otp_token": code, "next": "/staff/"}
    return client.post("/staff/admin/login/", {name: values.get(name, "") for name in fields})


def test_the_staff_sign_in_page_asks_for_the_authenticator_code(client):
    html = client.get("/staff/admin/login/").content.decode()
    assert {"username", "password", "otp_token"} <= _fields(html)
    assert re.search(r'<label for="id_otp_token"[^>]*>Authenticator code', html)


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.AUDITOR, None])
def test_sensitive_staff_and_superusers_sign_in_through_the_page_with_their_code(
    unverified_client, staff, role
):
    if role is None:
        user = User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    else:
        user = staff(role)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    refused = _sign_in_through_the_page(unverified_client, user.username, "")
    assert refused.status_code == 200 and NEEDS_CODE in refused.content.decode()
    assert unverified_client.get("/staff/admin/").status_code == 302
    signed_in = _sign_in_through_the_page(unverified_client, user.username, _code(device))
    assert signed_in.status_code == 302
    assert unverified_client.get("/staff/admin/").status_code == 200


def test_a_wrong_code_signs_no_one_in(unverified_client, director):
    TOTPDevice.objects.create(user=director, name="phone", confirmed=True)
    wrong = _sign_in_through_the_page(unverified_client, director.username, "000000")
    assert wrong.status_code == 200 and "id_otp_token" in wrong.content.decode()
    assert unverified_client.get("/staff/admin/").status_code == 302


def test_wrong_codes_with_the_right_password_lock_the_account_out(
    unverified_client, director, settings
):
    device = TOTPDevice.objects.create(user=director, name="phone", confirmed=True)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in_through_the_page(unverified_client, director.username, wrong)
    right = _sign_in_through_the_page(unverified_client, director.username, _code(device))
    assert right.status_code == 429
    assert "Too many sign-in attempts" in right.content.decode()
    assert unverified_client.get("/staff/admin/").status_code == 302


def test_a_superuser_without_the_code_reaches_no_admin_screen(unverified_client):
    user = User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    unverified_client.force_login(user)
    for url in ("/staff/admin/", "/staff/admin/auth/user/", "/staff/admin/otp_totp/totpdevice/"):
        response = unverified_client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            "/staff/admin/login/"
        )


@pytest.mark.parametrize(
    "password",
    ["short1!", "password123", "12345678901234", "qwertyuiop", "circulation"],
)
def test_weak_passwords_are_refused(staff, password):
    user = staff(Role.CIRCULATION)
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_strong_password_passes_the_validators(staff):
    validate_password("Prairie-lantern-2031", staff(Role.CIRCULATION))


def test_the_admin_password_change_refuses_a_weak_password_and_keeps_the_old(client, desk):
    client.force_login(desk)
    response = client.post(
        "/staff/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": "short1", "new_password2": "short1"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    desk.refresh_from_db()
    assert desk.check_password(PASSWORD)
