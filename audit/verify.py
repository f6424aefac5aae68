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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction

from audit import database_hash
from audit.chain import (
    AUDIT_TABLE,
    GENESIS_HASH,
    HASHED_FIELDS,
    ChainStart,
    Head,
    chain_head,
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
    archived: "ArchivesReport | None" = None  # the archive files checked, if they were
    witnessed: int = 0  # how many written-down heads were checked

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


def entries_in_order(
    start_after: int = 0,
    until: int | None = None,
    chunk_size: int = 10000,
    *,
    canonical: bool = False,
) -> Iterator[Any]:
    """Yield the entries after `start_after` up to `until` in order, as rows the walk reads.

    Each row has seq, prev_hash and entry_hash. A row hashed by Python
    (format 1) also has its hashed fields; one hashed by PostgreSQL (format 2)
    has `matches`, whether its stored hash is the hash of its stored contents,
    and with `canonical`, the text that was hashed (what an archive keeps).
    """
    model = entry_model()

    until = until if until is not None else 2**62
    connection = connections["default"]
    if connection.vendor == "postgresql":
        return _postgres_rows(connection, start_after, until, chunk_size, canonical)
    rows = (
        model.objects.filter(seq__gt=start_after, seq__lte=until)
        .order_by("seq")
        .values_list(*_ROW_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    return (EntryRow(*row) for row in rows)


def _postgres_rows(
    connection: Any, start_after: int, until: int, chunk_size: int, canonical: bool
) -> Iterator[Any]:
    """Stream entries from a server-side cursor.

    An entry PostgreSQL hashed (format 2) is checked where it lies: the query
    recomputes the frozen expression over the stored row (audit.database_hash)
    and hands back only whether it matches. An entry hashed by Python (format
    1) comes as one JSON text: building a Python value per column costs more
    than the hashing itself, so PostgreSQL serialises the row (row_to_json) and
    Python decodes it in one C call, the timestamp already in the form
    hashed_payload gives it.
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
        text = (
            f"CASE WHEN e.hash_format = {database_hash.FORMAT} "
            f"THEN {database_hash.canonical_sql('e')} END"
        )
        cursor.execute(
            f"SELECT e.seq, e.prev_hash, e.entry_hash, "  # noqa: S608
            f"CASE WHEN e.hash_format = {database_hash.FORMAT} "
            f"THEN {database_hash.hash_sql('e')} = e.entry_hash END, "
            f"CASE WHEN e.hash_format = {database_hash.PYTHON_FORMAT} "
            f"THEN (SELECT row_to_json(r)::text FROM (SELECT {columns}) r) END, "
            f"{text if canonical else 'NULL'} "
            f"FROM {table} e WHERE e.seq > %s AND e.seq <= %s ORDER BY e.seq",
            [start_after, until],
        )
        loads = json.loads
        for seq, prev_hash, stored, matches, payload_text, canonical_text in cursor:
            payload = loads(payload_text) if payload_text is not None else None
            yield PayloadRow(seq, prev_hash, stored, payload, matches, canonical_text)


# datetime.isoformat() of a UTC timestamp, written by PostgreSQL so that Python
# need not parse and re-format ten million of them: six fraction digits, or
# none when the fraction is zero, then +00:00.
_PYTHON_ISOFORMAT_UTC = (
    "to_char(e.{0} AT TIME ZONE 'UTC', CASE WHEN extract(microseconds FROM e.{0})::bigint "
    "%% 1000000 = 0 "
    """THEN 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"' END)"""
)


class PayloadRow:
    """An entry read for verification on PostgreSQL (see entries_in_order)."""

    __slots__ = ("canonical", "entry_hash", "matches", "payload", "prev_hash", "seq")

    def __init__(
        self,
        seq: int,
        prev_hash: str,
        entry_hash: str,
        payload: dict[str, Any] | None,
        matches: bool | None = None,
        canonical: str | None = None,
    ) -> None:
        self.seq, self.prev_hash, self.entry_hash = seq, prev_hash, entry_hash
        self.payload, self.matches, self.canonical = payload, matches, canonical


def contents_match(entry: Any) -> bool:
    """Return True if an entry's stored hash is the hash of its contents, in its format.

    `entry` is a row the walk read, or an entry model instance read from the
    table (format 2 is then recomputed by PostgreSQL over the stored row).
    """
    matches = getattr(entry, "matches", None)
    if matches is not None:  # format 2, already recomputed over the stored row
        return bool(matches)
    if getattr(entry, "hash_format", database_hash.PYTHON_FORMAT) == database_hash.FORMAT:
        return _stored_row_matches(entry.seq)
    return entry_hash(entry) == entry.entry_hash or _hashed_with_old_address_form(entry)


def _stored_row_matches(seq: int) -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            f"SELECT {database_hash.hash_sql('e')} = e.entry_hash "  # noqa: S608
            f"FROM {AUDIT_TABLE} e WHERE e.seq = %s",
            [seq],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


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
    if not contents_match(entry):
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
    witnessed: Mapping[int, str],
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10000,
) -> _Walk:
    """Check the entries after `start_after` up to `until` link up and match their hashes.

    With no `expected_prev` (a stretch in the middle), the first entry's number
    and link are taken as given and handed back for the caller to stitch.
    """
    expected_seq, checked = start_after + 1, 0
    first_seq = first_prev = None
    found = _Breaks()
    for entry in entries_in_order(start_after, until):
        if first_seq is None:
            first_seq, first_prev = entry.seq, entry.prev_hash
            if expected_prev is None:
                expected_seq, expected_prev = entry.seq, entry.prev_hash
        altered = not contents_match(entry)
        if (
            entry.seq != expected_seq
            or entry.prev_hash != expected_prev
            or altered
            or entry.seq in witnessed
        ):
            assert expected_prev is not None
            _find_breaks(entry, altered, expected_seq, expected_prev, witnessed, found)
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
    altered: bool,
    expected_seq: int,
    expected_prev: str,
    witnessed: Mapping[int, str],
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
    if altered:
        found.add(ChainBreak(entry.seq, ALTERED, "altered"))
    if not (link or altered) and witnessed.get(entry.seq, entry.entry_hash) != entry.entry_hash:
        found.add(_rewritten(entry.seq))


def _rewritten(seq: int) -> ChainBreak:
    return ChainBreak(
        seq,
        f"entry #{seq}'s hash is not the one written down: "
        "the chain was rewritten from here or earlier",
        "rewritten",
    )


def _walk_in_child(stretch: tuple[int, int, Mapping[int, str]]) -> _Walk:
    start_after, until, witnessed = stretch
    return _walk(start_after=start_after, until=until, expected_prev=None, witnessed=witnessed)


def verify_chain(
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10000,
    expect: Head | None = None,
    witnessed: Iterable[Head] = (),
    archives: Path | None = None,
    workers: int = 1,
    parallel_from: int = 100_000,
) -> ChainReport:
    """Walk every entry in the table in order and report every one that does not fit.

    The walk starts at the lowest entry present, whatever any checkpoint says:
    a checkpoint the application's role forged cannot make the walk skip
    entries. Entries no longer in the table must have been archived: with
    `archives` (a directory of archive_audit's files) they are checked there,
    every file and every entry, and must link up to the first entry in the
    table; without it, a checkpoint must at least say where they went.

    Every head written down earlier (`expect`, and the `witnessed` heads a
    witness sink kept) must still be in the chain with the same hash, or in
    an archive file that verifies; one past the end means entries were cut off.

    After a break the walk goes on from the next entry's own link, so each
    alteration, removal or insertion is reported once. With several `workers`
    on PostgreSQL, contiguous stretches are checked in parallel processes and
    stitched together where they meet.
    """
    heads = {head.seq: head.hash for head in witnessed}
    if expect is not None:
        heads[expect.seq] = expect.hash
    found = _Breaks()
    _checkpoint_problems(found)
    start, archived = _where_the_table_starts(archives, heads, found)
    head = chain_head()
    in_table = {seq: hash_ for seq, hash_ in heads.items() if seq > start.after_seq}
    entries = head.seq - start.after_seq
    if workers > 1 and connections["default"].vendor == "postgresql" and entries >= parallel_from:
        walk = _walk_parallel(start, head.seq, in_table, workers)
    else:
        walk = _walk(
            start_after=start.after_seq,
            until=None,
            expected_prev=start.prev_hash or None,
            witnessed=in_table,
            progress=progress,
            progress_every=progress_every,
        )
    found.add_walk(walk)
    head_seq = walk.last_seq if walk.last_seq is not None else start.after_seq
    head_hash = walk.last_hash or start.prev_hash
    for seq in sorted(heads):
        if seq > head_seq:
            found.add(
                ChainBreak(
                    seq,
                    f"the chain ends at entry #{head_seq} but entry #{seq} was written "
                    "down earlier: entries were cut off the end",
                    "cut_off",
                )
            )
    return ChainReport(
        walk.checked,
        head_seq,
        head_hash,
        found.listed[0] if found.listed else None,
        start,
        tuple(found.listed),
        found.count,
        archived=archived,
        witnessed=len(heads),
    )


def _first_in_table() -> tuple[int, str] | None:
    """Return the number and link of the lowest entry in the table, if there is one."""
    row = entry_model().objects.order_by("seq").values_list("seq", "prev_hash").first()
    return (row[0], row[1]) if row else None


def _checkpoint_problems(found: "_Breaks") -> None:
    """Add a break for each checkpoint entry that could not have been written by archive_audit."""
    for seq, details in checkpoints():
        try:
            through = int(details["archived_through"])
            well_formed = len(str(details["last_hash"])) == 64
        except (KeyError, TypeError, ValueError):
            through, well_formed = 0, False
        if not well_formed:
            found.add(ChainBreak(seq, "the checkpoint entry is malformed", "checkpoint"))
        elif through >= seq:
            found.add(ChainBreak(seq, "the checkpoint claims to archive itself", "checkpoint"))


def _where_the_table_starts(
    archives: Path | None, heads: Mapping[int, str], found: "_Breaks"
) -> tuple[ChainStart, "ArchivesReport | None"]:
    """Return where the walk of the table starts, adding what is wrong with what came before.

    Also checks the archive files (with `archives`) and the written-down
    heads among the entries that are no longer in the table.
    """
    first = _first_in_table()
    if first is None or first[0] == 1:
        return FROM_GENESIS, None
    first_seq, first_link = first
    missing = first_seq - 1
    # The last entry gone is proved by the first one left: its link is hashed with it.
    if heads.get(missing, first_link) != first_link:
        found.add(_rewritten(missing))
    claimed = next(
        (
            (seq, details)
            for seq, details in checkpoints()
            if details.get("archived_through") == missing
        ),
        None,
    )
    checkpoint_seq = claimed[0] if claimed else None
    claimed_hash = str(claimed[1].get("last_hash", "")) if claimed else ""
    if archives is not None:
        report = verify_archives(archives, through=missing, witnessed=heads)
        for problem in report.breaks:
            found.add(problem)
        return ChainStart(missing, report.last_hash or claimed_hash, checkpoint_seq), report
    if claimed is None:
        found.add(
            ChainBreak(
                first_seq,
                f"entries #1 to #{missing} are not in the table and no checkpoint says they "
                "were archived: removed",
                "removed",
            )
        )
    for seq in sorted(heads):
        if seq < missing:
            found.add(
                ChainBreak(
                    seq,
                    f"entry #{seq} was written down earlier and has been archived: check it "
                    "against the archive files (verify_audit --archives DIRECTORY)",
                    "archived",
                )
            )
    return ChainStart(missing, claimed_hash, checkpoint_seq), None


def _walk_parallel(
    start: ChainStart, head_seq: int, witnessed: Mapping[int, str], workers: int
) -> _Walk:
    """Walk `workers` stretches of the chain in child processes and stitch them in order."""
    import multiprocessing

    step = (head_seq - start.after_seq) // workers
    bounds = [start.after_seq + step * index for index in range(workers)] + [head_seq]
    stretches = [(bounds[index], bounds[index + 1], witnessed) for index in range(workers)]
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
        elif previous_hash and walk.first_prev != previous_hash:
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
    first_prev: str | None = None  # the first entry's link, to the file before it
    witnessed_found: frozenset[int] = frozenset()  # written-down heads the file holds, as written

    @property
    def intact(self) -> bool:
        return self.first_break is None


def archive_line(entry: Any) -> str:
    """Return one entry, a row from entries_in_order(canonical=True), as a line of an archive file.

    A format-1 entry is kept as its hashed fields and its hash; a format-2
    entry as the very text PostgreSQL hashed, with its hash, so either can be
    checked later without the database.
    """
    canonical = getattr(entry, "canonical", None)
    if canonical is not None:
        line = {
            "hash_format": database_hash.FORMAT,
            "seq": entry.seq,
            "prev_hash": entry.prev_hash,
            "canonical": canonical,
            "entry_hash": entry.entry_hash,
        }
    elif getattr(entry, "hash_format", database_hash.PYTHON_FORMAT) == database_hash.FORMAT:
        raise ValueError("an entry PostgreSQL hashed is archived with the text it hashed")
    else:
        payload = getattr(entry, "payload", None) or hashed_payload(entry)
        line = {**payload, "entry_hash": entry.entry_hash}
    return json.dumps(line, sort_keys=True, ensure_ascii=False, default=str)


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
    if payload.get("hash_format") == database_hash.FORMAT:
        return _canonical_matches(payload)
    return payload_hash(payload) == stored or _old_address_form_matches(payload, stored)


def _canonical_matches(payload: dict[str, Any]) -> bool:
    """Check a format-2 archived entry: its text hashes to its hash and names its place."""
    canonical = payload.get("canonical")
    if not isinstance(canonical, str):
        return False
    if hashlib.sha256(canonical.encode()).hexdigest() != payload["entry_hash"]:
        return False
    try:
        elements = json.loads(canonical)
    except ValueError:
        return False
    # The number and link outside the text are what the walk follows: they
    # must be the ones that were hashed.
    return isinstance(elements, list) and elements[:3] == [
        database_hash.FORMAT,
        payload["seq"],
        payload["prev_hash"],
    ]


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


def verify_archive(
    path: Path, *, expect: Head | None = None, witnessed: Mapping[int, str] | None = None
) -> ArchiveReport:
    """Check an archive file: its entries link and hash, and its checkpoint agrees with it.

    `expect` and `witnessed` are heads written down earlier: an entry of the
    file with one of their numbers must have that hash. Stops at the file's
    first break (a file is a copy: one break condemns it).
    """
    heads = dict(witnessed or {})
    if expect is not None:
        heads[expect.seq] = expect.hash
    found_heads: set[int] = set()
    first_prev: str | None = None
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
                    first_prev = expected_prev
                if seq != expected_seq:
                    kind = "removed" if seq > expected_seq else "reordered"
                    problem = ChainBreak(
                        expected_seq, f"entry #{expected_seq} is missing or out of place", kind
                    )
                elif payload["prev_hash"] != expected_prev:
                    problem = ChainBreak(seq, "it does not link to the entry before it", "unlinked")
                elif not _archived_entry_matches(payload):
                    problem = ChainBreak(seq, ALTERED, "altered")
                elif seq in heads:
                    if payload["entry_hash"] != heads[seq]:
                        problem = ChainBreak(
                            seq, f"entry #{seq}'s hash is not the one written down", "rewritten"
                        )
                    found_heads.add(seq)
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
    return ArchiveReport(
        checked,
        first_seq,
        last_seq,
        last_hash,
        sha256,
        checkpoint_seq,
        problem,
        first_prev,
        frozenset(found_heads),
    )


# The files archive_audit writes, named by the entries they hold (audit.services).
ARCHIVE_FILES = "audit-*.jsonl"


@dataclass(frozen=True)
class ArchivesReport:
    """What checking a directory of archive files found, from entry 1 up to `through`."""

    files: int
    checked: int
    last_seq: int
    last_hash: str | None  # the hash of entry #last_seq, which the table's first entry links to
    breaks: tuple[ChainBreak, ...]


def verify_archives(
    directory: Path, *, through: int, witnessed: Mapping[int, str] | None = None
) -> ArchivesReport:
    """Check that the archive files in `directory` hold entries 1 to `through`, linked and intact.

    Each file must verify (verify_archive) and link to the file before it,
    the first to the genesis hash; a gap or an overlap between files is a
    break. Every written-down head up to `through` must be in a file with the
    hash written down. A directory that cannot be read is one break.
    """
    heads = {seq: hash_ for seq, hash_ in (witnessed or {}).items() if seq <= through}
    problems: list[ChainBreak] = []
    try:
        paths = sorted(directory.glob(ARCHIVE_FILES))
        reports = [verify_archive(path, witnessed=heads) for path in paths]
    except OSError as error:
        reason = error.strerror or type(error).__name__
        unreadable = ChainBreak(1, f"the archive directory cannot be read ({reason})", "archived")
        return ArchivesReport(0, 0, 0, None, (unreadable,))
    expected_seq, expected_prev, checked = 1, GENESIS_HASH, 0
    found_heads: set[int] = set()
    for path, report in sorted(
        zip(paths, reports, strict=True), key=lambda pair: pair[1].first_seq or 0
    ):
        if report.first_break is not None:
            problems.append(
                ChainBreak(
                    report.first_break.seq,
                    f"in {path.name}: {report.first_break.problem}",
                    report.first_break.kind,
                )
            )
        if report.first_seq is None or report.last_seq is None or report.last_hash is None:
            continue  # empty, or broken at its first entry: it holds nothing to go on from
        if report.first_seq > expected_seq:
            problems.append(_not_archived(expected_seq, report.first_seq - 1))
        elif report.first_seq < expected_seq:
            problems.append(
                ChainBreak(
                    report.first_seq,
                    f"{path.name} holds entries another archive file holds too",
                    "archived",
                )
            )
            continue
        elif report.first_prev != expected_prev:
            problems.append(
                ChainBreak(
                    report.first_seq,
                    f"the first entry of {path.name} does not link to the entry before it",
                    "unlinked",
                )
            )
        checked += report.checked
        found_heads |= report.witnessed_found
        expected_seq, expected_prev = report.last_seq + 1, report.last_hash
    if expected_seq <= through:
        problems.append(_not_archived(expected_seq, through))
    for seq in sorted(set(heads) - found_heads):
        if seq >= expected_seq or not any(problem.seq == seq for problem in problems):
            problems.append(
                ChainBreak(
                    seq,
                    f"entry #{seq} was written down earlier and no archive file holds it",
                    "archived",
                )
            )
    last_hash = expected_prev if expected_seq - 1 == through else None
    return ArchivesReport(len(reports), checked, expected_seq - 1, last_hash, tuple(problems))


def _not_archived(first: int, last: int) -> ChainBreak:
    entries = f"entry #{first} is" if first == last else f"entries #{first} to #{last} are"
    return ChainBreak(
        first, f"{entries} in neither the table nor any archive file: removed", "removed"
    )
