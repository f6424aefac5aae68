"""Writes for incidents, bans, cameras, recordings, stills, outside requests and releases.

Reads of patron identity go through privacy.access and reads of footage
through facilities.access; a refusal there is logged and must stay logged, so
gate calls are made outside any transaction that a later error could roll
back.
"""

import datetime
import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from facilities import access as footage_access
from facilities.models import (
    Ban,
    Camera,
    FootageOrderScope,
    FootageRelease,
    Incident,
    IncidentPerson,
    OutsideRequest,
    PoliceIdentityRelease,
    Recording,
    RecordingHold,
    Still,
)
from library.models import Branch
from patrons.models import Patron
from privacy import access
from privacy.access import Asker
from privacy.models import LegalOrder
from privacy.policy import DataCategory, Decision, Purpose, Requester
from privacy.policy.footage import Recipient

PERSON_NEEDS_CARD_OR_DESCRIPTION = "Give the patron's card number or describe the person."
PERSON_CARD_AND_DESCRIPTION = "Give either a card number or a description, not both."
PATRON_ALREADY_LISTED = "This patron is already listed on this incident."
IDENTITY_NEEDS_PATRON = "Only a person identified as a patron has an identity to release."
BAN_ENDS_BEFORE_START = "A ban must end after it starts."
BAN_NEEDS_BRANCHES = "Choose the branches the ban covers, or make it cover all branches."
BAN_ALREADY_ENDED = "This ban has already ended."
BAN_NOT_ON_HARMED = (
    "A ban cannot be placed on the person the incident records as harmed: bans enforce the "
    "library's rules on those who break them (CONF-10)."
)
STILL_OUTSIDE_RECORDING = "A still must be taken from within the recording's time."
STILL_BAN_OTHER_INCIDENT = "A still can be shared only under a ban arising from the same incident."
RELEASE_NEEDS_FOOTAGE = "Release either a recording or a still, not both and not neither."
RELEASE_NEEDS_BASIS = (
    "Release either for an incident (CAM-5) or under a legal order (CAM-6), not both."
)
PORTION_OUTSIDE_RECORDING = (
    "The portion released must lie within the recording and end after it starts."
)
REQUEST_ALREADY_DECIDED = "This request has already been decided."
SCOPE_WINDOW_ORDER = "The footage window must end after it starts."
SCOPE_NEEDS_CAMERAS = "Choose at least one camera."


@transaction.atomic
def camera_register(
    *,
    branch: Branch,
    name: str,
    location_description: str,
    location_type: str,
    installed_on: datetime.date | None = None,
) -> Camera:
    """Register a camera in a public space (CAM-1, CAM-2)."""
    camera = Camera(
        branch=branch,
        name=name,
        location_description=location_description,
        location_type=location_type,
        installed_on=installed_on or timezone.localdate(),
    )
    camera.full_clean()
    camera.save()
    return camera


@transaction.atomic
def incident_record(
    *,
    actor: Any,
    occurred_at: datetime.datetime,
    branch: Branch,
    area: str,
    kind: str,
    description: str,
    police_contacted: bool = False,
    police_report_number: str = "",
) -> Incident:
    """Record a crime, injury or rule violation on library premises (CONF-10)."""
    incident = Incident(
        occurred_at=occurred_at,
        branch=branch,
        area=area,
        kind=kind,
        description=description,
        reported_by=actor,
        police_contacted=police_contacted,
        police_report_number=police_report_number,
    )
    incident.full_clean()
    incident.save()
    return incident


def incident_person_add(
    *,
    actor: Any,
    incident: Incident,
    card_number: str = "",
    description: str = "",
    involvement: str = IncidentPerson.Involvement.SUBJECT,
) -> IncidentPerson:
    """Name a patron (found through the gate, CONF-10) or describe a person in an incident."""
    card_number, description = card_number.strip(), description.strip()
    if not card_number and not description:
        raise ValidationError(PERSON_NEEDS_CARD_OR_DESCRIPTION)
    if card_number and description:
        raise ValidationError(PERSON_CARD_AND_DESCRIPTION)
    patron: Patron | None = None
    if card_number:
        # Staff identify a person involved in an incident (CONF-10); the gate
        # logs the lookup and refuses roles that do not handle incidents.
        patron = access.find_patron(
            actor,
            card_number=card_number,
            category=DataCategory.IDENTITY,
            purpose=Purpose.INCIDENT,
        )
    with transaction.atomic():
        if patron and IncidentPerson.objects.filter(incident=incident, patron=patron).exists():
            raise ValidationError(PATRON_ALREADY_LISTED)
        person = IncidentPerson(
            incident=incident, patron=patron, description=description, involvement=involvement
        )
        person.full_clean()
        person.save()
    return person


