"""Items, loans, holds, fines and the opt-in reading history (CONF-6, CONF-9)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class ItemType(models.TextChoices):
    BOOK = "book", "Book"
    AUDIOBOOK = "audiobook", "Audiobook"
    DVD = "dvd", "DVD"
    MAGAZINE = "magazine", "Magazine"
    DEVICE = "device", "Device (laptop, hotspot)"


class LoanRule(models.Model):
    """How long an item type goes out for, how often it renews and what lateness costs."""

    item_type = models.CharField(max_length=20, choices=ItemType.choices, unique=True)
    loan_days = models.PositiveSmallIntegerField()
    renewal_limit = models.PositiveSmallIntegerField(default=2)
    fine_per_day = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("0.25"))
    max_fine = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("10.00"))

    class Meta:
        ordering = ["item_type"]
        constraints = [
            models.CheckConstraint(condition=Q(loan_days__gte=1), name="loan_rule_days_positive"),
            models.CheckConstraint(
                condition=Q(fine_per_day__gte=0) & Q(max_fine__gte=0),
                name="loan_rule_fines_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_type_display()}: {self.loan_days} days"


class Item(models.Model):
    barcode = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=300)
    author = models.CharField(max_length=200, blank=True)
    call_number = models.CharField(max_length=60, blank=True)
    item_type = models.CharField(max_length=20, choices=ItemType.choices, default=ItemType.BOOK)
    branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="items")
    withdrawn = models.BooleanField(default=False)
    # What a lost or damaged item is charged at, unless the desk enters an amount.
    replacement_cost = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    # Set when a borrower's loan of it ended as lost; it does not go out again.
    lost_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["title"], name="item_title_idx"),
            models.Index(fields=["author"], name="item_author_idx"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(barcode=""), name="item_barcode_set")]

    def __str__(self) -> str:
        return f"{self.title} ({self.barcode})"


class Loan(models.Model):
    """One check-out. A returned loan keeps no patron unless a fine on it is unpaid (CONF-9)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="loans")
    # Null once the loan is returned and anonymised; PROTECT so a patron with
    # open loans cannot be deleted out from under the desk.
    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.PROTECT, null=True, blank=True, related_name="loans"
    )
    branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="+")
    checked_out_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    returned_at = models.DateTimeField(null=True, blank=True)
    renewals = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["patron", "due_at"],
                condition=Q(patron__isnull=False),
                name="loan_patron_idx",
            ),
            models.Index(fields=["returned_at"], name="loan_returned_idx"),
            # Returned loans that still name their patron: near empty, since
            # check-in forgets at once, so the nightly sweep finds them at once.
            models.Index(
                fields=["id"],
                condition=Q(returned_at__isnull=False, patron__isnull=False),
                name="loan_returned_linked_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(returned_at__isnull=True),
                name="loan_one_open_per_item",
            ),
            models.CheckConstraint(
                condition=Q(returned_at__isnull=False) | Q(patron__isnull=False),
                name="loan_open_has_patron",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=F("checked_out_at")), name="loan_due_after_checkout"
            ),
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True) | Q(returned_at__gte=F("checked_out_at")),
                name="loan_returned_after_checkout",
            ),
        ]

    def __str__(self) -> str:
        # Never the patron: this text lands in audit and admin logs (CONF-9).
        return f"Loan #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.returned_at is None


