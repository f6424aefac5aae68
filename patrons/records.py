"""The identity category of a patron's records (CONF-6), for releases and desk pages."""

from typing import Any

from patrons.models import Patron
from privacy.policy import DataCategory
from privacy.records import RecordSource, Window, register


def _identity(patron: Patron, window: Window) -> list[dict[str, Any]]:
    return [
        {
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
        }
    ]


register(RecordSource(DataCategory.IDENTITY, release=_identity))
