"""The inquiry desk as a desk works it: the question first, then only the details it needs;
branch and channel kept between entries (ids only in the session); the question repeated
with its answer."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from library.roles import Role
from privacy.models import Inquiry
from tests.conftest import page_text, stored_in_a_session
from tests.factories import BranchFactory

pytestmark = pytest.mark.django_db
URL = reverse("privacy:inquiry_desk")
DETAILS = {
    "card_number",
    "category",
    "identification_seen",
    "document_kind",
    "adult_card_number",
    "adult_name",
    "legal_order",
    "recipient",
}


@pytest.fixture
def branches():
    return BranchFactory(code="MAIN", name="Main Library"), BranchFactory(code="EAST", name="East")


def shown_details(response):
    """Return the detail fields the page shows (those not inside a hidden box)."""
    html = response.content.decode()
    boxes = re.findall(r'<div data-detail="(\w+)"( hidden)?>', html)
    assert {name for name, _ in boxes} == DETAILS
    return {name for name, hidden in boxes if not hidden}


def answer_of(response):
    match = re.search(r'<section class="answer.*?</section>', response.content.decode(), re.S)
    assert match, "no answer shown"
    return match.group(0)


def test_the_desk_asks_the_question_first(client, desk):
    client.force_login(desk)
    response = client.get(URL)
    assert shown_details(response) == set()
    assert 'name="step" value="choose"' in response.content.decode()


def test_choosing_an_account_question_shows_its_details_and_records_nothing(client, desk, branches):
    client.force_login(desk)
    response = client.post(
        URL,
        {
            "step": "choose",
            "branch": branches[0].pk,
            "channel": "in_person",
            "requester": "account_holder",
            "kind": "account_data",
        },
    )
    assert shown_details(response) == {
        "card_number",
        "category",
        "identification_seen",
        "document_kind",
    }
    assert (
        not Inquiry.objects.exists()
        and not AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).exists()
    )


@pytest.mark.parametrize(
    ("requester", "kind", "details"),
    [
        ("law_enforcement", "presence_picture", {"identification_seen"}),
        ("law_enforcement", "account_data", {"card_number", "category", "legal_order"}),
        (
            "responsible_adult",
            "computer_use",
            {
                "card_number",
                "identification_seen",
                "document_kind",
                "adult_card_number",
                "adult_name",
            },
        ),
        ("third_party", "account_data", {"card_number", "category", "recipient"}),
        ("other_patron", "emergency_message", set()),
        ("other_patron", "watch_request", set()),
    ],
)
def test_each_question_shows_only_the_details_it_needs(
    client, desk, branches, requester, kind, details
):
    client.force_login(desk)
    form = {"branch": branches[0].pk, "channel": "phone", "requester": requester, "kind": kind}
    assert shown_details(client.post(URL, {"step": "choose", **form})) == details


def test_a_question_needing_no_card_is_answered_without_one(client, desk, branches):
    client.force_login(desk)
    response = client.post(
        URL,
        {
            "branch": branches[0].pk,
            "channel": "phone",
            "requester": "other_patron",
            "kind": "emergency_message",
        },
    )
    assert "FAC-6" in answer_of(response)
    assert Inquiry.objects.get().kind == "emergency_message"


def test_a_detail_the_question_does_not_need_is_not_read(client, desk, branches, alice):
    """A card left in a hidden field must not tie the patron to a presence question (FAC-3)."""
    client.force_login(desk)
    response = client.post(
        URL,
        {
            "branch": branches[0].pk,
            "channel": "in_person",
            "requester": "law_enforcement",
            "kind": "presence_picture",
            "identification_seen": "on",
            "card_number": alice.card_number,
            "legal_order": "999999",
        },
    )
    assert "FAC-3" in answer_of(response)
    inquiry = Inquiry.objects.get()
    assert inquiry.patron is None
    assert not AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS, object_id=alice.pk
    ).exists()


def test_an_account_question_still_requires_the_card(client, desk, branches):
    client.force_login(desk)
    response = client.post(
        URL,
        {
            "branch": branches[0].pk,
            "channel": "in_person",
            "requester": "account_holder",
            "kind": "account_data",
        },
    )
    assert "Enter the card number" in response.content.decode()
    assert "card_number" in shown_details(response)
    assert not Inquiry.objects.exists()


def test_branch_and_channel_are_required(client, desk):
    client.force_login(desk)
    response = client.post(URL, {"requester": "other_patron", "kind": "emergency_message"})
    assert response.content.decode().count("This field is required") == 2
    assert not Inquiry.objects.exists()


def test_the_desk_keeps_branch_and_channel_for_the_next_entry_and_no_patron_data(
    client, desk, branches, alice
):
    east = branches[1]
    client.force_login(desk)
    client.post(
        URL,
        {
            "branch": east.pk,
            "channel": "phone",
            "requester": "account_holder",
            "kind": "account_data",
            "card_number": alice.card_number,
            "category": "circulation",
            "identification_seen": "on",
            "document_kind": "drivers_licence",
        },
    )
    inquiry = Inquiry.objects.get()
    assert (inquiry.branch, inquiry.channel) == (east, "phone")
    assert client.session["inquiry_desk"] == {"branch": east.pk, "channel": "phone"}
    for secret in (alice.card_number, alice.last_name, alice.first_name, "account_holder"):
        assert not stored_in_a_session(secret)
    html = client.get(URL).content.decode()
    assert re.search(rf'<option value="{east.pk}" selected>East</option>', html)
    assert re.search(r'<option value="phone" selected>Phone</option>', html)
    # The question itself starts afresh.
    assert '<option value="" selected>Choose the question</option>' in html


def test_the_desks_reads_are_recorded_at_the_chosen_branch(client, desk, branches, alice):
    east = branches[1]
    client.force_login(desk)
    client.post(
        URL,
        {
            "branch": east.pk,
            "channel": "in_person",
            "requester": "account_holder",
            "kind": "account_data",
            "card_number": alice.card_number,
            "category": "circulation",
            "identification_seen": "on",
            "document_kind": "drivers_licence",
        },
    )
    read = AuditEntry.objects.filter(object_id=alice.pk, purpose="desk_inquiry").latest("seq")
    assert read.additional_data["branch"] == "EAST"


def test_the_answer_repeats_the_question(client, desk, branches, alice):
    client.force_login(desk)
    response = client.post(
        URL,
        {
            "branch": branches[0].pk,
            "channel": "email",
            "requester": "other_patron",
            "kind": "account_data",
            "card_number": alice.card_number,
            "category": "circulation",
        },
    )
    answer = answer_of(response)
    assert "Information from a patron&#x27;s account (Current loans, holds and fines)" in answer
    assert "Another patron or member of the public, email, at Main Library" in answer
    assert "Do not disclose" in answer
    # The question names no patron: the card typed is not echoed back.
    assert alice.card_number not in answer


@pytest.mark.parametrize("role", [Role.IT_STAFF, Role.AUDITOR])
def test_roles_without_a_desk_get_the_not_found_page(client, staff, role):
    client.force_login(staff(role))
    desk_page, missing = client.get(URL), client.get("/staff/privacy/no-such-page/")
    assert desk_page.status_code == missing.status_code == 404
    assert page_text(desk_page) == page_text(missing)


@pytest.mark.parametrize("role", [Role.PERSON_IN_CHARGE, Role.SECURITY_GUARD, Role.DIRECTOR])
def test_desk_roles_open_the_desk(client, staff, role):
    client.force_login(staff(role))
    assert client.get(URL).status_code == 200
