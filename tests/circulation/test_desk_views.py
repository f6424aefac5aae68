"""The circulation desk pages, from the outside."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from circulation import services, views
from circulation.models import Fine, Hold, Loan
from library.roles import Role
from privacy.gate import NOT_FOUND_MESSAGE
from tests.circulation.helpers import snapshot
from tests.factories import (
    BranchFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    LoanRuleFactory,
    PatronFactory,
)

pytestmark = pytest.mark.django_db
DESK = "/staff/circulation/desk/"


@pytest.fixture
def branch():
    LoanRuleFactory()
    return BranchFactory(code="CEN", name="Central Library")


@pytest.fixture
def patron(branch):
    return PatronFactory(first_name="Petra", last_name="Quill", home_branch=branch)


@pytest.fixture
def at_desk(client, desk):
    client.force_login(desk)
    return client


def patron_url(patron, rest=""):
    return f"{DESK}patrons/{patron.pk}/{rest}"


def shown(client, response):
    """Follow a desk POST's redirect (post/redirect/get) and return the page it leads to."""
    assert response.status_code == 302, response.status_code
    return client.get(response["Location"])


def field_error(response, field_id):
    """Return the error text tied to a field by aria-describedby, or ''."""
    html = response.content.decode()
    described = re.search(rf'id="{field_id}"[^>]*aria-describedby="([^"]+)"', html) or re.search(
        rf'aria-describedby="([^"]+)"[^>]*id="{field_id}"', html
    )
    if not described:
        return ""
    error_id = described.group(1).split()[-1]
    block = re.search(rf'id="{error_id}"[^>]*>(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", "", block.group(1)).strip() if block else ""


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(DESK)
    assert response.status_code == 302 and "login" in response["Location"]


def test_roles_that_do_not_work_the_desk_get_not_found(client, staff):
    for role in (Role.REFERENCE, Role.SECURITY_GUARD, Role.IT_STAFF, Role.AUDITOR):
        client.force_login(staff(role))
        assert client.get(DESK).status_code == 404


def test_the_card_field_has_focus_and_enter_submits(at_desk):
    html = at_desk.get(DESK).content.decode()
    assert re.search(r'<input[^>]*name="card_number"[^>]*autofocus', html)
    assert 'type="submit"' in html


def test_card_lookup_shows_the_summary_and_logs_a_circulation_read(at_desk, patron, desk):
    LoanFactory(patron=patron, item=ItemFactory(title="Moby-Dick"))
    FineFactory(patron=patron, amount="3.50")
    posted = at_desk.post(DESK, {"card_number": patron.card_number})
    assert posted["Location"] == patron_url(patron)
    response = shown(at_desk, posted)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Petra Quill" in html and "Moby-Dick" in html and "$3.50" in html
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).latest()
    assert (entry.actor_id, entry.object_id, entry.category, entry.purpose, entry.decision) == (
        desk.pk,
        patron.pk,
        "circulation",
        "circulation",
        "allowed",
    )


def test_no_link_on_the_summary_carries_the_card_number_or_name(at_desk, patron):
    LoanFactory(patron=patron)
    html = shown(at_desk, at_desk.post(DESK, {"card_number": patron.card_number})).content.decode()
    for url in re.findall(r'(?:href|action)="([^"]+)"', html):
        assert patron.card_number not in url and "Quill" not in url


def test_unknown_card_gets_the_gates_neutral_words_next_to_the_field_and_is_logged_blind(
    at_desk, patron
):
    unknown = shown(at_desk, at_desk.post(DESK, {"card_number": "29999999999999"}))
    assert field_error(unknown, "id_card_number") == NOT_FOUND_MESSAGE
    assert "29999999999999" not in unknown.content.decode()
    assert "29999999999999" not in str(
        AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).latest().additional_data
    )


def test_blocks_are_listed(at_desk, branch):
    blocked = PatronFactory(status="blocked", home_branch=branch)
    html = at_desk.get(patron_url(blocked)).content.decode()
    assert "Card blocked." in html


def test_summary_query_count_does_not_grow_with_loans(at_desk, patron, django_assert_num_queries):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert at_desk.get(patron_url(patron)).status_code == 200
        return len(queries)

    LoanFactory(patron=patron)
    FineFactory(patron=patron)
    count()  # the first staff request of a minute refreshes the session's idle timer
    few = count()
    for _ in range(12):
        LoanFactory(patron=patron)
        FineFactory(patron=patron)
    assert count() == few
    with django_assert_num_queries(few):
        at_desk.get(patron_url(patron))


