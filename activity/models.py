"""Patron records outside circulation: computer and online-service sessions, reference
consultations, and sign-ups for events and communications (CONF-6, FAC-2).

Each is its own data category, read only through the gate, and kept only for
its retention period (settings.LIBRARY_RETENTION). None is registered with the
per-row audit log: the audit trail is append-only and would keep a copy of
what retention deletes; reads are logged by the gate and purges by summary.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class ComputerSession(models.Model):
    """One use of a library computer or online service (category online_services)."""

    class Kind(models.TextChoices):
        COMPUTER = "computer", "Public computer"
        ONLINE_SERVICE = "online_service", "Online service"

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COMPUTER)
    resource = models.CharField(
        max_length=100, help_text="The computer's name or the online service used."
    )
    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.CASCADE, related_name="computer_sessions"
    )
    branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["patron", "-started_at"], name="session_patron_idx"),
            models.Index(fields=["started_at"], name="session_started_idx"),
            models.Index(
                fields=["branch", "resource"],
                condition=Q(ended_at__isnull=True),
                name="session_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="session_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["branch", "resource"],
                condition=Q(ended_at__isnull=True, kind="computer"),
                name="session_one_open_per_computer",
            ),
        ]

    def __str__(self) -> str:
        return f"Session #{self.pk}"


class ReferenceConsultation(models.Model):
    """A question put to a librarian and the answer (category reference)."""

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "Phone"
        EMAIL = "email", "Email"
        CHAT = "chat", "Chat"

    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Optional: most questions are asked without a card.
    patron = models.ForeignKey(
        "patrons.Patron",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reference_consultations",
    )
    branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    asked_at = models.DateTimeField(default=timezone.now)
    question = models.TextField()
    answer = models.TextField(blank=True)

    class Meta:
        ordering = ["-asked_at"]
        indexes = [
            models.Index(fields=["patron", "-asked_at"], name="reference_patron_idx"),
            models.Index(fields=["asked_at"], name="reference_asked_idx"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(question=""), name="reference_asked")]

    def __str__(self) -> str:
        return f"Consultation #{self.pk}"


class Event(models.Model):
    """A library event, or a communication (newsletter, reminder list) patrons sign up for."""

    class Kind(models.TextChoices):
        EVENT = "event", "Event"
        COMMUNICATION = "communication", "Communication"

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.EVENT)
    title = models.CharField(max_length=200)
    branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(null=True, blank=True)
    # Sign-ups are kept for a period after this; a communication has no end.
    ends_at = models.DateTimeField(null=True, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "title"]
        indexes = [models.Index(fields=["ends_at"], name="event_ends_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | (Q(starts_at__isnull=False) & Q(ends_at__gte=F("starts_at"))),
                name="event_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(kind="communication")
                | Q(starts_at__isnull=False, ends_at__isnull=False),
                name="event_has_times",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EventSignup(models.Model):
    """A patron signed up for an event or a communication (category events)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="signups")
    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.CASCADE, related_name="event_signups"
    )
    signed_up_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["signed_up_at"]
        indexes = [models.Index(fields=["patron"], name="signup_patron_idx")]
        constraints = [
            models.UniqueConstraint(fields=["event", "patron"], name="signup_once_per_event")
        ]

    def __str__(self) -> str:
        return f"Sign-up #{self.pk}"
