"""Cookies and transport in production mode: secure, HTTP-only, same-site, HTTPS only.

The settings are read from a real start-up with PRODUCTION=true (a child
process, as tests/library/test_settings.py does), then the cookies this site
sets are checked under exactly those values: the session, the CSRF token and
the messages cookie.
"""

import json
import subprocess
import sys

import pytest
from django.test import Client, override_settings

from tests.config.test_settings import PRODUCTION_ENV, ROOT

pytestmark = pytest.mark.django_db

COOKIE_SETTINGS = [
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "DEBUG",
]
READ = (
    "import json, django; django.setup(); from django.conf import settings; "
    f"print(json.dumps({{name: getattr(settings, name) for name in {COOKIE_SETTINGS!r}}}))"
)


@pytest.fixture(scope="module")
def production() -> dict[str, object]:
    """The cookie and transport settings as a production start-up computes them."""
    import os

    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "PRODUCTION"}}
    environment.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", READ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_mode_turns_on_every_cookie_and_transport_flag(production):
    assert production["DEBUG"] is False
    for flag in (
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_EXPIRE_AT_BROWSER_CLOSE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
    ):
        assert production[flag] is True, flag
    assert production["SESSION_COOKIE_SAMESITE"] in {"Lax", "Strict"}
    assert production["CSRF_COOKIE_SAMESITE"] in {"Lax", "Strict"}
    assert production["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert production["X_FRAME_OPTIONS"] == "DENY"


def _flags(cookie) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "secure": bool(cookie["secure"]),
        "httponly": bool(cookie["httponly"]),
        "samesite": cookie["samesite"],
    }


def test_every_cookie_the_site_sets_is_secure_http_only_and_same_site(production, alice):
    with override_settings(**{k: v for k, v in production.items() if k != "DEBUG"}):
        client = Client(HTTP_HOST="testserver")
        page = client.get("/portal/login/", secure=True)
        signed_in = client.post(
            "/portal/login/",
            {"username": alice.card_number, "password": "correct-horse-battery"},
            secure=True,
        )
        from tests.factories import ConsentFactory

        consent = ConsentFactory(patron=alice)
        withdrawn = client.post(f"/portal/consents/{consent.pk}/withdraw/", secure=True)
    set_cookies = {
        "csrftoken": page.cookies["csrftoken"],
        "sessionid": signed_in.cookies["sessionid"],
        "messages": withdrawn.cookies["messages"],
    }
    for name, cookie in set_cookies.items():
        assert _flags(cookie) == {"secure": True, "httponly": True, "samesite": "Lax"}, name
    assert not signed_in.cookies["sessionid"]["max-age"]  # ends with the browser


def test_production_mode_sends_hsts_and_redirects_plain_http(production):
    with override_settings(**{k: v for k, v in production.items() if k != "DEBUG"}):
        client = Client()
        plain = client.get("/")
        secure = client.get("/", secure=True)
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    hsts = secure["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
