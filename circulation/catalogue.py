"""The catalogue's own rules: how identifiers are written down. No patron data here."""

ISBN10_LENGTH = 10
ISBN13_LENGTH = 13


class InvalidIsbn(ValueError):
    """The text is not a well-formed ISBN-10 or ISBN-13 (wrong length, letters or check digit)."""


def normalise_isbn(text: str) -> str:
    """Return `text` as the 13 digits of an ISBN-13, converting an ISBN-10.

    Hyphens and spaces are ignored; the check digit is verified (ISO 2108).
    Raises InvalidIsbn for anything else.
    """
    raw = "".join(ch for ch in text if ch not in "- ").upper()
    if len(raw) == ISBN10_LENGTH:
        body, check = raw[:9], raw[9]
        if not body.isdigit() or not (check.isdigit() or check == "X"):
            raise InvalidIsbn(text)
        total = sum((10 - i) * int(d) for i, d in enumerate(body))
        total += 10 if check == "X" else int(check)
        if total % 11:
            raise InvalidIsbn(text)
        raw = "978" + body
        return raw + isbn13_check(raw)
    if len(raw) == ISBN13_LENGTH and raw.isdigit():
        if isbn13_check(raw[:12]) != raw[12]:
            raise InvalidIsbn(text)
        return raw
    raise InvalidIsbn(text)


def isbn13_check(first12: str) -> str:
    """Return the check digit (one character) for the first 12 digits of an ISBN-13."""
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)
