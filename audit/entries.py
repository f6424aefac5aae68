"""The entry builder: the one place an audit entry's shape is decided.

Two kinds of entry are built here and appended to the chain (audit.chain):

- an access entry, for every read of protected data a door decided, allowed or
  refused (built by the gate core, privacy.gate): who asked, about which
  record, which category, for what purpose, the clause behind the decision;
- a summary entry, for a bulk change (a purge, an opt-out, an archive): what
  kind of record, how many and why, never which ones or whose (CONF-1, CONF-9).
"""

from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from audit.models import AuditEntry

# The object_pk of an access entry that names no record (an unknown card number,
# a list page, a question about presence).
NO_RECORD = "-"


def _signed_in(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def access_entry(
    *,
    actor: Any,
    model: type[models.Model],
    object_pk: str,
    object_id: int | None,
    category: str,
    purpose: str,
    clause: str,
    allowed: bool,
    details: dict[str, Any],
) -> AuditEntry:
    """Return an unsaved entry for one decided read of protected data.

    `model` and `object_pk` name what was asked for (NO_RECORD when nothing
    was); `object_id` is set only when the record exists, so "who has seen my
    record" and the auditors' patron history find it by index. `details` is
    kept in additional_data (the basis of the decision, the asker's roles...).
    """
    return AuditEntry(
        content_type=ContentType.objects.get_for_model(model),
        object_pk=object_pk,
        object_id=object_id,
        action=AuditEntry.Action.ACCESS,
        actor=_signed_in(actor),
        category=category,
        purpose=purpose,
        clause=clause,
        decision="allowed" if allowed else "refused",
        additional_data=details,
    )


def record_summary(
    *,
    model: type[Any],
    action: int,
    count: int,
    reason: str,
    clause: str = "",
    actor: Any = None,
    details: dict[str, Any] | None = None,
    using: str = "default",
) -> AuditEntry:
    """Append one entry for a bulk update or delete that django-auditlog does not see.

    It says what kind of record, how many and why; never which patrons. `using`
    names the connection (the archiver's, for an archive's checkpoint).
    """
    entry = AuditEntry(
        content_type=ContentType.objects.get_for_model(model),
        object_pk=NO_RECORD,
        object_repr=f"{model._meta.verbose_name_plural}",
        action=action,
        actor=_signed_in(actor),
        clause=clause,
        additional_data={"bulk": True, "count": count, "reason": reason, **(details or {})},
    )
    entry.save(using=using)
    return entry


def summarised_batches(
    batch: Callable[[], int],
    *,
    batch_size: int,
    model: type[Any],
    action: int,
    reason: str,
    clause: str = "",
    actor: Any = None,
) -> int:
    """Run `batch` until it touches fewer than batch_size rows; return how many it touched.

    Each batch (one set-based statement, returning its row count) runs in a
    transaction of its own with one summary entry: how many and why, never whose.
    """
    total = 0
    while True:
        with transaction.atomic():
            count = batch()
            if count:
                record_summary(
                    model=model,
                    action=action,
                    count=count,
                    reason=reason,
                    clause=clause,
                    actor=actor,
                )
        total += count
        if count < batch_size:  # that was the last batch; no need to look again
            return total
