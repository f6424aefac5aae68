"""A patron's hold in Chromium (issue 17): find a title, hold it, see it ready after the scans.

The copy sits on a shelf at another branch: the hold waits for the pull list,
Eastside's desk scans it (in transit), Central's desk scans it on arrival (hold
shelf), and the patron's account then says it is ready, with the hold-ready
notice in the outbox. On a phone-sized screen the catalogue never scrolls sideways.
"""

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from circulation.models import Hold
from library.roles import Role
from tests.conftest import StaffClient
from tests.factories import BranchFactory, ItemFactory, LoanRuleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def _desk_scan(branch, barcode: str) -> None:
    desk = StaffClient()
    desk.force_login(UserFactory(username=f"desk-{branch.code.lower()}", role=Role.CIRCULATION))
    desk.post(reverse("circulation:desk_branch"), {"branch": branch.pk})
    desk.post(reverse("circulation:desk_checkin"), {"checkin-barcode": barcode})


def test_a_patron_holds_a_title_and_sees_it_ready_after_the_desks_scans(
    page, live_server, sign_in, shoot, alice, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    LoanRuleFactory()
    central = alice.home_branch
    east = BranchFactory(code="EST", name="Eastside Branch")
    copy = ItemFactory(branch=east, title="Tallgrass Prairie", author="Moss, Ida")
    page.set_viewport_size(PHONE)
    sign_in(alice.card_number)

    page.get_by_role("link", name="Catalogue", exact=True).click()
    page.get_by_label("Title, author, ISBN or barcode").fill("tallgrass")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 title for “tallgrass”")).to_be_visible()
    expect(page.get_by_text("Eastside Branch: 1 on the shelf")).to_be_visible()
    # One card per title: nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot("patron-hold-1-catalogue-phone")

    page.get_by_role("link", name="Place a hold on “Tallgrass Prairie”").click()
    expect(page.get_by_label("Pick it up at")).to_have_value(str(central.pk))
    page.get_by_role("button", name="Place hold").click()
    expect(page.get_by_text("Hold placed on “Tallgrass Prairie”")).to_be_visible()
    holds = page.get_by_role("region", name="Holds")
    expect(holds).to_contain_text("Waiting")
    shoot("patron-hold-2-waiting")

    _desk_scan(east, copy.barcode)  # pulled at Eastside: in transit to Central
    page.reload()
    expect(page.get_by_role("region", name="Holds")).to_contain_text("On its way to")
    assert mail.outbox == []  # not ready yet: nobody is told

    _desk_scan(central, copy.barcode)  # arrived: on Central's hold shelf
    hold = Hold.objects.get(patron=alice)
    assert hold.status == Hold.Status.READY
    page.reload()
    expect(page.get_by_role("region", name="Holds")).to_contain_text("Ready")
    shoot("patron-hold-3-ready")
    ready = [message for message in mail.outbox if alice.email in message.to]
    assert len(ready) == 1
    # The patron did not choose to have titles named in notices: the mail says
    # where and until when, never what.
    assert "Central" in ready[0].body
    assert "Tallgrass" not in ready[0].body + ready[0].subject
