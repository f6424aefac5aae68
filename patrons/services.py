"""Writes of the patrons app: registration, contact details, cards, blocks, portal logins.

The patron record is the one source of a patron's identity: their login keeps
no name or address of its own, its password is set only by the patron (from a
link mailed to the address on the patron record), and nobody moves a patron
record onto another login. Every change here is recorded in the audit trail
by django-auditlog (the patron's `user` field; the login's removal), masked as
the inventory says (privacy/inventory.py), with the actor the audit middleware
sets; so are registrations, changes of contact details, renewals and blocks.
Staff pages read the patron through the gate first (patrons.selectors), then
call these.
"""

import datetime
import secrets
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from audit import entries
from audit.models import AuditEntry
from library.models import Branch
from patrons import cards, selectors, tasks
from patrons.forms import EMAIL_NEEDS_IDENTITY
from patrons.models import Patron, PatronBlock, ResponsibleAdult, majority_date
from privacy.services import identity_check_record

LOGIN_ALREADY_ISSUED = "This patron already has a portal login."
NO_ADDRESS = (
    "The patron has no email address on record. Add one first: the link to set a password "
    "goes only to the patron's own address."
)
# A patron signs in with their card number; the login's own name is random, so
# it carries no copy of their identity.
LOGIN_NAME_PREFIX = "patron-"


@transaction.atomic
def patron_login_issue(*, patron: Patron, domain: str, use_https: bool = True) -> Any:
    """Give a patron a portal login and mail a set-password link to the patron's own address.

    Returns the new login (no usable password, no name or email of its own).
    Raises ValidationError when the patron already has a login or has no address.
    """
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    if patron.user_id is not None:
        raise ValidationError(LOGIN_ALREADY_ISSUED, code="login_exists")
    if not patron.email:
        raise ValidationError(NO_ADDRESS, code="no_address")
    login = get_user_model()(username=LOGIN_NAME_PREFIX + secrets.token_hex(8))
    login.set_unusable_password()
    login.save()
    patron.user = login
    patron.save(update_fields=["user"])
    email = patron.email
    # Queued once the login is committed, so the worker finds it.
    transaction.on_commit(
        lambda: tasks.password_reset_mail_queue(email=email, domain=domain, use_https=use_https)
    )
    return login


def patron_email_changed(*, patron: Patron, old_email: str) -> None:
    """Tell the patron's previous address, once the change commits, that their address changed.

    Whoever can change an address can have a password-reset link sent to the new
    one; the notice lets the patron know and object (CONF-4). The new address is
    not named in it.
    """
    if old_email and old_email.lower() != (patron.email or "").lower():
        day = timezone.localdate().isoformat()
        transaction.on_commit(
            lambda: tasks.address_changed_notice_queue(old_email=old_email, day=day)
        )


def login_scrub(login: Any) -> None:
    """Disable a patron's former login and wipe what it held: name, address, password."""
    login.username = LOGIN_NAME_PREFIX + "removed-" + secrets.token_hex(8)
    login.first_name = login.last_name = login.email = ""
    login.is_active = False
    login.set_unusable_password()
    login.save()


@transaction.atomic
def patron_delete(*, patron: Patron) -> None:
    """Delete a patron record and disable and scrub its portal login, if any.

    Raises django.db.models.ProtectedError when records that must outlive the
    patron still name them (an open loan, an unpaid fine): nothing is changed.
    """
    login = patron.user
    patron.delete()
    if login is not None:
        login_scrub(login)


CARD_NUMBER_INVALID = cards.CARD_NUMBER_INVALID
CARD_NUMBER_TAKEN = "This card number belongs to another record; use a new card."
CARD_NUMBERS_EXHAUSTED = "No free card number was found; try again."
# CONF-4: a minor's account is disclosed to the responsible adult listed on it,
# so a minor's record is not saved without one.
MINOR_NEEDS_ADULT = (
    "A patron under {age} needs a responsible adult listed on the account (CONF-4): "
    "give the card number of the adult's own library card."
)
ADULT_IS_MINOR = "The responsible adult must be of age (CONF-4)."
DUPLICATE_SUSPECTED = "A record like this one may already exist."
BLOCK_REASON_NEEDED = "Say why the card is blocked."
UNBLOCK_REASON_NEEDED = "Say why the block ends."
ALREADY_BLOCKED = "This card is already blocked."
NOT_BLOCKED = "This card is not blocked."
# Tries at a free random card number before giving up (a collision is rare).
CARD_NUMBER_TRIES = 20
CONTACT_FIELDS = ("email", "phone", "address_line", "city", "postal_code")


