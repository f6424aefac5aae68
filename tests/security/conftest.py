"""The shared world of the security tests, built once per test module (tests/security/world.py)."""

from collections.abc import Iterator

import pytest
from django.test import Client

from tests.conftest import page_text
from tests.security.world import KINDS, World, isolated, shared_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    with shared_world(django_db_blocker, tmp_path_factory.mktemp("media")) as built:
        yield built


@pytest.fixture(scope="module")
def not_found_page(world, django_db_blocker) -> dict[str, str]:
    """The page each kind gets for an address that does not exist."""
    pages = {}
    with django_db_blocker.unblock(), isolated():
        for kind in KINDS:
            response = world.client(kind).get("/no-such-address/")
            assert response.status_code == 404
            pages[kind] = page_text(response)
    return pages


def outcome(response) -> str:
    """Return a response as a code of the authorization matrix."""
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith("/staff/admin/login/"):
            return "in"
        if location.startswith("/portal/login/"):
            return "pin"
        return "302"
    return str(response.status_code)


def send(client: Client, method: str, url: str, data: dict | None = None):
    """Send one request and roll back whatever it wrote; return it and its page if a 404."""
    with isolated():
        response = client.get(url, data) if method == "GET" else client.post(url, data or {})
        if response.streaming:
            # Read to the end: the test client then closes it without closing the connection.
            response.streamed = b"".join(response.streaming_content)
    return response, page_text(response) if response.status_code == 404 else ""
