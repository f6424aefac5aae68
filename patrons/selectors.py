"""Reads of the patrons app for registration: likely duplicates and a patron's summary."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from patrons.models import Patron, PatronBlock, ResponsibleAdult
from privacy import access
from privacy.policy import DataCategory, Purpose

# What the clerk is told of a likely duplicate: the kind of match, never the
# other record (its name, card number or id).
SAME_NAME_AND_BIRTH = "name_and_birth"
SAME_EMAIL = "email"
SAME_PHONE = "phone"
DUPLICATE_SAYS = {
    SAME_NAME_AND_BIRTH: "A record with the same name and date of birth exists.",
    SAME_EMAIL: "A record with the same email address exists.",
    SAME_PHONE: "A record with the same phone number exists.",
}


def _phone_digits(phone: str) -> str:
    return "".join(char for char in phone if char.isdigit())


def duplicate_matches(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date,
    email: str = "",
    phone: str = "",
    exclude_pk: int | None = None,
) -> dict[str, set[int]]:
    """Return, by kind of match, the ids of patrons who look like the person described.

    One indexed query: the same name and date of birth, the same email address
    (any case) or the same phone number (as typed, or as its digits).
    """
    same_name = Q(
        first_name__iexact=first_name.strip(),
        last_name__iexact=last_name.strip(),
        date_of_birth=date_of_birth,
    )
    condition = same_name
    if email.strip():
        condition |= Q(email__iexact=email.strip())
    phones = {phone.strip(), _phone_digits(phone)} - {""}
    if phones:
        condition |= Q(phone__in=phones)
    found = Patron.objects.filter(condition)
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    matches: dict[str, set[int]] = {}
    rows = found.values_list("pk", "first_name", "last_name", "date_of_birth", "email", "phone")
    for pk, first, last, born, their_email, their_phone in rows[:50]:
        if (
            first.lower() == first_name.strip().lower()
            and last.lower() == last_name.strip().lower()
            and born == date_of_birth
        ):
            matches.setdefault(SAME_NAME_AND_BIRTH, set()).add(pk)
        if email.strip() and their_email.lower() == email.strip().lower():
            matches.setdefault(SAME_EMAIL, set()).add(pk)
        if phones and (their_phone in phones or _phone_digits(their_phone) in phones):
            matches.setdefault(SAME_PHONE, set()).add(pk)
    return matches


def registration_duplicates(*, user: Any, **person: Any) -> list[str]:
    """Return what the clerk may be told of likely duplicates: the kinds of match, in order.

    Each patron matched is logged as a read for registration (CONF-1, CONF-3),
    and only matches the gate lets this user read count; the clerk learns that
    such a record exists, never which it is.
    """
    matches = duplicate_matches(**person)
    ids: set[int] = set().union(*matches.values())
    if not ids:
        return []
    readable = access.record_list_read(
        user, sorted(ids), DataCategory.IDENTITY, Purpose.REGISTRATION
    )
    return [kind for kind in DUPLICATE_SAYS if matches.get(kind, set()) & readable]


@dataclass
class RegistrationSummary:
    """What the registration page shows of a patron the gate let the clerk read."""

    patron: Patron
    block: PatronBlock | None
    listings: list[ResponsibleAdult]
    has_login: bool
    today: datetime.date

    @property
    def expired(self) -> bool:
        return self.patron.card_expires_on < self.today


def registration_patron(*, user: Any, pk: int | str | None = None, card_number: str = "") -> Patron:
    """Return a patron read through the gate for registration (identity; logged)."""
    return access.find_patron(
        user,
        pk=pk,
        card_number=card_number or None,
        category=DataCategory.IDENTITY,
        purpose=Purpose.REGISTRATION,
    )


def registration_summary(*, patron: Patron, today: datetime.date) -> RegistrationSummary:
    """Return a registration summary of a patron already read through the gate: two queries."""
    return RegistrationSummary(
        patron=patron,
        block=PatronBlock.objects.filter(patron=patron).active().first(),
        # The listed adults are named by relationship only: their identity is
        # theirs, read on their own page (CONF-4).
        listings=list(ResponsibleAdult.objects.filter(minor=patron).order_by("listed_at")),
        has_login=patron.user_id is not None,
        today=today,
    )
