"""Writes that keep the audit trail: recording verification runs, archiving old entries.

Archiving is the only way an entry leaves the table (CONF-1): the entries are
written to a JSON-lines file first, then a checkpoint entry is appended that
carries the hash of the last archived entry and the file's checksum, and only
then are the archived entries removed, which the PostgreSQL trigger allows for
entries that checkpoint covers and for nothing else.
"""

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit import chain, entries, verify
from audit.models import MAX_STORED_BREAKS, AuditEntry, AuditVerification

ARCHIVE_DATE_IN_FUTURE = "The archive date must be today or earlier."
ARCHIVE_NO_DIRECTORY = "The archive directory does not exist."
ARCHIVE_CHAIN_BROKEN = (
    "The chain is broken at entry #{seq} ({problem}); nothing was archived. Run verify_audit."
)
ARCHIVE_FILE_NAME = "audit-{first:012d}-{last:012d}.jsonl"
ARCHIVE_UNREADABLE = (
    "The archive file does not read back as written ({problem}); nothing was removed."
)
ARCHIVE_NOT_PROVED = (
    "Checkpoint #{checkpoint} says entries #{first} to #{last} were archived to {file}, but "
    "that file is not in the archive directory or does not hold them; nothing was removed."
)

Progress = Callable[[str], None]


class ArchiveError(Exception):
    pass


@dataclass(frozen=True)
class ArchiveResult:
    archived: int  # entries written to the file in this run
    removed: int  # entries removed from the table in this run
    first_seq: int | None = None
    last_seq: int | None = None
    last_hash: str = ""
    path: Path | None = None
    checkpoint_seq: int | None = None


def audit_verification_create(
    *, report: verify.ChainReport, seconds: float, expected_head: chain.Head | None = None
) -> AuditVerification:
    """Record one run of the chain verifier, for the auditors' front page."""
    broken = report.first_break
    verification = AuditVerification(
        checked=report.checked,
        start_seq=report.start.after_seq + 1,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        intact=report.intact,
        break_seq=broken.seq if broken else None,
        problem=broken.problem if broken else "",
        break_count=report.break_count,
        breaks=[
            {"seq": each.seq, "kind": each.kind, "problem": each.problem}
            for each in report.breaks[:MAX_STORED_BREAKS]
        ],
        expected_head_seq=expected_head.seq if expected_head else None,
        seconds=round(seconds, 3),
    )
    verification.full_clean()
    verification.save()
    return verification


def archiver_connection() -> str:
    """Return the connection archiving writes through: the archiver's role where it is set up.

    Only the archiver's role may DELETE from the trail (audit_db_roles); the web
    application's role may not, so a checkpoint it forged removes nothing.
    """
    return "archiver" if "archiver" in settings.DATABASES else "default"


