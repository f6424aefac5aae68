"""Computer sessions, reference consultations and event sign-ups: each through the gate
with its own category (CONF-6, FAC-2)."""

import pytest

from activity import services
from activity.models import ComputerSession, EventSignup, ReferenceConsultation
from audit.models import AuditEntry
from library.roles import Role
from privacy.gate import NOT_FOUND_MESSAGE
from tests.factories import (
    BranchFactory,
    ComputerSessionFactory,
    EventFactory,
    EventSignupFactory,
    PatronFactory,
    ReferenceConsultationFactory,
)

pytestmark = pytest.mark.django_db
ACT = "/staff/activity/"


@pytest.fixture
def branch():
    return BranchFactory(code="CEN", name="Central Library")


@pytest.fixture
def patron(branch):
    return PatronFactory(first_name="Rita", last_name="Reader", home_branch=branch)


def last_read():
    return AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).latest()


def test_it_staff_start_a_session_through_the_gate_for_online_services(
    client, staff, patron, branch
):
    client.force_login(staff(Role.IT_STAFF))
    response = client.post(
        f"{ACT}computers/",
        {
            "card_number": patron.card_number,
            "resource": "PC-3",
            "kind": "computer",
            "branch": branch.pk,
        },
    )
    assert response.status_code == 302
    assert ComputerSession.objects.get().patron == patron
    entry = last_read()
    assert (entry.category, entry.purpose, entry.decision) == (
        "online_services",
        "computer_services",
        "allowed",
    )


def test_a_computer_in_use_is_said_next_to_its_field(client, staff, patron, branch):
    ComputerSessionFactory(resource="PC-3", branch=branch, ended_at=None)
    client.force_login(staff(Role.IT_STAFF))
    response = client.post(
        f"{ACT}computers/",
        {
            "card_number": patron.card_number,
            "resource": "PC-3",
            "kind": "computer",
            "branch": branch.pk,
        },
    )
    assert services.COMPUTER_IN_USE in response.content.decode()
    assert ComputerSession.objects.count() == 1


def test_the_in_use_list_names_no_patron(client, staff, patron, branch):
    ComputerSessionFactory(patron=patron, branch=branch, ended_at=None)
    client.force_login(staff(Role.IT_STAFF))
    html = client.get(f"{ACT}computers/").content.decode()
    assert "Reader" not in html and patron.card_number not in html


def test_a_patrons_sessions_by_posted_card(client, staff, patron):
    ComputerSessionFactory(patron=patron, resource="Catalog kiosk")
    client.force_login(staff(Role.IT_STAFF))
    response = client.post(f"{ACT}computers/lookup/", {"card_number": patron.card_number})
    assert "Catalog kiosk" in response.content.decode()


def test_roles_outside_computer_services_get_not_found(client, staff, patron):
    session = ComputerSessionFactory(patron=patron)
    for role in (Role.SECURITY_GUARD, Role.AUDITOR, Role.DIRECTOR):
        client.force_login(staff(role))
        assert client.get(f"{ACT}computers/patrons/{patron.pk}/").status_code == 404
    assert session.resource


def test_reference_records_a_question_without_a_card(client, staff, branch):
    client.force_login(staff(Role.REFERENCE))
    response = client.post(
        f"{ACT}reference/",
        {"channel": "chat", "branch": branch.pk, "question": "Tax forms?", "answer": "Lobby."},
    )
    assert response.status_code == 302
    consultation = ReferenceConsultation.objects.get()
    assert consultation.patron is None and consultation.channel == "chat"


def test_reference_reads_a_patrons_consultations_through_the_gate(client, staff, patron):
    ReferenceConsultationFactory(patron=patron, question="Genealogy of the Reader family")
    client.force_login(staff(Role.REFERENCE))
    html = client.get(f"{ACT}reference/patrons/{patron.pk}/").content.decode()
    assert "Genealogy" in html
    entry = last_read()
    assert (entry.object_id, entry.category, entry.purpose) == (patron.pk, "reference", "reference")


def test_circulation_staff_never_see_reference_consultations(client, desk, patron):
    ReferenceConsultationFactory(patron=patron, question="Genealogy of the Reader family")
    client.force_login(desk)
    response = client.get(f"{ACT}reference/patrons/{patron.pk}/")
    assert response.status_code == 404 and b"Genealogy" not in response.content


def test_unknown_card_at_reference_is_said_and_nothing_is_recorded(client, staff, branch):
    client.force_login(staff(Role.REFERENCE))
    response = client.post(
        f"{ACT}reference/",
        {
            "channel": "phone",
            "branch": branch.pk,
            "question": "Hours?",
            "answer": "",
            "card_number": "29999999999999",
        },
    )
    assert NOT_FOUND_MESSAGE in response.content.decode()
    assert not ReferenceConsultation.objects.exists()


def test_event_signups_are_listed_through_the_gate_one_entry_each(client, desk, patron):
    event = EventFactory()
    EventSignupFactory(event=event, patron=patron)
    client.force_login(desk)
    before = AuditEntry.objects.count()
    html = client.get(f"{ACT}events/{event.pk}/").content.decode()
    assert "Rita Reader" in html
    entry = AuditEntry.objects.get(seq__gt=before)
    assert (entry.object_id, entry.category, entry.purpose) == (patron.pk, "events", "events")


def test_signing_up_twice_or_past_capacity_is_refused(client, desk, patron):
    event = EventFactory(capacity=1)
    client.force_login(desk)
    client.post(f"{ACT}events/{event.pk}/", {"card_number": patron.card_number})
    response = client.post(f"{ACT}events/{event.pk}/", {"card_number": patron.card_number})
    assert services.ALREADY_SIGNED_UP in response.content.decode()
    other = PatronFactory()
    response = client.post(f"{ACT}events/{event.pk}/", {"card_number": other.card_number})
    assert services.EVENT_FULL in response.content.decode()
    assert EventSignup.objects.count() == 1


def test_it_staff_cannot_see_event_signups(client, staff, patron):
    event = EventFactory()
    EventSignupFactory(event=event, patron=patron)
    client.force_login(staff(Role.IT_STAFF))
    response = client.get(f"{ACT}events/{event.pk}/")
    assert response.status_code == 404 and b"Reader" not in response.content


def test_cancelling_a_signup_deletes_it(client, desk, patron):
    signup = EventSignupFactory(patron=patron)
    client.force_login(desk)
    client.post(f"{ACT}events/{signup.event_id}/signups/{signup.pk}/cancel/")
    assert not EventSignup.objects.exists()
