"""A circulation clerk's day at the desk, in Chromium, through the real pages (issue 16).

The clerk signs in and lands on the staff home with the desk first in its menu;
registers a minor, refused first without a responsible adult (nothing saved),
then with an adult found by card; issues a portal login, which mails the patron
a link the page never shows; opens an account at the desk by scanning the card,
checks out two items with a bad scan between them; checks one in at the desk's
check-in (a hold waiting on it goes to the shelf, with its slip); takes part of
a fine and opens the payment receipt; signs out. Each step is photographed at
1280 and 390 pixels (artifacts/screenshots/, which git ignores). The new staff
pages (registration form, staff patron record, check-out receipt, hold slip, a
legal order's release document) are photographed too, and the registration
form, the staff patron page and the desk's patron page pass axe-core without a
serious or critical violation.
"""

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from circulation import services as circulation_services
from circulation.models import Fine, Hold, Loan
from library.models import StaffProfile
from patrons import services as patron_services
from patrons.models import Patron, ResponsibleAdult
from privacy import services as privacy_services
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_staff_navigation import _code, serious_violations
from tests.factories import (
    BranchFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LegalOrderFactory,
    LoanFactory,
    LoanRuleFactory,
    PatronFactory,
    years_ago,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
BAD_BARCODE = "39999999999999"


def scan(page: Page, code: str) -> None:
    """Type into whatever field has the focus, as a scanner does, then press Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def photograph(page: Page, name: str) -> None:
    """Save the page at 1280 and at 390 pixels wide, and check nothing but a table overflows."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width_name, size in (("1280", WIDE), ("390", NARROW)):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width_name}.png"), full_page=True)
        wide = page.evaluate("document.documentElement.scrollWidth")
        culprits = page.evaluate(
            """w => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w + 1)
                .slice(0, 8)
                .map(e => e.tagName + '.' + e.className + '#' + e.id + ' '
                     + Math.round(e.getBoundingClientRect().right))""",
            size["width"],
        )
        assert wide <= size["width"], f"{name} is {wide}px wide at {size['width']}px: {culprits}"
    page.set_viewport_size(WIDE)


def axe_clean(page: Page) -> list[str]:
    """Run axe-core at both widths; return the serious or critical violations."""
    problems: list[str] = []
    for size in (WIDE, NARROW):
        page.set_viewport_size(size)
        problems += serious_violations(page)
    page.set_viewport_size(WIDE)
    return problems


def sign_in_through_the_form(page: Page, base: str, user) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/staff/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    if page.get_by_label("Authenticator code").count():
        page.get_by_label("Authenticator code").fill(_code(user))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/staff/")


@pytest.fixture
def day(desk):  # type: ignore[no-untyped-def]
    """The desk's branch, a clerk who works there, and the patrons and items of the day."""
    LoanRuleFactory()
    branch = BranchFactory(code="CEN", name="Central Library")
    desk.first_name, desk.last_name = "Casey", "Clerk"
    desk.save(update_fields=["first_name", "last_name"])
    StaffProfile.objects.create(user=desk, branch=branch)
    carol = PatronFactory(first_name="Carol", last_name="Carter", home_branch=branch)
    petra = PatronFactory(
        first_name="Petra", last_name="Quill", home_branch=branch, email="petra@example.org"
    )
    walter = PatronFactory(first_name="Walter", last_name="Wren", home_branch=branch)
    first = ItemFactory(branch=branch, title="Leaves of Grass")
    second = ItemFactory(branch=branch, title="The Souls of Black Folk")
    # An old loan of Petra's, returned, with a fine of $4.00 on it still unpaid: an
    # unpaid fine keeps its returned loan linked to the patron (CONF-9), as here.
    old = LoanFactory(patron=petra, item__branch=branch, item__title="An Atlas of Kansas")
    circulation_services.loan_checkin(barcode=old.item.barcode, branch=branch)
    Loan.objects.filter(pk=old.pk).update(patron=petra)
    fine = FineFactory(patron=petra, loan=old, amount=Decimal("4.00"))
    return {
        "branch": branch,
        "carol": carol,
        "petra": petra,
        "walter": walter,
        "first": first,
        "second": second,
        "fine": fine,
    }


