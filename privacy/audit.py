"""The audit trail's hash chain: append, canonical form, verification (CONF-1).

Every entry carries a sequence number, the hash of the entry before it and its
own hash: SHA-256 over a canonical JSON form of its fields and that previous
hash. Changing, removing, inserting or reordering any entry breaks the chain
from that point on, which `verify_chain` reports.
"""

import datetime
import hashlib
import ipaddress
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections, transaction
from django.utils import timezone

if TYPE_CHECKING:
    from privacy.models import AuditEntry

GENESIS_HASH = "0" * 64
APPEND_ONLY_MESSAGE = "The audit trail is append-only: entries cannot be changed or deleted."
REDACTED = "[redacted]"
# Any fixed 64-bit number; it names the lock that serialises appends on PostgreSQL.
_CHAIN_LOCK_KEY = 7_412_355_001

HASHED_FIELDS = (
    "seq",
    "prev_hash",
    "timestamp",
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "action",
    "changes",
    "changes_text",
    "actor_id",
    "actor_name",
    "actor_email",
    "remote_addr",
    "remote_port",
    "cid",
    "additional_data",
    "serialized_data",
    "category",
    "purpose",
    "clause",
    "decision",
)


class AuditTrailIsAppendOnly(Exception):
    pass


def redact(value: Any) -> str:
    """Return the same placeholder for any masked field: no part of the value is kept."""
    return REDACTED


def canonical_form(entry: "AuditEntry") -> bytes:
    """Return the bytes an entry's hash is computed over."""
    payload = {name: getattr(entry, name) for name in HASHED_FIELDS}
    payload["timestamp"] = entry.timestamp.astimezone(datetime.UTC).isoformat()
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def entry_hash(entry: "AuditEntry") -> str:
    return hashlib.sha256(canonical_form(entry)).hexdigest()


def _apply_request_context(entry: "AuditEntry") -> None:
    """Fill actor and address from django-auditlog's request context before hashing.

    auditlog sets these in a pre_save receiver, which runs after our hash would
    be computed; applying them first (the receiver then sets the same values)
    keeps them inside the hash.
    """
    from auditlog.context import auditlog_value

    try:
        context = auditlog_value.get()
    except LookupError:
        return
    actor = context.get("actor")
    if entry.actor_id is None and actor is not None and getattr(actor, "pk", None):
        entry.actor = actor
        entry.actor_email = getattr(actor, "email", None)
    for key in ("remote_addr", "remote_port"):
        if getattr(entry, key) is None and context.get(key) is not None:
            setattr(entry, key, context[key])


def _normalise(entry: "AuditEntry") -> None:
    """Put fields in the form the database will hand back, so the hash survives a round trip."""
    if entry.remote_addr:
        try:
            entry.remote_addr = ipaddress.ip_address(entry.remote_addr).compressed
        except ValueError:
            entry.remote_addr = None
    if entry.actor_id is not None and not entry.actor_name:
        entry.actor_name = entry.actor.get_username() if entry.actor else ""
    if entry.content_type_id and entry.object_pk and str(entry.object_pk) != "-":
        # Entries name objects by id only: an object's own text (a name, a
        # title) would outlive the object in an append-only table.
        content_type = ContentType.objects.get_for_id(entry.content_type_id)
        model = content_type.model_class()
        label = model._meta.verbose_name if model else content_type.model
        entry.object_repr = f"{label} #{entry.object_pk}"
    entry.timestamp = entry.timestamp or timezone.now()
    entry.object_pk = str(entry.object_pk)
    for name in ("changes", "additional_data", "serialized_data"):
        value = getattr(entry, name)
        if value is not None:
            setattr(entry, name, json.loads(json.dumps(value, default=str)))


def _lock_chain(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Held until the surrounding transaction ends, so the chain stays
            # linear however many requests append at once.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _head(using: str) -> tuple[int, str]:
    from privacy.models import AuditEntry

    head = AuditEntry.objects.using(using).order_by("-seq").values_list("seq", "entry_hash").first()
    return head if head else (0, GENESIS_HASH)


def _link(entry: "AuditEntry", seq: int, prev_hash: str) -> None:
    _apply_request_context(entry)
    _normalise(entry)
    entry.seq, entry.prev_hash = seq, prev_hash
    entry.entry_hash = entry_hash(entry)


def chain_append(entry: "AuditEntry", *, save: Callable[[], None]) -> None:
    """Give an entry the next sequence number and its chain hash, then insert it."""
    using = entry._state.db or "default"
    with transaction.atomic(using=using):
        _lock_chain(using)
        seq, prev_hash = _head(using)
        _link(entry, seq + 1, prev_hash)
        save()


def chain_append_many(entries: list["AuditEntry"], *, using: str = "default") -> None:
    """Append several entries under one lock and one insert (a page listing many patrons)."""
    from privacy.models import AuditEntry

    if not entries:
        return
    with transaction.atomic(using=using):
        _lock_chain(using)
        seq, prev_hash = _head(using)
        for entry in entries:
            seq += 1
            _link(entry, seq, prev_hash)
            prev_hash = entry.entry_hash
        AuditEntry.objects.using(using).bulk_create(entries)


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_seq: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def _entries_in_order(start_after: int = 0, chunk_size: int = 5000) -> Iterator["AuditEntry"]:
    from privacy.models import AuditEntry

    return (
        AuditEntry.objects.filter(seq__gt=start_after)
        .order_by("seq")
        .iterator(chunk_size=chunk_size)
    )


def verify_chain(*, progress: Callable[[int], None] | None = None) -> ChainReport:
    """Walk the whole chain in order and report the first entry that does not fit."""
    expected_seq, expected_prev = 1, GENESIS_HASH
    checked = 0
    for entry in _entries_in_order():
        problem = None
        if entry.seq != expected_seq:
            problem = (
                f"expected entry {expected_seq} but found {entry.seq}: "
                "entries were removed or reordered"
            )
        elif entry.prev_hash != expected_prev:
            problem = (
                "its link to the previous entry does not match: an entry was removed or inserted"
            )
        elif entry_hash(entry) != entry.entry_hash:
            problem = "its contents do not match its hash: the entry was altered"
        if problem:
            return ChainReport(
                checked, expected_seq - 1, expected_prev, ChainBreak(entry.seq, problem)
            )
        checked += 1
        expected_seq, expected_prev = entry.seq + 1, entry.entry_hash
        if progress and checked % 10000 == 0:
            progress(checked)
    return ChainReport(checked, expected_seq - 1, expected_prev, None)


def record_summary(
    *,
    model: type[Any],
    action: int,
    count: int,
    reason: str,
    clause: str = "",
    actor: Any = None,
    details: dict[str, Any] | None = None,
) -> "AuditEntry":
    """Append one entry for a bulk update or delete that django-auditlog does not see.

    It says what kind of record, how many and why; never which patrons.
    """
    from privacy.models import AuditEntry

    entry = AuditEntry(
        content_type=ContentType.objects.get_for_model(model),
        object_pk="-",
        object_repr=f"{model._meta.verbose_name_plural}",
        action=action,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        clause=clause,
        additional_data={"bulk": True, "count": count, "reason": reason, **(details or {})},
    )
    entry.save()
    return entry
