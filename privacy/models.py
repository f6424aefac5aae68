"""Legal orders, contracted agents and desk inquiries."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from privacy.policy import DataCategory, Requester


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
    patrons = models.ManyToManyField("patrons.Patron", related_name="legal_orders", blank=True)
    categories = models.JSONField(default=list, validators=[_category_list_is_valid])
    records_from = models.DateField(help_text="The earliest record date the order covers.")
    records_until = models.DateField(help_text="The latest record date the order covers.")
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    patron_may_be_told = models.BooleanField(
        default=True, help_text="Off when the order forbids telling the patron (a gag order)."
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
    patron = models.ForeignKey("patrons.Patron", on_delete=models.PROTECT, related_name="+")
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

    asked_at = models.DateTimeField(default=timezone.now)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    requester = models.CharField(max_length=30, choices=Requester.choices)
    requester_identified = models.BooleanField(default=False)
    # The patron asked about, when the asker named one. Nothing records whether
    # a person asked for was found (FAC-6).
    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
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
