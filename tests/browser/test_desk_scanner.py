"""The desk with a barcode scanner: it types into the focused field and presses Enter."""

import pytest
from playwright.sync_api import expect

from circulation import services
from circulation.models import Loan
from tests.factories import BranchFactory, ItemFactory, LoanRuleFactory, PatronFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scan(page, code: str) -> None:
    """Type into whatever field has the focus, as a scanner does, then press Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_a_good_scan_after_a_bad_one_checks_out_and_is_not_glued_to_it(
    page, live_server, staff_sign_in, shoot, desk
):
    LoanRuleFactory()
    branch = BranchFactory(code="CEN", name="Central Library")
    patron = PatronFactory(home_branch=branch, first_name="Petra", last_name="Quill")
    item = ItemFactory(branch=branch, title="Leaves of Grass")
    staff_sign_in(desk.username)
    page.goto(f"{live_server.url}/staff/circulation/desk/")
    scan(page, patron.card_number)  # the card field has the focus
    expect(page.get_by_role("heading", name="Petra Quill", level=1)).to_be_visible()

    scan(page, "39999999999999")  # the check-out field has the focus
    expect(
        page.get_by_text("Scanned “39999999999999”: " + services.UNKNOWN_BARCODE)
    ).to_be_visible()
    field = page.locator("#id_checkout-barcode")
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    shoot("desk-bad-scan")

    scan(page, item.barcode)
    expect(page.get_by_text("Checked out “Leaves of Grass”")).to_be_visible()
    expect(page.locator("#id_checkout-barcode")).to_be_focused()
    assert Loan.objects.get(item=item).patron_id == patron.pk