class DuplicateSuspected(ValidationError):
    """A likely duplicate exists; `kinds` says how it matched (never which record)."""

    def __init__(self, kinds: list[str]) -> None:
        super().__init__(DUPLICATE_SUSPECTED, code="duplicate")
        self.kinds = kinds


def card_expiry(*, today: datetime.date | None = None) -> datetime.date:
    """Return the expiry of a card issued or renewed today (PATRON_CARD_PERIOD_DAYS)."""
    today = today or timezone.localdate()
    return today + datetime.timedelta(days=settings.PATRON_CARD_PERIOD_DAYS)


def card_number_free() -> str:
    """Return a new card number that no patron holds."""
    for _ in range(CARD_NUMBER_TRIES):
        number = cards.card_number_new()
        if not Patron.objects.filter(card_number=number).exists():
            return number
    raise ValidationError(CARD_NUMBERS_EXHAUSTED, code="card_numbers_exhausted")


def card_number_check(number: str) -> str:
    """Return a scanned card number stripped, or raise ValidationError if invalid or taken."""
    number = number.strip()
    if not cards.card_number_valid(number):
        raise ValidationError({"card_number": CARD_NUMBER_INVALID}, code="card_invalid")
    if Patron.objects.filter(card_number=number).exists():
        raise ValidationError({"card_number": CARD_NUMBER_TAKEN}, code="card_taken")
    return number


def is_minor_born(date_of_birth: datetime.date, *, today: datetime.date | None = None) -> bool:
    """Return True if someone born on this day is under the age of majority today (CONF-4)."""
    today = today or timezone.localdate()
    return today < majority_date(date_of_birth, settings.LIBRARY_AGE_OF_MAJORITY)


@transaction.atomic
def patron_register(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date,
    home_branch: Branch,
    registered_by: Any,
    card_number: str = "",
    email: str = "",
    phone: str = "",
    address_line: str = "",
    city: str = "",
    postal_code: str = "",
    responsible_adult: Patron | None = None,
    relationship: str = ResponsibleAdult.Relationship.PARENT,
    duplicate_confirmed: bool = False,
) -> Patron:
    """Register a patron with a scanned or a new card number, and list a minor's adult.

    Raises ValidationError for an invalid or taken card number, a minor without
    a responsible adult of age (CONF-4), or, unless `duplicate_confirmed`,
    DuplicateSuspected when a record with the same name and date of birth,
    email or phone exists. Nothing is saved when it raises.
    """
    today = timezone.localdate()
    if is_minor_born(date_of_birth, today=today):
        if responsible_adult is None:
            raise ValidationError(
                {
                    "responsible_adult": MINOR_NEEDS_ADULT.format(
                        age=settings.LIBRARY_AGE_OF_MAJORITY
                    )
                },
                code="minor_needs_adult",
            )
        if responsible_adult.is_minor_on(today):
            raise ValidationError({"responsible_adult": ADULT_IS_MINOR}, code="adult_is_minor")
    if not duplicate_confirmed:
        kinds = list(
            selectors.duplicate_matches(
                first_name=first_name,
                last_name=last_name,
                date_of_birth=date_of_birth,
                email=email,
                phone=phone,
            )
        )
        if kinds:
            raise DuplicateSuspected(kinds)
    number = card_number_check(card_number) if card_number.strip() else card_number_free()
    patron = Patron(
        card_number=number,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        date_of_birth=date_of_birth,
        home_branch=home_branch,
        email=email.strip(),
        phone=phone.strip(),
        address_line=address_line.strip(),
        city=city.strip(),
        postal_code=postal_code.strip(),
        registered_on=today,
        card_expires_on=card_expiry(today=today),
    )
    patron.full_clean()
    try:
        with transaction.atomic():
            patron.save()
    except IntegrityError:  # the same card, registered at another desk meanwhile
        raise ValidationError({"card_number": CARD_NUMBER_TAKEN}, code="card_taken") from None
    if responsible_adult is not None:
        listing = ResponsibleAdult(
            minor=patron,
            adult=responsible_adult,
            relationship=relationship,
            listed_by=registered_by if getattr(registered_by, "pk", None) else None,
        )
        listing.full_clean()
        listing.save()
    return patron


