"""The audit trail's hash chain: appending, and the canonical form hashed (CONF-1).

Every entry carries a sequence number, the hash of the entry before it and its
own hash: SHA-256 over a canonical form of its fields and that previous hash.
Changing, removing, inserting or reordering any entry breaks the chain from
that point on, which the verifier (audit.verify) reports.

Old entries leave the table only through archiving (`archive_audit`): they are
written to a JSON-lines file and a checkpoint entry is appended that carries
the hash of the last archived entry, so the chain that remains starts from the
checkpoint's hash instead of from nothing. Timestamps never go backwards along
the chain, so a date range is also a range of sequence numbers.
"""

import datetime
import functools
import hashlib
import ipaddress
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from auditlog import get_logentry_model
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from library.net import parse_address

if TYPE_CHECKING:
    from audit.models import AuditEntry

# The entry model is django-auditlog's (AUDITLOG_LOGENTRY_MODEL, audit.AuditEntry):
# this module reaches it through auditlog's accessor, so the model module can
# build on this one without the two importing each other.
entry_model = get_logentry_model

GENESIS_HASH = "0" * 64
APPEND_ONLY_MESSAGE = "The audit trail is append-only: entries cannot be changed or deleted."
NOT_ARCHIVED_MESSAGE = (
    "Only entries that a checkpoint has archived can be removed from the audit trail."
)
REDACTED = "[redacted]"
UNSTORABLE_VALUE = (
    "The audit entry's {field} holds what the database cannot keep as it is "
    "(a NUL, a lone surrogate, or a number that is not finite); nothing was appended."
)
# Any fixed 64-bit number; it names the lock that serialises appends on PostgreSQL.
CHAIN_LOCK_KEY = 7_412_355_001

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


# The audit table and its PostgreSQL trigger that refuses TRUNCATE (migration
# 0004); the test suite's flush switches only that trigger off (tests/conftest.py).
AUDIT_TABLE = "privacy_auditentry"
TRUNCATE_TRIGGER = "privacy_audit_no_truncate"
# The key in a checkpoint entry's additional_data. The PostgreSQL trigger
# (migration 0004) reads the same key to allow removing archived entries only.
CHECKPOINT_KEY = "checkpoint"


class AuditTrailIsAppendOnly(Exception):
    pass


class UnstorableValue(ValueError):
    """A value the database would refuse or keep in another form than the one hashed."""


def redact(value: Any) -> str:
    """Return the same placeholder for any masked field: no part of the value is kept."""
    return REDACTED


def hashed_payload(entry: "AuditEntry") -> dict[str, Any]:
    """Return the fields an entry's hash covers, as plain JSON values (also the archive's form)."""
    payload = {name: getattr(entry, name) for name in HASHED_FIELDS}
    payload["timestamp"] = entry.timestamp.astimezone(datetime.UTC).isoformat()
    return payload


def _payload_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def canonical_form(entry: "AuditEntry") -> bytes:
    """Return the bytes an entry's hash is computed over."""
    return _payload_bytes(hashed_payload(entry))


def entry_hash(entry: Any) -> str:
    payload = getattr(entry, "payload", None)  # a row read for verification carries it ready
    return hashlib.sha256(
        _payload_bytes(payload if payload is not None else hashed_payload(entry))
    ).hexdigest()


def payload_hash(payload: dict[str, Any]) -> str:
    """Return the hash of an entry given as its hashed payload (an archived entry)."""
    return hashlib.sha256(
        _payload_bytes({name: payload.get(name) for name in HASHED_FIELDS})
    ).hexdigest()


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
        # Setting the actor here also keeps auditlog's receiver from copying the
        # actor's email address into the entry: the id and name are enough.
        entry.actor = actor
    vendor = connections[entry._state.db or DEFAULT_DB_ALIAS].vendor
    for key in ("remote_addr", "remote_port"):
        if context.get(key) is not None:
            # auditlog's receiver sets the context's value on the entry again,
            # after the hash: keep it in the form the entry is hashed with.
            field, as_stored = _stored_forms()[key]
            context[key] = as_stored(field, context[key], vendor)
            setattr(entry, key, context[key])


