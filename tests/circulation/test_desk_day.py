"""A day at the desk (issue 16): scans that never glue, renew all, fines paid in parts, slips."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from circulation import selectors, services, views
from circulation.models import Fine, FinePayment, Hold, Item, Loan
from library import dates
from library.roles import Role
from tests.circulation.helpers import snapshot
from tests.factories import (
    BanFactory,
    BranchFactory,
    FineFactory,
    HoldFactory,
    IncidentPersonFactory,
    ItemFactory,
    LoanFactory,
    LoanRuleFactory,
    MinorFactory,
    PatronFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
DESK = "/staff/circulation/desk/"
CARD = "21000000001234"


@pytest.fixture
def branch():
    LoanRuleFactory()
    return BranchFactory(code="CEN", name="Central Library")


@pytest.fixture
def patron(branch):
    return PatronFactory(
        first_name="Petra", last_name="Quill", home_branch=branch, card_number=CARD
    )


@pytest.fixture
def at_desk(client, desk, branch):
    client.force_login(desk)
    client.post(f"{DESK}branch/", {"branch": branch.pk})
    return client


def patron_url(patron, rest=""):
    return f"{DESK}patrons/{patron.pk}/{rest}"


def shown(client, response):
    """Follow a desk POST's redirect and return the page's text."""
    assert response.status_code == 302, response.status_code
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


def scan_input(html, name):
    """Return the <input> tag of a scan field."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, name
    return match[0]


def assert_empty_and_focused(html, name):
    tag = scan_input(html, name)
    assert "autofocus" in tag
    assert "value=" not in tag
    assert len(re.findall(r"<input[^>]*autofocus", html)) == 1  # one field has the focus


# 1. The scanner: after any answer the field is empty and focused.


def test_a_bad_checkout_scan_leaves_the_field_empty_and_quotes_the_scan(at_desk, patron):
    html = shown(
        at_desk, at_desk.post(patron_url(patron, "checkout/"), {"checkout-barcode": "3999X"})
    )
    assert_empty_and_focused(html, "checkout-barcode")
    assert "Scanned “3999X”: No item has that barcode." in html


def test_a_good_checkout_scan_leaves_the_field_empty_and_focused(at_desk, patron, branch):
    item = ItemFactory(branch=branch, title="Leaves of Grass")
    html = shown(
        at_desk, at_desk.post(patron_url(patron, "checkout/"), {"checkout-barcode": item.barcode})
    )
    assert_empty_and_focused(html, "checkout-barcode")
    assert "Checked out “Leaves of Grass”" in html


def test_a_bad_checkin_scan_leaves_the_checkin_field_empty_and_focused(at_desk):
    html = shown(at_desk, at_desk.post(f"{DESK}checkin/", {"checkin-barcode": "31234"}))
    assert_empty_and_focused(html, "checkin-barcode")
    assert "Scanned “31234”: No item has that barcode." in html
    assert "autofocus" not in scan_input(html, "card_number")


def test_an_unknown_card_leaves_the_card_field_empty_and_does_not_repeat_it(at_desk):
    html = shown(at_desk, at_desk.post(DESK, {"card_number": "29999999999999"}))
    assert_empty_and_focused(html, "card_number")
    assert "29999999999999" not in html


def test_opening_an_account_redirects_to_its_id_and_reloading_posts_nothing(at_desk, patron):
    posted = at_desk.post(DESK, {"card_number": CARD})
    assert posted.status_code == 302
    assert posted["Location"] == patron_url(patron) and CARD not in posted["Location"]
    assert "Petra Quill" in shown(at_desk, posted)


def test_an_answer_is_shown_once_and_a_reload_changes_nothing(at_desk, patron, branch):
    item = ItemFactory(branch=branch)
    posted = at_desk.post(patron_url(patron, "checkout/"), {"checkout-barcode": "3999X"})
    assert "Scanned “3999X”" in shown(at_desk, posted)
    again = at_desk.get(patron_url(patron)).content.decode()  # the reload is a GET
    assert "Scanned" not in again
    posted = at_desk.post(patron_url(patron, "checkout/"), {"checkout-barcode": item.barcode})
    shown(at_desk, posted)
    at_desk.get(patron_url(patron))
    assert Loan.objects.filter(item=item).count() == 1


def test_checkin_answers_with_a_redirect_and_shows_the_result_after_it(at_desk, patron, branch):
    loan = LoanFactory(patron=patron, item=ItemFactory(branch=branch, title="Ulysses"))
    posted = at_desk.post(f"{DESK}checkin/", {"checkin-barcode": loan.item.barcode})
    html = shown(at_desk, posted)
    assert "Checked in “Ulysses”" in html
    assert_empty_and_focused(html, "checkin-barcode")
    assert Loan.objects.get(pk=loan.pk).patron_id is None


