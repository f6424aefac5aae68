import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory

from circulation.models import Fine, Hold, Item, Loan, ReadingHistoryEntry
from demo.seed import ALICE, CAROL, DAN, DEMO_EXPORT_FOLDER, DEMO_LOGINS
from facilities.models import Ban, Camera, Incident, OutsideRequest, Recording, Still
from library.models import Branch
from patrons.models import Patron, ResponsibleAdult

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Branch,
            Patron,
            ResponsibleAdult,
            Item,
            Loan,
            Hold,
            Fine,
            ReadingHistoryEntry,
            Camera,
            Recording,
            Incident,
            Ban,
            Still,
            OutsideRequest,
        )
    }


@pytest.fixture
def seeded():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_seed_demo_loads_a_realistic_library(seeded):
    assert Patron.objects.count() == 200
    assert Item.objects.count() == 2000
    assert 20 <= Patron.objects.minors().count() <= 80
    assert Patron.objects.filter(keeps_reading_history=True).count() >= 10
    assert Loan.objects.filter(returned_at__isnull=True).count() == 300
    # Holds in every state the desk sees, each copy where its hold says it is.
    assert {"waiting", "in_transit", "ready"} <= set(Hold.objects.values_list("status", flat=True))
    for hold in Hold.objects.exclude(status="waiting").select_related("item"):
        item = hold.item
        if hold.status == "ready":
            assert (item.status, item.current_branch_id) == ("hold_shelf", hold.pickup_branch_id)
        else:
            assert (item.status, item.transit_to_id) == ("in_transit", hold.pickup_branch_id)
    assert not Hold.objects.filter(status="waiting", item__isnull=False).exists()
    assert Fine.objects.exists()


def test_running_seed_demo_twice_adds_nothing(seeded):
    before = _counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts() == before


def test_every_minor_has_a_responsible_adult(seeded):
    assert not Patron.objects.minors().filter(responsible_adults__isnull=True).exists()


def test_returned_loans_keep_a_patron_only_while_a_fine_is_unpaid(seeded):
    kept = Loan.objects.filter(returned_at__isnull=False, patron__isnull=False)
    assert kept.exists()
    assert not kept.exclude(fines__paid_at__isnull=True, fines__waived_at__isnull=True).exists()


def test_reading_history_only_for_patrons_who_opted_in(seeded):
    assert not ReadingHistoryEntry.objects.filter(patron__keeps_reading_history=False).exists()
    assert ReadingHistoryEntry.objects.filter(patron__card_number=ALICE).exists()


def test_carol_is_listed_for_dan(seeded):
    assert ResponsibleAdult.objects.filter(
        minor__card_number=DAN, adult__card_number=CAROL
    ).exists()


def test_every_demo_login_works_with_its_printed_password(seeded):
    for login in DEMO_LOGINS:
        user = authenticate(
            RequestFactory().post("/"), username=login.username, password=login.password
        )
        assert user is not None, login.username
        if login.role:
            assert user.groups.filter(name=login.role.group_name).exists()
            assert user.is_staff and not user.is_superuser
        else:
            assert not user.is_staff
            assert user.patron.card_number == login.card_number


def test_demo_patron_logins_keep_no_copy_of_the_patron_and_password_reset_works(seeded, client):
    from django.core import mail

    for login in DEMO_LOGINS:
        if login.card_number:
            user = User.objects.get(username=login.username)
            # The patron record is the one source of who they are (issue 14, case 6).
            assert (user.email, user.first_name, user.last_name) == ("", "", "")
    alice = Patron.objects.get(card_number=ALICE)
    response = client.post("/portal/password-reset/", {"email": alice.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [alice.email]


def test_a_second_run_wipes_a_copy_put_on_a_login_and_adds_nothing(seeded):
    User.objects.filter(username="alice").update(email="copy@example.org")
    before = _counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts() == before
    assert User.objects.get(username="alice").email == ""


def test_every_demo_staff_login_has_a_branch_and_its_reads_record_it(seeded, client):
    from audit.models import AuditEntry
    from library.models import StaffProfile
    from tests.factories import IncidentFactory

    staff = [login for login in DEMO_LOGINS if login.role]
    profiles = dict(
        StaffProfile.objects.filter(
            user__username__in=[login.username for login in staff]
        ).values_list("user__username", "branch__code")
    )
    assert profiles == {login.username: login.branch for login in staff}
    # The guard of issue 15, case 6: their reads had no branch for the patron to see.
    guard = User.objects.get(username="guard")
    alice = Patron.objects.get(card_number=ALICE)
    incident = IncidentFactory(branch=Branch.objects.get(code="CEN"))
    incident.people.create(patron=alice, involvement="subject")
    client.force_login(guard)
    assert client.get(f"/staff/facilities/incidents/{incident.pk}/").status_code == 200
    read = AuditEntry.objects.filter(object_id=alice.pk, purpose="incident").get()
    assert read.additional_data["branch"] == "CEN"


def test_the_demo_has_footage_for_the_guard_and_the_director(seeded, settings):
    import hashlib

    from django.core.files.storage import default_storage

    from facilities.models import PRIVATE_LOCATION_TYPES

    assert Camera.objects.count() >= 3
    assert not Camera.objects.filter(location_type__in=PRIVATE_LOCATION_TYPES).exists()
    recordings = list(Recording.objects.all())
    assert len(recordings) >= 6
    for recording in recordings:
        # A placeholder file in the footage storage, with its real SHA-256.
        with default_storage.open(recording.file.name, "rb") as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == recording.sha256
    assert str(settings.MEDIA_ROOT) in default_storage.path(recordings[0].file.name)
    assert len({recording.sha256 for recording in recordings}) == len(recordings)
    # A still shared with all staff while its ban lasts (CAM-4), one kept only for the incident.
    assert [still.is_shared() for still in Still.objects.order_by("taken_at")] == [True, False]
    assert Ban.objects.in_effect().exists()
    assert OutsideRequest.objects.filter(status="queued").exists()


def test_the_demo_recorder_export_imports_two_and_refuses_two(seeded, settings):
    from io import StringIO

    folder = settings.MEDIA_ROOT / DEMO_EXPORT_FOLDER
    out, err = StringIO(), StringIO()
    call_command("import_footage", str(folder), stdout=out, stderr=err)
    assert out.getvalue().strip() == "imported 2 recordings; skipped 0 already present; refused 2"
    refusals = err.getvalue().strip().splitlines()
    assert "restroom" in refusals[0] and "CAM-2" in refusals[0]
    assert "does not match its sha256" in refusals[1]
