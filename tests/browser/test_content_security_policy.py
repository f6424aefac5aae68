"""Chromium enforces the Content Security Policy and reports nothing it had to block.

The main pages and the admin's busiest screens are opened as the people who
use them; every console message about the policy, and every violation event,
fails the test. tests/security/test_content_security_policy.py scans every
page's HTML; this shows the browser agrees, scripts and styles included.
"""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from library.roles import Role
from library.security import needs_second_factor
from tests.factories import (
    FineFactory,
    IncidentFactory,
    LoanFactory,
    RecordingFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's init scripts run outside the page's policy, so this listener
# records violations however the page is built.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


@pytest.fixture
def watched(page, settings, tmp_path):
    """The page, with every policy complaint collected in a list."""
    settings.MEDIA_ROOT = tmp_path / "media"
    complaints: list[str] = []
    page.on(
        "console",
        lambda message: (
            complaints.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(LISTEN)

    def check(url: str) -> None:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert "default-src 'self'" in response.headers["content-security-policy"]
        complaints.extend(page.evaluate("window.__violations"))

    check.complaints = complaints  # type: ignore[attr-defined]
    return check


def _code(user):  # type: ignore[no-untyped-def]
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="phone", confirmed=True)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _staff_sign_in(page, live_server, user):  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/staff/admin/login/?next=/staff/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    if needs_second_factor(user):
        page.get_by_label("Authenticator code").fill(_code(user))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/staff/")


def test_no_page_trips_the_policy(watched, page, live_server, sign_in, staff, alice):
    LoanFactory(patron=alice)
    FineFactory(patron=alice)
    recording = RecordingFactory()
    IncidentFactory()
    base = live_server.url

    watched(f"{base}/")
    watched(f"{base}/staff/admin/login/")
    watched(f"{base}/portal/login/")

    sign_in(alice.card_number)
    for path in ("/portal/", "/portal/consents/", "/portal/who-has-seen-my-record/"):
        watched(base + path)

    _staff_sign_in(page, live_server, staff(Role.CIRCULATION))
    for path in (
        "/staff/",
        "/staff/admin/",
        "/staff/admin/patrons/patron/",
        f"/staff/admin/patrons/patron/{alice.pk}/change/",
        "/staff/admin/patrons/patron/add/",
        f"/staff/admin/patrons/patron/{alice.pk}/history/",
        "/staff/circulation/desk/",
        f"/staff/circulation/desk/patrons/{alice.pk}/",
        "/staff/circulation/found/",
        "/staff/activity/events/",
    ):
        watched(base + path)

    _staff_sign_in(page, live_server, staff(Role.SECURITY_GUARD))
    for path in (
        "/staff/facilities/",
        "/staff/facilities/incidents/",
        f"/staff/facilities/recordings/{recording.pk}/",
        "/staff/admin/facilities/camera/",
    ):
        watched(base + path)

    _staff_sign_in(page, live_server, staff(Role.DIRECTOR))
    for path in ("/staff/privacy/orders/new/", "/staff/facilities/releases/new/"):
        watched(base + path)

    _staff_sign_in(page, live_server, staff(Role.AUDITOR))
    for path in ("/audit/", "/audit/entries/", "/audit/chart/"):
        watched(base + path)

    assert watched.complaints == []
