"""Registration services: new patrons, minors' adults (CONF-4), duplicates, cards and blocks."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from circulation import services as circulation
from circulation.services import CirculationError
from patrons import cards, selectors, services
from patrons.models import Patron, PatronBlock, ResponsibleAdult
from tests.factories import (
    BranchFactory,
    ItemFactory,
    LoanRuleFactory,
    MinorFactory,
    PatronFactory,
    years_ago,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    return BranchFactory(code="CEN", name="Central Library")


def register(branch, desk, **fields):
    person = {
        "first_name": "Nora",
        "last_name": "Newcomb",
        "date_of_birth": years_ago(30),
        "email": "nora.newcomb@example.org",
        "phone": "785-555-0199",
    }
    return services.patron_register(**{**person, **fields}, home_branch=branch, registered_by=desk)


def test_a_new_patron_gets_a_valid_new_card_and_an_expiry_a_period_away(branch, desk, settings):
    settings.PATRON_CARD_PERIOD_DAYS = 730
    patron = register(branch, desk)
    assert cards.card_number_valid(patron.card_number)
    assert patron.card_number.startswith(settings.PATRON_CARD_PREFIX)
    assert patron.card_expires_on == timezone.localdate() + datetime.timedelta(days=730)
    assert patron.home_branch == branch and patron.user is None


def test_a_scanned_card_is_kept_and_a_wrong_check_digit_refused(branch, desk, settings):
    settings.PATRON_CARD_LENGTH = 11
    assert register(branch, desk, card_number="79927398713").card_number == "79927398713"
    with pytest.raises(ValidationError) as refused:
        register(branch, desk, first_name="Other", email="", phone="1", card_number="79927398714")
    assert refused.value.message_dict == {"card_number": [services.CARD_NUMBER_INVALID]}


def test_a_minor_without_a_responsible_adult_is_refused_and_nothing_is_saved(branch, desk):
    # CONF-4: a minor's account is disclosed to the adult listed on it; none, no account.
    before = Patron.objects.count()
    with pytest.raises(ValidationError) as refused:
        register(branch, desk, date_of_birth=years_ago(12))
    assert "responsible_adult" in refused.value.message_dict
    assert Patron.objects.count() == before
    assert not ResponsibleAdult.objects.exists()


def test_the_day_before_the_birthday_of_majority_is_still_a_minor(branch, desk, settings):
    settings.LIBRARY_AGE_OF_MAJORITY = 18
    with pytest.raises(ValidationError):
        register(branch, desk, date_of_birth=years_ago(18) + datetime.timedelta(days=1))
    assert register(branch, desk, date_of_birth=years_ago(18)).pk


def test_a_minor_is_registered_with_an_adult_patron_listed_by_the_clerk(branch, desk):
    adult = PatronFactory()
    minor = register(branch, desk, date_of_birth=years_ago(9), responsible_adult=adult)
    listing = ResponsibleAdult.objects.get(minor=minor)
    assert (listing.adult, listing.listed_by) == (adult, desk)


def test_a_minor_cannot_be_the_responsible_adult(branch, desk):
    with pytest.raises(ValidationError) as refused:
        register(branch, desk, date_of_birth=years_ago(9), responsible_adult=MinorFactory())
    assert refused.value.message_dict == {"responsible_adult": [services.ADULT_IS_MINOR]}
    assert not Patron.objects.filter(last_name="Newcomb").exists()


@pytest.mark.parametrize(
    ("same", "kind"),
    [
        ({"first_name": "nora", "last_name": "NEWCOMB"}, selectors.SAME_NAME_AND_BIRTH),
        ({"email": "Nora.Newcomb@Example.org"}, selectors.SAME_EMAIL),
        ({"phone": " 785-555-0199 "}, selectors.SAME_PHONE),
    ],
)
def test_a_likely_duplicate_stops_the_registration_until_confirmed(branch, desk, same, kind):
    PatronFactory(
        first_name="Nora",
        last_name="Newcomb",
        date_of_birth=years_ago(30),
        email="nora.newcomb@example.org",
        phone="785-555-0199",
    )
    other = {"first_name": "Ann", "last_name": "Other", "email": "ann@example.org", "phone": "1"}
    fields = {**other, **same}
    if kind == selectors.SAME_NAME_AND_BIRTH:
        fields["date_of_birth"] = years_ago(30)
    with pytest.raises(services.DuplicateSuspected) as suspected:
        register(branch, desk, **fields)
    assert suspected.value.kinds == [kind]
    assert Patron.objects.count() == 1
    assert register(branch, desk, **fields, duplicate_confirmed=True).pk


def test_a_different_person_is_no_duplicate(branch, desk):
    PatronFactory(first_name="Nora", last_name="Newcomb", date_of_birth=years_ago(31))
    assert register(branch, desk).pk


def test_contact_details_change_and_the_old_address_is_told(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    old = alice.email
    with django_capture_on_commit_callbacks(execute=True):
        services.patron_contact_update(
            patron=alice,
            email="new.alice@example.org",
            phone="785-555-0000",
            address_line="1 New Street",
            city="Lawrence",
            postal_code="66046",
        )
    alice.refresh_from_db()
    assert (alice.email, alice.phone, alice.postal_code) == (
        "new.alice@example.org",
        "785-555-0000",
        "66046",
    )
    [notice] = mailoutbox
    assert notice.to == [old] and "new.alice" not in notice.body


def test_renewing_a_card_sets_a_new_expiry_a_period_from_today(alice, settings):
    settings.PATRON_CARD_PERIOD_DAYS = 365
    Patron.objects.filter(pk=alice.pk).update(
        card_expires_on=years_ago(1), status=Patron.Status.EXPIRED
    )
    renewed = services.patron_card_renew(patron=alice)
    assert renewed.card_expires_on == timezone.localdate() + datetime.timedelta(days=365)
    assert renewed.status == Patron.Status.ACTIVE


def test_a_block_records_why_who_and_when_and_its_end(alice, desk):
    block = services.patron_block(patron=alice, reason="Card reported stolen", blocked_by=desk)
    alice.refresh_from_db()
    assert alice.status == Patron.Status.BLOCKED
    assert (block.reason, block.blocked_by, block.ended_at) == ("Card reported stolen", desk, None)
    with pytest.raises(ValidationError):
        services.patron_block(patron=alice, reason="again", blocked_by=desk)
    ended = services.patron_unblock(patron=alice, reason="Card found", ended_by=desk)
    alice.refresh_from_db()
    assert alice.status == Patron.Status.ACTIVE
    assert ended.ended_by == desk and ended.end_reason == "Card found" and ended.ended_at


def test_a_block_and_its_end_need_a_reason(alice, desk):
    with pytest.raises(ValidationError):
        services.patron_block(patron=alice, reason="  ", blocked_by=desk)
    assert not PatronBlock.objects.exists()
    with pytest.raises(ValidationError):
        services.patron_unblock(patron=alice, reason="nothing to end", ended_by=desk)


def test_a_block_in_force_stops_check_out_even_if_the_status_says_active(alice, desk):
    LoanRuleFactory()
    item = ItemFactory()
    PatronBlock.objects.create(patron=alice, reason="Unreturned laptop", blocked_by=desk)
    assert Patron.objects.get(pk=alice.pk).status == Patron.Status.ACTIVE
    with pytest.raises(CirculationError) as refused:
        circulation.loan_checkout(patron=alice, barcode=item.barcode, branch=item.branch)
    assert refused.value.message == circulation.PATRON_BLOCKED


def test_an_ended_block_no_longer_stops_check_out(alice, desk):
    LoanRuleFactory()
    item = ItemFactory()
    services.patron_block(patron=alice, reason="Unreturned laptop", blocked_by=desk)
    with pytest.raises(CirculationError):
        circulation.loan_checkout(patron=alice, barcode=item.barcode, branch=item.branch)
    services.patron_unblock(patron=alice, reason="Laptop returned", ended_by=desk)
    assert circulation.loan_checkout(patron=alice, barcode=item.barcode, branch=item.branch).pk
