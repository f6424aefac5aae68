"""Writes of the patrons app: a patron's portal login is issued, and a patron removed.

The patron record is the one source of a patron's identity: their login keeps
no name or address of its own, its password is set only by the patron (from a
link mailed to the address on the patron record), and nobody moves a patron
record onto another login. Every change here is recorded in the audit trail
by django-auditlog (the patron's `user` field; the login's removal).
"""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patrons import tasks
from patrons.models import Patron

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
