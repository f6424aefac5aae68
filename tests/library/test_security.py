"""Hardening: throttled logins, second factor, security headers, no patron data in logs."""

import io
import logging

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.test import override_settings
from django.urls import path, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from config import urls as project_urls
from library.declarations import serves_patron_data
from library.roles import Role
from tests.conftest import page_text
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _portal_login(client, card, password, address="10.0.0.1"):
    return client.post(
        reverse("portal:login"), {"username": card, "password": password}, REMOTE_ADDR=address
    )


def test_five_wrong_passwords_lock_that_card_from_that_address(client, alice):
    for _ in range(5):
        _portal_login(client, alice.card_number, "wrong-password-x")
    locked = _portal_login(client, alice.card_number, PASSWORD)
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    other_address = _portal_login(client, alice.card_number, PASSWORD, address="10.0.0.2")
    assert other_address.status_code == 302


def test_failures_by_card_number_lock_the_account_for_its_user_name(client, alice):
    for _ in range(5):
        _portal_login(client, alice.card_number, "wrong-password-x")
    locked = _portal_login(client, alice.user.username, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_by_user_name_lock_the_account_for_its_card_number(client, alice):
    for _ in range(5):
        _portal_login(client, alice.user.username, "wrong-password-x")
    locked = _portal_login(client, alice.card_number, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_at_the_staff_sign_in_count_for_the_portal_too(client, alice):
    for _ in range(5):
        client.post(
            reverse("admin:login"),
            {"username": alice.card_number, "password": "wrong-password-x"},
            REMOTE_ADDR="10.0.0.1",
        )
    assert _portal_login(client, alice.user.username, PASSWORD).status_code == 429


def test_a_sign_in_by_card_number_clears_the_accounts_failures(client, alice):
    for _ in range(4):
        _portal_login(client, alice.card_number, "wrong-password-x")
    assert _portal_login(client, alice.card_number, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _portal_login(client, alice.card_number, "wrong-password-x")
    assert _portal_login(client, alice.card_number, PASSWORD).status_code == 302


def test_an_unknown_name_is_locked_out_with_the_same_page(client, alice):
    for name in (alice.card_number, "21000000000000"):
        for _ in range(5):
            _portal_login(client, name, "wrong-password-x")
    known = _portal_login(client, alice.card_number, PASSWORD)
    unknown = _portal_login(client, "21000000000000", PASSWORD)
    assert known.status_code == unknown.status_code == 429
    assert page_text(known) == page_text(unknown)


def test_a_failed_sign_in_costs_the_same_queries_whether_the_account_exists(client, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for name in (alice.card_number, alice.user.username, "21000000000000", "nobody"):
        with CaptureQueriesContext(connection) as queries:
            _portal_login(client, name, "wrong-password-x", address=f"10.0.1.{len(counts)}")
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts


def test_throttling_records_hold_no_card_number(client, alice):
    _portal_login(client, alice.card_number, "wrong-password-x")
    attempt = AccessAttempt.objects.get()
    stored = " ".join(str(value) for value in attempt.__dict__.values())
    assert attempt.username.startswith("h:") and alice.card_number not in stored


def _code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _staff_login(client, user, code=""):
    return client.post(
        reverse("admin:login"), {"username": user.username, "password": PASSWORD, "otp_token": code}
    )


def test_the_director_needs_an_authenticator_code_to_sign_in(unverified_client, director):
    device = TOTPDevice.objects.create(user=director, name="phone", confirmed=True)
    without = _staff_login(unverified_client, director)
    assert "authenticator code" in without.content.decode()
    assert unverified_client.get(reverse("staff_home")).status_code == 302
    with_code = _staff_login(unverified_client, director, _code(device))
    assert with_code.status_code == 302
    assert unverified_client.get(reverse("staff_home")).status_code == 200


@pytest.mark.parametrize(
    "role", [Role.DIRECTOR, Role.PERSON_IN_CHARGE, Role.SECURITY_GUARD, Role.IT_STAFF, Role.AUDITOR]
)
def test_sensitive_roles_without_a_second_factor_reach_neither_staff_pages_nor_admin(
    unverified_client, staff, role
):
    unverified_client.force_login(staff(role))
    assert unverified_client.get(reverse("staff_home")).status_code == 302
    assert unverified_client.get(reverse("admin:index")).status_code == 302


def test_circulation_staff_sign_in_with_a_password(unverified_client, desk):
    assert _staff_login(unverified_client, desk).status_code == 302
    assert unverified_client.get(reverse("staff_home")).status_code == 200


def test_staff_sessions_end_after_idle_time_and_with_the_browser(client, desk, settings):
    client.force_login(desk)
    assert client.get(reverse("staff_home")).status_code == 200
    assert client.session.get_expire_at_browser_close()
    session = client.session
    session["staff_last_active_at"] -= settings.STAFF_SESSION_IDLE_SECONDS + 1
    session.save()
    assert client.get(reverse("staff_home")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_staff_session_in_use_stays_open(client, desk, settings):
    client.force_login(desk)
    client.get(reverse("staff_home"))
    session = client.session
    session["staff_last_active_at"] -= settings.STAFF_SESSION_IDLE_SECONDS - 60
    session.save()
    assert client.get(reverse("staff_home")).status_code == 200


def test_security_headers_on_every_page(client):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_staff_cannot_grant_themselves_object_permissions_in_the_admin(client, director):
    registered = {model._meta.label for model in admin.site._registry}
    assert not {label for label in registered if "ObjectPermission" in label}
    assert not any(label.startswith("guardian.") for label in registered)
    client.force_login(director)
    assert client.get("/staff/admin/patrons/patronuserobjectpermission/").status_code == 404


@serves_patron_data
def failing_view(request):
    patron = PatronFactory(card_number="21009988776655", last_name="Quartermain")
    raise ValueError(f"could not file {patron.card_number} for {patron.last_name}")


urlpatterns = [path("boom/", failing_view), *project_urls.urlpatterns]


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_errors_with_patron_data_in_play_leave_it_out_of_logs_and_error_pages(client):
    handler = next(
        h
        for h in logging.getLogger("django.request").handlers
        if isinstance(h, logging.StreamHandler)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    client.raise_request_exception = False
    try:
        response = client.get("/boom/")
    finally:
        handler.setStream(previous)
    output = buffer.getvalue()
    assert response.status_code == 500
    assert "failing_view" in output and "ValueError" in output
    for secret in ("21009988776655", "Quartermain"):
        assert secret not in output and secret not in response.content.decode()


def test_enrolling_replaces_the_old_authenticator_and_prints_a_setup_link(director):
    from io import StringIO

    from django.core.management import call_command

    TOTPDevice.objects.create(user=director, name="old phone", confirmed=True)
    out = StringIO()
    call_command("staff_totp_enroll", director.username, stdout=out)
    assert "otpauth://totp/" in out.getvalue()
    assert list(TOTPDevice.objects.filter(user=director).values_list("name", flat=True)) == [
        "authenticator"
    ]


def test_enrolling_an_unknown_user_fails_with_one_line(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No active staff user"):
        call_command("staff_totp_enroll", "nobody")


def test_demo_codes_print_only_for_demo_authenticators(director):
    from django.core.management import CommandError, call_command

    from demo.authenticators import demo_authenticators_seed

    demo_authenticators_seed([director])
    out = io.StringIO()
    call_command("demo_otp", director.username, stdout=out)
    assert out.getvalue().strip().isdigit()
    TOTPDevice.objects.filter(user=director).update(name="phone")
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("demo_otp", director.username)