# 2. Renew all, check-in from the patron's page, the pickup branch of a hold.


def test_renew_all_renews_what_it_may_and_says_why_not_for_the_rest(at_desk, patron, branch):
    free = LoanFactory(patron=patron, item=ItemFactory(branch=branch, title="Free to renew"))
    spent = LoanFactory(
        patron=patron, renewals=2, item=ItemFactory(branch=branch, title="Renewed out")
    )
    html = shown(at_desk, at_desk.post(patron_url(patron, "loans/renew/")))
    assert "Renewed “Free to renew”" in html
    assert f"Not renewed: “Renewed out”. {services.RENEWAL_LIMIT}" in html
    assert Loan.objects.get(pk=free.pk).renewals == 1
    assert Loan.objects.get(pk=spent.pk).renewals == 2


def test_check_in_from_the_patrons_page_returns_the_loan_and_forgets_the_patron(
    at_desk, patron, branch
):
    loan = LoanFactory(patron=patron, item=ItemFactory(branch=branch, title="Middlemarch"))
    html = shown(at_desk, at_desk.post(patron_url(patron, "loan/checkin/"), {"loan": loan.pk}))
    assert views.CHECKED_IN in html
    assert "Middlemarch" not in html  # returned: the page no longer ties them (CONF-9)
    loan.refresh_from_db()
    assert loan.returned_at is not None and loan.patron_id is None


def test_check_in_of_another_patrons_loan_is_refused(at_desk, patron):
    other = LoanFactory()
    html = shown(at_desk, at_desk.post(patron_url(patron, "loan/checkin/"), {"loan": other.pk}))
    assert services.LOAN_NOT_FOUND in html
    assert Loan.objects.get(pk=other.pk).returned_at is None


def test_a_hold_is_placed_for_the_chosen_pickup_branch_which_defaults_to_the_desks(
    at_desk, patron, branch
):
    west = BranchFactory(code="WST", name="West Branch")
    html = at_desk.get(patron_url(patron)).content.decode()
    assert re.search(rf'<option value="{branch.pk}" selected>', html)
    item = ItemFactory(branch=branch)
    posted = at_desk.post(
        patron_url(patron, "holds/"), {"hold-barcode": item.barcode, "hold-pickup_branch": west.pk}
    )
    assert "to pick up at West Branch" in shown(at_desk, posted)
    assert Hold.objects.get(patron=patron).pickup_branch == west


# 3. The summary: age group, card expiry, blocks and a ban at this branch.