def test_a_circulation_clerks_day(page, live_server, desk, day):  # type: ignore[no-untyped-def]
    base = live_server.url
    petra, carol = day["petra"], day["carol"]
    page.set_viewport_size(WIDE)
    problems: list[str] = []

    # 1. Sign in at the staff sign-in page; land on the staff home, the desk first.
    page.goto(f"{base}/staff/admin/login/")
    expect(page.get_by_label("Username")).to_be_visible()
    photograph(page, "clerk-day-01-sign-in")
    sign_in_through_the_form(page, base, desk)
    expect(page).to_have_url(f"{base}/staff/")
    expect(page.locator("main ul.cards a").first).to_have_text("Circulation desk")
    expect(page.locator(".site-header .staff-name")).to_have_text("Casey Clerk")
    expect(page.locator(".site-header .staff-branch")).to_have_text("Central Library")
    photograph(page, "clerk-day-02-staff-home")

    # 2. Register a minor: refused without a responsible adult, then with Carol.
    page.goto(f"{base}/staff/patrons/register/")
    expect(page.get_by_role("heading", name="Register a patron", level=1)).to_be_visible()
    photograph(page, "clerk-day-03-register")
    problems += axe_clean(page)
    page.get_by_label("First name").fill("Milo")
    page.get_by_label("Last name").fill("Carter")
    page.get_by_label("Date of birth").fill(years_ago(9).isoformat())
    page.get_by_label("Home branch").select_option(label="Central Library")
    page.get_by_label("Phone").fill("785-555-0142")
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(f"{base}/staff/patrons/register/")
    refusal = patron_services.MINOR_NEEDS_ADULT.format(age=18)
    expect(page.locator("main form .errorlist")).to_contain_text(refusal)
    # What was typed is kept, so the clerk only adds the adult.
    expect(page.get_by_label("First name")).to_have_value("Milo")
    photograph(page, "clerk-day-04-register-minor-refused")
    assert not Patron.objects.filter(first_name="Milo").exists()
    assert not ResponsibleAdult.objects.exists()

    page.get_by_label("Responsible adult's card number").fill(carol.card_number)
    page.get_by_label("Relationship to the patron").select_option(index=0)
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/staff/patrons/\d+/$"))
    milo = Patron.objects.get(first_name="Milo")
    expect(page.locator(".messages")).to_contain_text(
        f"Patron registered. Card number {milo.card_number}"
    )
    expect(page.get_by_role("heading", name="Milo Carter", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("(a minor)")
    expect(page.get_by_role("heading", name="Responsible adults (CONF-4)")).to_be_visible()
    assert carol.card_number not in page.locator("main").inner_text()
    photograph(page, "clerk-day-05-minor-registered")
    problems += axe_clean(page)

    # 3. Issue a portal login for Petra: the page says a link was mailed, shows none.
    page.goto(f"{base}/staff/patrons/")
    page.get_by_label("Card number").fill(petra.card_number)
    page.get_by_label("Card number").press("Enter")
    page.wait_for_url(f"{base}/staff/patrons/{petra.pk}/")
    expect(page.get_by_role("heading", name="Petra Quill", level=1)).to_be_visible()
    photograph(page, "clerk-day-06-staff-patron-record")
    problems += axe_clean(page)
    page.get_by_role("button", name="Issue a portal login").click()
    page.wait_for_url(f"{base}/staff/patrons/{petra.pk}/")
    expect(page.locator(".messages")).to_contain_text(
        "Portal login issued. A link to set a password was mailed"
    )
    expect(page.get_by_role("button", name="Issue a portal login")).to_have_count(0)
    expect(page.locator("main .facts")).to_contain_text(re.compile(r"Portal login\s*Issued"))
    [message] = mail.outbox
    assert message.to == ["petra@example.org"]
    link = re.search(r"https?://\S+/portal/password-reset/\S+", message.body)
    assert link is not None
    shown = page.content()
    assert "password-reset" not in shown and link.group(0).rsplit("/", 2)[-2] not in shown
    assert 'type="password"' not in shown
    photograph(page, "clerk-day-07-login-issued")

    # 4. At the desk: scan Petra's card, then two items with a bad scan between.
    page.get_by_role("navigation", name="Staff pages").get_by_role(
        "link", name="Circulation desk"
    ).click()
    page.wait_for_url(f"{base}/staff/circulation/desk/")
    expect(page.get_by_label("Card number")).to_be_focused()
    photograph(page, "clerk-day-08-desk")
    scan(page, petra.card_number)
    page.wait_for_url(f"{base}/staff/circulation/desk/patrons/{petra.pk}/")
    expect(page.get_by_role("heading", name="Petra Quill", level=1)).to_be_visible()
    assert petra.card_number not in page.url
    field = page.locator("#id_checkout-barcode")
    expect(field).to_be_focused()
    scan(page, day["first"].barcode)
    expect(page.get_by_text("Checked out “Leaves of Grass”")).to_be_visible()
    expect(page.locator("#id_checkout-barcode")).to_be_focused()
    expect(page.locator("#id_checkout-barcode")).to_have_value("")
    scan(page, BAD_BARCODE)
    expect(
        page.get_by_text(f"Scanned “{BAD_BARCODE}”: {circulation_services.UNKNOWN_BARCODE}")
    ).to_be_visible()
    expect(page.locator("#id_checkout-barcode")).to_be_focused()
    expect(page.locator("#id_checkout-barcode")).to_have_value("")
    photograph(page, "clerk-day-09-desk-bad-scan")
    scan(page, day["second"].barcode)
    expect(page.get_by_text("Checked out “The Souls of Black Folk”")).to_be_visible()
    expect(page.get_by_text(BAD_BARCODE)).to_have_count(0)
    expect(page.locator("#id_checkout-barcode")).to_be_focused()
    expect(page.get_by_role("heading", name="Current loans (2)")).to_be_visible()
    loans = page.locator("section[aria-labelledby=loans-heading] tbody tr")
    expect(loans).to_have_count(2)
    photograph(page, "clerk-day-10-desk-checked-out")
    problems += axe_clean(page)

    # The check-out receipt lists what went out at this visit.
    page.get_by_role("link", name="Print check-out receipt").click()
    page.wait_for_url(f"{base}/staff/circulation/desk/patrons/{petra.pk}/receipt/")
    receipt = page.locator("main.slip")
    expect(receipt).to_contain_text("Leaves of Grass")
    expect(receipt).to_contain_text("The Souls of Black Folk")
    expect(receipt).to_contain_text(f"ending {petra.card_number[-4:]}")
    expect(receipt).to_contain_text("2 items.")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    photograph(page, "clerk-day-11-checkout-receipt")
    page.get_by_role("link", name="Back to the account").click()
    page.wait_for_url(f"{base}/staff/circulation/desk/patrons/{petra.pk}/")

    # 5. Check one in at the desk's check-in: Walter waits for it, so it goes to the shelf.
    HoldFactory(patron=day["walter"], item=day["first"])
    page.get_by_role("link", name="Next patron").click()
    page.wait_for_url(f"{base}/staff/circulation/desk/")
    page.get_by_label("Item barcode").focus()
    scan(page, day["first"].barcode)
    page.wait_for_url(f"{base}/staff/circulation/desk/")
    expect(page.get_by_text("Checked in “Leaves of Grass”")).to_be_visible()
    expect(page.get_by_text("put it aside for Wren, Walter")).to_be_visible()
    expect(page.get_by_label("Item barcode")).to_be_focused()
    expect(page.get_by_label("Item barcode")).to_have_value("")
    expect(page.locator("main")).not_to_contain_text("Petra")
    photograph(page, "clerk-day-12-checked-in")
    page.get_by_role("link", name="Print hold slip").click()
    hold = Hold.objects.get(patron=day["walter"])
    page.wait_for_url(f"{base}/staff/circulation/desk/holds/{hold.pk}/slip/")
    expect(page.locator("main.slip .shelf-name")).to_have_text(
        f"WREN {day['walter'].card_number[-4:]}"
    )
    expect(page.locator("main.slip")).not_to_contain_text("Leaves of Grass")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    photograph(page, "clerk-day-13-hold-slip")

    # 6. Take part of Petra's fine, then open the payment receipt.
    page.goto(f"{base}/staff/circulation/desk/")
    scan(page, petra.card_number)
    page.wait_for_url(f"{base}/staff/circulation/desk/patrons/{petra.pk}/")
    expect(page.get_by_role("heading", name="Current loans (1)")).to_be_visible()
    fines = page.locator("section[aria-labelledby=fines-heading]")
    expect(fines).to_contain_text("An Atlas of Kansas")
    expect(fines).to_contain_text("$4.00")
    fine_pk = day["fine"].pk
    amount = page.locator(f"#id_pay-{fine_pk}-amount")
    expect(amount).to_have_value("4.00")
    amount.fill("1.50")
    page.locator(f"#id_pay-{fine_pk}-method").select_option(label="Cash")
    fines.get_by_role("button", name="Take payment").click()
    page.wait_for_url(f"{base}/staff/circulation/desk/patrons/{petra.pk}/")
    expect(page.locator(".messages")).to_contain_text(
        "Took $1.50 by cash; $2.50 still owed on that fine."
    )
    expect(page.locator("main .facts")).to_contain_text("$2.50")
    photograph(page, "clerk-day-14-partial-payment")
    page.get_by_role("link", name="Print the payment receipt").click()
    page.wait_for_url(
        re.compile(rf"{re.escape(base)}/staff/circulation/desk/payments/\d+/receipt/")
    )
    slip = page.locator("main")
    expect(slip).to_have_class(re.compile(r"\bslip\b"))
    expect(slip).to_contain_text("Paid now")
    expect(slip).to_contain_text("$1.50 (Cash)")
    expect(slip).to_contain_text("$2.50")
    expect(slip).not_to_contain_text("Petra")
    expect(slip).not_to_contain_text("An Atlas of Kansas")
    print_button = page.get_by_role("button", name="Print")
    expect(print_button).to_be_visible()
    photograph(page, "clerk-day-15-payment-receipt")
    page.emulate_media(media="print")
    expect(print_button).to_be_hidden()
    expect(page.locator(".site-header")).to_have_count(0)
    expect(slip).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "clerk-day-15-payment-receipt-print.png"), full_page=True)
    page.emulate_media(media="screen")
    assert Fine.objects.get(pk=fine_pk).paid_at is None

    # 7. Sign out: back at the staff sign-in.
    page.goto(f"{base}/staff/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/staff/admin/login/")
    expect(page.get_by_label("Username")).to_be_visible()
    photograph(page, "clerk-day-16-signed-out")
    assert page.request.get(f"{base}/staff/circulation/desk/").url.startswith(
        f"{base}/staff/admin/login/"
    )

    assert problems == [], "\n".join(problems)


