"""Error pages and logs carry no patron data: 400, 403, CSRF failure, 404 and 500.

Each error is caused with a patron's card number, name or email in play (in
the request, in the view's hands, in the exception), and both the page sent
back and everything the application logged are searched for them.
"""

import io
import logging
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings

from circulation import selectors
from library.roles import Role
from tests.conftest import StaffClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything the project's log handlers write during the test, as formatted for production."""
    buffer = io.StringIO()
    handlers = {
        handler
        for name in ("", "django.request", "django.security.csrf", "axes")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler)
    }
    assert handlers, "the project's LOGGING configures a stream handler"
    previous = {handler: handler.setStream(buffer) for handler in handlers}
    yield buffer
    for handler, stream in previous.items():
        handler.setStream(stream)


def secrets_of(patron) -> list[str]:  # type: ignore[no-untyped-def]
    return [patron.card_number, patron.first_name, patron.last_name, patron.email]


def assert_nothing_of(patron, *texts: str) -> None:  # type: ignore[no-untyped-def]
    for text in texts:
        for secret in secrets_of(patron):
            assert secret not in text


@override_settings(DEBUG=False)
def test_a_500_in_a_page_that_read_a_patron_shows_and_logs_nothing_of_them(
    alice, desk, monkeypatch, log_output
):
    def broken_summary(*, patron, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError(f"summary failed for {patron.card_number} {patron.full_name}")

    monkeypatch.setattr(selectors, "desk_summary", broken_summary)
    client = StaffClient(raise_request_exception=False)
    client.force_login(desk)
    # The lookup answers with a redirect to the summary, which fails.
    response = client.post(
        "/staff/circulation/desk/", {"card_number": alice.card_number}, follow=True
    )
    assert response.status_code == 500
    output = log_output.getvalue()
    assert "Internal Server Error: /staff/circulation/desk/" in output
    assert "ValueError (message withheld" in output
    assert_nothing_of(alice, response.content.decode(), output)


@override_settings(DEBUG=False)
def test_a_404_never_echoes_what_was_asked_for(alice, desk, log_output):
    client = StaffClient()
    client.force_login(desk)
    for url in (
        f"/staff/circulation/desk/patrons/{alice.pk}00/",
        f"/no-such-page/{alice.card_number}/?name={alice.last_name}&email={alice.email}",
        f"/staff/admin/patrons/patron/{alice.card_number}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert_nothing_of(alice, response.content.decode())
    assert_nothing_of(alice, log_output.getvalue())


@override_settings(DEBUG=False)
def test_a_csrf_failure_shows_and_logs_nothing_of_the_posted_card(alice, desk, log_output):
    client = StaffClient(enforce_csrf_checks=True)
    client.force_login(desk)
    response = client.post("/staff/circulation/desk/", {"card_number": alice.card_number})
    assert response.status_code == 403
    output = log_output.getvalue()
    assert "Forbidden (CSRF" in output
    assert_nothing_of(alice, response.content.decode(), output)


@override_settings(DEBUG=False)
def test_a_refusal_from_the_admin_shows_nothing_of_a_patron(alice, staff, log_output):
    client = StaffClient()
    client.force_login(staff(Role.REFERENCE))
    response = client.get(f"/staff/admin/circulation/fine/?q={alice.card_number}")
    # No permission for a screen answers as absence does (issue 14, case 14).
    assert response.status_code == 404
    assert_nothing_of(alice, response.content.decode(), log_output.getvalue())


@override_settings(DEBUG=False, DATA_UPLOAD_MAX_NUMBER_FIELDS=10)
def test_a_400_for_a_suspicious_request_shows_and_logs_nothing_of_it(alice, desk, log_output):
    client = StaffClient(raise_request_exception=False)
    client.force_login(desk)
    data = {"card_number": alice.card_number, **{f"f{n}": alice.last_name for n in range(20)}}
    response = client.post("/staff/circulation/desk/", data)
    assert response.status_code == 400
    assert_nothing_of(alice, response.content.decode(), log_output.getvalue())


@override_settings(DEBUG=False)
def test_failed_sign_ins_log_no_card_number(alice, log_output):
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(6):
        client.post("/portal/login/", {"username": alice.card_number, "password": "wrong-one-x"})
    locked = client.post(
        "/portal/login/", {"username": alice.card_number, "password": "correct-horse-battery"}
    )
    assert locked.status_code == 429
    output = log_output.getvalue()
    assert "AXES" in output
    assert_nothing_of(alice, locked.content.decode(), output)
