"""The registration pages as staff use them: who opens them, and what they show and write."""

import html
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from audit.models import AuditEntry
from library.roles import Role
from patrons import selectors, services
from patrons.models import Patron, PatronBlock, ResponsibleAdult
from privacy.gate import NOT_FOUND_MESSAGE
from privacy.models import IdentityCheck
from tests.conftest import page_text
from tests.factories import BranchFactory, MinorFactory, PatronFactory, years_ago

pytestmark = pytest.mark.django_db
FIND = "/staff/patrons/"
REGISTER = "/staff/patrons/register/"


def patron_url(patron, rest=""):
    return f"{FIND}{patron.pk}/{rest}"


@pytest.fixture
def branch():
    return BranchFactory(code="CEN", name="Central Library")


@pytest.fixture
def clerk(client, desk):
    client.force_login(desk)
    return client


def new_person(branch, **fields):
    form = {
        "first_name": "Nora",
        "last_name": "Newcomb",
        "date_of_birth": years_ago(30).isoformat(),
        "home_branch": branch.pk,
        "card_number": "",
        "email": "nora.newcomb@example.org",
        "phone": "785-555-0199",
        "address_line": "9 Elm Street",
        "city": "Lawrence",
        "postal_code": "66044",
        "responsible_adult_card": "",
        "relationship": ResponsibleAdult.Relationship.PARENT,
    }
    return {**form, **fields}


# Who opens the pages (CONF-3)


@pytest.mark.parametrize("role", [Role.SECURITY_GUARD, Role.REFERENCE, Role.IT_STAFF, Role.AUDITOR])
def test_roles_without_registration_get_the_page_of_a_missing_address(client, staff, alice, role):
    client.force_login(staff(role))
    missing = page_text(client.get("/staff/no-such-page/"))
    for url in (FIND, REGISTER, patron_url(alice), patron_url(alice, "contact/")):
        response = client.get(url)
        assert response.status_code == 404, url
        assert page_text(response) == missing, url
    assert client.post(FIND, {"card_number": alice.card_number}).status_code == 404
    assert client.post(patron_url(alice, "block/"), {"reason": "x"}).status_code == 404
    assert not PatronBlock.objects.exists()


def test_the_staff_menu_offers_patrons_to_the_desk(clerk):
    assert f'href="{FIND}"' in clerk.get("/staff/").content.decode()


# Find a patron: the card number is posted, never put in an address


def test_finding_by_card_opens_the_record_by_id_and_logs_a_registration_read(clerk, alice, desk):
    response = clerk.post(FIND, {"card_number": alice.card_number})
    assert response.status_code == 302
    assert response["Location"] == patron_url(alice)
    assert alice.card_number not in response["Location"]
    page = clerk.get(response["Location"])
    page_html = page.content.decode()
    assert "Alice Archer" in page_html and alice.card_number in page_html
    assert "no-store" in page["Cache-Control"]
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).latest()
    assert (entry.actor_id, entry.object_id, entry.category, entry.purpose, entry.decision) == (
        desk.pk,
        alice.pk,
        "identity",
        "registration",
        "allowed",
    )


def test_an_unknown_card_says_only_not_found(clerk):
    response = clerk.post(FIND, {"card_number": "99999999999999"})
    assert response.status_code == 200
    assert NOT_FOUND_MESSAGE in response.content.decode()


def test_the_find_form_posts(clerk):
    page_html = clerk.get(FIND).content.decode()
    assert re.search(r'<form method="post" action="/staff/patrons/"', page_html)


# Registering


def test_the_desk_registers_a_patron_with_a_generated_card(clerk, branch):
    response = clerk.post(REGISTER, new_person(branch))
    patron = Patron.objects.get(last_name="Newcomb")
    assert response.status_code == 302 and response["Location"] == patron_url(patron)
    assert patron.card_number not in response["Location"]
    assert (patron.email, patron.home_branch) == ("nora.newcomb@example.org", branch)
    assert patron.card_number in clerk.get(response["Location"]).content.decode()


def test_a_scanned_card_with_a_wrong_check_digit_is_refused(clerk, branch, settings):
    settings.PATRON_CARD_LENGTH = 11
    response = clerk.post(REGISTER, new_person(branch, card_number="79927398714"))
    assert response.status_code == 200
    assert services.CARD_NUMBER_INVALID in response.content.decode()
    assert not Patron.objects.filter(last_name="Newcomb").exists()


def test_a_likely_duplicate_is_named_by_kind_only_and_nothing_is_saved(clerk, branch, alice):
    same = new_person(
        branch,
        first_name="Alice",
        last_name="Archer",
        date_of_birth=alice.date_of_birth.isoformat(),
    )
    response = clerk.post(REGISTER, same)
    page_html = response.content.decode()
    assert response.status_code == 200
    assert selectors.DUPLICATE_SAYS[selectors.SAME_NAME_AND_BIRTH] in page_html
    # Nothing of the other record: no card number, contact details or id.
    for secret in (alice.card_number, alice.email, alice.phone, alice.address_line):
        assert secret not in page_html
    assert patron_url(alice) not in page_html and f"patron/{alice.pk}/" not in page_html
    assert Patron.objects.filter(last_name="Archer").count() == 1
    assert 'name="duplicate_confirmed"' in page_html