def test_checkout_at_the_desk_then_renew_and_check_in(at_desk, patron, branch):
    item = ItemFactory(branch=branch, title="Leaves of Grass")
    response = at_desk.post(patron_url(patron, "checkout/"), {"checkout-barcode": item.barcode})
    assert response.status_code == 302
    loan = Loan.objects.get(item=item)
    assert loan.patron == patron
    page = at_desk.get(response["Location"]).content.decode()
    assert "Checked out “Leaves of Grass”" in page
    assert at_desk.post(patron_url(patron, "loan/renew/"), {"loan": loan.pk}).status_code == 302
    assert Loan.objects.get(pk=loan.pk).renewals == 1
    response = shown(at_desk, at_desk.post(f"{DESK}checkin/", {"checkin-barcode": item.barcode}))
    assert "Checked in “Leaves of Grass”" in response.content.decode()
    assert Loan.objects.get(pk=loan.pk).patron_id is None
    assert re.search(r'<input[^>]*name="checkin-barcode"[^>]*autofocus', response.content.decode())


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("unknown", services.UNKNOWN_BARCODE),
        ("out", services.ITEM_ALREADY_OUT),
        ("blocked", services.PATRON_BLOCKED),
        ("expired", services.CARD_EXPIRED),
        ("held", services.ITEM_HELD_FOR_ANOTHER),
    ],
)
def test_bad_checkout_says_why_next_to_the_barcode_and_changes_nothing(
    at_desk, patron, branch, setup, message
):
    item = ItemFactory(branch=branch)
    barcode = item.barcode
    if setup == "unknown":
        barcode = "39999999999999"
    elif setup == "out":
        LoanFactory(item=item)
    elif setup == "blocked":
        patron.status = "blocked"
        patron.save()
    elif setup == "expired":
        patron.card_expires_on = timezone.localdate() - datetime.timedelta(days=1)
        patron.save()
    elif setup == "held":
        # Another patron waits for the title and this is its only copy.
        HoldFactory(item=item, patron=PatronFactory(), pickup_branch=branch)
    before = snapshot()
    posted = at_desk.post(patron_url(patron, "checkout/"), {"checkout-barcode": barcode})
    after = snapshot()
    # The POST read the patron through the gate (one access entry); nothing else changed.
    assert after.pop("audit") == before.pop("audit") + 1
    assert after == before
    response = shown(at_desk, posted)
    assert field_error(response, "id_checkout-barcode") == views.SCANNED.format(
        scanned=barcode, message=message
    )


def test_renewal_limit_is_said_on_the_page_and_changes_nothing(at_desk, patron, branch):
    loan = LoanFactory(patron=patron, renewals=2, item=ItemFactory(branch=branch))
    before = snapshot()
    response = at_desk.post(patron_url(patron, "loan/renew/"), {"loan": loan.pk})
    assert services.RENEWAL_LIMIT in shown(at_desk, response).content.decode()
    assert {k: v for k, v in snapshot().items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }


def test_a_desk_without_a_branch_is_told_to_set_one(at_desk):
    response = at_desk.post(f"{DESK}checkin/", {"checkin-barcode": "39999999999999"})
    assert "Set this desk" in field_error(shown(at_desk, response), "id_checkin-barcode")


def test_unknown_barcode_at_check_in_is_said_next_to_the_field(at_desk, branch):
    before = snapshot()
    response = at_desk.post(f"{DESK}checkin/", {"checkin-barcode": "39999999999999"})
    assert snapshot() == before
    assert field_error(shown(at_desk, response), "id_checkin-barcode") == views.SCANNED.format(
        scanned="39999999999999", message=services.UNKNOWN_BARCODE
    )


def test_holds_and_fines_at_the_desk(at_desk, patron, branch):
    item = ItemFactory(branch=branch)
    assert (
        at_desk.post(
            patron_url(patron, "holds/"),
            {"hold-barcode": item.barcode, "hold-pickup_branch": branch.pk},
        ).status_code
        == 302
    )
    hold = Hold.objects.get(patron=patron)
    assert at_desk.post(patron_url(patron, f"holds/{hold.pk}/cancel/")).status_code == 302
    assert not Hold.objects.exists()
    fine = FineFactory(patron=patron)
    waive = {f"waive-{fine.pk}-reason": "staff_error"}
    assert at_desk.post(patron_url(patron, f"fines/{fine.pk}/waive/"), waive).status_code == 302
    assert Fine.objects.get(pk=fine.pk).waived_at is not None


def test_actions_on_another_patrons_records_are_refused(at_desk, patron):
    other_fine = FineFactory()
    pay = {f"pay-{other_fine.pk}-amount": "1.50", f"pay-{other_fine.pk}-method": "cash"}
    response = at_desk.post(patron_url(patron, f"fines/{other_fine.pk}/pay/"), pay)
    assert services.FINE_NOT_FOUND in shown(at_desk, response).content.decode()
    assert Fine.objects.get(pk=other_fine.pk).paid_at is None


def test_get_is_not_allowed_on_actions(at_desk, patron):
    assert at_desk.get(patron_url(patron, "checkout/")).status_code == 405
