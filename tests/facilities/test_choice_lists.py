"""Footage forms name recordings, stills, incidents, bans and orders from lists, and a list
offers only what the role may see (CONF-5, CONF-10, CAM-3, CAM-4, CAM-6); bans never fall
on the person an incident records as harmed (CONF-10)."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import escape

from facilities import services
from facilities.models import Ban, OutsideRequest
from library import dates
from library.roles import Role
from tests.facilities.helpers import local, offered
from tests.factories import (
    BanFactory,
    IncidentFactory,
    IncidentPersonFactory,
    LegalOrderFactory,
    RecordingFactory,
    StillFactory,
)

pytestmark = pytest.mark.django_db

REQUEST_NEW = "/staff/facilities/requests/new/"
RELEASE_NEW = "/staff/facilities/releases/new/"


def ban_url(incident):
    return f"/staff/facilities/incidents/{incident.pk}/bans/new/"


# Bans and the person harmed (CONF-10)


@pytest.fixture
def brawl():
    incident = IncidentFactory(kind="injury")
    subject = IncidentPersonFactory(incident=incident, involvement="subject")
    victim = IncidentPersonFactory(incident=incident, involvement="victim")
    witness = IncidentPersonFactory(incident=incident, involvement="witness")
    return incident, subject, victim, witness


@pytest.mark.parametrize("who", ["person_in_charge", "security_guard", "director"])
def test_the_ban_form_does_not_offer_the_person_harmed(client, login_as, brawl, who):
    incident, subject, victim, witness = brawl
    login_as(who)
    choices = offered(client.get(ban_url(incident)), "person")
    assert str(subject.pk) in choices and str(witness.pk) in choices
    assert str(victim.pk) not in choices


def test_posting_the_person_harmed_bans_no_one(client, staff, brawl):
    incident, _, victim, _ = brawl
    client.force_login(staff(Role.PERSON_IN_CHARGE))
    response = client.post(
        ban_url(incident),
        {
            "person": victim.pk,
            "ends_at": local(timezone.now() + datetime.timedelta(days=30)),
            "all_branches": "on",
        },
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Ban.objects.exists()


def test_the_service_refuses_a_ban_on_the_person_harmed_citing_conf_10(staff, brawl):
    _, subject, victim, _ = brawl
    guard = staff(Role.SECURITY_GUARD)
    ends = timezone.now() + datetime.timedelta(days=30)
    with pytest.raises(ValidationError) as refused:
        services.ban_create(actor=guard, person=victim, ends_at=ends)
    assert refused.value.messages == [services.BAN_NOT_ON_HARMED]
    assert "CONF-10" in services.BAN_NOT_ON_HARMED
    assert not Ban.objects.exists()
    # The other side: the person whose conduct is reported is banned.
    assert services.ban_create(actor=guard, person=subject, ends_at=ends).person == subject


# The outside-request form (every staff member records one, CAM-6)


def test_a_clerk_recording_a_request_is_shown_no_incidents(client, staff):
    incident = IncidentFactory(description="Chair thrown in the computer area")
    client.force_login(staff(Role.CIRCULATION))
    page = client.get(REQUEST_NEW).content.decode()
    assert 'name="incident"' not in page
    assert incident.description not in page and f"#{incident.pk}:" not in page


def test_a_clerk_cannot_tie_a_request_to_an_incident_they_may_not_see(client, staff):
    incident = IncidentFactory()
    client.force_login(staff(Role.CIRCULATION))
    client.post(
        REQUEST_NEW,
        {
            "requester_kind": "police",
            "requester_name": "Lawrence Police Department",
            "footage_wanted": "Front entrance, 3-4 pm.",
            "incident": incident.pk,
        },
    )
    outside = OutsideRequest.objects.get()
    assert outside.incident is None


def test_an_incident_handler_picks_the_incident_from_a_list(client, staff):
    incident = IncidentFactory()
    client.force_login(staff(Role.SECURITY_GUARD))
    assert offered(client.get(REQUEST_NEW), "incident") == [str(incident.pk)]


def test_the_request_form_offers_only_open_orders_the_user_works_on(client, staff, director):
    clerk = staff(Role.CIRCULATION)
    worked = LegalOrderFactory(status="received")
    worked.workers.add(clerk)
    closed = LegalOrderFactory(status="fulfilled")
    closed.workers.add(clerk)
    expired = LegalOrderFactory(expires_at=timezone.now() - datetime.timedelta(days=1))
    expired.workers.add(clerk)
    not_theirs = LegalOrderFactory()
    client.force_login(clerk)
    assert offered(client.get(REQUEST_NEW), "legal_order") == [str(worked.pk)]
    client.force_login(director)
    assert set(offered(client.get(REQUEST_NEW), "legal_order")) == {
        str(worked.pk),
        str(not_theirs.pk),
    }


# The director's release form (CAM-5, CAM-6)


def test_the_release_form_lists_recordings_stills_incidents_and_open_orders(client, director):
    incident = IncidentFactory()
    recording = RecordingFactory()
    still = StillFactory(incident=incident, recording=recording)
    valid, under_review = LegalOrderFactory(), LegalOrderFactory(status="under_review")
    LegalOrderFactory(status="rejected")
    client.force_login(director)
    response = client.get(RELEASE_NEW)
    html = response.content.decode()
    assert offered(response, "recording") == [str(recording.pk)]
    assert offered(response, "still") == [str(still.pk)]
    assert offered(response, "incident") == [str(incident.pk)]
    assert set(offered(response, "legal_order")) == {str(valid.pk), str(under_review.pk)}
    # Named by number, camera and local time, never by a typed id.
    assert 'type="number"' not in html
    when = dates.moment(recording.starts_at)
    assert when in html


# The still and hold forms on a recording (designated viewers, CAM-3, CAM-4)


@pytest.mark.parametrize("who", ["person_in_charge", "security_guard"])
def test_a_still_is_shared_only_under_a_ban_not_yet_ended(client, login_as, who):
    recording = RecordingFactory()
    current = BanFactory()
    ended = BanFactory(
        starts_at=timezone.now() - datetime.timedelta(days=10),
        ends_at=timezone.now() - datetime.timedelta(days=1),
    )
    login_as(who)
    response = client.get(f"/staff/facilities/recordings/{recording.pk}/stills/new/")
    bans = offered(response, "ban")
    assert str(current.pk) in bans and str(ended.pk) not in bans
    assert set(offered(response, "incident")) == {
        str(current.person.incident_id),
        str(ended.person.incident_id),
    }
    # The list names bans by number, incident and date: no one's name.
    assert current.person.patron.last_name not in response.content.decode()


def test_the_hold_form_lists_incidents(client, staff):
    recording, incident = RecordingFactory(), IncidentFactory()
    client.force_login(staff(Role.SECURITY_GUARD))
    response = client.get(f"/staff/facilities/recordings/{recording.pk}/")
    assert offered(response, "incident") == [str(incident.pk)]


# Long words wrap (the page never grows wider than the screen)


def test_facilities_pages_load_the_wrapping_rules(client, staff):
    word = "x" * 400
    incident = IncidentFactory(description=word)
    client.force_login(staff(Role.SECURITY_GUARD))
    html = client.get(f"/staff/facilities/incidents/{incident.pk}/").content.decode()
    assert "css/documents.css" in html and word in html
    css = (settings.BASE_DIR / "static" / "css" / "documents.css").read_text()
    assert "overflow-wrap: anywhere" in css


def test_an_unknown_still_in_the_release_form_is_refused(client, director):
    client.force_login(director)
    response = client.post(
        RELEASE_NEW,
        {
            "still": 999999,
            "recipient_kind": "police",
            "recipient_name": "Police",
            "reason": "x",
        },
    )
    assert escape("Select a valid choice") in response.content.decode()
