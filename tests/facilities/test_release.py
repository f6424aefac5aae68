"""CAM-5, CAM-6: only the director releases footage outside the library, to police for a
recorded on-premises incident, or under a valid legal order whose scope covers the footage.
Every request from outside is queued for the director; every release and refusal is logged."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import escape

from facilities import services
from facilities.models import FootageRelease, OutsideRequest, RecordingHold
from library.roles import Role
from privacy.gate import Refused
from tests.facilities.helpers import footage_entries, local, offered
from tests.factories import (
    BranchFactory,
    CameraFactory,
    FootageOrderScopeFactory,
    IncidentFactory,
    LegalOrderFactory,
    OutsideRequestFactory,
    RecordingFactory,
    StillFactory,
)

pytestmark = pytest.mark.django_db

NEW = "/staff/facilities/releases/new/"
QUEUE = "/staff/facilities/requests/"
NOT_DIRECTOR = [
    "person_in_charge",
    "security_guard",
    "it_staff",
    "circulation",
    "reference",
    "auditor",
    "root",
    "alice",
]


def request_url(pk):
    return f"/staff/facilities/requests/{pk}/"


@pytest.fixture
def incident():
    return IncidentFactory()


@pytest.fixture
def recording(incident):
    return RecordingFactory(camera=CameraFactory(branch=incident.branch))


def _release(recording=None, **fields):
    data = {
        "recipient_kind": "police",
        "recipient_name": "Lawrence Police Department",
        "reason": "Asking for help identifying the person who threw a chair.",
    }
    if recording is not None:
        data["recording"] = recording.pk
    for name, value in fields.items():
        data[name] = getattr(value, "pk", value)
    return data


class TestPoliceForAnIncident:
    """CAM-5: the director, police, footage of a recorded incident on the premises, no order."""

    def test_the_director_releases_and_the_release_is_recorded_and_logged(
        self, client, director, incident, recording
    ):
        client.force_login(director)
        response = client.post(NEW, _release(recording, incident=incident))
        assert response.status_code == 302
        release = FootageRelease.objects.get()
        assert (release.clause, release.incident, release.legal_order, release.recording) == (
            "CAM-5",
            incident,
            None,
            recording,
        )
        assert (release.portion_from, release.portion_until) == (
            recording.starts_at,
            recording.ends_at,
        )
        entry = footage_entries(actor_id=director.pk, purpose="release").get()
        assert (entry.clause, entry.decision, entry.object_id) == ("CAM-5", "allowed", recording.pk)
        assert entry.additional_data["release"] == release.pk
        assert entry.additional_data["incident"] == incident.pk
        # What was released is evidence now: it outlives its retention.
        assert RecordingHold.objects.filter(recording=recording, incident=incident).exists()

    def test_a_still_of_the_incident_may_go_to_police(self, client, director, incident):
        still = StillFactory(incident=incident)
        client.force_login(director)
        assert client.post(NEW, _release(still=still, incident=incident)).status_code == 302
        assert FootageRelease.objects.get().clause == "CAM-5"

    def test_a_still_of_another_incident_may_not(self, client, director, incident):
        still = StillFactory()
        client.force_login(director)
        response = client.post(NEW, _release(still=still, incident=incident))
        assert "Not released (CAM-5)" in response.content.decode()
        assert not FootageRelease.objects.exists()

    def test_footage_from_another_branch_is_not_footage_of_the_incident(
        self, client, director, incident
    ):
        elsewhere = RecordingFactory(camera=CameraFactory(branch=BranchFactory(code="NOR")))
        client.force_login(director)
        response = client.post(NEW, _release(elsewhere, incident=incident))
        assert "Not released (CAM-5)" in response.content.decode()
        assert not FootageRelease.objects.exists()
        entry = footage_entries(actor_id=director.pk, purpose="release").get()
        assert (entry.clause, entry.decision, entry.object_id) == ("CAM-5", "refused", elsewhere.pk)

    @pytest.mark.parametrize("recipient", ["agency", "court", "other"])
    def test_without_an_order_nobody_but_police_gets_footage(
        self, client, director, incident, recording, recipient
    ):
        client.force_login(director)
        response = client.post(
            NEW, _release(recording, incident=incident, recipient_kind=recipient)
        )
        assert "Not released (CAM-6)" in response.content.decode()
        assert not FootageRelease.objects.exists()
        assert footage_entries(purpose="release", decision="refused").get().clause == "CAM-6"

    def test_a_queued_police_request_is_released_and_leaves_the_queue(
        self, client, director, incident, recording
    ):
        outside = OutsideRequestFactory(incident=incident)
        client.force_login(director)
        response = client.post(request_url(outside.pk), _release(recording, incident=incident))
        assert response.status_code == 302
        outside.refresh_from_db()
        assert (outside.status, outside.decided_by) == (OutsideRequest.Status.RELEASED, director)
        assert FootageRelease.objects.get().outside_request == outside
        assert f"#{outside.pk}" not in client.get(QUEUE).content.decode().split("Decided")[0]


class TestUnderALegalOrder:
    """CAM-6: a valid order releases only the footage inside its cameras and time window."""

    @pytest.fixture
    def window(self, recording):
        return recording.starts_at, recording.ends_at

    def _order(self, recording, start, end, **order_fields):
        order = LegalOrderFactory(**order_fields)
        FootageOrderScopeFactory(
            order=order, cameras=[recording.camera], starts_at=start, ends_at=end
        )
        return order

    def test_a_valid_order_covering_the_footage_releases_it(self, client, director, recording):
        order = self._order(recording, recording.starts_at, recording.ends_at)
        client.force_login(director)
        response = client.post(NEW, _release(recording, legal_order=order, recipient_kind="agency"))
        assert response.status_code == 302
        release = FootageRelease.objects.get()
        assert (release.clause, release.legal_order, release.incident) == ("CAM-6", order, None)
        entry = footage_entries(actor_id=director.pk, purpose="release").get()
        assert (entry.clause, entry.decision) == ("CAM-6", "allowed")
        assert entry.additional_data["legal_order"] == order.pk

    def test_an_open_order_not_yet_valid_is_offered_but_the_gate_refuses_it(
        self, client, director, recording
    ):
        order = self._order(
            recording, recording.starts_at, recording.ends_at, status="under_review"
        )
        client.force_login(director)
        assert str(order.pk) in offered(client.get(NEW), "legal_order")
        response = client.post(NEW, _release(recording, legal_order=order, recipient_kind="court"))
        assert "Not released (CAM-6)" in response.content.decode()
        assert not FootageRelease.objects.exists()
        entry = footage_entries(purpose="release").get()
        assert (entry.decision, entry.additional_data["basis"]) == (
            "refused",
            "the legal order is not in force",
        )

    @pytest.mark.parametrize(
        "order_fields",
        [
            {"expires_at": timezone.now() - datetime.timedelta(minutes=1)},
            {"status": "expired"},
            {"status": "rejected"},
            {"status": "fulfilled"},
        ],
        ids=["past-expiry", "expired", "rejected", "fulfilled"],
    )
    def test_a_closed_order_is_not_offered_and_the_gate_refuses_it_anyway(
        self, client, director, recording, order_fields
    ):
        order = self._order(recording, recording.starts_at, recording.ends_at, **order_fields)
        client.force_login(director)
        assert str(order.pk) not in offered(client.get(NEW), "legal_order")
        response = client.post(NEW, _release(recording, legal_order=order, recipient_kind="court"))
        assert "Select a valid choice" in response.content.decode()
        assert not FootageRelease.objects.exists()
        # The service behind the form refuses it too, and the refusal is logged (CAM-6).
        with pytest.raises(Refused):
            services.footage_release(
                actor=director,
                recipient_kind="court",
                recipient_name="Court",
                reason="Subpoena",
                recording=recording,
                legal_order=order,
            )
        entry = footage_entries(purpose="release").get()
        assert (entry.decision, entry.additional_data["basis"]) == (
            "refused",
            "the legal order is not in force",
        )

    def test_an_order_stops_releasing_the_moment_it_expires(self, director, recording):
        order = self._order(recording, recording.starts_at, recording.ends_at)
        data = {
            "actor": director,
            "recording": recording,
            "legal_order": order,
            "recipient_kind": "agency",
            "recipient_name": "State Fire Marshal",
            "reason": "Order 2026-CV-1",
        }
        with time_machine.travel(order.expires_at, tick=False), pytest.raises(Refused):
            services.footage_release(**data)
        with time_machine.travel(order.expires_at - datetime.timedelta(microseconds=1), tick=False):
            assert services.footage_release(**data).clause == "CAM-6"

    def test_another_camera_is_outside_the_order(self, client, director, recording):
        other = RecordingFactory(
            camera=CameraFactory(), starts_at=recording.starts_at, ends_at=recording.ends_at
        )
        order = self._order(recording, recording.starts_at, recording.ends_at)
        client.force_login(director)
        response = client.post(NEW, _release(other, legal_order=order, recipient_kind="agency"))
        assert "Not released (CAM-6)" in response.content.decode()
        assert not FootageRelease.objects.exists()

    def test_only_the_portion_inside_the_window_is_covered(self, client, director, recording):
        half = recording.starts_at + (recording.ends_at - recording.starts_at) / 2
        order = self._order(recording, recording.starts_at, half)
        client.force_login(director)
        whole = client.post(NEW, _release(recording, legal_order=order, recipient_kind="agency"))
        assert "Not released (CAM-6)" in whole.content.decode()
        portion = client.post(
            NEW,
            _release(
                recording,
                legal_order=order,
                recipient_kind="agency",
                portion_from=local(recording.starts_at),
                portion_until=local(half),
            ),
        )
        assert portion.status_code == 302
        release = FootageRelease.objects.get()
        assert (release.portion_from, release.portion_until) == (recording.starts_at, half)


@pytest.mark.parametrize("with_order", [False, True])
def test_no_footage_ever_goes_to_a_patron(client, director, incident, recording, with_order):
    client.force_login(director)
    basis = {"incident": incident}
    if with_order:
        order = LegalOrderFactory()
        FootageOrderScopeFactory(
            order=order,
            cameras=[recording.camera],
            starts_at=recording.starts_at,
            ends_at=recording.ends_at,
        )
        basis = {"legal_order": order}
    response = client.post(NEW, _release(recording, recipient_kind="patron", **basis))
    assert "Not released (CAM-3)" in response.content.decode()
    assert not FootageRelease.objects.exists()


@pytest.mark.parametrize("who", NOT_DIRECTOR)
def test_nobody_but_the_director_releases_over_http(client, login_as, incident, recording, who):
    outside = OutsideRequestFactory(incident=incident)
    user = login_as(who)
    for url in (NEW, request_url(outside.pk)):
        assert client.get(url).status_code == 404
        assert client.post(url, _release(recording, incident=incident)).status_code == 404
    assert not FootageRelease.objects.exists()
    outside.refresh_from_db()
    assert outside.status == OutsideRequest.Status.QUEUED
    refused = footage_entries(actor_id=user.pk)
    assert refused.count() == 4
    assert {(e.decision, e.clause) for e in refused} == {
        ("refused", "CAM-3" if who == "alice" else "CAM-6")
    }


@pytest.mark.parametrize("role", [Role.PERSON_IN_CHARGE, Role.SECURITY_GUARD, Role.IT_STAFF])
def test_the_gate_refuses_a_release_by_anyone_else_and_logs_it(staff, incident, recording, role):
    actor = staff(role)
    with pytest.raises(Refused) as refused:
        services.footage_release(
            actor=actor,
            recording=recording,
            incident=incident,
            recipient_kind="police",
            recipient_name="Lawrence Police Department",
            reason="Help",
        )
    assert refused.value.decision.clause == "CAM-6"
    assert not FootageRelease.objects.exists()
    entry = footage_entries(actor_id=actor.pk).get()
    assert (entry.purpose, entry.decision, entry.object_id) == ("release", "refused", recording.pk)


class TestReleaseInput:
    def _call(self, director, **fields):
        data = {
            "actor": director,
            "recipient_kind": "police",
            "recipient_name": "Lawrence Police Department",
            "reason": "Help",
        }
        data.update(fields)
        return services.footage_release(**data)

    def test_a_release_names_a_recording_or_a_still(self, director, incident, recording):
        with pytest.raises(ValidationError) as both:
            self._call(
                director,
                recording=recording,
                still=StillFactory(incident=incident),
                incident=incident,
            )
        with pytest.raises(ValidationError) as neither:
            self._call(director, incident=incident)
        assert both.value.messages == neither.value.messages == [services.RELEASE_NEEDS_FOOTAGE]

    def test_a_release_rests_on_an_incident_or_an_order(self, director, incident, recording):
        with pytest.raises(ValidationError) as both:
            self._call(
                director, recording=recording, incident=incident, legal_order=LegalOrderFactory()
            )
        with pytest.raises(ValidationError) as neither:
            self._call(director, recording=recording)
        assert both.value.messages == neither.value.messages == [services.RELEASE_NEEDS_BASIS]

    def test_a_portion_lies_inside_the_recording(self, director, incident, recording):
        with pytest.raises(ValidationError) as refused:
            self._call(
                director,
                recording=recording,
                incident=incident,
                portion_from=recording.starts_at - datetime.timedelta(minutes=1),
            )
        assert refused.value.messages == [services.PORTION_OUTSIDE_RECORDING]
        assert not footage_entries().exists()

    def test_bad_input_on_the_page_changes_nothing(self, client, director, incident, recording):
        client.force_login(director)
        response = client.post(NEW, _release(recording))
        assert escape(services.RELEASE_NEEDS_BASIS) in response.content.decode()
        assert not FootageRelease.objects.exists()


class TestTheQueue:
    @pytest.mark.parametrize(
        "who",
        [
            "circulation",
            "reference",
            "person_in_charge",
            "security_guard",
            "it_staff",
            "director",
        ],
    )
    def test_any_staff_member_records_an_outside_request_for_the_director(
        self, client, login_as, who
    ):
        login_as(who)
        response = client.post(
            "/staff/facilities/requests/new/",
            {
                "requester_kind": "agency",
                "requester_name": "County Attorney",
                "footage_wanted": "Parking lot, 1 May 2-3 pm",
            },
        )
        assert response.status_code == 302
        assert OutsideRequest.objects.get().status == OutsideRequest.Status.QUEUED

    @pytest.mark.parametrize("who", ["alice", "root"])
    def test_patrons_and_roleless_users_cannot_record_requests(self, client, login_as, who):
        login_as(who)
        assert client.get("/staff/facilities/requests/new/").status_code == 404

    def test_the_director_sees_the_queue_and_opening_it_is_logged(self, client, director):
        outside = OutsideRequestFactory()
        client.force_login(director)
        response = client.get(QUEUE)
        assert response.status_code == 200
        assert request_url(outside.pk) in response.content.decode()
        assert client.get(request_url(outside.pk)).status_code == 200
        assert [(e.purpose, e.clause, e.decision) for e in footage_entries()] == [
            ("queue", "CAM-6", "allowed"),
            ("queue", "CAM-6", "allowed"),
        ]

    @pytest.mark.parametrize("who", NOT_DIRECTOR)
    def test_nobody_else_sees_the_queue(self, client, login_as, who):
        OutsideRequestFactory(requester_name="County Attorney")
        user = login_as(who)
        response = client.get(QUEUE)
        assert response.status_code == 404
        assert "County Attorney" not in response.content.decode()
        assert footage_entries(actor_id=user.pk, decision="refused").count() == 1

    def test_the_director_declines_with_a_reason(self, client, director):
        outside = OutsideRequestFactory(requester_kind="patron", requester_name="A patron")
        client.force_login(director)
        response = client.post(
            f"{request_url(outside.pk)}decline/", {"reason": "Patrons get no footage (CAM-3)."}
        )
        assert response.status_code == 302
        outside.refresh_from_db()
        assert (outside.status, outside.decided_by, outside.decision_note) == (
            OutsideRequest.Status.DECLINED,
            director,
            "Patrons get no footage (CAM-3).",
        )

    def test_nobody_else_declines(self, client, staff):
        outside = OutsideRequestFactory()
        client.force_login(staff(Role.PERSON_IN_CHARGE))
        response = client.post(f"{request_url(outside.pk)}decline/", {"reason": "No."})
        assert response.status_code == 404
        outside.refresh_from_db()
        assert outside.status == OutsideRequest.Status.QUEUED
