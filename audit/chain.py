"""The audit trail's hash chain: append, canonical form, verification (CONF-1).

Every entry carries a sequence number, the hash of the entry before it and its
own hash: SHA-256 over a canonical JSON form of its fields and that previous
hash. Changing, removing, inserting or reordering any entry breaks the chain
from that point on, which `verify_chain` reports.

Old entries leave the table only through archiving (`archive_audit`): they are
written to a JSON-lines file and a checkpoint entry is appended that carries
the hash of the last archived entry, so the chain that remains starts from the
checkpoint's hash instead of from nothing. Timestamps never go backwards along
the chain, so a date range is also a range of sequence numbers.
"""

import contextlib
import datetime
import functools
import hashlib
import ipaddress
import json
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
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


def _lock_chain(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Held until the surrounding transaction ends, so the chain stays
            # linear however many requests append at once.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


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
    if isinstance(timestamp, str):  # SQLite hands timestamps back as text
        timestamp = datetime.datetime.fromisoformat(timestamp)
    if timestamp is not None and timezone.is_naive(timestamp):
        timestamp = timezone.make_aware(timestamp, datetime.UTC)
    return Head(seq, hash_, timestamp)


def _link(entry: "AuditEntry", seq: int, prev_hash: str, not_before: Any) -> None:
    _apply_request_context(entry)
    _normalise(entry)
    # Under the chain lock, so timestamps never go backwards along the chain
    # and a date range maps onto a range of sequence numbers.
    if not_before is not None and entry.timestamp < not_before:
        entry.timestamp = not_before
    entry.seq, entry.prev_hash = seq, prev_hash
    entry.entry_hash = entry_hash(entry)


def chain_append(
    entry: "AuditEntry", *, save: Callable[[], None], using: str | None = None
) -> None:
    """Give an entry the next sequence number and its chain hash, then insert it."""
    using = using or entry._state.db or "default"
    with transaction.atomic(using=using):
        head = _lock_and_read_head(using)
        _link(entry, head.seq + 1, head.hash, head.timestamp)
        save()


# Built from constants only.
_LOCK_AND_HEAD = (
    f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK_KEY}); "  # noqa: S608
    f"SELECT seq, entry_hash, timestamp FROM {AUDIT_TABLE} ORDER BY seq DESC LIMIT 1"
)


