"""The audit trail's entry model; legal orders, agents and inquiries join it later."""

from typing import Any

from auditlog.models import AbstractLogEntry
from django.conf import settings
from django.db import models

from privacy import audit


class AuditEntry(AbstractLogEntry):
    """One django-auditlog entry, linked to the one before it by a SHA-256 hash chain.

    Entries are only ever appended: save() refuses to update, delete() refuses,
    and on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE as well.
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
    seq = models.BigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, editable=False)
    # Copied out of additional_data for reads through the gate, so auditors can
    # filter tens of millions of entries on indexed columns.
    category = models.CharField(max_length=20, blank=True)
    purpose = models.CharField(max_length=40, blank=True)
    clause = models.CharField(max_length=10, blank=True)
    decision = models.CharField(max_length=10, blank=True)

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        ordering = ["-seq"]
        get_latest_by = "seq"
        indexes = [
            models.Index(fields=["content_type", "object_id", "-seq"], name="audit_object_idx"),
            models.Index(fields=["actor", "-seq"], name="audit_actor_idx"),
            models.Index(fields=["decision", "-seq"], name="audit_decision_idx"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise audit.AuditTrailIsAppendOnly(audit.APPEND_ONLY_MESSAGE)
        audit.chain_append(self, save=lambda: super(AuditEntry, self).save(*args, **kwargs))

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise audit.AuditTrailIsAppendOnly(audit.APPEND_ONLY_MESSAGE)
