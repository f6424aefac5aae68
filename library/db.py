"""Which database a query goes to: the primary, unless a read says it may lag.

With `DATABASE_REPLICA_URL` set, PostgreSQL streaming replicas join the
primary (settings.REPLICA_DATABASES names their aliases, replica_1...). A replica is behind
the primary by however long replication takes, so nothing reaches one by
default: `PrimaryRouter` sends every read and every write to "default", the
primary. A read that may show data a moment old, and reads no patron data,
asks for a replica itself, with `.using(lagging_reads())`: the catalogue search
and its availability (portal.selectors) and the statistics report
(circulation.statistics.report). A new query therefore lands on the primary
unless someone writes `lagging_reads()` into it.

What must never lag stays on the primary: the gate's facts and decisions, the
audit chain (its head is read under the chain's lock, and a read must be in
the trail before its page is shown), anything in a transaction, everything
the privacy app reads, sessions and sign-in throttling (docs/operations.md,
"More than one machine").
"""

import random
from typing import Any

from django.conf import settings
from django.db import connections, models

PRIMARY = "default"


def replica_aliases() -> list[str]:
    """Return the aliases of the configured replicas (none without DATABASE_REPLICA_URL)."""
    return list(getattr(settings, "REPLICA_DATABASES", []))


def lagging_reads() -> str:
    """Return the alias for a read that may lag the primary: a replica if any, else the primary.

    Only reads that show no patron data and need not see the request's own
    writes may use it. Inside a transaction on the primary the read stays
    there, with the rows the transaction has written or locked. With several
    replicas one is picked at random per call.
    """
    aliases = replica_aliases()
    if not aliases or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    return random.choice(aliases)  # noqa: S311 - spreading load, not a secret


class PrimaryRouter:
    """Send every read and write to the primary, and migrate only there.

    A queryset's own `.using()` comes before any router, so the opted-in
    reads above still reach a replica; an instance loaded from a replica is
    saved, and its relations are read, on the primary.
    """

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str:
        return PRIMARY

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool | None:
        # A replica holds the primary's rows: an object read from one may be
        # related to an object read from the other.
        same_data = {PRIMARY, *replica_aliases()}
        if obj1._state.db in same_data and obj2._state.db in same_data:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # Replicas copy the primary's schema; the archiver's alias is the
        # primary under another role, which never migrates.
        return db == PRIMARY