@transaction.atomic
def patron_contact_update(
    *,
    patron: Patron,
    email: str,
    phone: str,
    address_line: str,
    city: str,
    postal_code: str,
    changed_by: Any = None,
    identity_document: str = "",
) -> Patron:
    """Change a patron's contact details; a changed email address is told to the old one.

    `changed_by` is the member of staff making the change, or None when the
    patron changes their own (the portal asks for their password). Staff
    change an email address only with `identity_document`, the kind of
    identification the patron showed, recorded as an identity check (CONF-4):
    the address receives the login's password links. Raises ValidationError
    without it; nothing is saved then.
    """
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    old_email = patron.email
    values = {
        "email": email.strip(),
        "phone": phone.strip(),
        "address_line": address_line.strip(),
        "city": city.strip(),
        "postal_code": postal_code.strip(),
    }
    changed = [name for name, value in values.items() if getattr(patron, name) != value]
    if not changed:
        return patron
    email_changed = "email" in changed and values["email"].lower() != (old_email or "").lower()
    if changed_by is not None and email_changed and values["email"]:
        if not identity_document:
            raise ValidationError(
                {"identity_document": EMAIL_NEEDS_IDENTITY}, code="identity_needed"
            )
        identity_check_record(checked_by=changed_by, document_kind=identity_document, patron=patron)
    for name in changed:
        setattr(patron, name, values[name])
    patron.full_clean(exclude=[f.name for f in Patron._meta.fields if f.name not in changed])
    patron.save(update_fields=changed)
    patron_email_changed(patron=patron, old_email=old_email)
    return patron


@transaction.atomic
def patron_desk_note_set(*, patron: Patron, desk_note: str) -> Patron:
    """Set (or, with "", remove) the note staff see at the desk; at most 500 characters.

    Raises ValidationError for a longer note; nothing is saved then.
    """
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    patron.desk_note = desk_note.strip()
    patron.full_clean(exclude=[f.name for f in Patron._meta.fields if f.name != "desk_note"])
    patron.save(update_fields=["desk_note"])
    return patron


@transaction.atomic
def patron_card_renew(*, patron: Patron, today: datetime.date | None = None) -> Patron:
    """Renew a patron's card: a new expiry a card period from today; an expired card is active."""
    today = today or timezone.localdate()
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    patron.card_expires_on = card_expiry(today=today)
    fields = ["card_expires_on"]
    if patron.status == Patron.Status.EXPIRED:
        patron.status = Patron.Status.ACTIVE
        fields.append("status")
    patron.save(update_fields=fields)
    return patron


@transaction.atomic
def patron_block(*, patron: Patron, reason: str, blocked_by: Any) -> PatronBlock:
    """Block a patron's card, saying why: no check-outs, renewals or holds until it ends."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": BLOCK_REASON_NEEDED}, code="reason_needed")
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    if PatronBlock.objects.filter(patron=patron).active().exists():
        raise ValidationError(ALREADY_BLOCKED, code="already_blocked")
    block = PatronBlock(
        patron=patron,
        reason=reason,
        blocked_by=blocked_by if getattr(blocked_by, "pk", None) else None,
    )
    block.full_clean()
    block.save()
    # The status says "blocked" wherever the card's status is shown.
    if patron.status != Patron.Status.BLOCKED:
        patron.status = Patron.Status.BLOCKED
        patron.save(update_fields=["status"])
    return block


@transaction.atomic
def patron_unblock(*, patron: Patron, reason: str, ended_by: Any) -> PatronBlock:
    """End the block on a patron's card, saying why."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": UNBLOCK_REASON_NEEDED}, code="reason_needed")
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    block = PatronBlock.objects.select_for_update().filter(patron=patron).active().first()
    if block is None:
        raise ValidationError(NOT_BLOCKED, code="not_blocked")
    block.ended_at = timezone.now()
    block.ended_by = ended_by if getattr(ended_by, "pk", None) else None
    block.end_reason = reason
    block.save(update_fields=["ended_at", "ended_by", "end_reason"])
    if patron.status == Patron.Status.BLOCKED:
        patron.status = Patron.Status.ACTIVE
        patron.save(update_fields=["status"])
    return block


