"""What the audit trail records about patron models: ids and which fields changed, no values
of identity fields (CONF-6)."""

from auditlog.registry import auditlog

from patrons.models import Patron, ResponsibleAdult

PATRON_IDENTITY_FIELDS = [
    "card_number",
    "first_name",
    "last_name",
    "address_line",
    "city",
    "postal_code",
    "phone",
    "email",
    "date_of_birth",
]

auditlog.register(Patron, mask_fields=PATRON_IDENTITY_FIELDS)
auditlog.register(ResponsibleAdult, mask_fields=["adult_name"])
