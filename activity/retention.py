"""How long computer sessions, reference consultations and event sign-ups are kept (CONF-6)."""

import datetime

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from activity.models import ComputerSession, EventSignup, ReferenceConsultation
from privacy.retention import Purger, register, retention_cutoff


def _sessions(now: datetime.datetime) -> QuerySet[ComputerSession]:
    # A session nobody ended counts from its start.
    return ComputerSession.objects.alias(until=Coalesce("ended_at", "started_at")).filter(
        until__lte=retention_cutoff(now, "computer_sessions")
    )


def _consultations(now: datetime.datetime) -> QuerySet[ReferenceConsultation]:
    return ReferenceConsultation.objects.filter(
        asked_at__lte=retention_cutoff(now, "reference_consultations")
    )


def _signups(now: datetime.datetime) -> QuerySet[EventSignup]:
    # Counted from the end of the event; a communication (no end) is kept while subscribed.
    return EventSignup.objects.filter(event__ends_at__lte=retention_cutoff(now, "event_signups"))


register(
    Purger(
        kind="computer sessions",
        model=ComputerSession,
        expired=_sessions,
        reason="past the retention period for computer and online-service sessions",
        clause="FAC-2",
    )
)
register(
    Purger(
        kind="reference consultations",
        model=ReferenceConsultation,
        expired=_consultations,
        reason="past the retention period for reference consultations",
        clause="CONF-6",
    )
)
register(
    Purger(
        kind="event sign-ups",
        model=EventSignup,
        expired=_signups,
        reason="past the retention period after the event",
        clause="CONF-6",
    )
)
