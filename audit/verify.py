"""The verifier: walks the chain and the archive files and says where they break (CONF-1).

`verify_chain` walks every entry in the table in order, and `verify_archive`
every entry of a file `archive_audit` wrote; both report every altered,
removed, inserted or reordered entry, and every head written down earlier
(witnessed) that the chain no longer holds. Archive files are written here too
(`archive_line`), so their form is read and written in one place.
"""

import hashlib
import ipaddress
import json
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction

from audit.chain import (
    AUDIT_TABLE,
    GENESIS_HASH,
    HASHED_FIELDS,
    ChainStart,
    Head,
    chain_head,
    chain_start,
    checkpoints,
    entry_hash,
    entry_model,
    hashed_payload,
    payload_hash,
)

if TYPE_CHECKING:
    from audit.models import AuditEntry

ALTERED = "its contents do not match its hash: the entry was altered"
UNLINKED = (
    "it links to an entry that is not there: the entry before it was removed, "
    "replaced, or altered and given a new hash"
)


@dataclass(frozen=True)
class ChainBreak:
    """One place the chain does not hold: the entry, what is wrong, and its kind."""

    seq: int
    problem: str
    kind: str = "altered"


# The breaks a walk names one by one; past this many it only counts them (a
# chain broken this often needs a person, not a longer list). Each named link
# break costs one query to say what happened.
MAX_LISTED_BREAKS = 10_000


FROM_GENESIS = ChainStart(0, GENESIS_HASH)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_seq: int
    head_hash: str
    first_break: ChainBreak | None
    start: ChainStart = FROM_GENESIS
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
