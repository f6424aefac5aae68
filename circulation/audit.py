"""What the audit trail records about circulation.

A loan, hold or fine entry never names both a patron and an item, so the audit
trail cannot rebuild what the loan table forgets (CONF-9): loans and holds are
logged without their patron, fines without their loan. Reading history is not
logged at all; it belongs to the patron alone.
"""

from auditlog.registry import auditlog

from circulation.models import Fine, Hold, Item, Loan, LoanRule

auditlog.register(Item)
auditlog.register(LoanRule)
auditlog.register(Loan, exclude_fields=["patron"])
auditlog.register(Hold, exclude_fields=["patron"])
auditlog.register(Fine, exclude_fields=["loan"])
