"""Card numbers: the Luhn check digit, validation of a scanned card, and new numbers."""

import pytest

from patrons import cards, services
from tests.factories import PatronFactory

# Published Luhn examples: the check digit completes each payload.
KNOWN = [("7992739871", "3"), ("411111111111111", "1"), ("0", "0"), ("1", "8")]


@pytest.mark.parametrize(("payload", "digit"), KNOWN)
def test_the_check_digit_is_the_luhn_digit(payload, digit):
    assert cards.luhn_check_digit(payload) == digit
    assert cards.luhn_valid(payload + digit)


def test_every_single_digit_mistake_is_caught():
    number = "79927398713"
    for position in range(len(number)):
        for wrong in "0123456789":
            if wrong != number[position]:
                typo = number[:position] + wrong + number[position + 1 :]
                assert not cards.luhn_valid(typo), typo


def test_a_swap_of_neighbouring_digits_is_caught():
    assert not cards.luhn_valid("79927398731")  # ...71|3 -> ...73|1


def test_letters_and_too_short_numbers_are_not_valid():
    assert not cards.luhn_valid("7992739871X")
    assert not cards.luhn_valid("3")


def test_a_new_number_has_the_prefix_the_length_and_a_valid_check_digit(settings):
    settings.PATRON_CARD_PREFIX = "2999"
    settings.PATRON_CARD_LENGTH = 14
    settings.PATRON_CARD_CHECK_DIGIT = cards.LUHN
    for _ in range(50):
        number = cards.card_number_new()
        assert number.startswith("2999") and len(number) == 14 and number.isdigit()
        assert cards.luhn_valid(number)
        assert cards.card_number_valid(number)


def test_without_a_check_digit_scheme_any_digits_of_the_length_are_valid(settings):
    settings.PATRON_CARD_CHECK_DIGIT = cards.NO_CHECK_DIGIT
    settings.PATRON_CARD_LENGTH = 8
    assert cards.card_number_valid("12345678")  # not a Luhn number
    assert not cards.card_number_valid("1234567")
    assert not cards.card_number_valid("1234567a")


def test_under_luhn_a_scanned_card_with_a_wrong_digit_is_not_valid(settings):
    settings.PATRON_CARD_LENGTH = 11
    settings.PATRON_CARD_CHECK_DIGIT = cards.LUHN
    assert cards.card_number_valid("79927398713")
    assert not cards.card_number_valid("79927398714")


@pytest.mark.django_db
def test_a_new_number_is_never_one_a_patron_holds(settings, monkeypatch):
    settings.PATRON_CARD_LENGTH = 11
    PatronFactory(card_number="79927398713")
    numbers = iter(["79927398713", "79927398713", "12345678903"])
    monkeypatch.setattr(cards, "card_number_new", lambda: next(numbers))
    assert services.card_number_free() == "12345678903"


@pytest.mark.django_db
def test_a_scanned_card_already_held_is_refused(settings):
    settings.PATRON_CARD_LENGTH = 11
    PatronFactory(card_number="79927398713")
    with pytest.raises(services.ValidationError) as refused:
        services.card_number_check("79927398713")
    assert refused.value.message_dict == {"card_number": [services.CARD_NUMBER_TAKEN]}