def _normalise(entry: "AuditEntry") -> None:
    """Put each hashed field in the form the database hands back, so its hash survives the trip.

    A value the database would not keep as it is (a NUL, a lone surrogate, a
    number that is not finite) raises UnstorableValue: nothing is appended.
    """
    if entry.actor_id is not None and not entry.actor_name:
        entry.actor_name = entry.actor.get_username() if entry.actor else ""
    # An email address is identity data (CONF-6); the actor's id and name say who.
    entry.actor_email = None
    if entry.content_type_id and entry.object_pk and str(entry.object_pk) != "-":
        # Entries name objects by id only: an object's own text (a name, a
        # title) would outlive the object in an append-only table.
        content_type = ContentType.objects.get_for_id(entry.content_type_id)
        model = content_type.model_class()
        label = model._meta.verbose_name if model else content_type.model
        entry.object_repr = f"{label} #{entry.object_pk}"
    entry.timestamp = entry.timestamp or timezone.now()
    entry.object_pk = str(entry.object_pk)
    vendor = connections[entry._state.db or DEFAULT_DB_ALIAS].vendor
    for name, (field, as_stored) in _stored_forms().items():
        value = getattr(entry, name)
        if value is not None:  # None is NULL in both databases, and null in the hash
            setattr(entry, name, as_stored(field, value, vendor))


def _unstorable(field: Any) -> UnstorableValue:
    # The field's name only: the value may be patron data.
    return UnstorableValue(UNSTORABLE_VALUE.format(field=field.attname))


def _text_as_stored(field: Any, value: Any, vendor: str) -> str:
    # PostgreSQL refuses NUL in text and neither database can encode a lone
    # surrogate; SQLite would keep both, so both are refused on both.
    text = value if type(value) is str else str(field.get_prep_value(value))
    if "\x00" in text:
        raise _unstorable(field)
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            raise _unstorable(field) from None
    return text


def _integer_as_stored(field: Any, value: Any, vendor: str) -> int | None:
    try:
        # What Django sends: int(value), so "7" is kept as 7 and hashed as 7.
        return field.get_prep_value(value)
    except (TypeError, ValueError):
        raise _unstorable(field) from None


def _timestamp_as_stored(field: Any, value: Any, vendor: str) -> datetime.datetime:
    # Django stores a naive time as one in the library's time zone; hashing it
    # as the server's local time would differ wherever the two are not the same.
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _address_as_stored(field: Any, value: Any, vendor: str) -> str | None:
    address = parse_address(str(value)) if value else None
    if address is None:  # not an address: none is kept
        return None
    # Without zone, IPv4-mapped as IPv4, in lower case: the form Django writes
    # and both databases keep, but for the IPv4-compatible ::a.b.c.d (the first
    # 96 bits zero, the next 16 not), which PostgreSQL's inet writes in dotted
    # decimal where Django writes hex (::102:304).
    number = int(address)
    if vendor == "postgresql" and address.version == 6 and number >> 32 == 0 and number >> 16:
        return f"::{ipaddress.IPv4Address(number)}"
    return str(address)


def _json_as_stored(field: Any, value: Any, vendor: str) -> Any:
    """Return a JSON value as PostgreSQL's jsonb hands it back; SQLite keeps that form too."""
    if value is None:
        return None
    try:
        text = json.dumps(value, default=str, ensure_ascii=False, allow_nan=False)
        if not text.isascii():
            text.encode()
    except (ValueError, UnicodeEncodeError):  # NaN or infinity; a lone surrogate
        raise _unstorable(field) from None
    stored = _JSON_AS_STORED.decode(text)
    # jsonb refuses NUL in strings; json.dumps writes one as \u0000 (the test
    # is loose, an escaped backslash followed by u0000 matches too: look closer).
    if "\\u0000" in text and _holds_nul(stored):
        raise _unstorable(field)
    return stored


def _json_float_as_stored(literal: str) -> float | int:
    # jsonb keeps a number as the exact decimal it was written as and writes it
    # back without an exponent: Python's 1e+16 comes back as the integer
    # 10000000000000000, so it is hashed as that integer. Its negative zero
    # comes back as 0.0. Anything else comes back as the same float.
    if "e+" in literal:
        return int(Decimal(literal))
    number = float(literal)
    return number if number else 0.0


_JSON_AS_STORED = json.JSONDecoder(parse_float=_json_float_as_stored)


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any("\x00" in key or _holds_nul(item) for key, item in value.items())
    return False


