"""Found items (CONF-8): the library contacts the owner; the finder learns nothing."""

import pytest
from django.core import mail

from audit.models import AuditEntry
from circulation import services
from circulation.models import FoundItem, Loan
from library.roles import Role
from tests.factories import BranchFactory, FoundItemFactory, ItemFactory, LoanFactory, PatronFactory

pytestmark = pytest.mark.django_db
FOUND = "/staff/circulation/found/"


@pytest.fixture
def branch():
    return BranchFactory(code="CEN", name="Central Library")


@pytest.fixture
def owner(branch):
    return PatronFactory(
        first_name="Olive",
        last_name="Ownerby",
        email="olive@example.org",
        phone="785-555-0199",
        address_line="12 Elm St",
        home_branch=branch,
    )


@pytest.fixture
def at_desk(client, desk):
    client.force_login(desk)
    return client


def register(client, branch, **fields):
    data = {
        "kind": "belongings",
        "description": "Blue backpack by the atlases",
        "branch": branch.pk,
        "finder_name": "Fred Finder",
        "finder_contact": "fred@example.net",
        **fields,
    }
    return client.post(FOUND, data)


def test_registering_with_a_card_number_matches_the_owner_through_the_gate(
    at_desk, branch, owner, desk
):
    response = register(at_desk, branch, card_number=owner.card_number)
    assert response.status_code == 302
    found = FoundItem.objects.get()
    assert found.owner == owner and found.matched_at is not None
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).latest()
    assert (entry.object_id, entry.category, entry.purpose, entry.clause) == (
        owner.pk,
        "identity",
        "found_item",
        "CONF-8",
    )


def test_the_finders_record_holds_no_contact_details_of_the_owner(at_desk, branch, owner):
    register(at_desk, branch, card_number=owner.card_number)
    found = FoundItem.objects.values().get()
    text = " ".join(str(value) for value in found.values())
    for detail in (
        owner.email,
        owner.phone,
        owner.address_line,
        owner.last_name,
        owner.card_number,
    ):
        assert detail not in text


def test_the_list_shows_no_owner(at_desk, branch, owner):
    register(at_desk, branch, card_number=owner.card_number)
    html = at_desk.get(FOUND).content.decode()
    assert "Blue backpack" in html
    assert "Ownerby" not in html and owner.email not in html


def test_staff_who_do_found_items_see_the_owner_and_others_get_not_found(
    client, at_desk, branch, owner, staff
):
    register(at_desk, branch, card_number=owner.card_number)
    found = FoundItem.objects.get()
    html = at_desk.get(f"{FOUND}{found.pk}/").content.decode()
    assert "Ownerby" in html and owner.email in html
    for role in (Role.REFERENCE, Role.SECURITY_GUARD, Role.IT_STAFF, Role.AUDITOR):
        client.force_login(staff(role))
        response = client.get(f"{FOUND}{found.pk}/")
        assert response.status_code == 404 and b"Ownerby" not in response.content


def test_a_patron_never_reaches_found_item_pages(client, alice, branch):
    found = FoundItemFactory(branch=branch)
    client.force_login(alice.user)
    assert client.get(f"{FOUND}{found.pk}/").status_code == 404


def test_email_goes_to_the_owner_and_says_nothing_of_the_finder(at_desk, branch, owner):
    register(at_desk, branch, card_number=owner.card_number)
    found = FoundItem.objects.get()
    response = at_desk.post(f"{FOUND}{found.pk}/contact/", {"channel": "email"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email]
    assert "Fred" not in message.body and "fred@example.net" not in message.body
    found.refresh_from_db()
    assert found.status == FoundItem.Status.CONTACTED and found.contacted_at is not None


def test_no_email_on_file_is_said_and_nothing_is_sent(at_desk, branch, owner):
    owner.email = ""
    owner.save()
    register(at_desk, branch, card_number=owner.card_number)
    found = FoundItem.objects.get()
    response = at_desk.post(f"{FOUND}{found.pk}/contact/", {"channel": "email"})
    assert services.OWNER_HAS_NO_EMAIL in response.content.decode()
    assert mail.outbox == []
    found.refresh_from_db()
    assert found.status == FoundItem.Status.OPEN and found.contact_channel == ""


def test_a_letter_becomes_a_task_with_the_address_until_done(at_desk, branch, owner):
    register(at_desk, branch, card_number=owner.card_number)
    found = FoundItem.objects.get()
    at_desk.post(f"{FOUND}{found.pk}/contact/", {"channel": "letter"})
    tasks = at_desk.get(f"{FOUND}tasks/").content.decode()
    assert "12 Elm St" in tasks
    at_desk.post(f"{FOUND}{found.pk}/contacted/")
    assert "12 Elm St" not in at_desk.get(f"{FOUND}tasks/").content.decode()
    assert mail.outbox == []


def test_matching_by_name_lists_candidates_and_logs_each(at_desk, branch, owner):
    found = FoundItemFactory(branch=branch)
    before = AuditEntry.objects.count()
    response = at_desk.post(
        f"{FOUND}{found.pk}/match/name/", {"first_name": "olive", "last_name": "ownerby"}
    )
    assert owner.card_number in response.content.decode()
    entry = AuditEntry.objects.filter(seq__gt=before, object_id=owner.pk).get()
    assert entry.purpose == "found_item"
    at_desk.post(f"{FOUND}{found.pk}/match/{owner.pk}/")
    assert FoundItem.objects.get().owner == owner


def test_unknown_card_leaves_the_item_registered_without_an_owner(at_desk, branch):
    register(at_desk, branch, card_number="29999999999999")
    assert FoundItem.objects.get().owner is None


def test_returning_drops_the_link_to_the_owner(at_desk, branch, owner):
    register(at_desk, branch, card_number=owner.card_number)
    found = FoundItem.objects.get()
    at_desk.post(f"{FOUND}{found.pk}/return/")
    found.refresh_from_db()
    assert found.status == FoundItem.Status.RETURNED and found.owner is None


def test_a_found_library_item_is_checked_in_and_its_borrower_never_shown(at_desk, branch, owner):
    from tests.factories import LoanRuleFactory

    LoanRuleFactory()
    item = ItemFactory(branch=branch)
    LoanFactory(item=item, patron=owner)
    register(at_desk, branch, kind="library_item", barcode=item.barcode)
    found = FoundItem.objects.get()
    html = at_desk.get(f"{FOUND}{found.pk}/").content.decode()
    assert "Ownerby" not in html
    at_desk.post(f"{FOUND}{found.pk}/return/")
    assert Loan.objects.get(item=item).returned_at is not None


def test_a_library_item_with_an_unknown_barcode_is_refused(at_desk, branch):
    response = register(at_desk, branch, kind="library_item", barcode="39999999999999")
    assert services.UNKNOWN_BARCODE in response.content.decode()
    assert not FoundItem.objects.exists()
