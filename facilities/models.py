"""Incidents, bans, security cameras, recordings, stills and footage releases.

The rules about who may see or release footage live in privacy.policy.footage and
are enforced by facilities.access; these models only hold the records and the
invariants the database can keep (CAM-1 to CAM-6, CONF-10).
"""

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from privacy.policy.footage import Recipient

# CAM-2: the only places a camera may be. The list is closed on purpose: a
# free "other" would let a camera into a restroom by another name.


class LocationType(models.TextChoices):
    """Public spaces where a camera may be placed (CAM-2)."""

    ENTRANCE = "entrance", "Entrance"
    SEATING_AREA = "seating_area", "Seating area"
    STACKS = "stacks", "Stacks"
    COMPUTER_AREA = "computer_area", "Computer area"
    PARKING = "parking", "Parking"
    EXTERIOR = "exterior", "Exterior"
    SERVICE_DESK = "service_desk", "Service desk"


# Places where people expect privacy; named so the refusal can say so plainly.
PRIVATE_LOCATION_TYPES = {
    "restroom": "Restroom",
    "nursing_room": "Nursing room",
    "changing_area": "Changing area",
    "staff_break_room": "Staff break room",
}

PRIVATE_LOCATION_REFUSED = (
    "Cameras go only in public spaces (CAM-2): a camera cannot be registered in a restroom, "
    "nursing room, changing area or staff break room."
)


def refuse_private_location(value: Any) -> None:
    """Raise the CAM-2 refusal for a private-space location type."""
    if str(value or "").strip().lower() in PRIVATE_LOCATION_TYPES:
        raise ValidationError(PRIVATE_LOCATION_REFUSED, code="private_location")


class LocationTypeFormField(forms.TypedChoiceField):
    """A choice of public location types that names the CAM-2 rule when refusing a private one."""

    def validate(self, value: Any) -> None:
        refuse_private_location(value)
        super().validate(value)


class LocationTypeField(models.CharField):
    """A camera's location type: public spaces only, in forms, the admin and full_clean (CAM-2)."""

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        # Before the choices check, so the answer names the rule rather than
        # saying only that the value is not on the list.
        refuse_private_location(value)
        super().validate(value, model_instance)

    def formfield(self, **kwargs: Any) -> Any:
        kwargs.setdefault("choices_form_class", LocationTypeFormField)
        return super().formfield(**kwargs)


class Camera(models.Model):
    """A security camera at a branch, in a public space (CAM-1, CAM-2)."""

    branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="cameras")
    name = models.CharField(max_length=100)
    location_description = models.CharField(max_length=255)
    location_type = LocationTypeField(max_length=20, choices=LocationType.choices)
    active = models.BooleanField(default=True)
    installed_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["branch__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "name"], name="camera_name_unique_in_branch"),
            models.CheckConstraint(
                condition=Q(location_type__in=LocationType.values),
                name="camera_location_is_public",
                violation_error_message=PRIVATE_LOCATION_REFUSED,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_location_type_display()})"


class Incident(models.Model):
    """A crime, injury or rule violation on library premises (CONF-10, CAM-4)."""

    class Kind(models.TextChoices):
        CRIMINAL = "criminal", "Criminal activity"
        INJURY = "injury", "Injury"
        CONDUCT = "conduct", "Code-of-conduct violation"
        OTHER = "other", "Other"

    occurred_at = models.DateTimeField()
    branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="+")
    area = models.CharField(max_length=200, help_text="Where in the building, in a few words.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField()
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now)
    police_contacted = models.BooleanField(default=False)
    police_report_number = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["-occurred_at"], name="incident_occurred_idx"),
            models.Index(fields=["branch", "-occurred_at"], name="incident_branch_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["criminal", "injury", "conduct", "other"]),
                name="incident_kind_valid",
            )
        ]

    def __str__(self) -> str:
        return f"Incident #{self.pk}"