def test_a_legal_orders_release_document_as_the_director(  # type: ignore[no-untyped-def]
    page, live_server, director
):
    """The release document the director prints for a court, at both widths."""
    branch = BranchFactory(code="CEN", name="Central Library")
    StaffProfile.objects.create(user=director, branch=branch)
    alice = PatronFactory(first_name="Alice", last_name="Archer", home_branch=branch)
    LoanFactory(patron=alice, item__title="A-very-long-unbroken-title-that-must-wrap-" * 3)
    LoanFactory(patron=alice, item__title="Leaves of Grass")
    order = LegalOrderFactory(
        patrons=[alice],
        status="received",
        categories=["identity", "circulation"],
        case_number="2026-CR-0042",
    )
    privacy_services.legal_order_validate(order=order, director=director)
    page.set_viewport_size(WIDE)
    sign_in_through_the_form(page, live_server.url, director)
    page.goto(f"{live_server.url}/staff/privacy/orders/{order.pk}/")
    page.locator("#id_patron").select_option(label=alice.card_number)
    page.locator("#id_category").select_option(value="circulation")
    page.get_by_role("button", name="Release and open the document to print").click()
    page.wait_for_url(re.compile(rf".*/staff/privacy/orders/{order.pk}/releases/\d+/$"))
    document = page.locator("article.slip.document")
    expect(document).to_contain_text("2026-CR-0042")
    expect(document).to_contain_text("Leaves of Grass")
    expect(document).to_contain_text(f"Card number {alice.card_number}")
    expect(document).to_contain_text("Signature of the library officer releasing")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    photograph(page, "clerk-day-17-release-document")
