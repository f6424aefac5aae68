"""Reads for the facilities pages.

Names of patrons involved in incidents are read through privacy.access
(purpose: incident, CONF-10); footage is read through facilities.access.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from facilities.models import (
    Ban,
    Camera,
    FootageRelease,
    Incident,
    IncidentPerson,
    OutsideRequest,
    PoliceIdentityRelease,
    Recording,
    Still,
)
from patrons.models import Patron
from privacy import access
from privacy.policy import DataCategory, Purpose


@dataclass(frozen=True)
class PersonShown:
    """A person involved in an incident, as this user may see them."""

    person: IncidentPerson
    name: str  # the patron's name and card when the gate allows it, else a neutral label

    @property
    def identified(self) -> bool:
        return self.person.patron_id is not None

    @property
    def may_be_banned(self) -> bool:
        """Return True unless the incident records this person as the one harmed (CONF-10)."""
        return self.person.involvement != IncidentPerson.Involvement.VICTIM


def _readable_patrons(user: Any, patron_ids: set[int]) -> dict[int, Patron]:
    """Return the patrons among these whose identity this user may read for an incident, logged."""
    if not patron_ids:
        return {}
    readable = access.restrict_to_readable(
        Patron.objects.filter(pk__in=patron_ids),
        patron_path="",
        user=user,
        category=DataCategory.IDENTITY,
        purpose=Purpose.INCIDENT,
    )
    patrons = {patron.pk: patron for patron in readable}
    access.record_list_read(user, list(patrons), DataCategory.IDENTITY, Purpose.INCIDENT)
    return patrons


def _shown(user: Any, people: list[IncidentPerson]) -> list[PersonShown]:
    patrons = _readable_patrons(user, {p.patron_id for p in people if p.patron_id is not None})
    shown = []
    for person in people:
        if person.patron_id is None:
            name = "Unidentified person"
        elif person.patron_id in patrons:
            patron = patrons[person.patron_id]
            name = f"{patron.full_name} (card {patron.card_number})"
        else:
            name = "Identified patron"
        shown.append(PersonShown(person=person, name=name))
    return shown


def incident_list() -> QuerySet[Incident]:
    """Return incidents, newest first, with their branch and how many people they involve."""
    return (
        Incident.objects.select_related("branch")
        .annotate(people_count=Count("people"))
        .order_by("-occurred_at", "-pk")
    )


def incident_get(*, pk: int) -> Incident | None:
    """Return one incident with its branch and reporter, or None."""
    return Incident.objects.select_related("branch", "reported_by").filter(pk=pk).first()


def incident_people(*, user: Any, incident: Incident) -> list[PersonShown]:
    """Return the people involved in an incident, named through the gate (CONF-10)."""
    return _shown(user, list(incident.people.all()))


def incident_police_record(
    *, incident: Incident
) -> tuple[list[PoliceIdentityRelease], list[FootageRelease]]:
    """Return what was given to police and other outsiders for this incident."""
    identities = list(
        PoliceIdentityRelease.objects.filter(incident=incident).select_related("released_by")
    )
    footage = list(
        FootageRelease.objects.filter(incident=incident).select_related("camera", "released_by")
    )
    return identities, footage


def incident_stills(*, incident: Incident) -> list[Still]:
    """Return the stills kept for an incident (metadata only; images open through the gate)."""
    return list(Still.objects.filter(incident=incident).select_related("camera", "ban"))


@dataclass(frozen=True)
class BanShown:
    ban: Ban
    name: str
    in_effect: bool


def ban_list() -> QuerySet[Ban]:
    """Return bans, newest first, with what their page shows."""
    return (
        Ban.objects.select_related("person__incident__branch")
        .prefetch_related("branches")
        .order_by("-starts_at", "-pk")
    )


def bans_shown(
    *, user: Any, bans: Iterable[Ban], now: datetime.datetime | None = None
) -> list[BanShown]:
    """Return these bans with whether each is in effect now and who, named through the gate."""
    now = now or timezone.now()
    bans = list(bans)
    names = {shown.person.pk: shown.name for shown in _shown(user, [ban.person for ban in bans])}
    return [
        BanShown(ban=ban, name=names[ban.person_id], in_effect=ban.is_in_effect(now))
        for ban in bans
    ]


def ban_get(*, pk: int) -> Ban | None:
    """Return one ban, or None."""
    return Ban.objects.select_related("person").filter(pk=pk).first()


def bans_for_incident(*, incident: Incident) -> list[Ban]:
    """Return the bans arising from an incident."""
    return list(Ban.objects.filter(person__incident=incident).select_related("person"))


def camera_list() -> QuerySet[Camera]:
    """Return cameras with their branch."""
    return Camera.objects.select_related("branch")


def recording_list(*, camera_id: int | None = None) -> QuerySet[Recording]:
    """Return recordings' cameras and times, newest first (the footage goes through the gate)."""
    recordings = (
        Recording.objects.select_related("camera__branch")
        .annotate(hold_count=Count("holds"))
        .order_by("-starts_at", "-pk")
    )
    if camera_id is not None:
        recordings = recordings.filter(camera_id=camera_id)
    return recordings


def recording_holds(*, recording: Recording) -> list[Incident]:
    """Return the incidents holding a recording."""
    return list(recording.held_for.all())


def stills_shared(*, now: datetime.datetime | None = None) -> QuerySet[Still]:
    """Return the stills whose ban is in effect at `now`: the ones shared with all staff (CAM-4)."""
    now = now or timezone.now()
    return (
        Still.objects.filter(ban__in=Ban.objects.in_effect(now))
        .select_related("camera__branch", "incident", "ban")
        .prefetch_related(Prefetch("ban__branches"))
        .order_by("-taken_at")
    )


def outside_request_queue() -> QuerySet[OutsideRequest]:
    """Return outside requests waiting for the director, oldest first (CAM-6)."""
    return OutsideRequest.objects.filter(status=OutsideRequest.Status.QUEUED).select_related(
        "incident", "legal_order", "recorded_by"
    )


def outside_requests_decided() -> QuerySet[OutsideRequest]:
    """Return the last decided outside requests, newest first."""
    return (
        OutsideRequest.objects.exclude(status=OutsideRequest.Status.QUEUED)
        .select_related("decided_by")
        .order_by("-decided_at")[:50]
    )
