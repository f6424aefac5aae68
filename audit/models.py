"""The audit trail's tables: the hash-chained entries and the runs of the verifier."""

from typing import Any

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from audit import chain


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Entries in bulk: no update() or delete(); archived ones leave through remove_archived()."""

    def update(self, **kwargs: Any) -> int:
        raise chain.AuditTrailIsAppendOnly(chain.APPEND_ONLY_MESSAGE)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise chain.AuditTrailIsAppendOnly(chain.APPEND_ONLY_MESSAGE)

    def remove_archived(self, *, through_seq: int) -> int:
        """Delete entries up to through_seq, which the newest checkpoint must cover.

        The same rule as the PostgreSQL trigger, checked here too so SQLite
        keeps it and the error is readable.
        """
        if through_seq > chain.chain_start(self.db).after_seq:
            raise chain.AuditTrailIsAppendOnly(chain.NOT_ARCHIVED_MESSAGE)
        deleted, _ = models.QuerySet.delete(self.filter(seq__lte=through_seq))
        return deleted


AuditEntryManager = LogEntryManager.from_queryset(AuditEntryQuerySet)


class WrittenByTheDatabase:
    """A field PostgreSQL's trigger writes as the entry is inserted (audit.database_hash).

    Django reads such a field back in the INSERT's RETURNING, so the saved
    instance holds the number, link, hash and time the database gave it
    without a second query.
    """

    db_returning = True


class ChainNumberField(WrittenByTheDatabase, models.BigIntegerField):
    pass


class ChainHashField(WrittenByTheDatabase, models.CharField):
    pass


class ChainTimestampField(WrittenByTheDatabase, models.DateTimeField):
    pass


class HashFormatField(WrittenByTheDatabase, models.PositiveSmallIntegerField):
    pass


class AuditEntry(AbstractLogEntry):
    """One django-auditlog entry, linked to the one before it by a SHA-256 hash chain.

    Entries are only ever appended: save() refuses to update, delete() refuses,
    the queryset refuses update() and delete(), and on PostgreSQL a trigger
    refuses UPDATE, TRUNCATE and any DELETE of entries no checkpoint archived.
    """

    # No database constraint and no SET NULL: deleting a user must never
    # rewrite history, so the actor is kept as an id plus a copy of the name.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    # auditlog's field cascades; here removing a content type never removes entries.
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="content type",
    )
    seq = ChainNumberField(unique=True, editable=False)
    prev_hash = ChainHashField(max_length=64, editable=False)
    entry_hash = ChainHashField(max_length=64, editable=False)
    # auditlog's field, kept as it was, but read back from the INSERT: the
    # database raises it to the head's time so time never goes back.
    timestamp = ChainTimestampField(default=timezone.now, db_index=True, verbose_name="timestamp")
    # 1: hashed by this process (audit.chain, and every entry on SQLite);
    # 2: hashed by PostgreSQL as it inserted the entry (audit.database_hash).
    hash_format = HashFormatField(default=1, editable=False)
    # Copied out of additional_data for reads through the gate, so auditors can
    # filter tens of millions of entries on indexed columns.
    category = models.CharField(max_length=20, blank=True)
    purpose = models.CharField(max_length=40, blank=True)
    clause = models.CharField(max_length=10, blank=True)
    decision = models.CharField(max_length=10, blank=True)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        # The table keeps the name it had when the trail lived in the privacy app,
        # so every stored entry, and every hash over it, stays as it was.
        db_table = "privacy_auditentry"
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        ordering = ["-seq"]
        get_latest_by = "seq"
        indexes = [
            models.Index(fields=["content_type", "object_id", "-seq"], name="audit_object_idx"),
            models.Index(fields=["actor", "-seq"], name="audit_actor_idx"),
            models.Index(fields=["decision", "-seq"], name="audit_decision_idx"),
            # The auditors' filters: each an equality plus keyset order on seq.
            models.Index(fields=["category", "-seq"], name="audit_category_idx"),
            models.Index(fields=["clause", "-seq"], name="audit_clause_idx"),
            models.Index(fields=["action", "-seq"], name="audit_action_idx"),
            # Turns a date range into a range of seq (timestamps follow seq).
            models.Index(fields=["timestamp", "seq"], name="audit_time_seq_idx"),
            # Few rows each: reads by contracted agents, and archive checkpoints.
            models.Index(
                fields=["-seq"],
                name="audit_agent_idx",
                condition=Q(additional_data__has_key="agent"),
            ),
            models.Index(
                fields=["-seq"],
                name="audit_checkpoint_idx",
                condition=Q(additional_data__has_key=chain.CHECKPOINT_KEY),
            ),
        ]
        constraints = [
            # Every entry is numbered from 1; on PostgreSQL a trigger numbers,
            # links and hashes each new entry itself (audit 0005).
            models.CheckConstraint(condition=Q(seq__gt=0), name="audit_seq_positive"),
            models.CheckConstraint(condition=Q(hash_format__in=[1, 2]), name="audit_hash_format"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise chain.AuditTrailIsAppendOnly(chain.APPEND_ONLY_MESSAGE)
        chain.chain_append(
            self,
            save=lambda: super(AuditEntry, self).save(*args, **kwargs),
            using=kwargs.get("using"),
        )

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise chain.AuditTrailIsAppendOnly(chain.APPEND_ONLY_MESSAGE)


# A run keeps this many breaks by name: enough to find each one, small enough
# for the auditors' front page to load with the run.
MAX_STORED_BREAKS = 1000


def _moment(value: Any) -> str:
    # The site's one style, in the library's time zone (library/formats), as the admin lists show.
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


class AuditVerification(models.Model):
    """One run of verify_audit: when, how much it checked, and whether the chain held."""

    ran_at = models.DateTimeField(default=timezone.now)
    checked = models.PositiveBigIntegerField(help_text="How many entries were walked.")
    start_seq = models.BigIntegerField(help_text="The first entry walked (after any archive).")
    head_seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    intact = models.BooleanField()
    # The first break, as before; every break (the first MAX_STORED_BREAKS by
    # name) below.
    break_seq = models.BigIntegerField(null=True, blank=True)
    problem = models.TextField(blank=True)
    break_count = models.PositiveBigIntegerField(
        default=0, help_text="How many breaks the walk found, listed or not."
    )
    breaks = models.JSONField(
        default=list, blank=True, help_text="Each break: its entry, its kind and the problem."
    )
    expected_head_seq = models.BigIntegerField(
        null=True, blank=True, help_text="The written-down head checked against, if any."
    )
    seconds = models.FloatField(default=0)

    class Meta:
        db_table = "privacy_auditverification"
        ordering = ["-ran_at"]
        get_latest_by = "ran_at"
        indexes = [models.Index(fields=["-ran_at"], name="audit_verification_ran_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(intact=True, break_seq__isnull=True) | Q(intact=False),
                name="audit_verification_intact_has_no_break",
            ),
            models.CheckConstraint(
                condition=Q(intact=True, break_count=0) | Q(intact=False, break_count__gt=0),
                name="audit_verification_breaks_counted",
            ),
        ]

    def __str__(self) -> str:
        return f"Verification of {_moment(self.ran_at)}"


class AuditWitness(models.Model):
    """One publication of the chain's head to the sinks outside the database (audit.witness).

    Kept for the auditors' front page only: what verify_audit checks is what the
    sinks hold, which nobody with the database alone can change.
    """

    published_at = models.DateTimeField(default=timezone.now)
    head_seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    sinks = models.PositiveSmallIntegerField(help_text="How many sinks received it.")
    problem = models.TextField(blank=True, help_text="The sinks that failed, if any.")

    class Meta:
        ordering = ["-published_at"]
        get_latest_by = "published_at"

    def __str__(self) -> str:
        return f"Head #{self.head_seq} witnessed {_moment(self.published_at)}"