def _lock_and_read_head(using: str) -> Head:
    """Take the chain lock and read the head, in one round trip on PostgreSQL.

    Sent as two statements in one message: each statement takes its own
    snapshot, so the head is read after the lock is held, never before.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return chain_head(using)
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_AND_HEAD)
        cursor.nextset()
        row = cursor.fetchone()
    return Head(*row) if row else Head(0, GENESIS_HASH)


def chain_append_many(entries: list["AuditEntry"], *, using: str = "default") -> None:
    """Append several entries under one lock and one INSERT (a page's reads, a list page)."""
    if not entries:
        return
    connection = connections[using]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        _append_in_own_transaction(entries, using)
        return
    with transaction.atomic(using=using):
        _link_and_insert(entries, _lock_and_read_head(using), using)


def _link_and_insert(
    entries: list["AuditEntry"], head: Head, using: str, *, then_commit: bool = False
) -> None:
    seq, prev_hash, not_before = head.seq, head.hash, head.timestamp
    for entry in entries:
        seq += 1
        _link(entry, seq, prev_hash, not_before)
        prev_hash, not_before = entry.entry_hash, entry.timestamp
    _insert_into(entries, using, AUDIT_TABLE, then_commit=then_commit)


def _append_in_own_transaction(entries: list["AuditEntry"], using: str) -> None:
    """Append in a transaction of its own whose BEGIN travels with the lock and the head read.

    Every read of patron data appends outside any other transaction (the gate
    insists), so this is the hot path: three round trips (BEGIN with the lock
    and the head, then the INSERT with the COMMIT): the chain's lock and head
    cost one round trip, not a transaction of their own.
    """
    connection = connections[using]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN; " + _LOCK_AND_HEAD)
        try:
            cursor.nextset()
            cursor.nextset()
            row = cursor.fetchone()
            head = Head(*row) if row else Head(0, GENESIS_HASH)
            _link_and_insert(entries, head, using, then_commit=True)
        except BaseException:
            with contextlib.suppress(Exception):  # the first error is the one worth raising
                cursor.execute("ROLLBACK")
            raise


def _insert_into(
    entries: list["AuditEntry"], using: str, table_name: str, *, then_commit: bool = False
) -> None:
    """Insert linked entries with one plain INSERT; values go through the fields' own adapters."""
    model = entry_model()
    connection = connections[using]
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    values = [
        field.get_db_prep_save(getattr(entry, field.attname), connection)
        for entry in entries
        for field in fields
    ]
    table = connection.ops.quote_name(table_name)
    sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(entries))}"  # noqa: S608
    # Django binds parameters on the client, so a COMMIT can follow in the same message.
    sql += " RETURNING id" + ("; COMMIT" if then_commit else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        for entry, (pk,) in zip(entries, cursor.fetchall(), strict=True):
            entry.pk = pk
            entry._state.adding, entry._state.db = False, using


ALTERED = "its contents do not match its hash: the entry was altered"
UNLINKED = (
    "it links to an entry that is not there: the entry before it was removed, "
    "replaced, or altered and given a new hash"
)


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str
    kind: str = "altered"


@dataclass(frozen=True)
class ChainStart:
    """Where the chain in the table begins: at genesis, or just after archived entries."""

    after_seq: int  # entries up to this one were archived (0: none were)
    prev_hash: str  # the hash the first remaining entry must link to
    checkpoint_seq: int | None = None  # the checkpoint entry that says so
    problem: str = ""


# The breaks a walk names one by one; past this many it only counts them (a
# chain broken this often needs a person, not a longer list). Each named link
# break costs one query to say what happened.
MAX_LISTED_BREAKS = 10_000


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_seq: int
    head_hash: str
    first_break: ChainBreak | None
    start: ChainStart = ChainStart(0, GENESIS_HASH)
    breaks: tuple[ChainBreak, ...] = ()  # every break, in chain order (up to MAX_LISTED_BREAKS)
    break_count: int = 0  # every break, listed or not

    def __post_init__(self) -> None:
        # A report made with a first break only (a malformed checkpoint) lists that break.
        if self.first_break is not None and not self.breaks:
            object.__setattr__(self, "breaks", (self.first_break,))
        object.__setattr__(self, "break_count", max(self.break_count, len(self.breaks)))

    @property
    def intact(self) -> bool:
        return self.first_break is None


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


# What the walk reads of each entry: the hashed fields and the stored hash. Plain
# rows, not model instances, so ten million entries verify in minutes.
_ROW_FIELDS = tuple(dict.fromkeys((*HASHED_FIELDS, "entry_hash")))
EntryRow = namedtuple("EntryRow", _ROW_FIELDS)  # type: ignore[misc]


def _entries_in_order(
    start_after: int = 0, until: int | None = None, chunk_size: int = 10000
) -> Iterator[Any]:
    model = entry_model()

    until = until if until is not None else 2**62
    connection = connections["default"]
    if connection.vendor == "postgresql":
        return _postgres_rows(connection, start_after, until, chunk_size)
    rows = (
        model.objects.filter(seq__gt=start_after, seq__lte=until)
        .order_by("seq")
        .values_list(*_ROW_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    return (EntryRow(*row) for row in rows)


def _postgres_rows(connection: Any, start_after: int, until: int, chunk_size: int) -> Iterator[Any]:
    """Stream entries as one JSON text per row from a server-side cursor.

    Building a Python value per column costs more than the hashing itself;
    PostgreSQL serialises each row instead (row_to_json) and Python decodes it
    in one C call. The values are what the model holds: JSON columns nested as
    objects, the timestamp already in the form hashed_payload gives it.
    """
    model = entry_model()

    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    # The JSON object holds exactly the hashed fields; the stored hash comes apart.
    columns = ", ".join(
        f"{_PYTHON_ISOFORMAT_UTC.format(quote(by_attname[name].column))} AS {quote(name)}"
        if name == "timestamp"
        else f"e.{quote(by_attname[name].column)} AS {quote(name)}"
        for name in HASHED_FIELDS
    )
    table = quote(AUDIT_TABLE)
    connection.ensure_connection()
    with transaction.atomic(), connection.connection.cursor(name="audit_walk") as cursor:
        cursor.itersize = chunk_size
        cursor.execute(
            f"SELECT (SELECT row_to_json(r)::text FROM (SELECT {columns}) r), e.entry_hash "  # noqa: S608
            f"FROM {table} e WHERE e.seq > %s AND e.seq <= %s ORDER BY e.seq",
            [start_after, until],
        )
        loads = json.loads
        for text, stored in cursor:
            payload = loads(text)
            yield PayloadRow(payload["seq"], payload["prev_hash"], stored, payload)


# datetime.isoformat() of a UTC timestamp, written by PostgreSQL so that Python
# need not parse and re-format ten million of them: six fraction digits, or
# none when the fraction is zero, then +00:00.
_PYTHON_ISOFORMAT_UTC = (
    "to_char(e.{0} AT TIME ZONE 'UTC', CASE WHEN extract(microseconds FROM e.{0})::bigint "
    "%% 1000000 = 0 "
    """THEN 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"' END)"""
)


class PayloadRow:
    """An entry read for verification: the hashed fields as they are hashed, and the stored hash."""

    __slots__ = ("entry_hash", "payload", "prev_hash", "seq")

    def __init__(self, seq: int, prev_hash: str, entry_hash: str, payload: dict[str, Any]) -> None:
        self.seq, self.prev_hash, self.entry_hash, self.payload = (
            seq,
            prev_hash,
            entry_hash,
            payload,
        )


def _link_problem(entry: "AuditEntry") -> ChainBreak:
    """Say why an entry does not link to the one before it (runs once, at the break)."""
    model = entry_model()

    # Look near the entry only, so the diagnosis stays an index range scan.
    linked = (
        model.objects.filter(
            seq__gte=entry.seq - 1000, seq__lte=entry.seq + 1000, entry_hash=entry.prev_hash
        )
        .values_list("seq", flat=True)
        .first()
    )
    if linked is not None and linked > entry.seq:
        return ChainBreak(
            entry.seq,
            f"it links to entry #{linked}, which comes after it: entries were reordered",
            "reordered",
        )
    if linked is not None:
        return ChainBreak(
            entry.seq,
            f"it links to entry #{linked}, not to #{entry.seq - 1}: "
            "entries were inserted before it",
            "inserted",
        )
    return ChainBreak(entry.seq, UNLINKED, "unlinked")


def _removed(seq: int, expected_seq: int) -> ChainBreak:
    missing = (
        f"entry #{expected_seq} is missing"
        if seq == expected_seq + 1
        else f"entries #{expected_seq} to #{seq - 1} are missing"
    )
    return ChainBreak(seq, f"{missing}: removed", "removed")


def entry_problem(entry: "AuditEntry", expected_seq: int, expected_prev: str) -> ChainBreak | None:
    """Return why an entry does not fit where the walk expected it, or None if it fits."""
    if entry.seq != expected_seq:
        return _removed(entry.seq, expected_seq)
    if entry.prev_hash != expected_prev:
        return _link_problem(entry)
    if entry_hash(entry) != entry.entry_hash and not _hashed_with_old_address_form(entry):
        return ChainBreak(entry.seq, ALTERED, "altered")
    return None


def _hashed_with_old_address_form(entry: Any) -> bool:
    """Return True if the entry's hash matches its address in the form appends once hashed."""
    payload = getattr(entry, "payload", None) or hashed_payload(entry)
    return _old_address_form_matches(payload, entry.entry_hash)


def _old_address_form_matches(payload: dict[str, Any], stored_hash: str) -> bool:
    """Return True if the hash matches the payload with its address as Python once wrote it.

    Entries appended before addresses were hashed in their stored form were
    hashed with Python's form of an IPv6 address (::ffff:c000:20a) where the
    database keeps its own (::ffff:192.0.2.10): the same address, not an
    alteration. Runs only for an entry whose hash did not match.
    """
    stored = payload.get("remote_addr")
    if not isinstance(stored, str) or ":" not in stored:
        return False
    try:
        hashed_then = ipaddress.ip_address(stored).compressed
    except ValueError:
        return False
    return hashed_then != stored and (
        payload_hash({**payload, "remote_addr": hashed_then}) == stored_hash
    )


def _expected_head_problem(expect: Head, report: ChainReport) -> ChainBreak | None:
    """Compare a head written down earlier with what the walk saw (entries it did not walk)."""
    start = report.start
    if expect.seq > report.head_seq:
        return ChainBreak(
            expect.seq,
            f"the chain ends at entry #{report.head_seq} but entry #{expect.seq} was written "
            "down earlier: entries were cut off the end",
            "cut_off",
        )
    if expect.seq == start.after_seq:
        if expect.hash == start.prev_hash:
            return None
        return ChainBreak(
            expect.seq,
            f"entry #{expect.seq}'s hash is not the one written down: the chain was rewritten",
            "rewritten",
        )
    if expect.seq < start.after_seq:
        return ChainBreak(
            expect.seq,
            f"entry #{expect.seq} has been archived: check the written-down head against the "
            "archive file (verify_audit --archive FILE --expect-head ...)",
            "archived",
        )
    return None


class _Breaks:
    """The breaks a walk has found: the first MAX_LISTED_BREAKS by name, all of them by count."""

    def __init__(self) -> None:
        self.listed: list[ChainBreak] = []
        self.count = 0

    @property
    def listing(self) -> bool:
        return len(self.listed) < MAX_LISTED_BREAKS

    def add(self, problem: ChainBreak) -> None:
        self.count += 1
        if self.listing:
            self.listed.append(problem)

    def add_walk(self, walk: "_Walk") -> None:
        for problem in walk.breaks:
            self.add(problem)
        self.count += walk.break_count - len(walk.breaks)


@dataclass(frozen=True)
class _Walk:
    """What walking one stretch of the chain found."""

    checked: int
    first_seq: int | None
    first_prev: str | None  # the first entry's link, for stitching stretches together
    last_seq: int | None
    last_hash: str | None
    breaks: tuple[ChainBreak, ...]
    break_count: int


def _walk(
    *,
    start_after: int,
    until: int | None,
    expected_prev: str | None,
    expect: Head | None,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10000,
) -> _Walk:
    """Check the entries after `start_after` up to `until` link up and match their hashes.

    With no `expected_prev` (a stretch in the middle), the first entry's number
    and link are taken as given and handed back for the caller to stitch.
    """
    expected_seq, checked = start_after + 1, 0
    first_seq = first_prev = None
    expect_seq = expect.seq if expect else None
    found = _Breaks()
    for entry in _entries_in_order(start_after, until):
        if first_seq is None:
            first_seq, first_prev = entry.seq, entry.prev_hash
            if expected_prev is None:
                expected_seq, expected_prev = entry.seq, entry.prev_hash
        computed = entry_hash(entry)
        if (
            entry.seq != expected_seq
            or entry.prev_hash != expected_prev
            or computed != entry.entry_hash
            or entry.seq == expect_seq
        ):
            assert expected_prev is not None
            _find_breaks(entry, computed, expected_seq, expected_prev, expect, found)
        checked += 1
        # Whatever was wrong with this entry, the walk goes on from its own
        # hash: the next entry is judged by its own link, so one removal is
        # one break and an alteration further on is still found.
        expected_seq, expected_prev = entry.seq + 1, entry.entry_hash
        if progress and checked % progress_every == 0:
            progress(checked)
    last_hash = expected_prev if first_seq is not None else None
    return _Walk(
        checked,
        first_seq,
        first_prev,
        expected_seq - 1,
        last_hash,
        tuple(found.listed),
        found.count,
    )


def _find_breaks(
    entry: Any,
    computed: str,
    expected_seq: int,
    expected_prev: str,
    expect: Head | None,
    found: _Breaks,
) -> None:
    """Add what is wrong with one entry: its place in the chain, then its contents."""
    link = None
    if entry.seq != expected_seq:
        link = _removed(entry.seq, expected_seq)
    elif entry.prev_hash != expected_prev:
        # Saying what happened costs a query: only for the breaks that are named.
        link = (
            _link_problem(entry) if found.listing else ChainBreak(entry.seq, UNLINKED, "unlinked")
        )
    if link:
        found.add(link)
    altered = computed != entry.entry_hash and not _hashed_with_old_address_form(entry)
    if altered:
        found.add(ChainBreak(entry.seq, ALTERED, "altered"))
    if (
        not (link or altered)
        and expect
        and entry.seq == expect.seq
        and entry.entry_hash != expect.hash
    ):
        found.add(
            ChainBreak(
                entry.seq,
                f"entry #{entry.seq}'s hash is not the one written down: "
                "the chain was rewritten from here or earlier",
                "rewritten",
            )
        )


def _walk_in_child(stretch: tuple[int, int, Head | None]) -> _Walk:
    start_after, until, expect = stretch
    return _walk(start_after=start_after, until=until, expected_prev=None, expect=expect)


def verify_chain(
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10000,
    expect: Head | None = None,
    workers: int = 1,
    parallel_from: int = 100_000,
) -> ChainReport:
    """Walk the chain in order and report every entry that does not fit.

    After a break the walk goes on from the next entry's own link, so each
    alteration, removal or insertion is reported once. With `expect` (a head
    written down earlier), also report a chain that was cut off or rewritten
    after that point. With several `workers` on PostgreSQL, contiguous
    stretches are checked in parallel processes and stitched together where
    they meet.
    """
    start = chain_start()
    if start.problem:
        assert start.checkpoint_seq is not None
        return ChainReport(
            0, 0, GENESIS_HASH, ChainBreak(start.checkpoint_seq, start.problem, "checkpoint"), start
        )
    head = chain_head()
    entries = head.seq - start.after_seq
    if workers > 1 and connections["default"].vendor == "postgresql" and entries >= parallel_from:
        walk = _walk_parallel(start, head.seq, expect, workers)
    else:
        walk = _walk(
            start_after=start.after_seq,
            until=None,
            expected_prev=start.prev_hash,
            expect=expect,
            progress=progress,
            progress_every=progress_every,
        )
    head_seq = walk.last_seq if walk.last_seq is not None else start.after_seq
    head_hash = walk.last_hash or start.prev_hash
    found = _Breaks()
    found.add_walk(walk)
    if expect is not None:
        walked = ChainReport(walk.checked, head_seq, head_hash, None, start)
        if problem := _expected_head_problem(expect, walked):
            found.add(problem)
    return ChainReport(
        walk.checked,
        head_seq,
        head_hash,
        found.listed[0] if found.listed else None,
        start,
        tuple(found.listed),
        found.count,
    )


def _walk_parallel(start: ChainStart, head_seq: int, expect: Head | None, workers: int) -> _Walk:
    """Walk `workers` stretches of the chain in child processes and stitch them in order."""
    import multiprocessing

    step = (head_seq - start.after_seq) // workers
    bounds = [start.after_seq + step * index for index in range(workers)] + [head_seq]
    stretches = [(bounds[index], bounds[index + 1], expect) for index in range(workers)]
    connections.close_all()  # each child opens its own connection
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        walks = pool.map(_walk_in_child, stretches)
    found = _Breaks()
    checked, last_seq, previous_hash = 0, start.after_seq, start.prev_hash
    for walk in walks:
        if walk.first_seq is None or walk.last_seq is None or walk.last_hash is None:
            continue  # nothing left in this stretch: the next one's first entry says so
        # Where this stretch meets the entries before it, as one walk would see it.
        if walk.first_seq != last_seq + 1:
            found.add(_removed(walk.first_seq, last_seq + 1))
        elif walk.first_prev != previous_hash:
            entry = entry_model().objects.get(seq=walk.first_seq)
            found.add(
                _link_problem(entry)
                if found.listing
                else ChainBreak(entry.seq, UNLINKED, "unlinked")
            )
        found.add_walk(walk)
        checked += walk.checked
        last_seq, previous_hash = walk.last_seq, walk.last_hash
    return _Walk(checked, None, None, last_seq, previous_hash, tuple(found.listed), found.count)


@dataclass(frozen=True)
class ArchiveReport:
    checked: int
    first_seq: int | None
    last_seq: int | None
    last_hash: str | None
    sha256: str
    checkpoint_seq: int | None  # the live checkpoint that names this file, if still present
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def archive_line(entry: "AuditEntry") -> str:
    """Return one entry as a line of an archive file: its hashed fields and its hash."""
    return json.dumps(
        {**hashed_payload(entry), "entry_hash": entry.entry_hash},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _archived_payloads(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Yield each line's entry; ValueError on a line that is not one."""
    for line in lines:
        payload = json.loads(line)
        if not (
            isinstance(payload, dict)
            and isinstance(payload.get("seq"), int)
            and isinstance(payload.get("prev_hash"), str)
            and isinstance(payload.get("entry_hash"), str)
        ):
            raise ValueError("not an archived entry")
        yield payload


def _archived_entry_matches(payload: dict[str, Any]) -> bool:
    stored = payload["entry_hash"]
    return payload_hash(payload) == stored or _old_address_form_matches(payload, stored)


def _archive_checkpoint_problem(
    sha256: str, first_seq: int | None, last_seq: int | None, last_hash: str | None
) -> tuple[int | None, ChainBreak | None]:
    """Find the live checkpoint for an archive file and check that the two agree."""
    for seq, details in checkpoints():
        names_file = details.get("sha256") == sha256
        same_range = details.get("archived_through") == last_seq
        if not (names_file or same_range):
            continue
        agrees = (
            names_file
            and details.get("archived_from") == first_seq
            and same_range
            and details.get("last_hash") == last_hash
        )
        if agrees:
            return seq, None
        return seq, ChainBreak(
            last_seq or 0,
            f"the file does not match checkpoint #{seq}, which archived these entries: "
            "the file was changed",
            "checkpoint",
        )
    return None, None


def verify_archive(path: Path, *, expect: Head | None = None) -> ArchiveReport:
    """Check an archive file: its entries link and hash, and its checkpoint agrees with it."""
    sha256 = file_sha256(path)
    checked, expected_seq, expected_prev = 0, 0, ""
    first_seq: int | None = None
    problem: ChainBreak | None = None
    with path.open(encoding="utf-8") as stream:
        try:
            for payload in _archived_payloads(stream):
                seq: int = payload["seq"]
                if first_seq is None:
                    first_seq, expected_seq, expected_prev = seq, seq, payload["prev_hash"]
                if seq != expected_seq:
                    kind = "removed" if seq > expected_seq else "reordered"
                    problem = ChainBreak(
                        expected_seq, f"entry #{expected_seq} is missing or out of place", kind
                    )
                elif payload["prev_hash"] != expected_prev:
                    problem = ChainBreak(seq, "it does not link to the entry before it", "unlinked")
                elif not _archived_entry_matches(payload):
                    problem = ChainBreak(seq, ALTERED, "altered")
                elif expect and seq == expect.seq and payload.get("entry_hash") != expect.hash:
                    problem = ChainBreak(
                        seq, f"entry #{seq}'s hash is not the one written down", "rewritten"
                    )
                if problem:
                    break
                checked += 1
                expected_seq, expected_prev = seq + 1, payload["entry_hash"]
        except ValueError:
            problem = ChainBreak(expected_seq, "a line is not an archived entry", "unreadable")
    last_seq = expected_seq - 1 if checked else None
    last_hash = expected_prev if checked else None
    checkpoint_seq = None
    if problem is None:
        checkpoint_seq, problem = _archive_checkpoint_problem(
            sha256, first_seq, last_seq, last_hash
        )
    return ArchiveReport(checked, first_seq, last_seq, last_hash, sha256, checkpoint_seq, problem)