def _remove_archived(through: int, *, batch_size: int, progress: Progress | None) -> int:
    """Remove entries up to `through` in short transactions, so appends are never held up."""
    using = archiver_connection()
    lowest = (
        AuditEntry.objects.using(using)
        .filter(seq__lte=through)
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    removed = 0
    if lowest is None:
        return removed
    for low in range(lowest, through + 1, batch_size):
        high = min(low + batch_size - 1, through)
        with transaction.atomic(using=using):
            removed += (
                AuditEntry.objects.using(using)
                .filter(seq__gte=low)
                .remove_archived(through_seq=high)
            )
        if progress:
            progress(f"removed entries up to #{high}")
    return removed


def _still_in_table(through: int) -> bool:
    return through > 0 and AuditEntry.objects.filter(seq__lte=through).exists()


def _check_the_archive_holds(start: chain.ChainStart, directory: Path) -> None:
    """Raise ArchiveError unless the checkpoint's file is in `directory` and holds its entries.

    The file must verify, match the checkpoint (range, last hash, checksum),
    and end with the very entry the table holds at that number: its hash
    covers every entry before it, so the file is then a true copy. A forged
    checkpoint, which the application's role can append, removes nothing.
    """
    details = dict(chain.checkpoints()).get(start.checkpoint_seq or 0, {})
    name = str(details.get("file", ""))
    refused = ArchiveError(
        ARCHIVE_NOT_PROVED.format(
            checkpoint=start.checkpoint_seq,
            first=details.get("archived_from"),
            last=start.after_seq,
            file=name or "no file",
        )
    )
    path = directory / name
    if not name or path.name != name or not path.is_file():
        raise refused
    report = verify.verify_archive(path)
    last = AuditEntry.objects.filter(seq=start.after_seq).values_list("entry_hash", flat=True)
    if not (
        report.intact
        and report.checkpoint_seq == start.checkpoint_seq
        and report.last_seq == start.after_seq
        and report.last_hash == last.first()
    ):
        raise refused


def _write_archive(
    path: Path,
    *,
    start: chain.ChainStart,
    last_seq: int,
    batch_size: int,
    progress: Progress | None,
) -> tuple[int, str]:
    """Write entries after `start` up to `last_seq` to `path`, checking the chain on the way."""
    partial = path.with_name(path.name + ".partial")
    expected_seq, expected_prev, written = start.after_seq + 1, start.prev_hash, 0
    # Rows as the verifier reads them: an entry PostgreSQL hashed is checked
    # there and comes with the text it hashed, which the file keeps.
    entries = verify.entries_in_order(start.after_seq, last_seq, batch_size, canonical=True)
    try:
        with partial.open("w", encoding="utf-8") as out:
            for entry in entries:
                broken = verify.entry_problem(entry, expected_seq, expected_prev)
                if broken:
                    raise ArchiveError(
                        ARCHIVE_CHAIN_BROKEN.format(seq=broken.seq, problem=broken.problem)
                    )
                out.write(verify.archive_line(entry) + "\n")
                written += 1
                expected_seq, expected_prev = entry.seq + 1, entry.entry_hash
                if progress and written % 10000 == 0:
                    progress(f"wrote {written} entries")
            out.flush()
            os.fsync(out.fileno())
        if expected_seq != last_seq + 1:
            raise ArchiveError(
                ARCHIVE_CHAIN_BROKEN.format(seq=expected_seq, problem="entries are missing")
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return written, expected_prev


def audit_entries_archive(
    *,
    before: datetime.date,
    directory: Path,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> ArchiveResult:
    """Archive the entries made before a date to a file, checkpoint them, then remove them.

    Safe to run again: entries a checkpoint already covers are only removed
    (finishing a run that stopped half-way), and a date with nothing left
    before it archives nothing.
    """
    if before > timezone.localdate():
        raise ArchiveError(ARCHIVE_DATE_IN_FUTURE)
    try:
        is_directory = directory.is_dir()
    except (OSError, ValueError):  # a name too long for the file system, or with a NUL in it
        is_directory = False
    if not is_directory:
        raise ArchiveError(ARCHIVE_NO_DIRECTORY)
    start = chain.chain_start()
    if start.problem:
        raise ArchiveError(
            ARCHIVE_CHAIN_BROKEN.format(seq=start.checkpoint_seq, problem=start.problem)
        )
    if _still_in_table(start.after_seq):
        # A run that stopped half-way, or a checkpoint someone else appended:
        # entries leave only once the file the checkpoint names holds them.
        _check_the_archive_holds(start, directory)
    removed = _remove_archived(start.after_seq, batch_size=batch_size, progress=progress)

    cutoff = timezone.make_aware(datetime.datetime.combine(before, datetime.time.min))
    # Timestamps follow seq, so everything before the first entry on or after
    # the cutoff is older than the cutoff.
    first_kept = (
        AuditEntry.objects.filter(seq__gt=start.after_seq, timestamp__gte=cutoff)
        .order_by("timestamp", "seq")
        .values_list("seq", flat=True)
        .first()
    )
    last_seq = first_kept - 1 if first_kept is not None else chain.chain_head().seq
    if last_seq <= start.after_seq:
        return ArchiveResult(archived=0, removed=removed)

    first_seq = start.after_seq + 1
    path = directory / ARCHIVE_FILE_NAME.format(first=first_seq, last=last_seq)
    written, last_hash = _write_archive(
        path, start=start, last_seq=last_seq, batch_size=batch_size, progress=progress
    )
    # The file is read back and checked before anything leaves the table: the
    # checkpoint and the removal rest on an archive that verifies.
    written_back = verify.verify_archive(path)
    if not written_back.intact or written_back.last_hash != last_hash:
        problem = written_back.first_break.problem if written_back.first_break else "it differs"
        raise ArchiveError(ARCHIVE_UNREADABLE.format(problem=problem))
    checkpoint = entries.record_summary(
        using=archiver_connection(),
        model=AuditEntry,
        action=AuditEntry.Action.DELETE,
        count=written,
        reason=f"archived the entries made before {before.isoformat()}",
        details=chain.checkpoint_details(
            archived_from=first_seq,
            archived_through=last_seq,
            last_hash=last_hash,
            file=path.name,
            sha256=verify.file_sha256(path),
        ),
    )
    removed += _remove_archived(last_seq, batch_size=batch_size, progress=progress)
    return ArchiveResult(
        archived=written,
        removed=removed,
        first_seq=first_seq,
        last_seq=last_seq,
        last_hash=last_hash,
        path=path,
        checkpoint_seq=checkpoint.seq,
    )
