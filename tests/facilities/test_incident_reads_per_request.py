"""Issue 15, case 6: a guard working an incident writes one read of a patron per request,
every read records the branch it was made at, and the patron sees the guard's reads of one
day as one counted line."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from library.models import StaffProfile
from library.roles import Role
from tests.facilities.helpers import local
from tests.factories import BranchFactory, IncidentFactory, RecordingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def guard(staff):
    user = staff(Role.SECURITY_GUARD)
    StaffProfile.objects.create(user=user, branch=BranchFactory(code="NTH", name="North Branch"))
    return user


def _head() -> int:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _reads_of(patron, since):
    return list(
        AuditEntry.objects.filter(
            object_id=patron.pk,
            content_type__model="patron",
            action=AuditEntry.Action.ACCESS,
            seq__gt=since,
        ).order_by("seq")
    )


def _walk(client, incident, alice, bob):
    """A guard's day with an incident, one request at a time: (what, response) per request."""
    page = f"/staff/facilities/incidents/{incident.pk}/"
    now = timezone.now()
    steps = [
        ("open the incident", lambda: client.get(page)),
        (
            "add alice",
            lambda: client.post(
                page + "people/", {"involvement": "subject", "card_number": alice.card_number}
            ),
        ),
        ("open it again", lambda: client.get(page)),
        (
            "add bob",
            lambda: client.post(
                page + "people/", {"involvement": "witness", "card_number": bob.card_number}
            ),
        ),
        (
            "add alice twice",
            lambda: client.post(
                page + "people/", {"involvement": "witness", "card_number": alice.card_number}
            ),
        ),
        ("open the ban form", lambda: client.get(page + "bans/new/")),
        (
            "ban alice",
            lambda: client.post(
                page + "bans/new/",
                {
                    "person": incident.people.get(patron=alice).pk,
                    "starts_at": local(now),
                    "ends_at": local(now + datetime.timedelta(days=7)),
                    "all_branches": "on",
                },
            ),
        ),
        ("open the bans", lambda: client.get("/staff/facilities/bans/")),
        ("open the incident once more", lambda: client.get(page)),
    ]
    for what, request in steps:
        since = _head()
        response = request()
        assert response.status_code in (200, 302), what
        yield what, since


def test_each_request_of_the_incident_flow_writes_one_read_of_a_patron(client, guard, alice, bob):
    client.force_login(guard)
    incident = IncidentFactory()
    for what, since in _walk(client, incident, alice, bob):
        for patron in (alice, bob):
            reads = _reads_of(patron, since)
            assert len(reads) <= 1, (what, patron.first_name, len(reads))
            for read in reads:
                assert read.additional_data["branch"] == "NTH", what


def test_the_patron_sees_the_guards_day_as_one_counted_line_with_the_branch(
    client, guard, alice, bob
):
    client.force_login(guard)
    incident = IncidentFactory()
    requests = sum(
        1 for what, since in _walk(client, incident, alice, bob) if _reads_of(alice, since)
    )
    assert requests == 7  # each request that showed or looked up alice
    client.force_login(alice.user)
    page = client.get("/portal/who-has-seen-my-record/").content.decode()
    assert page.count("Security guard") == 1
    assert "NTH" in page and f"{requests} reads" in page


def test_a_release_to_police_keeps_the_guards_read_and_the_disclosure_apart(client, guard, alice):
    """The guard's own read and what police were given are two reads, both at the guard's branch."""
    client.force_login(guard)
    incident = IncidentFactory()
    page = f"/staff/facilities/incidents/{incident.pk}/"
    client.post(page + "people/", {"involvement": "subject", "card_number": alice.card_number})
    person = incident.people.get()
    since = _head()
    response = client.post(page + "police/", {"person": person.pk, "agency": "PD", "officer": "Q"})
    assert response.status_code == 302
    reads = _reads_of(alice, since)
    assert sorted(read.additional_data["requester"] for read in reads) == [
        "law_enforcement",
        "staff",
    ]
    assert {read.additional_data["branch"] for read in reads} == {"NTH"}
    police = next(r for r in reads if r.additional_data["requester"] == "law_enforcement")
    assert police.additional_data["incident"] == incident.pk


def test_a_list_page_still_writes_one_read_per_patron_shown(client, director, alice, bob, carol):
    client.force_login(director)
    since = _head()
    assert client.get("/staff/admin/patrons/patron/").status_code == 200
    listed = AuditEntry.objects.filter(
        seq__gt=since, action=AuditEntry.Action.ACCESS, purpose="registration"
    )
    assert sorted(listed.values_list("object_id", flat=True)) == sorted(
        [alice.pk, bob.pk, carol.pk]
    )


def test_two_requests_write_two_reads(client, guard, alice):
    client.force_login(guard)
    incident = IncidentFactory()
    incident.people.create(patron=alice, involvement="subject")
    since = _head()
    client.get(f"/staff/facilities/incidents/{incident.pk}/")
    client.get(f"/staff/facilities/incidents/{incident.pk}/")
    assert len(_reads_of(alice, since)) == 2


def test_a_guards_footage_read_records_the_branch(client, guard):
    recording = RecordingFactory()
    client.force_login(guard)
    assert client.get(f"/staff/facilities/recordings/{recording.pk}/").status_code == 200
    entry = AuditEntry.objects.filter(category="footage").get()
    assert entry.additional_data["branch"] == "NTH"