def test_a_duplicate_by_email_does_not_show_whose_address_it_is(clerk, branch, alice):
    response = clerk.post(
        REGISTER, new_person(branch, first_name="Zed", last_name="Zulu", email=alice.email)
    )
    page_html = response.content.decode()
    assert selectors.DUPLICATE_SAYS[selectors.SAME_EMAIL] in page_html
    assert (
        "Alice" not in page_html
        and "Archer" not in page_html
        and alice.card_number not in page_html
    )
    assert not Patron.objects.filter(last_name="Zulu").exists()


def _warning_token(page_html):
    return re.search(r'name="duplicate_token" value="([^"]+)"', page_html).group(1)


def test_the_clerk_registers_anyway_once_they_confirm(clerk, branch, alice):
    form = new_person(branch, first_name="Zed", last_name="Zulu", email=alice.email)
    token = _warning_token(clerk.post(REGISTER, form).content.decode())
    response = clerk.post(REGISTER, {**form, "duplicate_confirmed": "on", "duplicate_token": token})
    assert response.status_code == 302
    assert Patron.objects.filter(last_name="Zulu").count() == 1


def test_a_confirmation_counts_only_after_the_warning_for_the_same_details(clerk, branch, alice):
    """Ticking the box in a crafted first post, or after changing the details, skips no check."""
    form = new_person(branch, first_name="Zed", last_name="Zulu", email=alice.email)
    crafted = clerk.post(REGISTER, {**form, "duplicate_confirmed": "on"})
    assert crafted.status_code == 200
    assert selectors.DUPLICATE_SAYS[selectors.SAME_EMAIL] in crafted.content.decode()
    token = _warning_token(crafted.content.decode())
    other = {**form, "first_name": "Zoe", "duplicate_confirmed": "on", "duplicate_token": token}
    assert clerk.post(REGISTER, other).status_code == 200
    forged = {**form, "duplicate_confirmed": "on", "duplicate_token": token[:-2] + "xx"}
    assert clerk.post(REGISTER, forged).status_code == 200
    assert not Patron.objects.filter(last_name="Zulu").exists()
    # The token carries no patron data in clear.
    assert alice.email not in token and "Zulu" not in token


def test_the_duplicate_check_is_logged_as_reads_for_registration(clerk, branch, alice):
    clerk.post(REGISTER, new_person(branch, email=alice.email))
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS, object_id=alice.pk).latest()
    assert (entry.category, entry.purpose) == ("identity", "registration")


def test_a_minor_without_a_responsible_adult_is_refused_and_nothing_is_saved(clerk, branch):
    response = clerk.post(REGISTER, new_person(branch, date_of_birth=years_ago(11).isoformat()))
    assert response.status_code == 200
    assert "responsible adult" in response.content.decode()
    assert not Patron.objects.filter(last_name="Newcomb").exists()
    assert not ResponsibleAdult.objects.exists()


def test_a_minor_is_registered_with_an_adult_found_by_card(clerk, branch, carol):
    form = new_person(
        branch,
        date_of_birth=years_ago(11).isoformat(),
        responsible_adult_card=carol.card_number,
        email="",
    )
    assert clerk.post(REGISTER, form).status_code == 302
    minor = Patron.objects.get(last_name="Newcomb")
    assert ResponsibleAdult.objects.get(minor=minor).adult == carol


def test_an_unknown_or_minor_adult_card_is_refused(clerk, branch):
    child = MinorFactory()
    for card in ("99999999999999", child.card_number):
        form = new_person(
            branch, date_of_birth=years_ago(11).isoformat(), responsible_adult_card=card
        )
        assert clerk.post(REGISTER, form).status_code == 200
    assert not Patron.objects.filter(last_name="Newcomb").exists()


# The patron's page and its actions


