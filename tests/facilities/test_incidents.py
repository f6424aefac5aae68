"""CONF-10: incidents record crimes and violations; staff who handle them identify the people
involved through the gate, and what is given to police is tied to the incident and logged."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from audit.models import AuditEntry
from facilities import services
from facilities.models import Incident, IncidentPerson, PoliceIdentityRelease
from library.roles import Role
from privacy import access
from privacy.access import Asker
from privacy.gate import NOT_FOUND_MESSAGE, Refused
from privacy.policy import DataCategory, Purpose, Requester
from tests.conftest import page_text
from tests.factories import BranchFactory, IncidentFactory, IncidentPersonFactory, PatronFactory

pytestmark = pytest.mark.django_db

HANDLERS = ["person_in_charge", "security_guard", "director"]
OTHERS = ["circulation", "reference", "it_staff", "auditor", "alice", "root"]
LIST = "/staff/facilities/incidents/"


def detail(pk):
    return f"/staff/facilities/incidents/{pk}/"


def identity_reads(**filters):
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS, category="identity", purpose="incident", **filters
    ).order_by("seq")


@pytest.fixture
def person(alice):
    return IncidentPersonFactory(patron=alice)


@pytest.mark.parametrize("who", HANDLERS)
def test_incident_handlers_record_an_incident(client, login_as, who):
    user = login_as(who)
    branch = BranchFactory()
    response = client.post(
        "/staff/facilities/incidents/new/",
        {
            "occurred_at": "2026-03-02T14:30",
            "branch": branch.pk,
            "area": "Teen room",
            "kind": "injury",
            "description": "Fell from a step stool.",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.reported_by, incident.kind, incident.police_contacted) == (
        user,
        "injury",
        False,
    )
    assert client.get(LIST).status_code == 200
    assert client.get(detail(incident.pk)).status_code == 200


@pytest.mark.parametrize("who", OTHERS)
def test_other_staff_and_patrons_get_not_found(client, login_as, person, who):
    login_as(who)
    missing = client.get(detail(person.incident_id + 1000))
    for response in (
        client.get(LIST),
        client.get(detail(person.incident_id)),
        client.get("/staff/facilities/incidents/new/"),
    ):
        assert response.status_code == 404
        assert page_text(response) == page_text(missing)


def test_anonymous_visitors_are_sent_to_sign_in(client, person):
    assert client.get(detail(person.incident_id)).status_code == 302


@pytest.mark.parametrize("who", HANDLERS)
def test_the_people_involved_are_named_through_the_gate(client, login_as, person, alice, who):
    user = login_as(who)
    IncidentPersonFactory(incident=person.incident, patron=None, description="Tall, red cap")
    body = client.get(detail(person.incident_id)).content.decode()
    assert alice.full_name in body and "Tall, red cap" in body
    entry = identity_reads(actor_id=user.pk).get()
    assert (entry.object_id, entry.decision) == (alice.pk, "allowed")


class TestAddingPeople:
    def _add(self, client, incident, **data):
        return client.post(
            f"/staff/facilities/incidents/{incident.pk}/people/",
            {"involvement": "subject", **data},
        )

    def test_a_patron_is_found_by_card_number_and_the_lookup_is_logged(self, client, staff, alice):
        guard = staff(Role.SECURITY_GUARD)
        incident = IncidentFactory()
        client.force_login(guard)
        assert self._add(client, incident, card_number=alice.card_number).status_code == 302
        assert IncidentPerson.objects.get().patron == alice
        entry = identity_reads(actor_id=guard.pk).get()
        assert (entry.object_id, entry.clause, entry.decision) == (alice.pk, "CONF-10", "allowed")

    def test_an_unknown_card_reads_like_any_refusal_and_is_logged(self, client, staff):
        guard = staff(Role.SECURITY_GUARD)
        incident = IncidentFactory()
        client.force_login(guard)
        response = self._add(client, incident, card_number="29999999999999")
        assert escape(NOT_FOUND_MESSAGE) in response.content.decode()
        assert not IncidentPerson.objects.exists()
        assert identity_reads(actor_id=guard.pk, decision="refused").exists()

    def test_an_unidentified_person_is_described(self, client, staff):
        client.force_login(staff(Role.PERSON_IN_CHARGE))
        incident = IncidentFactory()
        assert self._add(client, incident, description="Grey hoodie").status_code == 302
        assert IncidentPerson.objects.get().patron is None

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({}, services.PERSON_NEEDS_CARD_OR_DESCRIPTION),
            (
                {"card_number": "21000000000001", "description": "x"},
                services.PERSON_CARD_AND_DESCRIPTION,
            ),
        ],
    )
    def test_a_person_is_a_card_or_a_description(self, client, staff, data, message):
        client.force_login(staff(Role.PERSON_IN_CHARGE))
        response = self._add(client, IncidentFactory(), **data)
        assert escape(message) in response.content.decode()
        assert not IncidentPerson.objects.exists()

    def test_a_patron_is_listed_once(self, staff, person, alice):
        with pytest.raises(ValidationError) as refused:
            services.incident_person_add(
                actor=staff(Role.SECURITY_GUARD),
                incident=person.incident,
                card_number=alice.card_number,
            )
        assert refused.value.messages == [services.PATRON_ALREADY_LISTED]

    def test_the_database_needs_a_patron_or_a_description(self):
        from django.db import IntegrityError, transaction

        with pytest.raises(IntegrityError), transaction.atomic():
            IncidentPerson.objects.create(incident=IncidentFactory(), patron=None, description="")


class TestIdentityToPolice:
    """CONF-10: the identity of a patron named in the incident, tied to it and logged."""

    def _post(self, client, person):
        return client.post(
            f"/staff/facilities/incidents/{person.incident_id}/police/",
            {"person": person.pk, "agency": "Lawrence PD", "officer": "Sgt. Ortiz #4411"},
        )

    @pytest.mark.parametrize("who", HANDLERS)
    def test_a_handler_gives_police_the_identity_and_both_reads_are_logged(
        self, client, login_as, person, alice, who
    ):
        user = login_as(who)
        assert self._post(client, person).status_code == 302
        release = PoliceIdentityRelease.objects.get()
        assert (release.incident, release.person, release.released_by, release.clause) == (
            person.incident,
            person,
            user,
            "CONF-10",
        )
        person.incident.refresh_from_db()
        assert person.incident.police_contacted
        to_police = identity_reads(object_id=alice.pk).filter(
            additional_data__requester="law_enforcement"
        )
        entry = to_police.get()
        assert (entry.actor_id, entry.clause, entry.decision) == (user.pk, "CONF-10", "allowed")
        assert entry.additional_data["incident"] == person.incident_id
        page = client.get(detail(person.incident_id)).content.decode()
        assert "Sgt. Ortiz #4411" in page and "CONF-10" in page

    def test_a_patron_not_named_in_the_incident_is_not_disclosed(self, staff, person):
        other = IncidentFactory()
        guard = staff(Role.SECURITY_GUARD)
        with pytest.raises(Refused) as refused:
            services.police_identity_release(
                actor=guard, incident=other, person=person, agency="PD", officer="Officer"
            )
        assert refused.value.decision.clause == "CONF-10"
        assert not PoliceIdentityRelease.objects.exists()
        entry = identity_reads(actor_id=guard.pk, decision="refused").get()
        assert entry.additional_data["incident"] == other.pk

    @pytest.mark.parametrize("role", [Role.CIRCULATION, Role.IT_STAFF, Role.AUDITOR])
    def test_staff_who_do_not_handle_incidents_cannot_disclose(self, staff, person, role):
        actor = staff(role)
        with pytest.raises(Refused):
            services.police_identity_release(
                actor=actor, incident=person.incident, person=person, agency="PD", officer="O"
            )
        assert not PoliceIdentityRelease.objects.exists()
        assert identity_reads(actor_id=actor.pk, decision="refused").count() == 1

    @pytest.mark.parametrize("who", OTHERS)
    def test_over_http_others_get_not_found(self, client, login_as, person, who):
        login_as(who)
        assert self._post(client, person).status_code == 404
        assert not PoliceIdentityRelease.objects.exists()

    def test_an_unidentified_person_has_no_identity_to_give(self, staff):
        person = IncidentPersonFactory(patron=None, description="Grey hoodie")
        with pytest.raises(ValidationError) as refused:
            services.police_identity_release(
                actor=staff(Role.SECURITY_GUARD),
                incident=person.incident,
                person=person,
                agency="PD",
                officer="O",
            )
        assert refused.value.messages == [services.IDENTITY_NEEDS_PATRON]


def test_the_incident_page_costs_the_same_queries_for_one_person_or_many(client, staff, person):
    client.force_login(staff(Role.SECURITY_GUARD))
    client.get(detail(person.incident_id))  # warm the session and content types
    with CaptureQueriesContext(connection) as one:
        client.get(detail(person.incident_id))
    for _ in range(6):
        IncidentPersonFactory(incident=person.incident, patron=PatronFactory())
    with CaptureQueriesContext(connection) as seven:
        response = client.get(detail(person.incident_id))
    assert response.status_code == 200
    assert len(seven) == len(one)


def test_an_incident_does_not_let_police_watch_for_a_patron(person, alice, staff):
    """FAC-4: naming a patron in an incident or banning them is no watch list for outsiders."""
    guard = staff(Role.SECURITY_GUARD)
    with pytest.raises(Refused) as refused:
        access.disclose(
            actor=guard,
            asker=Asker(
                Requester.LAW_ENFORCEMENT,
                incident_in_scope=True,
                extra={"incident": person.incident_id},
            ),
            patron=alice,
            category=DataCategory.PRESENCE,
            purpose=Purpose.MONITORING,
        )
    assert refused.value.decision.clause == "FAC-4"
    entry = AuditEntry.objects.filter(actor_id=guard.pk).latest()
    assert (entry.clause, entry.decision) == ("FAC-4", "refused")
