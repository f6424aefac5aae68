"""Patrons, the adults responsible for minors, identity checks and consents."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from privacy.policy import DataCategory


def majority_date(date_of_birth: datetime.date, age_of_majority: int) -> datetime.date:
    """Return the day a person born on date_of_birth comes of age (29 Feb -> 1 Mar)."""
    year = date_of_birth.year + age_of_majority
    try:
        return date_of_birth.replace(year=year)
    except ValueError:
        return datetime.date(year, 3, 1)


def latest_adult_birth_date(today: datetime.date, age_of_majority: int) -> datetime.date:
    """Return the latest date of birth of someone who is of age on `today` (for queries)."""
    year = today.year - age_of_majority
    try:
        return today.replace(year=year)
    except ValueError:  # today is 29 Feb and that year has none
        return datetime.date(year, 2, 28)


class PatronQuerySet(models.QuerySet["Patron"]):
    def minors(self, today: datetime.date | None = None) -> "PatronQuerySet":
        today = today or timezone.localdate()
        return self.filter(
            date_of_birth__gt=latest_adult_birth_date(today, settings.LIBRARY_AGE_OF_MAJORITY)
        )

    def adults(self, today: datetime.date | None = None) -> "PatronQuerySet":
        today = today or timezone.localdate()
        return self.filter(
            date_of_birth__lte=latest_adult_birth_date(today, settings.LIBRARY_AGE_OF_MAJORITY)
        )


class Patron(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        BLOCKED = "blocked", "Blocked"

    card_number = models.CharField(max_length=20, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    address_line = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    date_of_birth = models.DateField()
    home_branch = models.ForeignKey(
        "library.Branch", on_delete=models.PROTECT, related_name="patrons"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    registered_on = models.DateField(default=timezone.localdate)
    card_expires_on = models.DateField()
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patron",
        help_text="The patron's own portal login, if any.",
    )
    # CONF-9: reading history is kept only for a patron who opted in.
    keeps_reading_history = models.BooleanField(default=False)
    reading_history_changed_at = models.DateTimeField(null=True, blank=True)

    objects = PatronQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="patron_name_idx"),
            models.Index(fields=["date_of_birth"], name="patron_dob_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "expired", "blocked"]),
                name="patron_status_valid",
            ),
            models.CheckConstraint(condition=~Q(card_number=""), name="patron_card_number_set"),
        ]
        permissions = [
            ("disclose_under_order", "Receive this patron's records under a legal order"),
            ("disclose_as_agent", "Receive this patron's records as a contracted agent"),
        ]

    def __str__(self) -> str:
        return f"{self.card_number}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def majority_date(self) -> datetime.date:
        return majority_date(self.date_of_birth, settings.LIBRARY_AGE_OF_MAJORITY)

    def is_minor_on(self, day: datetime.date) -> bool:
        return day < self.majority_date

    @property
    def is_minor(self) -> bool:
        return self.is_minor_on(timezone.localdate())


class PatronUserObjectPermission(UserObjectPermissionBase):
    """Per-patron grants to a user, with a real foreign key so checks stay indexed."""

    content_object = models.ForeignKey(Patron, on_delete=models.CASCADE)


class PatronGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Patron, on_delete=models.CASCADE)


class ResponsibleAdult(models.Model):
    """An adult listed on a minor's account (CONF-4): a patron, or a named person who is not."""

    class Relationship(models.TextChoices):
        PARENT = "parent", "Parent"
        GUARDIAN = "guardian", "Legal guardian"
        GRANDPARENT = "grandparent", "Grandparent"
        FOSTER = "foster", "Foster parent"
        OTHER = "other", "Other"

    minor = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="responsible_adults")
    adult = models.ForeignKey(
        Patron,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="minors_listed",
        help_text="The adult's own patron record, when they have one.",
    )
    adult_name = models.CharField(
        max_length=200, blank=True, help_text="The adult's name, when they are not a patron."
    )
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    listed_at = models.DateTimeField(default=timezone.now)
    listed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(adult__isnull=False) & Q(adult_name=""))
                | (Q(adult__isnull=True) & ~Q(adult_name="")),
                name="responsible_adult_is_patron_or_named",
            ),
            models.CheckConstraint(
                condition=~Q(adult=models.F("minor")), name="responsible_adult_not_self"
            ),
            models.UniqueConstraint(
                fields=["minor", "adult"],
                condition=Q(adult__isnull=False),
                name="responsible_adult_listed_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_relationship_display()} of {self.minor}"

    @property
    def display_name(self) -> str:
        return self.adult.full_name if self.adult_id and self.adult else self.adult_name


class IdentityCheck(models.Model):
    """A record that staff saw someone's identification (CONF-4); never the document's number."""

    class Document(models.TextChoices):
        DRIVERS_LICENCE = "drivers_licence", "Driver's licence"
        STATE_ID = "state_id", "State ID card"
        PASSPORT = "passport", "Passport"
        LIBRARY_CARD = "library_card", "Library card with photo"
        MILITARY_ID = "military_id", "Military ID"
        OTHER = "other", "Other photo ID"

    patron = models.ForeignKey(
        Patron,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="identity_checks",
        help_text="The patron who showed identification.",
    )
    responsible_adult = models.ForeignKey(
        ResponsibleAdult,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="identity_checks",
        help_text="A listed adult who is not a patron and showed identification.",
    )
    document_kind = models.CharField(max_length=20, choices=Document.choices)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["patron", "-checked_at"], name="idcheck_patron_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(patron__isnull=False) & Q(responsible_adult__isnull=True))
                | (Q(patron__isnull=True) & Q(responsible_adult__isnull=False)),
                name="identity_check_has_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_document_kind_display()} checked at {self.checked_at:%Y-%m-%d %H:%M}"


class Consent(models.Model):
    """A patron's consent to one recipient receiving one category of data (CONF-7)."""

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="consents")
    recipient = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=DataCategory.choices)
    purpose = models.CharField(max_length=255)
    granted_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    identity_check = models.ForeignKey(
        IdentityCheck,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The identity check behind a consent recorded by staff at a desk.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patron", "recipient", "category"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_active_per_recipient_category",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True)
                | Q(withdrawn_at__gte=models.F("granted_at")),
                name="consent_withdrawn_after_granted",
            ),
            models.CheckConstraint(condition=~Q(recipient=""), name="consent_recipient_set"),
        ]

    def __str__(self) -> str:
        return f"Consent to {self.recipient} ({self.get_category_display()})"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None
