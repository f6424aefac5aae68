"""Notices to patrons (reminders, overdue notices, holds, card expiry) and their templates.

A notice row is the record that a notice is due or was sent: its patron, kind,
channel and days, and until it is sent whatever it needs to be rendered (the
item of a hold on the shelf). No rendered text is stored: the body is rendered
at send time from the library's template (CONF-9). A sent notice keeps its
kind, channel and days for the retention period (settings.LIBRARY_RETENTION_DAYS
"sent_notices"), then only its days, kind and patron (notices.retention).
"""

from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    PRE_DUE = "pre_due", "Due soon"
    OVERDUE_FIRST = "overdue_1", "Overdue (first notice)"
    OVERDUE_SECOND = "overdue_2", "Overdue (second notice)"
    OVERDUE_FINAL = "overdue_3", "Overdue (final notice)"
    HOLD_READY = "hold_ready", "Hold ready for pickup"
    HOLD_EXPIRED = "hold_expired", "Hold not collected"
    CARD_EXPIRING = "card_expiring", "Card expiring soon"


# The kinds the nightly run makes, one a patron a day; hold notices follow events.
NIGHTLY_KINDS = (
    Kind.PRE_DUE,
    Kind.OVERDUE_FIRST,
    Kind.OVERDUE_SECOND,
    Kind.OVERDUE_FINAL,
    Kind.CARD_EXPIRING,
)


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    # For a patron with no email address; printed at the library and posted.
    LETTER = "letter", "Letter"


class Notice(models.Model):
    """One notice to one patron: due, or sent; never its text (CONF-9)."""

    patron = models.ForeignKey("patrons.Patron", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Blank once the retention period has passed (notices.retention).
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    # The day the notice was made: with patron and kind, what makes the nightly run idempotent.
    created_on = models.DateField()
    # The day it was emailed, or the letter was marked printed and posted.
    sent_on = models.DateField(null=True, blank=True)
    # A hold notice's item and hold, kept only until the notice is sent; check-in
    # cuts the item (privacy.inventory, CONF-9) and deleting the hold cuts the hold.
    # Loan notices keep no item at all: their items are read at send time.
    item = models.ForeignKey(
        "circulation.Item", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hold = models.ForeignKey(
        "circulation.Hold", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set once the retention period has passed: channel blank, no item, no hold.
    scrubbed = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [
            # Re-running the nightly command the same day makes no second notice.
            models.UniqueConstraint(
                fields=["patron", "kind", "created_on"],
                condition=Q(kind__in=[kind.value for kind in NIGHTLY_KINDS]),
                name="notice_nightly_once_a_day",
            ),
            models.CheckConstraint(
                condition=Q(sent_on__isnull=True) | Q(item__isnull=True, hold__isnull=True),
                name="notice_sent_keeps_no_item",
            ),
            models.CheckConstraint(
                condition=Q(scrubbed=False) | Q(channel=""), name="notice_scrubbed_has_no_channel"
            ),
        ]
        indexes = [
            # Unsent notices: what the workers and the letters page look for.
            models.Index(
                fields=["channel", "created_on"],
                condition=Q(sent_on__isnull=True),
                name="notice_unsent_idx",
            ),
            # Sent notices not yet scrubbed: what the retention sweep looks for.
            models.Index(
                fields=["sent_on"],
                condition=Q(sent_on__isnull=False, scrubbed=False),
                name="notice_sent_unscrubbed_idx",
            ),
        ]

    def __str__(self) -> str:
        # Never the patron or an item: this text lands in logs.
        return f"Notice #{self.pk}"


class NoticeTemplate(models.Model):
    """The words of one kind of notice on one channel, as the library wrote them.

    Subject and body use Django's template language with the variables in
    notices.rendering.VARIABLES; a template that does not compile or uses any
    other variable is refused (notices.services.notice_template_update).
    """

    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=5000)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "channel"], name="notice_template_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_channel_display()})"