# --- Inactive accounts (CONF-3): told first, deleted after the grace period.
# purge_expired runs these through the retention kind in patrons.retention.
INACTIVE_KIND = "inactive patron accounts"
INACTIVE_ERASED = (
    "inactive accounts deleted, their logins disabled: no activity for the inactivity "
    "period, nor in the grace period after the notice"
)
INACTIVE_NOTIFIED = (
    "inactive accounts told they will be deleted: no activity for the inactivity period"
)
INACTIVE_NOTICE_WITHDRAWN = (
    "notices of deletion withdrawn: the accounts were used, or are needed, since"
)


def patrons_inactive_erase(queryset: Any) -> int:
    """Delete each account in a batch of inactive ones with its login disabled; return how many.

    Reuses patron_delete, so an erased account goes exactly as one deleted in
    the admin. A record that came to need the account since the batch was read
    (a check-out, say) protects it: that account is kept, the others go.
    """
    count = 0
    # Only the patron rows are locked: the batch's query joins other tables.
    for patron in queryset.select_for_update(of=("self",)).select_related("user"):
        try:
            patron_delete(patron=patron)
        except ProtectedError:
            continue
        count += 1
    return count


def _inactive_notice_queue(email: str, delete_on: datetime.date) -> None:
    tasks.inactive_account_notice_queue(email=email, day=delete_on.isoformat())


def patrons_inactive_notify(
    *, now: datetime.datetime, batch_size: int = 1000, actor: Any = None
) -> int:
    """Record a notice for each newly inactive account and mail those with an address.

    A patron with no email address is not written to: the notice day is
    recorded all the same, and the grace period runs from it (the desk sees
    neither; using the account in any way keeps it). Each batch leaves one
    summary entry in the audit trail: how many, never whose. Safe to run
    again: a told account is not told again until it has been used since.
    Notices of accounts used, needed or held since are withdrawn first.
    Returns how many accounts were told.
    """
    entries.summarised_batches(
        lambda: Patron.objects.filter(
            pk__in=list(
                selectors.accounts_with_stale_notice(now=now).values_list("pk", flat=True)[
                    :batch_size
                ]
            )
        ).update(inactivity_notice_on=None),
        batch_size=batch_size,
        model=Patron,
        action=AuditEntry.Action.UPDATE,
        reason=INACTIVE_NOTICE_WITHDRAWN,
        clause="CONF-3",
        actor=actor,
    )
    today = timezone.localdate(now)
    delete_on = today + datetime.timedelta(days=settings.RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS)
    total = 0
    while True:
        with transaction.atomic():
            due = list(
                selectors.accounts_to_notify(now=now)
                .select_for_update(of=("self",))
                .order_by("pk")
                .values_list("pk", "email")[:batch_size]
            )
            if not due:
                return total
            Patron.objects.filter(pk__in=[pk for pk, _ in due]).update(inactivity_notice_on=today)
            addresses = [email for _, email in due if email]
            entries.record_summary(
                model=Patron,
                action=AuditEntry.Action.UPDATE,
                count=len(due),
                reason=INACTIVE_NOTIFIED,
                clause="CONF-3",
                actor=actor,
                details={"kind": INACTIVE_KIND, "emailed": len(addresses)},
            )
            for email in addresses:
                transaction.on_commit(partial(_inactive_notice_queue, email, delete_on))
        total += len(due)
