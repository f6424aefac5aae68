"""Every staff read records the branch it was made at: the desk's chosen branch, else the
staff member's own; a patron's own read records none."""

import pytest

from audit.models import AuditEntry
from library.models import StaffProfile
from tests.factories import BranchFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def central():
    return BranchFactory(code="CEN", name="Central Library")


@pytest.fixture
def west():
    return BranchFactory(code="WST", name="West Branch")


def _branches_of_reads(patron):
    return {
        entry.additional_data.get("branch")
        for entry in AuditEntry.objects.filter(object_id=patron.pk, action=AuditEntry.Action.ACCESS)
    }


def test_a_desk_clerks_read_records_the_branch_the_desk_chose(client, desk, alice, central, west):
    StaffProfile.objects.create(user=desk, branch=central)
    client.force_login(desk)
    client.post("/staff/circulation/desk/branch/", {"branch": west.pk})
    response = client.post("/staff/circulation/desk/", {"card_number": alice.card_number})
    assert response.status_code == 302
    assert _branches_of_reads(alice) == {"WST"}


def test_a_desk_clerks_read_records_their_own_branch_until_the_desk_chooses(
    client, desk, alice, central
):
    StaffProfile.objects.create(user=desk, branch=central)
    client.force_login(desk)
    client.post("/staff/circulation/desk/", {"card_number": alice.card_number})
    assert _branches_of_reads(alice) == {"CEN"}


def test_the_directors_read_records_their_branch(client, director, alice, west):
    StaffProfile.objects.create(user=director, branch=west)
    client.force_login(director)
    assert client.get(f"/staff/admin/patrons/patron/{alice.pk}/change/").status_code == 200
    assert _branches_of_reads(alice) == {"WST"}


def test_a_patrons_own_read_records_no_branch(client, alice):
    client.force_login(alice.user)
    client.get("/portal/")
    assert _branches_of_reads(alice) == {None}
