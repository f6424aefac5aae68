"""The online-services, reference and events categories of a patron's records (CONF-6, FAC-2).

Registered with privacy.records, which releases under a legal order, the
inquiry desk and the patron's own download read through once the gate has
allowed the category.
"""

from typing import Any

from activity.models import ComputerSession, EventSignup, ReferenceConsultation
from patrons.models import Patron
from privacy.policy import DataCategory
from privacy.records import RecordSource, Window, day_range, register


def _when(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def _online_services(patron: Patron, window: Window) -> list[dict[str, Any]]:
    sessions = ComputerSession.objects.filter(
        patron=patron, started_at__range=day_range(window)
    ).select_related("branch")
    return [
        {
            "kind": session.get_kind_display(),
            "resource": session.resource,
            "branch": session.branch.name,
            "started_at": _when(session.started_at),
            "ended_at": _when(session.ended_at),
        }
        for session in sessions
    ]


def _reference(patron: Patron, window: Window) -> list[dict[str, Any]]:
    consultations = ReferenceConsultation.objects.filter(
        patron=patron, asked_at__range=day_range(window)
    ).select_related("branch")
    return [
        {
            "channel": consultation.get_channel_display(),
            "branch": consultation.branch.name,
            "asked_at": _when(consultation.asked_at),
            "question": consultation.question,
            "answer": consultation.answer,
        }
        for consultation in consultations
    ]


def _events(patron: Patron, window: Window) -> list[dict[str, Any]]:
    signups = EventSignup.objects.filter(
        patron=patron, signed_up_at__range=day_range(window)
    ).select_related("event")
    return [
        {
            "event": signup.event.title,
            "starts_at": _when(signup.event.starts_at),
            "signed_up_at": _when(signup.signed_up_at),
        }
        for signup in signups
    ]


register(
    RecordSource(
        DataCategory.ONLINE_SERVICES, _online_services, models=("activity.ComputerSession",)
    )
)
register(
    RecordSource(DataCategory.REFERENCE, _reference, models=("activity.ReferenceConsultation",))
)
register(RecordSource(DataCategory.EVENTS, _events, models=("activity.EventSignup",)))
