"""CAM-4: a still tied to an incident is shared with all staff while its ban is in effect, and
stops being shared the moment the ban ends, with no job to run."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from audit.models import AuditEntry
from facilities.models import RecordingHold, Still
from facilities.services import STILL_BAN_OTHER_INCIDENT, STILL_OUTSIDE_RECORDING
from library.roles import Role
from tests.factories import (
    PNG_BYTES,
    BanFactory,
    IncidentFactory,
    IncidentPersonFactory,
    RecordingFactory,
    StillFactory,
)

pytestmark = pytest.mark.django_db

SHARED = "/staff/facilities/stills/"
ALL_STAFF = [
    "circulation",
    "reference",
    "person_in_charge",
    "security_guard",
    "it_staff",
    "director",
    "auditor",
]


def image(pk):
    return f"/staff/facilities/stills/{pk}/image/"


def local(moment):
    """Return a moment as a form field takes it: in the library's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S.%f")


def footage_entries(**filters):
    return AuditEntry.objects.filter(category="footage", **filters).order_by("seq")


@pytest.fixture
def ban():
    return BanFactory()


@pytest.fixture
def still(ban):
    return StillFactory(incident=ban.person.incident, ban=ban)


@pytest.mark.parametrize("who", ALL_STAFF)
def test_every_staff_role_sees_a_still_while_its_ban_is_in_effect(client, login_as, still, who):
    user = login_as(who)
    page = client.get(SHARED)
    assert page.status_code == 200
    assert image(still.pk) in page.content.decode()
    picture = client.get(image(still.pk))
    assert picture.status_code == 200
    assert b"".join(picture.streaming_content) == PNG_BYTES
    listed, opened = footage_entries(actor_id=user.pk)
    assert (listed.purpose, listed.object_id, listed.decision) == ("shared", still.pk, "allowed")
    assert (opened.purpose, opened.object_id, opened.decision) == ("still", still.pk, "allowed")
    assert listed.clause in {"CAM-3", "CAM-4"}


@pytest.mark.parametrize("who", ["alice", "bob", "root"])
def test_patrons_and_a_roleless_superuser_never_see_shared_stills(client, login_as, still, who):
    user = login_as(who)
    assert client.get(SHARED).status_code == 404
    assert client.get(image(still.pk)).status_code == 404
    assert [(e.purpose, e.clause, e.decision) for e in footage_entries(actor_id=user.pk)] == [
        ("shared", "CAM-3", "refused"),
        ("still", "CAM-3", "refused"),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, still):
    assert client.get(SHARED).status_code == 302
    assert client.get(image(still.pk)).status_code == 302


def test_sharing_stops_the_moment_the_ban_ends(client, login_as):
    # Ends within the login's lifetime, so the session outlives the time travel.
    ban = BanFactory(ends_at=timezone.now() + datetime.timedelta(minutes=30))
    still = StillFactory(incident=ban.person.incident, ban=ban)
    user = login_as("circulation")
    end = ban.ends_at
    with time_machine.travel(end - datetime.timedelta(microseconds=1), tick=False):
        assert image(still.pk) in client.get(SHARED).content.decode()
        assert client.get(image(still.pk)).status_code == 200
    with time_machine.travel(end, tick=False):
        assert image(still.pk) not in client.get(SHARED).content.decode()
        assert client.get(image(still.pk)).status_code == 404
    refused = footage_entries(actor_id=user.pk, decision="refused").get()
    assert (refused.clause, refused.object_id) == ("CAM-4", still.pk)


def test_sharing_starts_only_when_the_ban_starts(client, login_as):
    ban = BanFactory(
        starts_at=timezone.now() + datetime.timedelta(minutes=30),
        ends_at=timezone.now() + datetime.timedelta(days=10),
    )
    still = StillFactory(incident=ban.person.incident, ban=ban)
    login_as("circulation")
    assert client.get(image(still.pk)).status_code == 404
    with time_machine.travel(ban.starts_at, tick=False):
        assert client.get(image(still.pk)).status_code == 200


def test_ending_a_ban_early_unshares_its_stills_at_once(client, staff, still, ban):
    clerk, incharge = staff(Role.CIRCULATION), staff(Role.PERSON_IN_CHARGE)
    client.force_login(clerk)
    assert client.get(image(still.pk)).status_code == 200
    client.force_login(incharge)
    assert client.post(f"/staff/facilities/bans/{ban.pk}/end/").status_code == 302
    ban.refresh_from_db()
    assert ban.ended_by == incharge and ban.ends_at <= timezone.now()
    client.force_login(clerk)
    assert client.get(image(still.pk)).status_code == 404
    assert image(still.pk) not in client.get(SHARED).content.decode()


