"""Items, loans, holds, fines and the opt-in reading history (CONF-6, CONF-9)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Upper
from django.utils import timezone


class ItemType(models.TextChoices):
    BOOK = "book", "Book"
    AUDIOBOOK = "audiobook", "Audiobook"
    DVD = "dvd", "DVD"
    MAGAZINE = "magazine", "Magazine"
    DEVICE = "device", "Device (laptop, hotspot)"


class PatronCategory(models.TextChoices):
    ADULT = "adult", "Adult"
    MINOR = "minor", "Minor"


class LoanRule(models.Model):
    """How long an item type goes out for, how often it renews and what lateness costs.

    A rule names an item type and, optionally, a patron category; the desk uses
    the rule for the borrower's category where there is one, else the item
    type's rule for every category (as Koha's circulation rules fall back to "all").
    """

    item_type = models.CharField(max_length=20, choices=ItemType.choices)
    # Empty: every patron category without a rule of its own.
    patron_category = models.CharField(
        max_length=10, choices=PatronCategory.choices, blank=True, default=""
    )
    loan_days = models.PositiveSmallIntegerField()
    renewal_limit = models.PositiveSmallIntegerField(default=2)
    fine_per_day = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("0.25"))
    max_fine = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("10.00"))

    class Meta:
        ordering = ["item_type", "patron_category"]
        constraints = [
            models.UniqueConstraint(
                fields=["item_type", "patron_category"], name="loan_rule_one_per_type_category"
            ),
            models.CheckConstraint(condition=Q(loan_days__gte=1), name="loan_rule_days_positive"),
            models.CheckConstraint(
                condition=Q(fine_per_day__gte=0) & Q(max_fine__gte=0),
                name="loan_rule_fines_not_negative",
            ),
        ]

    def __str__(self) -> str:
        who = self.get_patron_category_display() if self.patron_category else "any patron"
        return f"{self.get_item_type_display()} ({who}): {self.loan_days} days"


class BibliographicRecord(models.Model):
    """A title as the catalogue describes it once, whatever copies (items) the library holds.

    No patron data: holds and loans point at it, it points at nobody.
    """

    title = models.CharField(max_length=300)
    # As catalogued, "Surname, Forename; Surname, Forename" (MARC 100/700).
    authors = models.CharField(max_length=300, blank=True)
    # ISBN-13 digits only (circulation.catalogue.normalise_isbn); ISSN for serials.
    isbn = models.CharField(max_length=13, blank=True)
    issn = models.CharField(max_length=9, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    publication_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # What the catalogue search matches, kept by the database itself: one
    # trigram index on PostgreSQL (migration 0011) serves title and author words.
    search_text = models.GeneratedField(
        expression=Upper(Concat("title", Value(" "), "authors")),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = "bibliographic record"
        indexes = [
            models.Index(fields=["title", "id"], name="record_title_idx"),
            models.Index(fields=["isbn"], condition=~Q(isbn=""), name="record_isbn_idx"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(title=""), name="record_title_set")]

    def __str__(self) -> str:
        return self.title


class Item(models.Model):
    """One copy of a bibliographic record: what the desk scans and the patron carries home."""

    class Status(models.TextChoices):
        ON_SHELF = "on_shelf", "On shelf"
        ON_LOAN = "on_loan", "On loan"
        IN_TRANSIT = "in_transit", "In transit"
        ON_HOLD_SHELF = "hold_shelf", "On hold shelf"
        LOST = "lost", "Lost"
        DAMAGED = "damaged", "Damaged"
        WITHDRAWN = "withdrawn", "Withdrawn"

    record = models.ForeignKey(BibliographicRecord, on_delete=models.PROTECT, related_name="items")
    barcode = models.CharField(max_length=20, unique=True)
    call_number = models.CharField(max_length=60, blank=True)
    shelving_location = models.CharField(max_length=60, blank=True)
    item_type = models.CharField(max_length=20, choices=ItemType.choices, default=ItemType.BOOK)
    # Its home branch, which owns it; `current_branch` is where it is now (the
    # collection floats: a copy returned elsewhere stays there until a hold moves it).
    branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="items")
    current_branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ON_SHELF)
    # Where an item in transit is going; empty otherwise.
    transit_to = models.ForeignKey(
        "library.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The day, never the moment: a status's second beside the gate's log of the
    # patron read at the desk that second would tie them to the copy (CONF-9).
    status_since = models.DateField(default=timezone.localdate)
    # What a lost or damaged item is charged at, unless the desk enters an amount.
    replacement_cost = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )

    class Meta:
        ordering = ["barcode"]
        indexes = [
            models.Index(fields=["record", "status"], name="item_record_status_idx"),
            # The pull list and the in-transit list read these, per branch.
            models.Index(
                fields=["current_branch", "record"],
                condition=Q(status="on_shelf"),
                name="item_on_shelf_idx",
            ),
            models.Index(
                fields=["transit_to"], condition=Q(status="in_transit"), name="item_transit_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(barcode=""), name="item_barcode_set"),
            models.CheckConstraint(
                condition=Q(status="in_transit", transit_to__isnull=False)
                | ~Q(status="in_transit") & Q(transit_to__isnull=True),
                name="item_transit_has_destination",
            ),
        ]

    def __str__(self) -> str:
        return self.barcode

    @property
    def is_lendable(self) -> bool:
        """Whether the copy may go out or fill a hold at all (its status allows it)."""
        return self.status not in (self.Status.LOST, self.Status.DAMAGED, self.Status.WITHDRAWN)


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
    """A patron's place in the queue for a title (any copy) or, where they insist, one copy.

    WAITING: no copy yet; an on-shelf copy puts it on that branch's pull list.
    IN_TRANSIT: a copy was scanned for it at another branch and is on its way.
    READY: the copy is on the hold shelf at the pickup branch until `ready_until`.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        IN_TRANSIT = "in_transit", "In transit"
        READY = "ready", "Ready for pickup"

    # Only live holds are stored: a collected, cancelled or expired hold is
    # deleted, since it would otherwise tie the patron to the title (CONF-9).
    record = models.ForeignKey(BibliographicRecord, on_delete=models.CASCADE, related_name="holds")
    # The copy: chosen by the patron (item_level), or the one trapped for them.
    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, null=True, blank=True, related_name="holds"
    )
    item_level = models.BooleanField(default=False)
    patron = models.ForeignKey("patrons.Patron", on_delete=models.CASCADE, related_name="holds")
    pickup_branch = models.ForeignKey("library.Branch", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    placed_at = models.DateTimeField(default=timezone.now)
    ready_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["placed_at"]
        indexes = [
            models.Index(fields=["record", "placed_at"], name="hold_queue_idx"),
            models.Index(
                fields=["pickup_branch", "ready_until"],
                condition=Q(status="ready"),
                name="hold_shelf_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["patron", "record"], name="hold_one_per_patron_title"),
            # One copy fills one hold: the backstop behind the item row lock.
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status__in=["in_transit", "ready"]),
                name="hold_one_per_trapped_item",
            ),
            models.CheckConstraint(
                condition=Q(status="ready", ready_until__isnull=False)
                | ~Q(status="ready") & Q(ready_until__isnull=True),
                name="hold_ready_has_pickup_date",
            ),
            models.CheckConstraint(
                condition=Q(status="waiting", item_level=False, item__isnull=True)
                | ~Q(status="waiting", item_level=False) & Q(item__isnull=False),
                name="hold_item_when_trapped_or_chosen",
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
