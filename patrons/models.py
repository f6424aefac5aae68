"""Patrons, the adults responsible for minors, and the per-patron grant tables."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


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
    # Koha's circulation note: what the desk must know ("card reported lost").
    # It is the patron's data like the rest: in their download, masked in the trail.
    desk_note = models.TextField(
        blank=True,
        max_length=500,
        help_text="A note staff see at the desk; the patron sees it in their data download.",
    )
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
    # CONF-3, inactive accounts (patrons.retention): the first day of the month
    # of the patron's last loan, hold or activity session, stamped by
    # patrons.receivers. Only the month: a day, beside a returned loan's day,
    # could tie the patron to that loan (CONF-9).
    last_active_on = models.DateField(
        null=True,
        blank=True,
        help_text="The month of the last check-out, renewal, check-in, hold or session.",
    )
    # The day the patron was told the account would be deleted for want of use;
    # cleared once they use it again.
    inactivity_notice_on = models.DateField(null=True, blank=True)
    # CONF-9: a notice (a reminder, an overdue notice, a hold on the shelf)
    # names the items only if the patron chose that; a letter never does.
    notices_name_items = models.BooleanField(
        default=False,
        help_text="Emailed notices name the items (titles); letters never do.",
    )

    objects = PatronQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="patron_name_idx"),
            models.Index(fields=["date_of_birth"], name="patron_dob_idx"),
            # The nightly card-expiry notices pick one day's expiring cards.
            models.Index(fields=["card_expires_on"], name="patron_card_expires_idx"),
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
        # Only the record's number: this text lands wherever a patron is shown
        # without being asked for (a select list, an admin log, a confirmation
        # page); who they are is shown only where the gate let it be read.
        return f"Patron #{self.pk}"

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
        return f"{self.get_relationship_display()} of patron #{self.minor_id}"

    @property
    def display_name(self) -> str:
        return self.adult.full_name if self.adult_id and self.adult else self.adult_name


class PatronBlockQuerySet(models.QuerySet["PatronBlock"]):
    def active(self) -> "PatronBlockQuerySet":
        return self.filter(ended_at__isnull=True)


class PatronBlock(models.Model):
    """A block on a patron's card: no check-outs, renewals or holds while it lasts.

    Who blocked the card, when and why, and who ended the block, when and why:
    the record the desk and the patron can be told about. A card has at most
    one block in force.
    """

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="blocks")
    reason = models.CharField(max_length=255)
    blocked_at = models.DateTimeField(default=timezone.now)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(max_length=255, blank=True)

    objects = PatronBlockQuerySet.as_manager()

    class Meta:
        ordering = ["-blocked_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patron"],
                condition=Q(ended_at__isnull=True),
                name="patron_block_one_in_force",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="patron_block_reason_given"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | ~Q(end_reason=""),
                name="patron_block_end_reason_given",
            ),
        ]

    def __str__(self) -> str:
        return f"Block on patron #{self.patron_id}"