class IncidentPerson(models.Model):
    """Someone involved in an incident: a patron, or a person described in words."""

    class Involvement(models.TextChoices):
        SUBJECT = "subject", "Person whose conduct is reported"
        VICTIM = "victim", "Person harmed"
        WITNESS = "witness", "Witness"
        OTHER = "other", "Other"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="people")
    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.TextField(
        blank=True, help_text="For someone not identified: what they look like, what they wore."
    )
    involvement = models.CharField(
        max_length=20, choices=Involvement.choices, default=Involvement.SUBJECT
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(patron__isnull=False) | ~Q(description=""),
                name="incident_person_identified_or_described",
            ),
            models.UniqueConstraint(
                fields=["incident", "patron"],
                condition=Q(patron__isnull=False),
                name="incident_person_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Person #{self.pk} in incident #{self.incident_id}"


class BanQuerySet(models.QuerySet["Ban"]):
    def in_effect(self, now: datetime.datetime | None = None) -> "BanQuerySet":
        """Return bans in effect at `now`: started, and not yet at their end."""
        now = now or timezone.now()
        return self.filter(starts_at__lte=now, ends_at__gt=now)


class Ban(models.Model):
    """A person barred from some or all branches for a while, because of an incident.

    Whether it is in effect is computed from its dates when read; nothing has
    to run for it to end (CAM-4).
    """

    person = models.ForeignKey(IncidentPerson, on_delete=models.PROTECT, related_name="bans")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    all_branches = models.BooleanField(default=True)
    branches = models.ManyToManyField("library.Branch", blank=True, related_name="+")
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_early_at = models.DateTimeField(null=True, blank=True)

    objects = BanQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="ban_dates_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")), name="ban_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"Ban #{self.pk}"

    def is_in_effect(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.starts_at <= now < self.ends_at


RECORDING_TIMES_MESSAGE = "A recording must end after it starts."
FOOTAGE_FILE_TYPES = ["mp4", "webm", "mkv", "mov", "avi", "ts"]
STILL_FILE_TYPES = ["jpg", "jpeg", "png", "webp"]


class Recording(models.Model):
    """A stored piece of a camera's footage, kept until `retain_until` unless held (CAM-1)."""

    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="recordings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    file = models.FileField(
        upload_to="footage/recordings/%Y/%m/%d/",
        validators=[FileExtensionValidator(FOOTAGE_FILE_TYPES)],
    )
    # The file's SHA-256 in hex, taken when it was stored: proof the footage is
    # what the recorder exported, and how an import knows a file it already has.
    # Empty only for recordings stored before it was kept.
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    retention_days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    # Stored rather than computed so the purge is one indexed range scan.
    retain_until = models.DateTimeField()
    registered_at = models.DateTimeField(default=timezone.now)
    held_for = models.ManyToManyField(
        Incident, through="RecordingHold", related_name="held_recordings", blank=True
    )

    class Meta:
        ordering = ["-starts_at"]
        indexes = [
            models.Index(fields=["retain_until"], name="recording_retention_idx"),
            models.Index(fields=["camera", "-starts_at"], name="recording_camera_idx"),
            models.Index(fields=["sha256"], condition=~Q(sha256=""), name="recording_sha256_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="recording_times_ordered"
            ),
            models.CheckConstraint(
                condition=Q(retain_until__gte=F("ends_at")), name="recording_kept_past_its_end"
            ),
            models.CheckConstraint(
                condition=Q(retention_days__gte=1), name="recording_retention_positive"
            ),
            models.CheckConstraint(
                condition=Q(sha256="") | Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="recording_sha256_hex",
            ),
        ]

    def __str__(self) -> str:
        return f"Recording #{self.pk}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": RECORDING_TIMES_MESSAGE})


class RecordingHold(models.Model):
    """An incident keeps a recording past its retention until the hold is lifted (CAM-1)."""

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="holds")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="holds")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recording", "incident"], name="recording_hold_once")
        ]

    def __str__(self) -> str:
        return f"Hold on recording #{self.recording_id} for incident #{self.incident_id}"


class FootageOrderScope(models.Model):
    """The cameras and time window a legal order covers (CAM-6).

    An order releases footage only while it is in force and only inside this
    scope; while the order holds (under review or valid) the recordings it
    covers are kept past their retention.
    """

    order = models.ForeignKey(
        "privacy.LegalOrder", on_delete=models.PROTECT, related_name="footage_scopes"
    )
    cameras = models.ManyToManyField(Camera, related_name="order_scopes")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "footage scope of a legal order"
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="order_scope_window_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="order_scope_window_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"Footage scope #{self.pk} of order #{self.order_id}"


