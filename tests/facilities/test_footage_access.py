"""CAM-3 over HTTP: only security guards, persons in charge and IT staff watch footage, from
staff networks when a limit is set; every view and every refusal is in the audit trail."""

import pytest

from audit.models import AuditEntry
from tests.conftest import page_text
from tests.factories import MP4_BYTES, RecordingFactory

pytestmark = pytest.mark.django_db

VIEWERS = ["security_guard", "person_in_charge", "it_staff"]
# The director decides releases (CAM-5, CAM-6) but is not among CAM-3's viewers.
REFUSED = ["director", "circulation", "reference", "auditor", "alice", "bob", "root"]


def detail(pk):
    return f"/staff/facilities/recordings/{pk}/"


def file_url(pk):
    return f"/staff/facilities/recordings/{pk}/file/"


def footage_entries(**filters):
    return AuditEntry.objects.filter(category="footage", **filters).order_by("seq")


@pytest.fixture
def recording():
    return RecordingFactory()


@pytest.mark.parametrize("who", VIEWERS)
def test_designated_viewers_watch_a_recording_and_each_view_is_logged(
    client, login_as, recording, who
):
    user = login_as(who)
    page = client.get(detail(recording.pk))
    assert page.status_code == 200
    assert file_url(recording.pk) in page.content.decode()
    played = client.get(file_url(recording.pk))
    assert played.status_code == 200
    assert b"".join(played.streaming_content) == MP4_BYTES
    assert "no-store" in played["Cache-Control"]
    entries = list(footage_entries(actor_id=user.pk))
    assert [(e.purpose, e.clause, e.decision, e.object_id) for e in entries] == [
        ("view", "CAM-3", "allowed", recording.pk),
        ("play", "CAM-3", "allowed", recording.pk),
    ]
    assert entries[0].content_type.model == "recording"
    assert entries[0].additional_data["camera"] == recording.camera_id


@pytest.mark.parametrize("who", REFUSED)
def test_everyone_else_gets_not_found_and_the_refusal_is_logged(client, login_as, recording, who):
    user = login_as(who)
    missing = client.get(detail(recording.pk + 1000))
    for url in (detail(recording.pk), file_url(recording.pk)):
        response = client.get(url)
        assert response.status_code == 404
        assert page_text(response) == page_text(missing)
        assert MP4_BYTES not in response.content
    refused = footage_entries(actor_id=user.pk, object_id=recording.pk, decision="refused")
    assert [(e.purpose, e.clause) for e in refused] == [("view", "CAM-3"), ("play", "CAM-3")]


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_a_patron_is_refused_footage_under_cam_3(client, login_as, recording, who):
    user = login_as(who)
    assert client.get(file_url(recording.pk)).status_code == 404
    entry = footage_entries(actor_id=user.pk).get()
    assert (entry.clause, entry.decision) == ("CAM-3", "refused")
    assert entry.additional_data["basis"] == "patrons have no access to footage"


def test_anonymous_visitors_are_sent_to_sign_in_and_see_no_footage(client, recording):
    response = client.get(file_url(recording.pk))
    assert response.status_code == 302
    assert "/staff/admin/login/" in response["Location"]


def test_a_missing_recording_looks_like_a_refused_one_and_is_logged(client, login_as, recording):
    user = login_as("security_guard")
    response = client.get(detail(recording.pk + 1000))
    assert response.status_code == 404
    entry = footage_entries(actor_id=user.pk).get()
    assert (entry.object_pk, entry.object_id, entry.decision) == (
        str(recording.pk + 1000),
        None,
        "refused",
    )


def test_the_recordings_list_opens_for_viewers_and_the_director_only(client, login_as, recording):
    for who in [*VIEWERS, "director"]:
        login_as(who)
        assert client.get("/staff/facilities/recordings/").status_code == 200, who
    for who in ["circulation", "reference", "auditor", "alice", "root"]:
        login_as(who)
        assert client.get("/staff/facilities/recordings/").status_code == 404, who


def test_the_recordings_list_shows_no_footage_and_logs_no_view(client, login_as, recording):
    login_as("security_guard")
    response = client.get("/staff/facilities/recordings/")
    assert f"#{recording.pk}" in response.content.decode()
    assert not footage_entries().exists()