_AS_STORED_BY_TYPE: dict[str, Callable[[Any, Any, str], Any]] = {
    "CharField": _text_as_stored,
    "TextField": _text_as_stored,
    "AutoField": _integer_as_stored,
    "BigAutoField": _integer_as_stored,
    "BigIntegerField": _integer_as_stored,
    "PositiveIntegerField": _integer_as_stored,
    "PositiveSmallIntegerField": _integer_as_stored,
    "DateTimeField": _timestamp_as_stored,
    "GenericIPAddressField": _address_as_stored,
    "JSONField": _json_as_stored,
}


@functools.cache
def _stored_forms() -> dict[str, tuple[Any, Callable[[Any, Any, str], Any]]]:
    """Return, for each hashed field, the model field and how it puts a value in stored form.

    A hashed field of a type not listed here is an error at the first append,
    not a chain that verifies on one database and not on the other.
    """
    by_attname = {field.attname: field for field in entry_model()._meta.concrete_fields}
    forms = {}
    for name in HASHED_FIELDS:
        field = by_attname[name]
        kind = (field.target_field if field.is_relation else field).get_internal_type()
        forms[name] = (field, _AS_STORED_BY_TYPE[kind])
    return forms


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    timestamp: datetime.datetime | None = None

    def __str__(self) -> str:
        """Return the head as verify_audit --head prints it and --expect-head reads it."""
        return f"{self.seq}:{self.hash}"


def chain_head(using: str = "default") -> Head:
    """Return the last entry's sequence number and hash (0 and the genesis hash when empty)."""
    # Plain SQL: every read of patron data appends, so this is a hot path.
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT seq, entry_hash, timestamp FROM {AUDIT_TABLE} ORDER BY seq DESC LIMIT 1"  # noqa: S608
        )
        row = cursor.fetchone()
    if row is None:
        return Head(0, GENESIS_HASH)
    seq, hash_, timestamp = row
    return Head(seq, hash_, _aware(timestamp))


def _aware(timestamp: Any) -> datetime.datetime:
    """Return a timestamp read with plain SQL as an aware datetime (SQLite gives text, in UTC)."""
    if isinstance(timestamp, str):
        timestamp = datetime.datetime.fromisoformat(timestamp)
    if timezone.is_naive(timestamp):
        timestamp = timezone.make_aware(timestamp, datetime.UTC)
    return timestamp


def hashed_by_database(using: str) -> bool:
    """Return True where the database numbers, links and hashes each entry (PostgreSQL).

    There a trigger (audit.database_hash, migration 0005) does it inside the
    INSERT, so an append is one statement and one round trip. SQLite, the
    embedded first-run database, has no such trigger: there the chain's
    fields are computed here, under a transaction (format 1).
    """
    return connections[using].vendor == "postgresql"


def _prepare(entry: "AuditEntry") -> None:
    """Fill in and tidy an entry's contents before it is inserted, on every database."""
    _apply_request_context(entry)
    _normalise(entry)


def _link(entry: "AuditEntry", seq: int, prev_hash: str, not_before: Any) -> None:
    """Number, link and hash an entry here (format 1: SQLite), after the head was read."""
    _prepare(entry)
    # Under the chain's transaction, so timestamps never go backwards along the
    # chain and a date range maps onto a range of sequence numbers.
    if not_before is not None and entry.timestamp < not_before:
        entry.timestamp = not_before
    entry.seq, entry.prev_hash = seq, prev_hash
    entry.entry_hash = entry_hash(entry)


def _leave_to_the_database(entry: "AuditEntry") -> None:
    """Prepare an entry whose number, link and hash the database's trigger will write."""
    _prepare(entry)
    # Whatever is sent for these, the trigger writes its own; the INSERT's
    # RETURNING hands them back (the fields are db_returning, audit.models).
    entry.seq, entry.prev_hash, entry.entry_hash = None, "", ""  # type: ignore[assignment]


def chain_append(
    entry: "AuditEntry", *, save: Callable[[], None], using: str | None = None
) -> None:
    """Append one entry through the model's own save (django-auditlog's entries).

    `save` inserts the row. On PostgreSQL that single INSERT is the whole
    append; on SQLite the head is read and the entry linked first, in one
    transaction.
    """
    using = using or entry._state.db or "default"
    if hashed_by_database(using):
        _leave_to_the_database(entry)
        save()
        return
    with transaction.atomic(using=using):
        head = chain_head(using)
        _link(entry, head.seq + 1, head.hash, head.timestamp)
        save()


