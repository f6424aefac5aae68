"""A patron's and a parent's journeys through the portal, in Chromium."""

import pytest
from playwright.sync_api import expect

from tests.factories import LoanFactory, ReadingHistoryEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_patron_signs_in_and_sees_their_loans(page, live_server, sign_in, shoot, alice):
    loan = LoanFactory(patron=alice, item__title="The Quiet Orchard")
    sign_in(alice.card_number)
    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()
    expect(page.get_by_role("cell", name=loan.item.record.title, exact=False).first).to_be_visible()
    shoot("portal-account")


def test_a_wrong_password_is_said_in_words(page, live_server, sign_in, alice):
    sign_in(alice.card_number, "not-the-password")
    expect(page.get_by_text("do not match")).to_be_visible()


def test_parent_sees_the_child_but_not_the_childs_reading_history(
    page, live_server, sign_in, shoot, carol, dan
):
    LoanFactory(patron=dan, item__title="Dragons of the Prairie")
    ReadingHistoryEntryFactory(patron=dan, title="A Private Diary of Poems")
    sign_in(carol.card_number)
    page.get_by_role("link", name=dan.full_name).click()
    expect(page.get_by_role("heading", name=f"{dan.full_name}'s account")).to_be_visible()
    expect(page.get_by_text("Dragons of the Prairie")).to_be_visible()
    expect(page.get_by_text("A Private Diary of Poems")).to_have_count(0)
    shoot("portal-minor-account")


def test_patron_cannot_reach_another_patrons_pages(page, live_server, sign_in, alice, bob, dan):
    sign_in(bob.card_number)
    for path in (f"/portal/minors/{dan.pk}/", f"/portal/minors/{alice.pk}/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        expect(page.get_by_text(alice.last_name)).to_have_count(0)


def test_who_has_seen_my_record_lists_a_desk_read(
    page, live_server, staff_sign_in, sign_in, shoot, desk, alice
):
    staff_sign_in(desk.username)
    page.goto(f"{live_server.url}/staff/admin/patrons/patron/{alice.pk}/change/")
    expect(page.locator("#id_card_number")).to_have_value(alice.card_number)
    page.context.clear_cookies()
    sign_in(alice.card_number)
    page.get_by_role("link", name="Who has seen my record").click()
    row = page.get_by_role("row", name="Circulation staff")
    expect(row.first).to_be_visible()
    expect(row.first).to_contain_text("CONF-3")
    shoot("portal-who-has-seen")
