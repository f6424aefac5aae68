"""Holds that follow the copy (issue 17), from the outside: the patron's portal and two desks.

A hold on a copy at another branch is pulled there, travels, is ready on arrival
(and the patron is told), and when nobody collects it the copy goes on to the
next patron in line.
"""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from circulation import services, signals
from circulation.models import Hold, Item
from library.roles import Role
from tests.conftest import StaffClient
from tests.factories import BranchFactory, ItemFactory, LoanRuleFactory, PatronFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def branches():
    LoanRuleFactory()
    return BranchFactory(code="CEN", name="Central Library"), BranchFactory(
        code="EST", name="Eastside Branch"
    )


@pytest.fixture
def heard():
    """Every hold_ready and hold_expired signal sent, as (signal name, kwargs)."""
    said: list[tuple[str, dict]] = []

    def ready(sender, **kwargs):
        said.append(("ready", kwargs))

    def expired(sender, **kwargs):
        said.append(("expired", kwargs))

    signals.hold_ready.connect(ready, weak=False)
    signals.hold_expired.connect(expired, weak=False)
    yield said
    signals.hold_ready.disconnect(ready)
    signals.hold_expired.disconnect(expired)


def _desk_at(branch) -> StaffClient:
    client = StaffClient()
    client.force_login(UserFactory(username=f"desk-{branch.code}", role=Role.CIRCULATION))
    client.post(reverse("circulation:desk_branch"), {"branch": branch.pk})
    return client


def _scan(desk, barcode) -> str:
    response = desk.post(reverse("circulation:desk_checkin"), {"checkin-barcode": barcode})
    return desk.get(response["Location"]).content.decode()


def _portal(patron) -> Client:
    client = Client()
    client.force_login(patron.user)
    return client


def _page(client, name, branch=None) -> str:
    query = {"branch": branch.pk} if branch else {}
    return client.get(reverse(name), query).content.decode()


def test_a_hold_on_a_copy_at_another_branch_is_pulled_travels_is_ready_and_told(
    branches, heard, django_capture_on_commit_callbacks
):
    central, east = branches
    copy = ItemFactory(branch=east, title="The Orchard Keeper", call_number="813 ORC")
    reader = PatronFactory(home_branch=central, user=UserFactory(username="reader"))
    portal = _portal(reader)
    central_desk, east_desk = _desk_at(central), _desk_at(east)

    # The patron finds the title and places a hold, to pick up at Central.
    found = portal.get(reverse("portal:catalogue"), {"q": "orchard"}).content.decode()
    assert "Eastside Branch" in found and "1 on the shelf" in found
    portal.post(reverse("portal:hold_place", args=[copy.record.pk]), {"pickup_branch": central.pk})
    hold = Hold.objects.get(patron=reader)
    assert hold.status == Hold.Status.WAITING
    assert "Waiting" in _page(portal, "portal:account")

    # Eastside's pull list names the copy (and no patron); Central's does not.
    pull = _page(east_desk, "circulation:pull_list")
    assert "The Orchard Keeper" in pull and copy.barcode in pull and "813 ORC" in pull
    assert reader.last_name not in pull and reader.card_number not in pull
    assert "The Orchard Keeper" not in _page(central_desk, "circulation:pull_list")

    # Eastside scans it: it travels to Central.
    with django_capture_on_commit_callbacks(execute=True):
        said = _scan(east_desk, copy.barcode)
    assert "send it to Central Library" in said
    copy.refresh_from_db()
    hold.refresh_from_db()
    assert (copy.status, copy.transit_to) == (Item.Status.IN_TRANSIT, central)
    assert hold.status == Hold.Status.IN_TRANSIT and hold.item == copy
    assert "The Orchard Keeper" not in _page(east_desk, "circulation:pull_list")
    assert copy.barcode in _page(central_desk, "circulation:in_transit")
    assert "On its way to Central Library" in _page(portal, "portal:account")
    assert heard == []  # not ready yet: nobody is told

    # Central receives it: on the hold shelf, and the patron is told once.
    with django_capture_on_commit_callbacks(execute=True):
        said = _scan(central_desk, copy.barcode)
    assert "Hold shelf:" in said
    hold.refresh_from_db()
    copy.refresh_from_db()
    assert hold.status == Hold.Status.READY and hold.ready_until is not None
    assert (copy.status, copy.current_branch) == (Item.Status.ON_HOLD_SHELF, central)
    assert heard == [
        (
            "ready",
            {
                "signal": signals.hold_ready,
                "hold_id": hold.pk,
                "patron_id": reader.pk,
                "title": "The Orchard Keeper",
                "pickup_branch": "Central Library",
                "ready_until": hold.ready_until,
            },
        )
    ]
    shelf = _page(central_desk, "circulation:hold_shelf")
    assert reader.last_name in shelf and copy.barcode in shelf
    assert "Ready" in _page(portal, "portal:account")