def chain_append_many(entries: list["AuditEntry"], *, using: str = "default") -> None:
    """Append several entries with one INSERT (a page's reads, a list page).

    On PostgreSQL that INSERT is one round trip, committed on its own outside a
    transaction; on SQLite the entries are linked here under one transaction.
    Raises UnstorableValue, and appends nothing, if an entry holds what the
    database cannot keep.
    """
    if not entries:
        return
    if hashed_by_database(using):
        for entry in entries:
            _leave_to_the_database(entry)
        _insert_into(entries, using, AUDIT_TABLE)
        return
    with transaction.atomic(using=using):
        head = chain_head(using)
        seq, prev_hash, not_before = head.seq, head.hash, head.timestamp
        for entry in entries:
            seq += 1
            _link(entry, seq, prev_hash, not_before)
            prev_hash, not_before = entry.entry_hash, entry.timestamp
        _insert_into(entries, using, AUDIT_TABLE)


# What an append reads back from its INSERT: what the trigger wrote.
_RETURNED = ("id", "seq", "prev_hash", "entry_hash", "timestamp", "hash_format")


def _insert_into(entries: list["AuditEntry"], using: str, table_name: str) -> None:
    """Insert entries with one plain INSERT and set what it returns on them.

    Values go through the fields' own adapters; the row's id and chain fields
    come back in the same statement.
    """
    model = entry_model()
    connection = connections[using]
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    values = [
        field.get_db_prep_save(getattr(entry, field.attname), connection)
        for entry in entries
        for field in fields
    ]
    table = quote(table_name)
    returning = ", ".join(quote(name) for name in _RETURNED)
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(entries))} "  # noqa: S608
        f"RETURNING {returning}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        for entry, returned in zip(entries, cursor.fetchall(), strict=True):
            entry.pk, entry.seq, entry.prev_hash, entry.entry_hash, at, entry.hash_format = returned
            entry.timestamp = _aware(at)
            entry._state.adding, entry._state.db = False, using


@dataclass(frozen=True)
class ChainStart:
    """Where the chain in the table begins: at genesis, or just after archived entries."""

    after_seq: int  # entries up to this one were archived (0: none were)
    prev_hash: str  # the hash the first remaining entry must link to
    checkpoint_seq: int | None = None  # the checkpoint entry that says so
    problem: str = ""


def checkpoint_details(
    *, archived_from: int, archived_through: int, last_hash: str, file: str, sha256: str
) -> dict[str, Any]:
    """Return the additional_data of a checkpoint entry (the trigger reads archived_through)."""
    return {
        CHECKPOINT_KEY: {
            "archived_from": archived_from,
            "archived_through": archived_through,
            "last_hash": last_hash,
            "file": file,
            "sha256": sha256,
        }
    }


def _checkpoint_rows(using: str = "default") -> Any:
    model = entry_model()

    # A partial index holds just these rows (audit_checkpoint_idx).
    return (
        model.objects.using(using)
        .filter(additional_data__has_key=CHECKPOINT_KEY)
        .order_by("-seq")
        .values_list("seq", "additional_data")
    )


def checkpoints(using: str = "default") -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (seq, details) for each checkpoint entry still in the table, newest first."""
    for seq, data in _checkpoint_rows(using):
        yield seq, data[CHECKPOINT_KEY]


def chain_start(using: str = "default") -> ChainStart:
    """Return where the chain starts: after the entries the newest checkpoint archived."""
    newest = _checkpoint_rows(using).first()
    if newest is None:
        return ChainStart(0, GENESIS_HASH)
    seq, data = newest
    details = data[CHECKPOINT_KEY]
    try:
        through, last_hash = int(details["archived_through"]), str(details["last_hash"])
    except (KeyError, TypeError, ValueError):
        return ChainStart(0, GENESIS_HASH, seq, "the checkpoint entry is malformed")
    if through >= seq:
        return ChainStart(0, GENESIS_HASH, seq, "the checkpoint claims to archive itself")
    return ChainStart(through, last_hash, seq)
