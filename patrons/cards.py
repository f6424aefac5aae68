"""Library card numbers: the check-digit scheme, and a new number for a new card.

The scheme is a setting (PATRON_CARD_CHECK_DIGIT): "luhn" puts a Luhn check
digit last, so a mistyped or misread digit is caught at the desk; "none"
takes any number of digits.
"""

import secrets

from django.conf import settings

LUHN = "luhn"
NO_CHECK_DIGIT = "none"
CARD_NUMBER_INVALID = "This card number is not valid: check the digits (the last is a check digit)."


def luhn_check_digit(payload: str) -> str:
    """Return the Luhn check digit that completes a string of digits."""
    total = 0
    # Counting from the right of the finished number, the check digit is first
    # and undoubled, so the payload's last digit is doubled.
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """Return True if the digits end with their Luhn check digit."""
    if len(number) < 2 or not number.isdigit():
        return False
    return luhn_check_digit(number[:-1]) == number[-1]


def card_number_valid(number: str, *, scheme: str | None = None) -> bool:
    """Return True if a card number is digits of the configured length and passes the scheme."""
    scheme = scheme or settings.PATRON_CARD_CHECK_DIGIT
    if not number.isdigit() or len(number) != settings.PATRON_CARD_LENGTH:
        return False
    return scheme != LUHN or luhn_valid(number)


def card_number_new(*, scheme: str | None = None) -> str:
    """Return a fresh card number: the prefix, random digits and the scheme's check digit.

    Random rather than counted, so one card number says nothing of the next.
    Whether it is free is for the caller to check (patrons.services).
    """
    scheme = scheme or settings.PATRON_CARD_CHECK_DIGIT
    prefix = settings.PATRON_CARD_PREFIX
    free = settings.PATRON_CARD_LENGTH - len(prefix) - (1 if scheme == LUHN else 0)
    payload = prefix + "".join(secrets.choice("0123456789") for _ in range(free))
    return payload + luhn_check_digit(payload) if scheme == LUHN else payload