def police_identity_release(
    *,
    actor: Any,
    incident: Incident,
    person: IncidentPerson,
    agency: str,
    officer: str,
    note: str = "",
) -> PoliceIdentityRelease:
    """Give police the identity of a patron named in a recorded incident, and log it (CONF-10)."""
    patron = person.patron
    if patron is None:
        raise ValidationError(IDENTITY_NEEDS_PATRON)
    release = PoliceIdentityRelease(
        incident=incident,
        person=person,
        agency=agency,
        officer=officer,
        note=note,
        released_by=actor,
    )
    release.full_clean()
    # The identity goes to police only for a person this incident names, and only
    # from staff who handle incidents (the gate checks both). Ask it before the
    # transaction, so a refusal's audit entry is never rolled back.
    named = IncidentPerson.objects.filter(incident=incident, patron=patron).exists()
    access.disclose(
        actor=actor,
        asker=Asker(
            Requester.LAW_ENFORCEMENT, incident_in_scope=named, extra={"incident": incident.pk}
        ),
        patron=patron,
        category=DataCategory.IDENTITY,
        purpose=Purpose.INCIDENT,
    )
    with transaction.atomic():
        release.save()
        if not incident.police_contacted:
            incident.police_contacted = True
            incident.save(update_fields=["police_contacted"])
    return release


@transaction.atomic
def ban_create(
    *,
    actor: Any,
    person: IncidentPerson,
    ends_at: datetime.datetime,
    starts_at: datetime.datetime | None = None,
    all_branches: bool = True,
    branches: Iterable[Branch] = (),
    note: str = "",
) -> Ban:
    """Bar a person involved in an incident from all or some branches for a while (CONF-10).

    Never the person the incident records as harmed.
    """
    if person.involvement == IncidentPerson.Involvement.VICTIM:
        raise ValidationError(BAN_NOT_ON_HARMED, code="harmed")
    starts_at = starts_at or timezone.now()
    branches = list(branches)
    if ends_at <= starts_at:
        raise ValidationError(BAN_ENDS_BEFORE_START)
    if not all_branches and not branches:
        raise ValidationError(BAN_NEEDS_BRANCHES)
    ban = Ban(
        person=person,
        starts_at=starts_at,
        ends_at=ends_at,
        all_branches=all_branches,
        note=note,
        created_by=actor,
    )
    ban.full_clean()
    ban.save()
    if not all_branches:
        ban.branches.set(branches)
    return ban


@transaction.atomic
def ban_end(*, actor: Any, ban: Ban, now: datetime.datetime | None = None) -> Ban:
    """End a ban now; its shared stills stop being shared at the same moment (CAM-4)."""
    now = now or timezone.now()
    ban = Ban.objects.select_for_update().get(pk=ban.pk)
    if ban.ends_at <= now:
        raise ValidationError(BAN_ALREADY_ENDED)
    # A ban that has not started yet ends before it begins: it is never in effect.
    ban.ends_at = max(ban.starts_at, now)
    ban.ended_by = actor
    ban.ended_early_at = now
    ban.full_clean()
    ban.save(update_fields=["ends_at", "ended_by", "ended_early_at"])
    return ban


def file_sha256(file: "File[Any]") -> str:
    """Return a file's SHA-256 in hex, read in chunks, and leave it at its start."""
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


@transaction.atomic
def recording_register(
    *,
    camera: Camera,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    file: "File[Any] | str",
    retention_days: int | None = None,
    sha256: str = "",
) -> Recording:
    """Store a piece of footage with its retention period and its SHA-256 (CAM-1).

    `file` is a file to store, or the name of one already in the footage
    storage (facilities.footage_import copies before registering); `sha256`,
    when the caller has it, saves reading the file again.
    """
    days = retention_days if retention_days is not None else settings.FOOTAGE_RETENTION_DAYS
    if not sha256 and isinstance(file, File):
        sha256 = file_sha256(file)
    recording = Recording(
        camera=camera,
        starts_at=starts_at,
        ends_at=ends_at,
        file=file,
        sha256=sha256,
        retention_days=days,
        retain_until=ends_at + datetime.timedelta(days=days),
    )
    recording.full_clean()
    recording.save()
    return recording


@transaction.atomic
def recording_hold_place(*, actor: Any, recording: Recording, incident: Incident) -> RecordingHold:
    """Keep a recording past its retention for an incident (CAM-1); placing it twice is a no-op."""
    hold, _ = RecordingHold.objects.get_or_create(
        recording=recording, incident=incident, defaults={"placed_by": actor}
    )
    return hold


@transaction.atomic
def recording_hold_lift(*, hold: RecordingHold) -> None:
    """Lift an incident's hold; the recording then follows its retention again."""
    hold.delete()


@transaction.atomic
def still_create(
    *,
    actor: Any,
    recording: Recording,
    incident: Incident,
    taken_at: datetime.datetime,
    image: "File[Any]",
    caption: str = "",
    ban: Ban | None = None,
) -> Still:
    """Keep a still from a recording for an incident, shared while `ban` is in effect (CAM-4)."""
    if not recording.starts_at <= taken_at <= recording.ends_at:
        raise ValidationError({"taken_at": STILL_OUTSIDE_RECORDING})
    if ban is not None and ban.person.incident_id != incident.pk:
        raise ValidationError({"ban": STILL_BAN_OTHER_INCIDENT})
    still = Still(
        incident=incident,
        recording=recording,
        camera_id=recording.camera_id,
        taken_at=taken_at,
        image=image,
        caption=caption,
        ban=ban,
        created_by=actor,
    )
    still.full_clean()
    still.save()
    # The footage a still came from is evidence of the incident: keep it.
    recording_hold_place(actor=actor, recording=recording, incident=incident)
    return still


