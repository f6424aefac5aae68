"""What the audit trail records about circulation.

Loans and holds are not logged row by row at all. An entry naming only the
item would still carry the desk's user and the exact second, next to the
gate's entry for the patron read at that desk a moment before; joined on
those, the trail would rebuild what the loan table forgets (CONF-9). The
gate's reads, the daily circulation statistics and the loan rows themselves
(anonymised at check-in) are the record of circulation work. Fines are logged
without their loan. Reading history is not logged; it belongs to the patron.
"""

from auditlog.registry import auditlog

from circulation.models import BibliographicRecord, Item, LoanRule

# An item's status, where it is and since when change with every check-out
# and check-in; logged with the desk's user and second they would be the loan
# again, so only the cataloguing fields are (CONF-9).
ITEM_CIRCULATION_FIELDS = ["status", "status_since", "current_branch", "transit_to"]

auditlog.register(BibliographicRecord)
auditlog.register(Item, exclude_fields=ITEM_CIRCULATION_FIELDS)
auditlog.register(LoanRule)
