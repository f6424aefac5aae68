"""The identity category of a patron's records (CONF-6), for releases, desk pages and downloads.

Who the patron is and how to reach them, the adults listed on their account
(CONF-4), the blocks on their card, the identity checks recorded at a desk and
the consents they gave (CONF-7): the records privacy.records reads through once the gate has allowed
the category.
"""

from typing import Any

from patrons.models import Patron
from privacy.policy import DataCategory
from privacy.records import RecordSource, Window, day_range, register
from privacy.subjects import PATRON_MODEL


def _when(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def _identity(patron: Patron, window: Window) -> list[dict[str, Any]]:
    start, end = day_range(window)
    records: list[dict[str, Any]] = [
        {
            "kind": "account",
            "card_number": patron.card_number,
            "first_name": patron.first_name,
            "last_name": patron.last_name,
            "address": ", ".join(
                part for part in [patron.address_line, patron.city, patron.postal_code] if part
            ),
            "phone": patron.phone,
            "email": patron.email,
            "date_of_birth": patron.date_of_birth.isoformat(),
            "registered_on": patron.registered_on.isoformat(),
            # Kept to delete an unused account (CONF-3): only the month is stored.
            "last_active_month": (
                patron.last_active_on.isoformat()[:7] if patron.last_active_on else None
            ),
            "told_unused_account_is_deleted_on": _when(patron.inactivity_notice_on),
        }
    ]
    # The listing is the account's; a listed adult who is a patron is named
    # only as such, since their identity is theirs (CONF-4).
    records += [
        {
            "kind": "responsible adult",
            "relationship": listing.get_relationship_display(),
            "adult": listing.adult_name or "a patron of the library",
            "listed_at": _when(listing.listed_at),
        }
        for listing in patron.responsible_adults.filter(listed_at__range=(start, end))
    ]
    records += [
        {
            "kind": "identity check",
            "document": check.get_document_kind_display(),
            "checked_at": _when(check.checked_at),
        }
        for check in patron.identity_checks.filter(checked_at__range=(start, end))
    ]
    records += [
        {
            "kind": "consent",
            "recipient": consent.recipient,
            "category": consent.category,
            "purpose": consent.purpose,
            "granted_at": _when(consent.granted_at),
            "withdrawn_at": _when(consent.withdrawn_at),
        }
        for consent in patron.consents.filter(granted_at__range=(start, end))
    ]
    records += [
        {
            "kind": "card block",
            "reason": block.reason,
            "blocked_at": _when(block.blocked_at),
            "ended_at": _when(block.ended_at),
            "end_reason": block.end_reason,
        }
        for block in patron.blocks.filter(blocked_at__range=(start, end))
    ]
    return records


register(
    RecordSource(
        DataCategory.IDENTITY,
        release=_identity,
        models=(
            PATRON_MODEL,
            "patrons.ResponsibleAdult",
            "patrons.PatronBlock",
            "privacy.IdentityCheck",
            "privacy.Consent",
        ),
    )
)