class TestStaffNetworks:
    """CAM-3: with FOOTAGE_ALLOWED_NETWORKS set, footage opens only from inside those ranges."""

    @pytest.fixture(autouse=True)
    def _limit(self, settings):
        settings.FOOTAGE_ALLOWED_NETWORKS = ["10.20.0.0/16", "2001:db8:20::/48"]
        settings.TRUSTED_PROXY_COUNT = 0

    @pytest.mark.parametrize("address", ["10.20.4.7", "2001:db8:20::9"])
    def test_a_viewer_inside_the_staff_network_watches(self, client, login_as, recording, address):
        login_as("security_guard")
        assert client.get(detail(recording.pk), REMOTE_ADDR=address).status_code == 200

    @pytest.mark.parametrize("address", ["192.0.2.9", "10.21.0.1", "2001:db8:21::9"])
    def test_a_viewer_outside_it_is_refused_and_logged(self, client, login_as, recording, address):
        user = login_as("person_in_charge")
        assert client.get(detail(recording.pk), REMOTE_ADDR=address).status_code == 404
        entry = footage_entries(actor_id=user.pk).get()
        assert (entry.clause, entry.decision, entry.additional_data["basis"]) == (
            "CAM-3",
            "refused",
            "outside the staff networks",
        )
        assert entry.remote_addr == address

    def test_a_forged_forwarded_for_does_not_open_the_network(self, client, login_as, recording):
        login_as("security_guard")
        response = client.get(
            detail(recording.pk), REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="10.20.4.7"
        )
        assert response.status_code == 404

    def test_behind_a_trusted_proxy_the_client_address_counts(
        self, client, login_as, recording, settings
    ):
        settings.TRUSTED_PROXY_COUNT = 1
        login_as("security_guard")
        inside = client.get(
            detail(recording.pk), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="10.20.4.7"
        )
        outside = client.get(
            detail(recording.pk), REMOTE_ADDR="10.20.0.2", HTTP_X_FORWARDED_FOR="192.0.2.9"
        )
        assert (inside.status_code, outside.status_code) == (200, 404)

    def test_an_ipv4_client_seen_by_a_server_on_ipv6_counts_as_ipv4(
        self, client, login_as, recording
    ):
        # A server bound to [::] sees IPv4 clients as IPv4-mapped IPv6 addresses.
        login_as("security_guard")
        inside = client.get(detail(recording.pk), REMOTE_ADDR="::ffff:10.20.1.5")
        outside = client.get(detail(recording.pk), REMOTE_ADDR="::ffff:192.0.2.1")
        assert (inside.status_code, outside.status_code) == (200, 404)
        refused = footage_entries(decision="refused").get()
        assert refused.remote_addr == "192.0.2.1"

    @pytest.mark.parametrize(
        ("forwarded", "status"),
        [
            ("10.20.1.5:50123", 200),
            ("[::ffff:10.20.1.5]:443", 200),
            ("[2001:db8:20::7]:443", 200),
            ("192.0.2.1:50123", 404),
            ("[2001:db8:21::7]", 404),
            ("10.20.1.5:port", 404),
        ],
    )
    def test_behind_a_proxy_a_forwarded_address_with_a_port_is_the_client(
        self, client, login_as, recording, settings, forwarded, status
    ):
        settings.TRUSTED_PROXY_COUNT = 1
        login_as("security_guard")
        response = client.get(
            detail(recording.pk), REMOTE_ADDR="10.20.0.2", HTTP_X_FORWARDED_FOR=forwarded
        )
        assert response.status_code == status

    def test_a_limit_written_as_mapped_addresses_covers_their_ipv4_clients(
        self, client, login_as, recording, settings
    ):
        settings.FOOTAGE_ALLOWED_NETWORKS = ["::ffff:10.20.0.0/112"]
        login_as("security_guard")
        assert client.get(detail(recording.pk), REMOTE_ADDR="10.20.1.5").status_code == 200
        assert client.get(detail(recording.pk), REMOTE_ADDR="10.21.1.5").status_code == 404

    def test_without_a_limit_any_address_will_do(self, client, login_as, recording, settings):
        settings.FOOTAGE_ALLOWED_NETWORKS = []
        login_as("it_staff")
        assert client.get(detail(recording.pk), REMOTE_ADDR="192.0.2.9").status_code == 200


def test_a_bad_network_setting_stops_start_up(settings):
    from facilities.checks import footage_networks_check

    settings.FOOTAGE_ALLOWED_NETWORKS = ["10.20.0.0/16", "staff-lan"]
    errors = footage_networks_check(None)
    assert [error.id for error in errors] == ["facilities.E001"]
    settings.FOOTAGE_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert footage_networks_check(None) == []