class Hold(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        READY = "ready", "Ready for pickup"

    # Only live holds are stored: a collected, cancelled or expired hold is
    # deleted, since it would otherwise tie the patron to the item (CONF-9).
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="holds")
    patron = models.ForeignKey("patrons.Patron", on_delete=models.CASCADE, related_name="holds")
    pickup_branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    placed_at = models.DateTimeField(default=timezone.now)
    ready_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["placed_at"]
        indexes = [models.Index(fields=["item", "placed_at"], name="hold_queue_idx")]
        constraints = [
            models.UniqueConstraint(fields=["patron", "item"], name="hold_one_per_patron_item"),
            models.CheckConstraint(
                condition=Q(status="waiting", ready_until__isnull=True)
                | Q(status="ready", ready_until__isnull=False),
                name="hold_ready_has_pickup_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Hold #{self.pk}"


class Fine(models.Model):
    class Reason(models.TextChoices):
        OVERDUE = "overdue", "Overdue"
        LOST = "lost", "Lost item"
        DAMAGED = "damaged", "Damaged item"

    class WaiveReason(models.TextChoices):
        # A fixed list, not free text: a waived fine is kept a while and its
        # reason is logged, so it must not be a place to write about a person.
        STAFF_ERROR = "staff_error", "Charged in error"
        ITEM_RETURNED = "item_returned", "Lost item found and returned"
        HARDSHIP = "hardship", "Hardship, per library policy"
        AMNESTY = "amnesty", "Fine amnesty"
        OTHER = "other", "Other, approved by the person in charge"

    # Both kept only while the fine is unpaid: paying or waiving it cuts the
    # link to the loan and to the patron, since who paid how much and when,
    # joined to the anonymised loans returned that day, names the borrower (CONF-9).
    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.PROTECT, null=True, blank=True, related_name="fines"
    )
    loan = models.ForeignKey(
        Loan, on_delete=models.SET_NULL, null=True, blank=True, related_name="fines"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    waived_at = models.DateTimeField(null=True, blank=True)
    waive_reason = models.CharField(max_length=20, choices=WaiveReason.choices, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["patron"],
                condition=Q(paid_at__isnull=True, waived_at__isnull=True),
                name="fine_unpaid_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fine_amount_positive"),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True) | Q(waived_at__isnull=True),
                name="fine_paid_or_waived_not_both",
            ),
            models.CheckConstraint(
                condition=Q(loan__isnull=True) | Q(paid_at__isnull=True, waived_at__isnull=True),
                name="fine_settled_has_no_loan",
            ),
            models.CheckConstraint(
                condition=Q(patron__isnull=True) | Q(paid_at__isnull=True, waived_at__isnull=True),
                name="fine_settled_has_no_patron",
            ),
            models.CheckConstraint(
                condition=Q(patron__isnull=False)
                | ~Q(paid_at__isnull=True, waived_at__isnull=True),
                name="fine_unpaid_has_patron",
            ),
            models.CheckConstraint(
                condition=Q(waived_at__isnull=True, waive_reason="")
                | Q(waived_at__isnull=False) & ~Q(waive_reason=""),
                name="fine_waived_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Fine #{self.pk}"

    @property
    def is_outstanding(self) -> bool:
        return self.paid_at is None and self.waived_at is None


class FinePayment(models.Model):
    """Money taken toward a fine: any amount up to what is still owed.

    It names the fine and the staff member who took it, never the patron: the
    fine names the patron only while it is unpaid (CONF-9), and payments are
    deleted with the fine when settled fines are purged.
    """

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        CARD = "card", "Card"
        OTHER = "other", "Other"

    fine = models.ForeignKey(Fine, on_delete=models.CASCADE, related_name="payments")
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    method = models.CharField(max_length=10, choices=Method.choices)
    # The staff member who took it; empty only if their login is deleted.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fine_payment_amount_positive")
        ]

    def __str__(self) -> str:
        return f"Payment #{self.pk}"


class ReadingHistoryEntry(models.Model):
    """A returned loan remembered for a patron who opted in, for their own use only (CONF-9)."""

    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.CASCADE, related_name="reading_history"
    )
    item = models.ForeignKey(
        Item, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=300)
    author = models.CharField(max_length=200, blank=True)
    checked_out_on = models.DateField()
    returned_on = models.DateField()
    # Set when the patron deleted the entry while a legal hold kept it (CONF-5):
    # hidden from the patron at once, deleted by purge_expired when the hold ends.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "reading history entries"
        indexes = [models.Index(fields=["patron", "-returned_on"], name="history_patron_idx")]

    def __str__(self) -> str:
        return f"Reading history entry #{self.pk}"


class PatronCategory(models.TextChoices):
    ADULT = "adult", "Adult"
    MINOR = "minor", "Minor"


class CirculationDay(models.Model):
    """Anonymous counts per day, branch, item type and patron category (CONF-9).

    No patron and no item: a count that named the item and the borrower's age
    group on one day could single a person out at a small branch. Per-item
    counts come from the anonymised loan rows, which name no one.
    """

    day = models.DateField()
    branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="+")
    item_type = models.CharField(max_length=20, choices=ItemType.choices)
    patron_category = models.CharField(max_length=10, choices=PatronCategory.choices)
    checkouts = models.PositiveIntegerField(default=0)
    renewals = models.PositiveIntegerField(default=0)
    returns = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "branch", "item_type", "patron_category"]
        verbose_name = "circulation day"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "branch", "item_type", "patron_category"],
                name="circulation_day_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.item_type} {self.patron_category}"


class FoundItem(models.Model):
    """Something found in the library that may belong to a patron (CONF-8).

    The record holds the finder's own details if they chose to leave them and,
    once matched, a link to the owner, never the owner's contact details: the
    library contacts the owner itself and the finder learns nothing.
    """

    class Kind(models.TextChoices):
        LIBRARY_CARD = "library_card", "Library card"
        LIBRARY_ITEM = "library_item", "Library item"
        BELONGINGS = "belongings", "Belongings with a name or card in them"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for its owner"
        CONTACTED = "contacted", "Owner contacted"
        RETURNED = "returned", "Returned"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        LETTER = "letter", "Letter"
        PHONE = "phone", "Phone call"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(
        max_length=300, help_text="What it is and where it was found; not the owner's name."
    )
    branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="+")
    found_at = models.DateTimeField(default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    finder_name = models.CharField(max_length=200, blank=True)
    finder_contact = models.CharField(
        max_length=200, blank=True, help_text="The finder's own phone or email, if they want it."
    )
    item = models.ForeignKey(
        Item, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        "patrons.Patron", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    contact_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    # For an email: when it was sent. For a letter or a call: when staff did it.
    contacted_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-found_at"]
        indexes = [
            models.Index(fields=["status", "-found_at"], name="found_status_idx"),
            models.Index(fields=["found_at"], name="found_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(matched_at__isnull=False),
                name="found_item_owner_has_match_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="contacted") | ~Q(contact_channel=""),
                name="found_item_contacted_has_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"Found item #{self.pk}"

    @property
    def contact_pending(self) -> bool:
        return bool(self.contact_channel) and self.contacted_at is None
