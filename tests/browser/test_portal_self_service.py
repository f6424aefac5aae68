"""Reading history, renewals and holds in Chromium, with the real circulation desk page."""

import pytest
from playwright.sync_api import expect

from circulation.models import Hold, Loan, ReadingHistoryEntry
from portal import views
from tests.factories import (
    ConsentFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    LoanRuleFactory,
    ReadingHistoryEntryFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _rules():
    LoanRuleFactory()


def test_history_switched_on_keeps_a_desk_return_and_switched_off_deletes_it(
    page, live_server, sign_in, staff_sign_in, shoot, bob, desk
):
    loan = LoanFactory(patron=bob, item__title="The Lantern Keeper", item__author="Ida Moss")
    sign_in(bob.card_number)
    page.get_by_role("link", name="Reading history", exact=True).click()
    expect(page.get_by_role("heading", name="Your reading history", level=1)).to_be_visible()
    expect(page.get_by_text("Turning it off deletes all of your history")).to_be_visible()
    shoot("portal-reading-history-off")
    page.get_by_role("button", name="Turn reading history on").click()
    expect(page.get_by_text(views.HISTORY_ON)).to_be_visible()

    page.context.clear_cookies()
    staff_sign_in(desk.username)
    page.goto(f"{live_server.url}/staff/circulation/desk/")
    page.get_by_label("Item barcode").fill(loan.item.barcode)
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("Checked in “The Lantern Keeper”")).to_be_visible()

    page.context.clear_cookies()
    sign_in(bob.card_number)
    page.get_by_role("link", name="Reading history", exact=True).click()
    expect(page.get_by_role("cell", name="The Lantern Keeper", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Ida Moss", exact=True)).to_be_visible()
    shoot("portal-reading-history")

    page.get_by_role("link", name="Turn off and delete my history").click()
    expect(page.get_by_text("This deletes the one entry in your reading history")).to_be_visible()
    shoot("portal-reading-history-turn-off")
    page.get_by_role("button", name="Turn off and delete").click()
    expect(page.get_by_text(views.HISTORY_OFF)).to_be_visible()
    expect(page.get_by_text("The Lantern Keeper")).to_have_count(0)
    assert not ReadingHistoryEntry.objects.filter(patron=bob).exists()
    assert not Loan.objects.filter(pk=loan.pk, patron=bob).exists()


def test_patron_searches_history_and_deletes_one_entry(page, live_server, sign_in, alice):
    ReadingHistoryEntryFactory(patron=alice, title="Prairie Winds", author="Ada Lark")
    ReadingHistoryEntryFactory(patron=alice, title="Harbor Lights", author="Ben Moss")
    sign_in(alice.card_number)
    page.goto(f"{live_server.url}/portal/reading-history/")
    page.get_by_label("Search your history by title or author").fill("lark")
    page.keyboard.press("Enter")
    expect(page.get_by_role("cell", name="Prairie Winds", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Harbor Lights", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Show all").click()
    page.get_by_role("link", name="Delete “Harbor Lights”").click()
    expect(page.get_by_text("“Harbor Lights” by Ben Moss")).to_be_visible()
    page.get_by_role("button", name="Delete the entry").click()
    expect(page.get_by_text(views.HISTORY_ENTRY_DELETED)).to_be_visible()
    expect(page.get_by_role("cell", name="Harbor Lights", exact=True)).to_have_count(0)
    expect(page.get_by_role("cell", name="Prairie Winds", exact=True)).to_be_visible()


def test_patron_renews_a_loan_from_the_account_page(page, live_server, sign_in, shoot, alice):
    loan = LoanFactory(patron=alice, item__title="Comet Season")
    HoldFactory(patron=alice, item__title="Willow Road")
    sign_in(alice.card_number)
    page.get_by_role("button", name="Renew “Comet Season”").click()
    expect(page.get_by_text("Renewed “Comet Season”. It is now due")).to_be_visible()
    expect(page.get_by_role("row", name="Comet Season")).to_contain_text("1 time")
    shoot("portal-account-renewed")
    loan.refresh_from_db()
    assert loan.renewals == 1


def test_patron_places_a_hold_from_the_catalogue_and_cancels_it(
    page, live_server, sign_in, shoot, alice, bob
):
    item = LoanFactory(patron=bob, item__title="The Silver Orchard", item__author="Uma Reyes").item
    ItemFactory(title="Orchard Songs", author="Liam Oduya")
    sign_in(alice.card_number)
    page.get_by_role("link", name="Catalogue", exact=True).click()
    page.get_by_label("Title, author, ISBN or barcode").fill("orchard")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="2 titles for “orchard”")).to_be_visible()
    shoot("portal-catalogue")
    page.get_by_role("link", name="Place a hold on “The Silver Orchard”").click()
    expect(page.get_by_label("Pick it up at")).to_have_value(str(alice.home_branch.pk))
    shoot("portal-hold-place")
    page.get_by_role("button", name="Place hold").click()
    expect(page.get_by_text("Hold placed on “The Silver Orchard”")).to_be_visible()
    assert Hold.objects.filter(patron=alice, record=item.record).exists()
    page.get_by_role("button", name="Cancel hold on “The Silver Orchard”").click()
    expect(page.get_by_text("Your hold on “The Silver Orchard” is cancelled.")).to_be_visible()
    assert not Hold.objects.filter(patron=alice).exists()


def test_screenshots_of_sign_in_and_consents(page, live_server, sign_in, shoot, alice):
    ConsentFactory(patron=alice, recipient="Homework Help Inc.", category="events")
    page.goto(f"{live_server.url}/portal/login/")
    shoot("portal-sign-in")
    sign_in(alice.card_number)
    page.get_by_role("link", name="Consents").click()
    expect(page.get_by_role("cell", name="Homework Help Inc.", exact=True)).to_be_visible()
    shoot("portal-consents")