@transaction.atomic
def outside_request_record(
    *,
    actor: Any,
    requester_kind: str,
    requester_name: str,
    footage_wanted: str,
    contact: str = "",
    incident: Incident | None = None,
    legal_order: LegalOrder | None = None,
    received_at: datetime.datetime | None = None,
) -> OutsideRequest:
    """Record a request for footage from outside the library for the director's queue (CAM-6)."""
    outside = OutsideRequest(
        received_at=received_at or timezone.now(),
        recorded_by=actor,
        requester_kind=requester_kind,
        requester_name=requester_name,
        contact=contact,
        footage_wanted=footage_wanted,
        incident=incident,
        legal_order=legal_order,
    )
    outside.full_clean()
    outside.save()
    return outside


@transaction.atomic
def outside_request_decline(
    *, actor: Any, outside_request: OutsideRequest, reason: str
) -> OutsideRequest:
    """Record the director's refusal of an outside request, with the reason."""
    outside = OutsideRequest.objects.select_for_update().get(pk=outside_request.pk)
    if outside.status != OutsideRequest.Status.QUEUED:
        raise ValidationError(REQUEST_ALREADY_DECIDED)
    outside.status = OutsideRequest.Status.DECLINED
    outside.decided_by = actor
    outside.decided_at = timezone.now()
    outside.decision_note = reason
    outside.full_clean()
    outside.save()
    return outside


def footage_release(
    *,
    actor: Any,
    recipient_kind: str,
    recipient_name: str,
    reason: str,
    recording: Recording | None = None,
    still: Still | None = None,
    portion_from: datetime.datetime | None = None,
    portion_until: datetime.datetime | None = None,
    incident: Incident | None = None,
    legal_order: LegalOrder | None = None,
    outside_request: OutsideRequest | None = None,
) -> FootageRelease:
    """Release a recording's portion or a still outside the library, if the gate allows it.

    The gate (facilities.access.release) decides under CAM-5 or CAM-6, logs
    the decision, and only then is the release recorded.
    """
    if (recording is None) == (still is None):
        raise ValidationError(RELEASE_NEEDS_FOOTAGE)
    if (incident is None) == (legal_order is None):
        raise ValidationError(RELEASE_NEEDS_BASIS)
    if outside_request is not None and outside_request.status != OutsideRequest.Status.QUEUED:
        raise ValidationError(REQUEST_ALREADY_DECIDED)
    if still is not None:
        camera_id, start, end = still.camera_id, still.taken_at, still.taken_at
    else:
        assert recording is not None
        start = portion_from or recording.starts_at
        end = portion_until or recording.ends_at
        if not recording.starts_at <= start < end <= recording.ends_at:
            raise ValidationError(PORTION_OUTSIDE_RECORDING)
        camera_id = recording.camera_id
    release = FootageRelease(
        outside_request=outside_request,
        recipient_kind=Recipient(recipient_kind),
        recipient_name=recipient_name,
        recording=recording,
        still=still,
        camera_id=camera_id,
        portion_from=start,
        portion_until=end,
        incident=incident,
        legal_order=legal_order,
        reason=reason,
        released_by=actor,
    )
    release.full_clean(exclude=["clause"])

    def perform(decision: Decision) -> FootageRelease:
        release.clause = decision.clause
        release.save()
        if recording is not None and incident is not None:
            recording_hold_place(actor=actor, recording=recording, incident=incident)
        if outside_request is not None:
            outside_request.status = OutsideRequest.Status.RELEASED
            outside_request.decided_by = actor
            outside_request.decided_at = release.released_at
            outside_request.decision_note = f"Released under {decision.clause}."
            outside_request.save(
                update_fields=["status", "decided_by", "decided_at", "decision_note"]
            )
        return release

    return footage_access.release(actor=actor, release=release, perform=perform)


@transaction.atomic
def footage_order_scope_add(
    *,
    actor: Any,
    order: LegalOrder,
    cameras: Iterable[Camera],
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
) -> FootageOrderScope:
    """Record which cameras and which window of time a legal order covers (CAM-6)."""
    cameras = list(cameras)
    if not cameras:
        raise ValidationError(SCOPE_NEEDS_CAMERAS)
    if ends_at <= starts_at:
        raise ValidationError(SCOPE_WINDOW_ORDER)
    scope = FootageOrderScope(order=order, starts_at=starts_at, ends_at=ends_at, added_by=actor)
    scope.full_clean()
    scope.save()
    scope.cameras.set(cameras)
    return scope
