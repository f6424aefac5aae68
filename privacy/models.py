"""The records of the disclosure procedures: legal orders, contracted agents, desk inquiries,
identity checks and consents."""

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from privacy.policy import DataCategory, Requester
from privacy.subjects import PATRON_MODEL


def _category_list_is_valid(value: object) -> None:
    from django.core.exceptions import ValidationError

    valid = {category.value for category in DataCategory if category.is_protected}
    if not isinstance(value, list) or not value or not set(value) <= valid:
        raise ValidationError(
            "Choose one or more of: " + ", ".join(sorted(valid)) + ".", code="invalid_categories"
        )


class LegalOrderQuerySet(models.QuerySet["LegalOrder"]):
    def in_force(self, now: datetime.datetime | None = None) -> "LegalOrderQuerySet":
        """Return orders marked valid and not expired: the only ones that release data."""
        return self.filter(status=LegalOrder.Status.VALID, expires_at__gt=now or timezone.now())

    def holding(self) -> "LegalOrderQuerySet":
        """Orders that put a legal hold on the data in their scope: retention purges skip it."""
        return self.filter(status__in=[LegalOrder.Status.UNDER_REVIEW, LegalOrder.Status.VALID])


class LegalOrder(models.Model):
    """A court order, subpoena or warrant for patron records (CONF-5)."""

    class Kind(models.TextChoices):
        SUBPOENA = "subpoena", "Subpoena"
        COURT_ORDER = "court_order", "Court order"
        SEARCH_WARRANT = "search_warrant", "Search warrant"
        OTHER = "other", "Other legal process"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        UNDER_REVIEW = "under_review", "Under review"
        VALID = "valid", "Valid"
        REJECTED = "rejected", "Rejected"
        FULFILLED = "fulfilled", "Fulfilled"
        EXPIRED = "expired", "Expired"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    issuing_authority = models.CharField(max_length=200)
    requesting_agency = models.CharField(max_length=200)
    case_number = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    document = models.FileField(upload_to="legal-orders/%Y/", blank=True)
    patrons: "models.ManyToManyField[Any, Any]" = models.ManyToManyField(
        PATRON_MODEL, related_name="legal_orders", blank=True
    )
    categories = models.JSONField(default=list, validators=[_category_list_is_valid])
    records_from = models.DateField(help_text="The earliest record date the order covers.")
    records_until = models.DateField(help_text="The latest record date the order covers.")
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    # Off unless the order says the patron may be told: an order silent on it
    # is treated as forbidding it, so no read under it shows in their history (CONF-5).
    patron_may_be_told = models.BooleanField(
        default=False, help_text="On only when the order allows telling the patron."
    )
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="legal_orders_worked",
        blank=True,
        help_text="Staff who may read the records in scope while the order is in force.",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    objects = LegalOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "expires_at"], name="order_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(records_until__gte=models.F("records_from")),
                name="order_record_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case_number}"

    def is_in_force(self, now: datetime.datetime | None = None) -> bool:
        return self.status == self.Status.VALID and self.expires_at > (now or timezone.now())

    def covers_category(self, category: str) -> bool:
        return category in self.categories


class LegalOrderRelease(models.Model):
    """One release of records under a legal order (CONF-5)."""

    order = models.ForeignKey(LegalOrder, on_delete=models.PROTECT, related_name="releases")
    patron = models.ForeignKey(PATRON_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, choices=DataCategory.choices)
    released_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    records = models.PositiveIntegerField(help_text="How many records were released.")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-released_at"]

    def __str__(self) -> str:
        return f"Release #{self.pk} under {self.order}"


class ContractedAgent(models.Model):
    """A company or person working under contract for the library (CONF-7)."""

    name = models.CharField(max_length=200, unique=True)
    purpose = models.CharField(max_length=255)
    categories = models.JSONField(default=list, validators=[_category_list_is_valid])
    contract_start = models.DateField()
    contract_end = models.DateField()
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="contracted_agent",
        help_text="The login the agent uses; assigned accounts are granted to it.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contract_end__gte=models.F("contract_start")),
                name="agent_contract_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def is_under_contract(self, day: datetime.date | None = None) -> bool:
        day = day or timezone.localdate()
        return self.contract_start <= day <= self.contract_end


class Inquiry(models.Model):
    """A question asked at a desk and the answer the policy gave (FAC-1 to FAC-6, CONF-2 to -8)."""

    class Kind(models.TextChoices):
        ACCOUNT_DATA = "account_data", "Information from a patron's account"
        COMPUTER_USE = "computer_use", "Whether a patron used the computers"
        PRESENCE_PICTURE = "presence_picture", "Whether a pictured person was in the building"
        LOOKING_FOR_SOMEONE = (
            "looking_for_someone",
            "Looking for someone (e.g. a parent for a child)",
        )
        EMERGENCY_MESSAGE = "emergency_message", "An emergency message to relay"
        FOUND_ITEM = "found_item", "A found item"
        OPEN_RECORDS = "open_records", "An open-records request"
        WATCH_REQUEST = "watch_request", "Asked to be told when someone arrives"

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "Phone"
        EMAIL = "email", "Email"
        CHAT = "chat", "Chat"

    asked_at = models.DateTimeField(default=timezone.now)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Where and how the question came in; empty on inquiries recorded before the desk asked.
    branch = models.ForeignKey(
        "library.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    requester = models.CharField(max_length=30, choices=Requester.choices)
    requester_identified = models.BooleanField(default=False)
    # The patron asked about, when the asker named one. Nothing records whether
    # a person asked for was found (FAC-6).
    patron = models.ForeignKey(
        PATRON_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    legal_order = models.ForeignKey(
        LegalOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="inquiries"
    )
    allowed = models.BooleanField()
    clause = models.CharField(max_length=10)
    answer = models.TextField()

    class Meta:
        ordering = ["-asked_at"]
        verbose_name_plural = "inquiries"

    def __str__(self) -> str:
        return f"Inquiry #{self.pk}"


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
        PATRON_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="identity_checks",
        help_text="The patron who showed identification.",
    )
    responsible_adult = models.ForeignKey(
        "patrons.ResponsibleAdult",
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
        # The table keeps the name it had in the patrons app.
        db_table = "patrons_identitycheck"
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

    patron = models.ForeignKey(PATRON_MODEL, on_delete=models.CASCADE, related_name="consents")
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
        # The table keeps the name it had in the patrons app.
        db_table = "patrons_consent"
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
