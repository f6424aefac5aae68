"""Patron accounts nobody uses are told, then deleted (CONF-3).

An account with no activity for RETENTION_INACTIVE_ACCOUNTS_DAYS (what counts
is in patrons.selectors) is told it will be deleted; one with still none
RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS after that notice is deleted as the
admin deletes one (patrons.services.patron_delete: the record goes, its login
is disabled and scrubbed). An account a record still needs (an open loan, an
unpaid fine, a live hold, an incident, a release, a minor it is listed for),
or under a legal hold (CONF-5), is neither told nor deleted.
"""

from patrons import selectors, services
from patrons.models import Patron
from privacy.retention import DEFAULT_BATCH_SIZE, Purger, register

register(
    Purger(
        kind=services.INACTIVE_KIND,
        model=Patron,
        expired=lambda now: selectors.accounts_to_erase(now=now),
        reason=services.INACTIVE_ERASED,
        clause="CONF-3",
        patron_path=None,  # `expired` applies legal holds itself
        remove=services.patrons_inactive_erase,
        # Deletions first, so an account told in this run gets its full grace.
        after=lambda now: services.patrons_inactive_notify(now=now, batch_size=DEFAULT_BATCH_SIZE),
    )
)
