"""Reads of computer sessions, reference consultations and sign-ups, each through the gate."""

from typing import Any

from activity.models import ComputerSession, Event, EventSignup, ReferenceConsultation
from patrons.models import Patron
from privacy import access
from privacy.policy import DataCategory, Purpose


def patron_for(
    *,
    user: Any,
    category: DataCategory,
    purpose: Purpose,
    pk: int | None = None,
    card_number: str | None = None,
) -> Patron:
    """Return a patron read through the gate for this category and purpose (logged)."""
    return access.find_patron(
        user, pk=pk, card_number=card_number, category=category, purpose=purpose
    )


def patron_computer_sessions(*, patron: Patron, limit: int = 100) -> list[ComputerSession]:
    """Return a patron's sessions still within retention, newest first (gate read by caller)."""
    return list(ComputerSession.objects.filter(patron=patron).select_related("branch")[:limit])


def patron_reference_consultations(
    *, patron: Patron, limit: int = 100
) -> list[ReferenceConsultation]:
    """Return a patron's consultations still within retention, newest first."""
    return list(
        ReferenceConsultation.objects.filter(patron=patron).select_related("branch")[:limit]
    )


def event_signups(*, user: Any, event: Event) -> list[EventSignup]:
    """Return an event's sign-ups the user may read (category events), logging each patron."""
    signups = list(
        access.restrict_to_readable(
            EventSignup.objects.filter(event=event).select_related("patron"),
            patron_path="patron",
            user=user,
            category=DataCategory.EVENTS,
            purpose=Purpose.EVENTS,
        )
    )
    access.record_list_read(
        user, [signup.patron_id for signup in signups], DataCategory.EVENTS, Purpose.EVENTS
    )
    return signups
