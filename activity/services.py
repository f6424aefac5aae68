"""Writes for computer sessions, reference consultations and event sign-ups (CONF-6)."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from activity.models import ComputerSession, Event, EventSignup, ReferenceConsultation
from library.models import Branch
from patrons.models import Patron

COMPUTER_IN_USE = "That computer already has a session running; end it first."
SESSION_NOT_OPEN = "That session has already ended."
ALREADY_SIGNED_UP = "This patron is already signed up."
EVENT_FULL = "The event is full."
EVENT_OVER = "The event is over."
SIGNUP_NOT_FOUND = "That sign-up is not on this event."


class ActivityError(ValidationError):
    """Bad input; nothing was changed. `field` names the form field it belongs to."""

    def __init__(self, message: str, *, field: str = "__all__") -> None:
        super().__init__(message)
        self.field = field


@transaction.atomic
def computer_session_start(
    *,
    patron: Patron,
    resource: str,
    branch: Branch,
    kind: str = ComputerSession.Kind.COMPUTER,
    now: datetime.datetime | None = None,
) -> ComputerSession:
    """Start a patron's session on a computer or online service; one open session per computer."""
    resource = resource.strip()
    if (
        kind == ComputerSession.Kind.COMPUTER
        and ComputerSession.objects.select_for_update()
        .filter(branch=branch, resource=resource, ended_at__isnull=True, kind=kind)
        .exists()
    ):
        raise ActivityError(COMPUTER_IN_USE, field="resource")
    session = ComputerSession(
        patron=patron, resource=resource, branch=branch, kind=kind, started_at=now or timezone.now()
    )
    session.full_clean(validate_constraints=False)
    session.save()
    return session


@transaction.atomic
def computer_session_end(
    *, session_id: int, now: datetime.datetime | None = None
) -> ComputerSession:
    """End an open session."""
    session = (
        ComputerSession.objects.select_for_update()
        .filter(pk=session_id, ended_at__isnull=True)
        .first()
    )
    if session is None:
        raise ActivityError(SESSION_NOT_OPEN)
    session.ended_at = max(now or timezone.now(), session.started_at)
    session.full_clean()
    session.save(update_fields=["ended_at"])
    return session


@transaction.atomic
def reference_consultation_record(
    *,
    channel: str,
    question: str,
    answer: str,
    branch: Branch,
    staff: Any,
    patron: Patron | None = None,
    now: datetime.datetime | None = None,
) -> ReferenceConsultation:
    """Record a reference question and its answer, with the patron only if they gave a card."""
    consultation = ReferenceConsultation(
        channel=channel,
        question=question,
        answer=answer,
        branch=branch,
        staff=staff if getattr(staff, "is_authenticated", False) else None,
        patron=patron,
        asked_at=now or timezone.now(),
    )
    consultation.full_clean()
    consultation.save()
    return consultation


@transaction.atomic
def event_signup_create(
    *, event: Event, patron: Patron, now: datetime.datetime | None = None
) -> EventSignup:
    """Sign a patron up for an event or communication, within its capacity."""
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.ends_at is not None and event.ends_at <= now:
        raise ActivityError(EVENT_OVER, field="card_number")
    if EventSignup.objects.filter(event=event, patron=patron).exists():
        raise ActivityError(ALREADY_SIGNED_UP, field="card_number")
    if event.capacity is not None and event.signups.count() >= event.capacity:
        raise ActivityError(EVENT_FULL, field="card_number")
    signup = EventSignup(event=event, patron=patron, signed_up_at=now)
    signup.full_clean()
    signup.save()
    return signup


@transaction.atomic
def event_signup_cancel(*, event: Event, signup_id: int) -> None:
    """Delete a sign-up; nothing of it is kept."""
    deleted, _ = EventSignup.objects.filter(pk=signup_id, event=event).delete()
    if not deleted:
        raise ActivityError(SIGNUP_NOT_FOUND)
