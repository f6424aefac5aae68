"""The loan-rules pages: the person in charge keeps the rules, and the desk lends by them."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from circulation import services
from circulation.models import ItemType, LoanRule, PatronCategory
from library.roles import Role
from library.staff import staff_menu
from tests.circulation.test_desk_views import field_error
from tests.factories import (
    BranchFactory,
    ItemFactory,
    LoanRuleFactory,
    MinorFactory,
    PatronFactory,
)

pytestmark = pytest.mark.django_db
RULES = "/staff/circulation/loan-rules/"


@pytest.fixture
def pic(staff):
    return staff(Role.PERSON_IN_CHARGE)


@pytest.fixture
def in_charge(client, pic):
    client.force_login(pic)
    return client


@pytest.fixture
def book_rule():
    return LoanRuleFactory(item_type=ItemType.BOOK, loan_days=21)


def _fields(rule=None, **changes):
    fields = {
        "item_type": ItemType.BOOK,
        "patron_category": "",
        "loan_days": "21",
        "renewal_limit": "2",
        "fine_per_day": "0.25",
        "max_fine": "10.00",
    }
    if rule is not None:
        fields.update(
            item_type=rule.item_type,
            patron_category=rule.patron_category,
            loan_days=str(rule.loan_days),
            renewal_limit=str(rule.renewal_limit),
            fine_per_day=str(rule.fine_per_day),
            max_fine=str(rule.max_fine),
        )
    fields.update({name: str(value) for name, value in changes.items()})
    return fields


def _rules():
    return list(
        LoanRule.objects.order_by("pk").values_list(
            "item_type", "patron_category", "loan_days", "renewal_limit", "fine_per_day", "max_fine"
        )
    )


def test_the_person_in_charge_sees_every_rule_in_a_table(in_charge, book_rule):
    LoanRuleFactory(item_type=ItemType.DVD, patron_category=PatronCategory.MINOR, loan_days=3)
    page = in_charge.get(RULES).content.decode()
    assert "<table>" in page
    assert "Any patron" in page and "Minor" in page
    assert f'href="{RULES}{book_rule.pk}/"' in page and f'href="{RULES}new/"' in page


def test_the_person_in_charge_edits_a_rule_and_the_next_checkout_uses_it(in_charge, book_rule):
    branch = BranchFactory(code="CEN")
    minor = MinorFactory(home_branch=branch)
    adult = PatronFactory(home_branch=branch)
    response = in_charge.post(f"{RULES}new/", _fields(patron_category="minor", loan_days=7))
    assert response.status_code == 302 and response["Location"] == RULES
    minors_rule = LoanRule.objects.get(patron_category=PatronCategory.MINOR)
    response = in_charge.post(f"{RULES}{minors_rule.pk}/", _fields(minors_rule, loan_days=10))
    assert response.status_code == 302
    assert "Saved the loan rule" in in_charge.get(RULES).content.decode()

    now = timezone.now()
    minor_loan = services.loan_checkout(
        patron=minor, barcode=ItemFactory(branch=branch).barcode, branch=branch, now=now
    )
    adult_loan = services.loan_checkout(
        patron=adult, barcode=ItemFactory(branch=branch).barcode, branch=branch, now=now
    )

    assert minor_loan.due_at == services.due_at_for(now, 10)
    # The adult has no rule of their own category: the book's rule for any patron.
    assert adult_loan.due_at == services.due_at_for(now, 21)
    assert minor_loan.due_at - adult_loan.due_at == datetime.timedelta(days=-11)


def test_changing_the_any_patron_rule_changes_the_next_adult_checkout(in_charge, book_rule):
    branch = BranchFactory(code="CEN")
    adult = PatronFactory(home_branch=branch)
    in_charge.post(f"{RULES}{book_rule.pk}/", _fields(book_rule, loan_days=28))
    now = timezone.now()
    loan = services.loan_checkout(
        patron=adult, barcode=ItemFactory(branch=branch).barcode, branch=branch, now=now
    )
    assert loan.due_at == services.due_at_for(now, 28)


def test_the_director_may_keep_the_rules_too(client, director, book_rule):
    client.force_login(director)
    assert client.get(RULES).status_code == 200
    response = client.post(f"{RULES}{book_rule.pk}/", _fields(book_rule, renewal_limit=5))
    assert response.status_code == 302
    assert LoanRule.objects.get(pk=book_rule.pk).renewal_limit == 5


@pytest.mark.parametrize(
    "role", [Role.CIRCULATION, Role.REFERENCE, Role.SECURITY_GUARD, Role.IT_STAFF, Role.AUDITOR]
)
def test_other_staff_get_not_found_and_change_nothing(client, staff, book_rule, role):
    client.force_login(staff(role))
    before = _rules()
    assert client.get(RULES).status_code == 404
    assert client.get(f"{RULES}new/").status_code == 404
    assert client.post(f"{RULES}new/", _fields(item_type="dvd")).status_code == 404
    assert client.post(f"{RULES}{book_rule.pk}/", _fields(book_rule, loan_days=1)).status_code == (
        404
    )
    assert _rules() == before


def test_a_desk_clerk_gets_the_same_page_as_for_a_missing_address(client, desk, book_rule):
    client.force_login(desk)
    refused = client.get(f"{RULES}{book_rule.pk}/")
    missing = client.get("/staff/no-such-page/")
    assert refused.status_code == missing.status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(RULES)
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_missing_rule_is_not_found(in_charge):
    assert in_charge.get(f"{RULES}999999/").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"loan_days": 0}, "id_loan_days", services.LOAN_DAYS_RANGE),
        ({"loan_days": -3}, "id_loan_days", services.LOAN_DAYS_RANGE),
        ({"loan_days": 99999}, "id_loan_days", services.LOAN_DAYS_RANGE),
        ({"fine_per_day": "-0.25"}, "id_fine_per_day", services.MONEY_NOT_NEGATIVE),
        ({"max_fine": "-1"}, "id_max_fine", services.MONEY_NOT_NEGATIVE),
        ({"loan_days": "many"}, "id_loan_days", "Enter a whole number."),
    ],
)
def test_bad_input_shows_an_error_and_changes_nothing(
    in_charge, book_rule, changes, field, message
):
    before = _rules()
    response = in_charge.post(f"{RULES}{book_rule.pk}/", _fields(book_rule, **changes))
    assert response.status_code == 200
    assert field_error(response, field) == message
    assert _rules() == before


def test_a_second_rule_for_the_same_type_and_category_is_refused(in_charge, book_rule):
    before = _rules()
    response = in_charge.post(f"{RULES}new/", _fields(loan_days=5))
    assert response.status_code == 200
    assert field_error(response, "id_patron_category") == services.LOAN_RULE_EXISTS.format(
        item_type="book", category="any patron"
    )
    assert _rules() == before


def test_editing_a_rule_into_another_rules_type_and_category_is_refused(in_charge, book_rule):
    dvd = LoanRuleFactory(item_type=ItemType.DVD, loan_days=7)
    before = _rules()
    response = in_charge.post(f"{RULES}{dvd.pk}/", _fields(dvd, item_type="book"))
    assert "There is already a rule for book and any patron" in response.content.decode()
    assert _rules() == before


def test_the_service_refuses_what_the_form_would(book_rule):
    with pytest.raises(services.CirculationError) as error:
        services.loan_rule_save(
            rule=None,
            item_type=ItemType.DVD,
            patron_category="",
            loan_days=7,
            renewal_limit=1,
            fine_per_day=Decimal("-1"),
            max_fine=Decimal("1"),
        )
    assert error.value.field == "fine_per_day"
    assert not LoanRule.objects.filter(item_type=ItemType.DVD).exists()


def test_the_menu_shows_loan_rules_to_the_person_in_charge_only(pic, desk):
    assert "Loan rules" in [item.label for item in staff_menu(pic)]
    assert "Loan rules" not in [item.label for item in staff_menu(desk)]


def test_a_change_is_in_the_audit_trail(in_charge, book_rule):
    from audit.models import AuditEntry

    in_charge.post(f"{RULES}{book_rule.pk}/", _fields(book_rule, loan_days=30))
    entry = AuditEntry.objects.get_for_object(book_rule).order_by("-pk").first()
    assert entry is not None and "loan_days" in entry.changes_dict