def test_the_summary_shows_a_minor_and_an_expired_card(at_desk, branch):
    minor = MinorFactory(
        home_branch=branch, card_expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    html = at_desk.get(patron_url(minor)).content.decode()
    assert "<strong>Minor</strong>" in html
    assert '<strong class="error">expired</strong>' in html


def test_the_summary_shows_an_adult(at_desk, patron):
    html = at_desk.get(patron_url(patron)).content.decode()
    assert "<dd>Adult</dd>" in html and "expired</strong>" not in html


def test_a_ban_in_effect_here_shows_only_its_end(at_desk, patron, branch):
    person = IncidentPersonFactory(patron=patron, incident__description="Threw a chair.")
    ends = timezone.now() + datetime.timedelta(days=30)
    BanFactory(person=person, ends_at=ends, note="Spoke to the manager.")
    html = at_desk.get(patron_url(patron)).content.decode()
    assert selectors.BLOCK_BANNED.format(until=dates.moment(ends)) in html
    assert "chair" not in html and "manager" not in html


def test_a_ban_elsewhere_or_ended_is_not_shown(at_desk, patron, branch):
    west = BranchFactory(code="WST", name="West Branch")
    elsewhere = BanFactory(person=IncidentPersonFactory(patron=patron), all_branches=False)
    elsewhere.branches.set([west])
    BanFactory(
        person=IncidentPersonFactory(patron=patron),
        starts_at=timezone.now() - datetime.timedelta(days=9),
        ends_at=timezone.now() - datetime.timedelta(days=1),
    )
    assert "Banned" not in at_desk.get(patron_url(patron)).content.decode()
    elsewhere.branches.add(branch)
    assert "Banned from this branch until" in at_desk.get(patron_url(patron)).content.decode()


# 4. Fines: payments in parts, over-payment, waiving, charges for lost and damaged items.


def pay(client, patron, fine, amount, method="cash"):
    return client.post(
        patron_url(patron, f"fines/{fine.pk}/pay/"),
        {f"pay-{fine.pk}-amount": amount, f"pay-{fine.pk}-method": method},
    )


def test_a_partial_payment_leaves_the_balance_and_the_item_named(at_desk, patron, desk, branch):
    loan = LoanFactory(patron=patron, item=ItemFactory(branch=branch, title="Bleak House"))
    fine = FineFactory(patron=patron, loan=loan, amount=Decimal("5.00"))
    html = shown(at_desk, pay(at_desk, patron, fine, "2.00", "card"))
    assert views.PAID.format(amount="2.00", method="card", balance="3.00") in html
    assert "<td>$3.00</td>" in html and "Bleak House" in html
    payment = FinePayment.objects.get()
    assert (payment.amount, payment.method, payment.received_by, payment.branch) == (
        Decimal("2.00"),
        "card",
        desk,
        branch,
    )
    fine.refresh_from_db()
    assert fine.is_outstanding and fine.loan_id == loan.pk and fine.patron_id == patron.pk


def test_paying_the_rest_settles_the_fine_and_drops_its_links(at_desk, patron, branch):
    loan = LoanFactory(patron=patron, item=ItemFactory(branch=branch))
    fine = FineFactory(patron=patron, loan=loan, amount=Decimal("5.00"))
    shown(at_desk, pay(at_desk, patron, fine, "2.00"))
    html = shown(at_desk, pay(at_desk, patron, fine, "3.00"))
    assert views.PAID_IN_FULL.format(amount="3.00", method="cash") in html
    fine.refresh_from_db()
    assert fine.paid_at is not None and fine.loan_id is None and fine.patron_id is None
    assert "No unpaid fines." in html


def test_an_over_payment_is_refused_beside_the_field_and_nothing_is_saved(at_desk, patron):
    fine = FineFactory(patron=patron, amount=Decimal("1.50"))
    before = snapshot()
    posted = pay(at_desk, patron, fine, "2.00")
    after = snapshot()
    assert after.pop("audit") == before.pop("audit") + 1  # the gate's read of the patron
    assert after == before
    html = shown(at_desk, posted)
    message = services.PAYMENT_OVER_BALANCE.format(amount="2.00", balance="1.50")
    assert re.search(rf'id="id_pay-{fine.pk}-amount_error"[^>]*>\s*<li>{re.escape(message)}', html)
    assert not FinePayment.objects.exists()


def test_a_payment_receipt_prints_for_the_one_who_took_it_and_names_no_one(
    at_desk, client, patron, branch
):
    loan = LoanFactory(patron=patron, item=ItemFactory(branch=branch, title="Bleak House"))
    fine = FineFactory(patron=patron, loan=loan, amount=Decimal("5.00"))
    html = shown(at_desk, pay(at_desk, patron, fine, "2.00"))
    payment = FinePayment.objects.get()
    receipt_url = f"{DESK}payments/{payment.pk}/receipt/"
    assert f'href="{receipt_url}"' in html
    receipt = at_desk.get(receipt_url).content.decode()
    assert 'class="slip"' in receipt and "data-print" in receipt
    assert "$2.00 (Cash)" in receipt and "$3.00" in receipt
    assert "Quill" not in receipt and CARD not in receipt and "Bleak House" not in receipt
    local = timezone.localtime(payment.received_at)
    assert f"{local:%b} {local.day}, {local.year}" in receipt
    other = UserFactory(username="other-desk", role=Role.CIRCULATION)
    client.force_login(other)
    assert client.get(receipt_url).status_code == 404


def test_waiving_needs_a_reason(at_desk, patron):
    fine = FineFactory(patron=patron)
    html = shown(at_desk, at_desk.post(patron_url(patron, f"fines/{fine.pk}/waive/")))
    assert services.WAIVE_REASON_NEEDED in html
    assert Fine.objects.get(pk=fine.pk).is_outstanding
    posted = at_desk.post(
        patron_url(patron, f"fines/{fine.pk}/waive/"), {f"waive-{fine.pk}-reason": "hardship"}
    )
    assert "waived (hardship, per library policy)" in shown(at_desk, posted)
    fine.refresh_from_db()
    assert fine.waived_at is not None and fine.waive_reason == "hardship"
    assert fine.patron_id is None and fine.loan_id is None


def charge(client, patron, loan, reason, amount=""):
    return client.post(
        patron_url(patron, "loan/charge/"),
        {"loan": loan.pk, f"charge-{loan.pk}-reason": reason, f"charge-{loan.pk}-amount": amount},
    )


def test_a_lost_item_is_charged_its_replacement_cost_and_its_loan_ends(at_desk, patron, branch):
    item = ItemFactory(branch=branch, title="Lost Atlas", replacement_cost=Decimal("24.00"))
    loan = LoanFactory(patron=patron, item=item)
    html = shown(at_desk, charge(at_desk, patron, loan, "lost"))
    assert "Charged $24.00 for the lost item “Lost Atlas”." in html
    fine = Fine.objects.get(patron=patron)
    assert (fine.reason, fine.amount, fine.loan_id) == ("lost", Decimal("24.00"), loan.pk)
    loan.refresh_from_db()
    assert loan.returned_at is not None and loan.patron_id == patron.pk  # kept for the fine
    assert Item.objects.get(pk=item.pk).status == Item.Status.LOST
    other = PatronFactory(home_branch=branch)
    posted = at_desk.post(patron_url(other, "checkout/"), {"checkout-barcode": item.barcode})
    assert services.ITEM_LOST in shown(at_desk, posted)
    shown(at_desk, pay(at_desk, patron, fine, "24.00"))
    loan.refresh_from_db()
    assert loan.patron_id is None  # settled: the loan forgets the patron (CONF-9)


def test_a_damaged_item_is_charged_the_entered_amount_and_stays_out(at_desk, patron, branch):
    loan = LoanFactory(patron=patron, item=ItemFactory(branch=branch))
    shown(at_desk, charge(at_desk, patron, loan, "damaged", "7.25"))
    fine = Fine.objects.get(patron=patron)
    assert (fine.reason, fine.amount) == ("damaged", Decimal("7.25"))
    assert Loan.objects.get(pk=loan.pk).returned_at is None


def test_a_charge_without_a_replacement_cost_or_amount_is_refused(at_desk, patron, branch):
    loan = LoanFactory(patron=patron, item=ItemFactory(branch=branch))
    html = shown(at_desk, charge(at_desk, patron, loan, "lost"))
    assert services.NO_REPLACEMENT_COST in html
    assert not Fine.objects.exists() and Loan.objects.get(pk=loan.pk).returned_at is None


# 5. Slips.


def test_the_checkout_receipt_lists_this_visits_loans_by_card_ending_only(at_desk, patron, branch):
    earlier = LoanFactory(
        patron=patron,
        item=ItemFactory(branch=branch, title="Out last week"),
        checked_out_at=timezone.now() - datetime.timedelta(days=7),
    )
    at_desk.post(DESK, {"card_number": CARD})
    item = ItemFactory(branch=branch, title="Out today")
    at_desk.post(patron_url(patron, "checkout/"), {"checkout-barcode": item.barcode})
    receipt = at_desk.get(patron_url(patron, "receipt/")).content.decode()
    assert 'class="slip"' in receipt and "data-print" in receipt
    assert "Out today" in receipt and earlier.item.record.title not in receipt
    assert "ending 1234" in receipt and CARD not in receipt and "Quill" not in receipt
    due = timezone.localtime(Loan.objects.get(item=item).due_at)
    assert dates.day(due) in receipt


def test_the_hold_slip_names_the_holder_minimally_and_not_the_title(at_desk, patron, branch):
    item = ItemFactory(branch=branch, title="Secret Garden")
    posted = at_desk.post(
        patron_url(patron, "holds/"),
        {"hold-barcode": item.barcode, "hold-pickup_branch": branch.pk},
    )
    hold = Hold.objects.get(patron=patron)
    assert hold.status == Hold.Status.WAITING  # on the pull list: nobody has pulled it yet
    posted = at_desk.post(f"{DESK}checkin/", {"checkin-barcode": item.barcode})
    hold.refresh_from_db()
    assert f"{DESK}holds/{hold.pk}/slip/" in shown(at_desk, posted)
    slip = at_desk.get(f"{DESK}holds/{hold.pk}/slip/").content.decode()
    assert "QUIL 1234" in slip and "Central Library" in slip
    assert dates.day(hold.ready_until) in slip
    assert "Secret Garden" not in slip and "Petra" not in slip and CARD not in slip


# Roles that do not do the work get the not-found page.


@pytest.mark.parametrize("role", [Role.REFERENCE, Role.SECURITY_GUARD, Role.IT_STAFF, Role.AUDITOR])
def test_roles_without_desk_operations_get_not_found(client, staff, patron, branch, role):
    loan = LoanFactory(patron=patron, item=ItemFactory(branch=branch))
    fine = FineFactory(patron=patron, loan=loan)
    hold = HoldFactory(item=ItemFactory(branch=branch), patron=patron, pickup_branch=branch)
    client.force_login(staff(role))
    missing = client.get(f"{DESK}no-such-page/").content
    for method, url in [
        ("post", patron_url(patron, "loans/renew/")),
        ("post", patron_url(patron, "loan/checkin/")),
        ("post", patron_url(patron, "loan/charge/")),
        ("post", patron_url(patron, f"fines/{fine.pk}/pay/")),
        ("post", patron_url(patron, f"fines/{fine.pk}/waive/")),
        ("get", patron_url(patron, "receipt/")),
        ("get", f"{DESK}holds/{hold.pk}/slip/"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
        assert len(response.content) == pytest.approx(len(missing), abs=200), url
    assert Loan.objects.get(pk=loan.pk).returned_at is None
    assert Fine.objects.get(pk=fine.pk).is_outstanding
