"""The patron turns the naming of items in notices on and off in the portal (CONF-9)."""

import pytest
from django.urls import reverse

from tests.conftest import page_text

pytestmark = pytest.mark.django_db


def test_it_is_off_until_the_patron_turns_it_on(client, alice):
    assert alice.notices_name_items is False
    client.force_login(alice.user)
    text = page_text(client.get(reverse("portal:account")))
    assert "Name the items (titles) in the notices you get by email" in text


def test_the_patron_turns_it_on_and_off(client, alice):
    client.force_login(alice.user)
    response = client.post(reverse("portal:notice_items"), {"name_items": "on"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.notices_name_items is True
    client.post(reverse("portal:notice_items"), {})
    alice.refresh_from_db()
    assert alice.notices_name_items is False


def test_the_choice_is_posted_never_fetched(client, alice):
    client.force_login(alice.user)
    assert client.get(reverse("portal:notice_items")).status_code == 405


def test_staff_get_not_found(client, desk):
    client.force_login(desk)
    assert client.post(reverse("portal:notice_items"), {"name_items": "on"}).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.post(reverse("portal:notice_items"), {"name_items": "on"})
    assert response.status_code == 302
    assert reverse("portal:login") in response["Location"]