def test_a_still_without_a_ban_is_never_shared(client, login_as):
    still = StillFactory()
    login_as("circulation")
    assert client.get(image(still.pk)).status_code == 404
    assert image(still.pk) not in client.get(SHARED).content.decode()


@pytest.mark.parametrize("who", ["security_guard", "person_in_charge", "it_staff"])
def test_designated_viewers_see_any_still_under_cam_3(client, login_as, who):
    still = StillFactory()
    user = login_as(who)
    assert client.get(image(still.pk)).status_code == 200
    assert footage_entries(actor_id=user.pk).get().clause == "CAM-3"


def test_the_staff_network_limit_covers_shared_stills(client, login_as, still, settings):
    settings.FOOTAGE_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    login_as("circulation")
    assert client.get(SHARED, REMOTE_ADDR="192.0.2.9").status_code == 404
    assert client.get(SHARED, REMOTE_ADDR="10.20.0.9").status_code == 200


def test_the_shared_page_does_not_name_the_banned_patron(client, login_as, still):
    login_as("circulation")
    body = client.get(SHARED).content.decode()
    patron = still.ban.person.patron
    assert patron.last_name not in body and patron.card_number not in body


def test_the_shared_page_costs_the_same_queries_for_one_still_or_many(client, login_as, still, ban):
    login_as("circulation")
    client.get(SHARED)  # warm the session and content types
    with CaptureQueriesContext(connection) as one:
        client.get(SHARED)
    for _ in range(5):
        StillFactory(incident=ban.person.incident, ban=ban)
    with CaptureQueriesContext(connection) as six:
        response = client.get(SHARED)
    assert response.content.decode().count("/image/") == 6
    assert len(six) == len(one)


class TestTakingAStill:
    def _post(self, client, recording, **overrides):
        data = {
            "incident": IncidentFactory().pk,
            "taken_at": local(recording.starts_at + datetime.timedelta(minutes=5)),
            "image": SimpleUploadedFile("frame.png", PNG_BYTES, content_type="image/png"),
            "caption": "Person in a red jacket",
        }
        data.update(overrides)
        return client.post(f"/staff/facilities/recordings/{recording.pk}/stills/new/", data)

    @pytest.mark.parametrize("who", ["security_guard", "person_in_charge"])
    def test_a_viewer_keeps_a_still_for_an_incident_and_the_recording_is_held(
        self, client, login_as, who
    ):
        recording = RecordingFactory()
        person = IncidentPersonFactory()
        ban = BanFactory(person=person)
        user = login_as(who)
        response = self._post(client, recording, incident=person.incident_id, ban=ban.pk)
        assert response.status_code == 302
        still = Still.objects.get()
        assert (still.incident_id, still.ban_id, still.camera_id) == (
            person.incident_id,
            ban.pk,
            recording.camera_id,
        )
        assert RecordingHold.objects.filter(
            recording=recording, incident_id=person.incident_id
        ).exists()
        entry = footage_entries(actor_id=user.pk).last()
        assert (entry.purpose, entry.object_id, entry.decision) == (
            "still",
            recording.pk,
            "allowed",
        )

    def test_a_still_must_come_from_inside_the_recording(self, client, login_as):
        recording = RecordingFactory()
        login_as("security_guard")
        late = local(recording.ends_at + datetime.timedelta(minutes=1))
        response = self._post(client, recording, taken_at=late)
        assert escape(STILL_OUTSIDE_RECORDING) in response.content.decode()
        assert not Still.objects.exists()

    def test_a_still_is_shared_only_under_a_ban_of_its_own_incident(self, client, login_as):
        recording = RecordingFactory()
        login_as("security_guard")
        response = self._post(client, recording, ban=BanFactory().pk)
        assert escape(STILL_BAN_OTHER_INCIDENT) in response.content.decode()
        assert not Still.objects.exists()

    @pytest.mark.parametrize("who", ["it_staff", "director", "circulation", "alice", "root"])
    def test_others_cannot_take_stills(self, client, login_as, who):
        recording = RecordingFactory()
        login_as(who)
        assert self._post(client, recording).status_code == 404
        assert not Still.objects.exists()
