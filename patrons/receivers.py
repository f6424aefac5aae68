"""Stamp the month a patron last used their account, from the records other apps save.

What counts as activity for inactive accounts (CONF-3, patrons.retention):
a check-out, renewal or check-in, a hold, a computer or online-service
session, an event sign-up, a reference question. Circulation and activity sit
above patrons in the layers, and circulation's services are not changed for
this: Django's model signals for their models (named by label, not imported)
stamp `Patron.last_active_on` instead. Sign-ins, registration and card
renewals need no stamp: the login's `last_login` and the patron's
`registered_on` and `card_expires_on` already say when (patrons.selectors).

Only the first day of the month is stored, in a plain UPDATE that the audit
trail does not record (the inventory lists the field as unlogged): a day, or a
logged change at the exact time of a check-in, beside the day a returned loan
keeps, could tie the patron to that loan (CONF-9).
"""

from typing import Any

from django.db.models import Q
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from patrons.models import Patron

# The models whose new or changed rows are a patron using the account.
ACTIVITY_MODELS = (
    "circulation.Loan",
    "circulation.Hold",
    "activity.ComputerSession",
    "activity.EventSignup",
    "activity.ReferenceConsultation",
)
LOAN_MODEL = "circulation.Loan"


def patron_active_stamp(*, patron_id: int) -> None:
    """Record that a patron used their account this month; at most one row changes."""
    month = timezone.localdate().replace(day=1)
    Patron.objects.filter(pk=patron_id).filter(
        Q(last_active_on__isnull=True) | Q(last_active_on__lt=month)
    ).update(last_active_on=month)


def _stamp_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw and getattr(instance, "patron_id", None) is not None:
        patron_active_stamp(patron_id=instance.patron_id)


def _stamp_forgotten_borrower(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    # Check-in forgets a returned loan's patron in the same save, so the
    # borrower is read from the row before it is written.
    if raw or instance.pk is None or instance.patron_id is not None:
        return
    if update_fields is not None and "patron" not in update_fields:
        return
    old = sender._default_manager.filter(pk=instance.pk).values_list("patron_id", flat=True)
    patron_id = next(iter(old), None)
    if patron_id is not None:
        patron_active_stamp(patron_id=patron_id)


def connect() -> None:
    """Connect the stamps to the activity models' saves (from PatronsConfig.ready)."""
    for label in ACTIVITY_MODELS:
        post_save.connect(_stamp_saved, sender=label, dispatch_uid=f"patron-active-{label}")
    pre_save.connect(
        _stamp_forgotten_borrower, sender=LOAN_MODEL, dispatch_uid="patron-active-check-in"
    )
