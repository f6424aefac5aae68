import datetime

import pytest
from django.db import IntegrityError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from patrons.models import Patron, latest_adult_birth_date, majority_date
from privacy.models import IdentityCheck
from tests.factories import (
    ConsentFactory,
    IdentityCheckFactory,
    MinorFactory,
    PatronFactory,
    ResponsibleAdultFactory,
    years_ago,
)

pytestmark = pytest.mark.django_db


def test_patron_is_minor_until_the_day_before_the_birthday_of_majority():
    patron = PatronFactory.build(date_of_birth=datetime.date(2008, 6, 15))
    assert patron.is_minor_on(datetime.date(2026, 6, 14))
    assert not patron.is_minor_on(datetime.date(2026, 6, 15))


def test_leap_day_birth_comes_of_age_on_first_of_march():
    patron = PatronFactory.build(date_of_birth=datetime.date(2008, 2, 29))
    assert patron.is_minor_on(datetime.date(2026, 2, 28))
    assert not patron.is_minor_on(datetime.date(2026, 3, 1))


def test_age_of_majority_follows_the_setting(settings):
    settings.LIBRARY_AGE_OF_MAJORITY = 19
    patron = PatronFactory.build(date_of_birth=datetime.date(2008, 6, 15))
    assert patron.is_minor_on(datetime.date(2026, 6, 15))
    assert not patron.is_minor_on(datetime.date(2027, 6, 15))


@given(
    born=st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2030, 12, 31)),
    today=st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2060, 12, 31)),
)
def test_database_cut_off_agrees_with_is_minor_on_every_day(born, today):
    """The list query (birth date after a cut-off) and the per-patron rule always agree."""
    in_python = today < majority_date(born, 18)
    in_query = born > latest_adult_birth_date(today, 18)
    assert in_python == in_query


def test_minors_queryset_changes_on_the_exact_birthday():
    today = timezone.localdate()
    turns_adult_today = PatronFactory(date_of_birth=years_ago(18))
    turns_adult_tomorrow = PatronFactory(date_of_birth=years_ago(18, days=-1))
    assert set(Patron.objects.minors(today)) == {turns_adult_tomorrow}
    assert set(Patron.objects.adults(today)) == {turns_adult_today}


def test_card_numbers_are_unique():
    PatronFactory(card_number="21000000000099")
    with pytest.raises(IntegrityError):
        PatronFactory(card_number="21000000000099")


def test_patron_status_outside_the_list_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        PatronFactory(status="deceased")


def test_reading_history_is_off_by_default():
    assert PatronFactory().keeps_reading_history is False


def test_responsible_adult_is_either_a_patron_or_a_named_person():
    minor = MinorFactory()
    ResponsibleAdultFactory(minor=minor, adult=None, adult_name="Grace Okafor")
    with pytest.raises(IntegrityError):
        ResponsibleAdultFactory(minor=minor, adult=None, adult_name="")


def test_responsible_adult_cannot_be_both_a_patron_and_a_name():
    with pytest.raises(IntegrityError):
        ResponsibleAdultFactory(adult_name="Someone Else")


def test_an_adult_is_listed_once_per_minor_but_may_have_several_minors():
    adult = PatronFactory()
    first, second = MinorFactory(), MinorFactory()
    ResponsibleAdultFactory(minor=first, adult=adult)
    ResponsibleAdultFactory(minor=second, adult=adult)
    assert adult.minors_listed.count() == 2
    with pytest.raises(IntegrityError):
        ResponsibleAdultFactory(minor=first, adult=adult)


def test_a_minor_may_have_several_responsible_adults():
    minor = MinorFactory()
    ResponsibleAdultFactory(minor=minor)
    ResponsibleAdultFactory(minor=minor, adult=None, adult_name="Ruth Chen")
    assert minor.responsible_adults.count() == 2


def test_patron_cannot_be_their_own_responsible_adult():
    minor = MinorFactory()
    with pytest.raises(IntegrityError):
        ResponsibleAdultFactory(minor=minor, adult=minor)


def test_identity_check_has_no_field_for_a_document_number():
    names = {field.name for field in IdentityCheck._meta.get_fields()}
    assert not {name for name in names if "number" in name}


def test_identity_check_names_exactly_one_person():
    check = IdentityCheckFactory.build(patron=None)
    check.checked_by.save()
    with pytest.raises(IntegrityError):
        check.save()


def test_only_one_active_consent_per_recipient_and_category():
    consent = ConsentFactory()
    with pytest.raises(IntegrityError):
        ConsentFactory(patron=consent.patron)


def test_a_withdrawn_consent_can_be_granted_again():
    consent = ConsentFactory()
    consent.withdrawn_at = timezone.now()
    consent.save()
    again = ConsentFactory(patron=consent.patron)
    assert again.is_active and not consent.is_active