class Still(models.Model):
    """An image taken from a recording for an incident; shared with all staff while its ban lasts.

    Sharing is `ban` being in effect now (CAM-4), computed at read time.
    """

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="stills")
    # Kept when the recording itself is purged: the still is part of the incident.
    recording = models.ForeignKey(
        Recording, on_delete=models.SET_NULL, null=True, blank=True, related_name="stills"
    )
    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="stills")
    taken_at = models.DateTimeField()
    image = models.FileField(
        upload_to="footage/stills/%Y/%m/", validators=[FileExtensionValidator(STILL_FILE_TYPES)]
    )
    caption = models.CharField(max_length=255, blank=True)
    ban = models.ForeignKey(
        Ban,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stills",
        help_text="Share with all staff while this ban is in effect (CAM-4).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"Still #{self.pk}"

    def is_shared(self, now: datetime.datetime | None = None) -> bool:
        return self.ban is not None and self.ban.is_in_effect(now)


class OutsideRequest(models.Model):
    """A request for footage from outside the library, queued for the director (CAM-6)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the director"
        RELEASED = "released", "Released"
        DECLINED = "declined", "Declined"

    received_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requester_kind = models.CharField(max_length=20, choices=Recipient.choices)
    requester_name = models.CharField(
        max_length=200, help_text="The agency, office or person asking."
    )
    contact = models.CharField(max_length=200, blank=True)
    footage_wanted = models.TextField(help_text="Which cameras, which times, and why.")
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="outside_requests"
    )
    legal_order = models.ForeignKey(
        "privacy.LegalOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["received_at"]
        indexes = [models.Index(fields=["status", "received_at"], name="outside_request_queue_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "released", "declined"]),
                name="outside_request_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"Request #{self.pk}"


class FootageRelease(models.Model):
    """Footage given outside the library: what, to whom, under which clause and order (CAM-5/6)."""

    outside_request = models.ForeignKey(
        OutsideRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="releases"
    )
    recipient_kind = models.CharField(max_length=20, choices=Recipient.choices)
    recipient_name = models.CharField(max_length=200)
    # What: a portion of a recording, or a still. The camera and times are
    # copied so the record still says what left the library after a purge.
    recording = models.ForeignKey(
        Recording, on_delete=models.SET_NULL, null=True, blank=True, related_name="releases"
    )
    still = models.ForeignKey(
        Still, on_delete=models.SET_NULL, null=True, blank=True, related_name="releases"
    )
    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="+")
    portion_from = models.DateTimeField()
    portion_until = models.DateTimeField()
    # Why: an on-premises incident (CAM-5) or a legal order (CAM-6), never both.
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="footage_releases"
    )
    legal_order = models.ForeignKey(
        "privacy.LegalOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="footage_releases",
    )
    clause = models.CharField(max_length=10)
    reason = models.TextField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-released_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(incident__isnull=True, legal_order__isnull=False)
                | Q(incident__isnull=False, legal_order__isnull=True),
                name="release_under_incident_or_order",
            ),
            models.CheckConstraint(
                condition=Q(recording__isnull=True) | Q(still__isnull=True),
                name="release_recording_or_still",
            ),
            models.CheckConstraint(
                condition=Q(portion_until__gte=F("portion_from")),
                name="release_portion_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Footage release #{self.pk}"


class PoliceIdentityRelease(models.Model):
    """A person's identity given to police for a recorded incident (CONF-10)."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="identity_releases"
    )
    person = models.ForeignKey(IncidentPerson, on_delete=models.PROTECT, related_name="+")
    agency = models.CharField(max_length=200)
    officer = models.CharField(max_length=200, help_text="Name and badge number.")
    note = models.TextField(blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(default=timezone.now)
    clause = models.CharField(max_length=10, default="CONF-10")

    class Meta:
        ordering = ["-released_at"]

    def __str__(self) -> str:
        return f"Identity release #{self.pk}"
