"""The patron changes their own password and contact details, and confirms deleting history."""

import re

import pytest
from django.urls import reverse

from circulation.models import ReadingHistoryEntry
from patrons.forms import CONTACT_NEEDED
from portal.forms import EMAIL_CHANGE_REFUSED
from tests.conftest import page_text
from tests.factories import ReadingHistoryEntryFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"  # the factories' password
PASSWORD_CHANGE = "/portal/password/"
CONTACT = "/portal/contact/"


def contact_form(patron, **fields):
    form = {name: getattr(patron, name) for name in ("email", "phone", "address_line", "city")}
    return {**form, "postal_code": patron.postal_code, **fields}


# Password


def test_the_password_changes_only_with_the_old_one(client, alice):
    client.force_login(alice.user)
    new = {"new_password1": "a-new-long-secret-7", "new_password2": "a-new-long-secret-7"}
    wrong = client.post(PASSWORD_CHANGE, {"old_password": "not-it", **new})
    assert wrong.status_code == 200
    alice.user.refresh_from_db()
    assert alice.user.check_password(PASSWORD)
    right = client.post(PASSWORD_CHANGE, {"old_password": PASSWORD, **new})
    assert right.status_code == 302 and right["Location"] == reverse("portal:password_change_done")
    alice.user.refresh_from_db()
    assert alice.user.check_password("a-new-long-secret-7")
    # Still signed in on this browser.
    assert client.get(reverse("portal:account")).status_code == 200


def test_staff_change_no_password_here(client, desk):
    client.force_login(desk)
    missing = page_text(client.get("/portal/no-such-page/"))
    response = client.get(PASSWORD_CHANGE)
    assert response.status_code == 404 and page_text(response) == missing
    client.post(
        PASSWORD_CHANGE,
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-secret-7",
            "new_password2": "a-new-long-secret-7",
        },
    )
    desk.refresh_from_db()
    assert desk.check_password(PASSWORD)


def test_signed_out_visitors_are_sent_to_the_portal_sign_in(client):
    for url in (PASSWORD_CHANGE, CONTACT):
        response = client.get(url)
        assert response.status_code == 302 and reverse("portal:login") in response["Location"]


# Contact details


def test_the_patron_changes_their_phone_and_address(client, alice):
    client.force_login(alice.user)
    form = contact_form(alice, phone="785-555-4321", address_line="2 Oak Lane")
    assert client.post(CONTACT, form).status_code == 302
    alice.refresh_from_db()
    assert (alice.phone, alice.address_line) == ("785-555-4321", "2 Oak Lane")


def test_a_new_email_address_takes_the_current_password(
    client, alice, mailoutbox, django_capture_on_commit_callbacks
):
    # Whoever holds the address can reset the password: an open session is not enough.
    client.force_login(alice.user)
    old = alice.email
    refused = client.post(CONTACT, contact_form(alice, email="taken.over@example.org"))
    assert refused.status_code == 200
    assert EMAIL_CHANGE_REFUSED in refused.content.decode()
    alice.refresh_from_db()
    assert alice.email == old
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            CONTACT, contact_form(alice, email="alice.moved@example.org", password=PASSWORD)
        )
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice.moved@example.org"
    [notice] = mailoutbox
    assert notice.to == [old]


def test_contact_details_cannot_all_be_emptied(client, alice):
    client.force_login(alice.user)
    response = client.post(CONTACT, {"password": PASSWORD})
    assert response.status_code == 200 and CONTACT_NEEDED in response.content.decode()
    alice.refresh_from_db()
    assert alice.email and alice.phone


def test_the_account_page_links_to_both(client, alice):
    client.force_login(alice.user)
    page = client.get(reverse("portal:account")).content.decode()
    assert f'href="{CONTACT}"' in page and f'href="{PASSWORD_CHANGE}"' in page


# Deleting a reading-history entry asks first (CONF-9)


def test_deleting_an_entry_asks_first_and_deletes_nothing_until_confirmed(client, alice):
    entry = ReadingHistoryEntryFactory(patron=alice, title="Harbor Lights")
    client.force_login(alice.user)
    url = reverse("portal:reading_history_entry_delete", args=[entry.pk])
    ask = client.get(url)
    html = ask.content.decode()
    assert ask.status_code == 200 and "Harbor Lights" in html
    assert re.search(rf'<form method="post" action="{url}"', html)
    assert ReadingHistoryEntry.objects.filter(pk=entry.pk).exists()
    assert client.post(url).status_code == 302
    assert not ReadingHistoryEntry.objects.filter(pk=entry.pk).exists()


def test_the_history_page_has_no_button_that_deletes_without_asking(client, alice):
    ReadingHistoryEntryFactory(patron=alice)
    client.force_login(alice.user)
    html = client.get(reverse("portal:reading_history")).content.decode()
    posts = re.findall(r'<form method="post" action="([^"]+)"', html)
    # Every delete on the page is a link to a page that asks; no form posts a delete.
    assert posts and not [action for action in posts if "delete" in action or "off" in action]
    assert "/reading-history/delete-all/" in html


def test_another_patron_cannot_see_the_question_about_an_entry(client, alice, bob):
    entry = ReadingHistoryEntryFactory(patron=alice, title="Harbor Lights")
    bob.keeps_reading_history = True
    bob.save()
    client.force_login(bob.user)
    url = reverse("portal:reading_history_entry_delete", args=[entry.pk])
    response = client.get(url)
    assert response.status_code == 404 and "Harbor Lights" not in response.content.decode()