def test_an_uncollected_hold_expires_and_the_copy_goes_to_the_next_in_line(
    branches, heard, django_capture_on_commit_callbacks
):
    central, east = branches
    copy = ItemFactory(branch=central, title="Winter Harbor")
    first, second = PatronFactory(home_branch=central), PatronFactory(home_branch=east)
    services.hold_place(patron=first, barcode=copy.barcode, pickup_branch=central)
    later = timezone.now() + datetime.timedelta(minutes=1)
    services.hold_place(patron=second, barcode=copy.barcode, pickup_branch=east, now=later)
    services.loan_checkin(barcode=copy.barcode, branch=central)
    ready = Hold.objects.get(patron=first)
    assert ready.status == Hold.Status.READY

    # The day after the last pickup day, the nightly purge expires it.
    after = timezone.make_aware(
        datetime.datetime.combine(ready.ready_until + datetime.timedelta(days=1), datetime.time(2))
    )
    with (
        time_machine.travel(after, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("purge_expired", stdout=io.StringIO(), stderr=io.StringIO())
    assert not Hold.objects.filter(patron=first).exists()
    moved = Hold.objects.get(patron=second)
    # Not ready for anyone until the desk takes it off the shelf and scans it:
    # the copy still carries the first patron's slip.
    assert moved.status == Hold.Status.WAITING
    desk = _desk_at(central)
    shelf = _page(desk, "circulation:hold_shelf")
    assert "To take off the shelf (1)" in shelf and copy.barcode in shelf
    with django_capture_on_commit_callbacks(execute=True):
        said = _scan(desk, copy.barcode)
    assert "send it to Eastside Branch" in said
    moved.refresh_from_db()
    copy.refresh_from_db()
    # The second patron picks up at Eastside: the copy travels there for them.
    assert moved.status == Hold.Status.IN_TRANSIT and moved.item == copy
    assert (copy.status, copy.transit_to) == (Item.Status.IN_TRANSIT, east)
    assert [(name, kwargs["patron_id"], kwargs["title"]) for name, kwargs in heard] == [
        ("expired", first.pk, "Winter Harbor")
    ]


def test_a_cancelled_ready_hold_readies_nobody_until_the_copy_is_scanned(branches, heard):
    central, _ = branches
    copy = ItemFactory(branch=central)
    first, second = PatronFactory(home_branch=central), PatronFactory(home_branch=central)
    hold = services.hold_place(patron=first, barcode=copy.barcode, pickup_branch=central)
    later = timezone.now() + datetime.timedelta(minutes=1)
    services.hold_place(patron=second, barcode=copy.barcode, pickup_branch=central, now=later)
    services.loan_checkin(barcode=copy.barcode, branch=central)
    services.hold_cancel(patron=first, hold_id=hold.pk)
    waiting = Hold.objects.get(patron=second)
    assert waiting.status == Hold.Status.WAITING
    # Checking it out to someone else while it sits there is still refused:
    # the second patron is waiting for it.
    with pytest.raises(services.CirculationError):
        services.loan_checkout(patron=PatronFactory(), barcode=copy.barcode, branch=central)
    result = services.loan_checkin(barcode=copy.barcode, branch=central)
    waiting.refresh_from_db()
    assert result.routing == services.Routing.HOLD_SHELF and waiting.status == Hold.Status.READY


def test_a_copy_on_the_hold_shelf_goes_only_to_its_holder(branches):
    central, _ = branches
    copy = ItemFactory(branch=central)
    holder, other = PatronFactory(home_branch=central), PatronFactory(home_branch=central)
    services.hold_place(patron=holder, barcode=copy.barcode, pickup_branch=central)
    services.loan_checkin(barcode=copy.barcode, branch=central)
    with pytest.raises(services.CirculationError) as refusal:
        services.loan_checkout(patron=other, barcode=copy.barcode, branch=central)
    assert refusal.value.message == services.ITEM_ON_HOLD_SHELF
    services.loan_checkout(patron=holder, barcode=copy.barcode, branch=central)
    assert not Hold.objects.exists()


def test_a_hold_on_one_copy_waits_for_that_copy_only(branches):
    central, _ = branches
    wanted = ItemFactory(branch=central)
    other = ItemFactory(branch=central, record=wanted.record)
    patron = PatronFactory(home_branch=central)
    hold = services.hold_place(
        patron=patron, barcode=wanted.barcode, pickup_branch=central, copy_only=True
    )
    with pytest.raises(services.CirculationError):  # a shelf scan nobody wants
        services.loan_checkin(barcode=other.barcode, branch=central)
    result = services.loan_checkin(barcode=wanted.barcode, branch=central)
    hold.refresh_from_db()
    assert result.routing == services.Routing.HOLD_SHELF and hold.item == wanted


def test_a_lost_copy_that_turns_up_is_checked_in_and_fills_a_waiting_hold(branches):
    central, _ = branches
    copy = ItemFactory(branch=central)
    borrower, waiting = PatronFactory(home_branch=central), PatronFactory(home_branch=central)
    loan = services.loan_checkout(patron=borrower, barcode=copy.barcode, branch=central)
    services.hold_place(patron=waiting, barcode=copy.barcode, pickup_branch=central)
    services.fine_charge(patron=borrower, loan_id=loan.pk, reason="lost", amount=20)
    result = services.loan_checkin(barcode=copy.barcode, branch=central)
    assert result.routing == services.Routing.HOLD_SHELF
    assert Hold.objects.get(patron=waiting).status == Hold.Status.READY


def test_renewal_is_refused_while_waiting_holds_outnumber_the_copies_on_the_shelf(branches):
    central, _ = branches
    out = ItemFactory(branch=central)
    spare = ItemFactory(branch=central, record=out.record)
    borrower = PatronFactory(home_branch=central)
    loan = services.loan_checkout(patron=borrower, barcode=out.barcode, branch=central)
    services.hold_place(patron=PatronFactory(), barcode=out.barcode, pickup_branch=central)
    services.loan_renew(patron=borrower, loan_id=loan.pk)  # the spare copy can fill it
    Item.objects.filter(pk=spare.pk).update(status=Item.Status.WITHDRAWN)
    with pytest.raises(services.CirculationError) as refusal:
        services.loan_renew(patron=borrower, loan_id=loan.pk)
    assert refusal.value.message == services.ITEM_HELD_FOR_ANOTHER


def test_the_hold_shelf_shows_holders_only_to_roles_the_gate_lets_read_them(branches, client):
    from audit.models import AuditEntry

    central, _ = branches
    copy = ItemFactory(branch=central)
    holder = PatronFactory(home_branch=central, last_name="Zanzibar")
    services.hold_place(patron=holder, barcode=copy.barcode, pickup_branch=central)
    services.loan_checkin(barcode=copy.barcode, branch=central)
    desk = _desk_at(central)
    before = AuditEntry.objects.count()
    assert "Zanzibar" in _page(desk, "circulation:hold_shelf")
    assert AuditEntry.objects.count() > before  # the holder shown was logged as read
    client.force_login(UserFactory(username="guard", role=Role.SECURITY_GUARD))
    missing = client.get("/staff/circulation/desk/no-such-page/")
    refused = client.get(reverse("circulation:hold_shelf"))
    assert refused.status_code == missing.status_code == 404
    assert "Zanzibar" not in refused.content.decode()
