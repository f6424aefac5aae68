"""Reads of the patrons app: registration's duplicates and summary, and inactive accounts."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, ForeignObjectRel, OuterRef, Q, QuerySet
from django.db.models.deletion import PROTECT
from django.utils import timezone

from patrons.models import Patron, PatronBlock, ResponsibleAdult, latest_adult_birth_date
from privacy import access
from privacy.policy import DataCategory, Purpose
from privacy.retention import held_patron_ids

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


# --- Inactive accounts (CONF-3; registered with purge_expired in patrons.retention)


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def inactivity_cutoff(now: datetime.datetime) -> datetime.date:
    """Return the day on or before which an account's last activity makes it inactive now."""
    days = settings.LIBRARY_RETENTION_DAYS["inactive_accounts"]
    return timezone.localdate(now) - datetime.timedelta(days=days)


def _inactive(now: datetime.datetime) -> Q:
    """Return the condition "no activity on record since the cutoff".

    Activity is read from what the records already keep, since a returned loan
    forgets its patron (CONF-9) and circulation is not changed for this:

    - registration, and the last card issue or renewal (its expiry less
      PATRON_CARD_PERIOD_DAYS): while the card is valid the account is in use;
    - the portal login: its last sign-in, or its issue (`date_joined`);
    - `last_active_on`, the month of the last check-out, renewal, check-in,
      hold or activity session, stamped by patrons.receivers; a month counts
      only once it is wholly before the cutoff;
    - a reading-history entry returned after the cutoff (history kept by choice).
    """
    cutoff = inactivity_cutoff(now)
    period = datetime.timedelta(days=settings.LIBRARY_RETENTION_DAYS["inactive_accounts"])
    cutoff_moment = now - period
    card_period = datetime.timedelta(days=settings.PATRON_CARD_PERIOD_DAYS)
    signed_in = (
        get_user_model()
        .objects.filter(pk=OuterRef("user_id"))
        .filter(Q(last_login__gt=cutoff_moment) | Q(date_joined__gt=cutoff_moment))
    )
    history = _related("reading_history").filter(patron=OuterRef("pk"), returned_on__gt=cutoff)
    return (
        Q(registered_on__lte=cutoff)
        & Q(card_expires_on__lte=cutoff + card_period)
        & (Q(last_active_on__isnull=True) | Q(last_active_on__lt=_month_start(cutoff)))
        & ~Exists(signed_in)
        & ~Exists(history)
    )


def _related(name: str) -> QuerySet[Any]:
    # Circulation sits above patrons in the layers: its models are reached
    # through the patron's reverse relations, never imported.
    return Patron._meta.get_field(name).related_model._default_manager.all()  # type: ignore[union-attr]


def _needed(now: datetime.datetime) -> Q:
    """Return the condition "something still needs this account", whatever its activity.

    Every record that must outlive the patron and so protects the record from
    deletion (an open loan, a returned loan kept for an unpaid fine, an unpaid
    fine, a person in an incident, a release under a legal order); a live
    hold; being the listed adult of someone still a minor (CONF-4).
    """
    needed = Q()
    # Hidden relations too: an incident's people and an order's releases have no accessor.
    for relation in Patron._meta.get_fields(include_hidden=True):
        if isinstance(relation, ForeignObjectRel) and relation.on_delete is PROTECT:
            rows = relation.related_model._default_manager.filter(
                **{relation.field.name: OuterRef("pk")}
            )
            needed |= Q(Exists(rows))
    holds = _related("holds").filter(patron=OuterRef("pk"))
    today = timezone.localdate(now)
    minors = ResponsibleAdult.objects.filter(
        adult=OuterRef("pk"),
        minor__date_of_birth__gt=latest_adult_birth_date(today, settings.LIBRARY_AGE_OF_MAJORITY),
    )
    return needed | Q(Exists(holds)) | Q(Exists(minors))


def accounts_dormant(*, now: datetime.datetime) -> QuerySet[Patron]:
    """Return accounts unused since the cutoff that nothing needs and no legal hold keeps."""
    return (
        Patron.objects.filter(_inactive(now))
        .exclude(_needed(now))
        .exclude(pk__in=held_patron_ids())
        .order_by()
    )


def accounts_to_notify(*, now: datetime.datetime) -> QuerySet[Patron]:
    """Return dormant accounts not yet told (or told before their last activity) of deletion."""
    return accounts_dormant(now=now).filter(
        Q(inactivity_notice_on__isnull=True) | Q(inactivity_notice_on__lte=inactivity_cutoff(now))
    )


def accounts_to_erase(*, now: datetime.datetime) -> QuerySet[Patron]:
    """Return dormant accounts told at least the grace period ago, with no activity since."""
    today = timezone.localdate(now)
    grace = datetime.timedelta(days=settings.RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS)
    # A notice older than the inactivity period came before activity that has
    # since lapsed again; that account is told afresh, not deleted on it.
    return accounts_dormant(now=now).filter(
        inactivity_notice_on__lte=today - grace,
        inactivity_notice_on__gt=inactivity_cutoff(now),
    )


def accounts_with_stale_notice(*, now: datetime.datetime) -> QuerySet[Patron]:
    """Return accounts told of deletion that have been used, or are needed or held, since."""
    return Patron.objects.filter(inactivity_notice_on__isnull=False).exclude(
        pk__in=accounts_dormant(now=now).values("pk")
    )