def test_contact_details_are_edited_on_their_page(clerk, alice, desk):
    response = clerk.post(
        patron_url(alice, "contact/"),
        {
            "email": "alice.new@example.org",
            "phone": "",
            "address_line": "",
            "city": "",
            "postal_code": "",
            "identity_document": "drivers_licence",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.email, alice.phone) == ("alice.new@example.org", "")
    check = IdentityCheck.objects.get(patron=alice)
    assert (check.document_kind, check.checked_by) == ("drivers_licence", desk)


def test_staff_change_an_email_address_only_with_the_patron_identified(clerk, alice):
    """The address receives the login's password links: a clerk alone cannot redirect them."""
    old = alice.email
    contact = {"email": "clerk@evil.example", "phone": alice.phone, "address_line": ""}
    response = clerk.post(patron_url(alice, "contact/"), {**contact, "city": "", "postal_code": ""})
    assert response.status_code == 200
    assert "record the identification" in page_text(response)
    alice.refresh_from_db()
    assert alice.email == old
    assert not IdentityCheck.objects.exists()
    # A phone number alone changes without it.
    response = clerk.post(
        patron_url(alice, "contact/"),
        {"email": old, "phone": "555-0100", "address_line": "", "city": "", "postal_code": ""},
    )
    assert response.status_code == 302


def test_the_service_refuses_a_staff_email_change_without_identification(alice, desk):
    fields = {"phone": "", "address_line": "", "city": "", "postal_code": ""}
    with pytest.raises(ValidationError):
        services.patron_contact_update(
            patron=alice, email="clerk@evil.example", changed_by=desk, **fields
        )
    alice.refresh_from_db()
    assert alice.email != "clerk@evil.example"


def test_renewing_the_card_posts(clerk, alice):
    assert clerk.get(patron_url(alice, "renew/")).status_code == 405
    Patron.objects.filter(pk=alice.pk).update(card_expires_on=years_ago(1))
    assert clerk.post(patron_url(alice, "renew/")).status_code == 302
    alice.refresh_from_db()
    assert alice.card_expires_on > years_ago(0)


def test_blocking_and_unblocking_with_a_reason(clerk, alice, desk):
    assert clerk.post(patron_url(alice, "block/"), {"reason": ""}).status_code == 200
    assert not PatronBlock.objects.exists()
    assert clerk.post(patron_url(alice, "block/"), {"reason": "Card stolen"}).status_code == 302
    block = PatronBlock.objects.get()
    assert (block.patron, block.blocked_by, block.reason) == (alice, desk, "Card stolen")
    assert "Card stolen" in clerk.get(patron_url(alice)).content.decode()
    assert clerk.post(patron_url(alice, "unblock/"), {"reason": "Found"}).status_code == 302
    block.refresh_from_db()
    assert block.ended_at and block.ended_by == desk


def test_a_blocked_card_cannot_check_out_at_the_desk(clerk, alice, branch):
    from tests.factories import ItemFactory, LoanRuleFactory

    LoanRuleFactory()
    item = ItemFactory(branch=branch)
    clerk.post(patron_url(alice, "block/"), {"reason": "Card stolen"})
    response = clerk.post(
        f"/staff/circulation/desk/patrons/{alice.pk}/checkout/",
        {"checkout-barcode": item.barcode},
        follow=True,
    )
    assert "Card blocked" in page_text(response)
    assert not alice.loans.exists()


def test_issuing_a_login_mails_the_patron_and_the_page_never_shows_the_link(
    clerk, django_capture_on_commit_callbacks
):
    patron = PatronFactory(email="reader@example.org", user=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk.post(patron_url(patron, "login/"), follow=True)
    page_html = response.content.decode()
    [message] = mail.outbox
    assert message.to == ["reader@example.org"]
    link = re.search(r"https?://\S+/portal/password-reset/\S+", message.body)
    assert link is not None
    path = link.group(0).split("/portal/", 1)[1]
    assert "/portal/password-reset/" not in page_html and path not in page_html
    patron.refresh_from_db()
    assert patron.user is not None and not patron.user.has_usable_password()


def test_no_registration_page_takes_or_shows_a_password(clerk, alice, branch):
    for url in (FIND, REGISTER, patron_url(alice), patron_url(alice, "contact/")):
        page_html = clerk.get(url).content.decode()
        assert 'type="password"' not in page_html and "password1" not in page_html, url


def test_a_patron_without_an_address_gets_no_login(clerk, django_capture_on_commit_callbacks):
    patron = PatronFactory(email="", user=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk.post(patron_url(patron, "login/"), follow=True)
    assert services.NO_ADDRESS in html.unescape(response.content.decode())
    assert mail.outbox == []
    patron.refresh_from_db()
    assert patron.user is None


def test_the_desk_note_is_written_on_the_patron_record_and_shown_at_the_desk(clerk, alice, desk):
    note = "Card reported lost on the 14 bus; ask for photo ID."
    assert clerk.post(patron_url(alice, "note/"), {"desk_note": note}).status_code == 302
    alice.refresh_from_db()
    assert alice.desk_note == note
    assert note in page_text(clerk.get(f"/staff/circulation/desk/patrons/{alice.pk}/"))
    # Free text about a patron: masked in the append-only trail (privacy.inventory).
    change = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, object_pk=str(alice.pk))
    assert change.exists() and all("lost on the 14 bus" not in str(e.changes) for e in change)
    assert clerk.post(patron_url(alice, "note/"), {"desk_note": "x" * 501}).status_code == 200
    alice.refresh_from_db()
    assert alice.desk_note == note


def test_roles_without_registration_cannot_write_the_desk_note(client, staff, alice):
    client.force_login(staff(Role.SECURITY_GUARD))
    guard = client
    missing = guard.get("/staff/patrons/999999/note/")
    response = guard.post(patron_url(alice, "note/"), {"desk_note": "Banned"})
    assert (response.status_code, page_text(response)) == (404, page_text(missing))
    alice.refresh_from_db()
    assert alice.desk_note == ""
