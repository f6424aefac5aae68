import os
import re
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import chain, verify, witness
from audit.services import audit_verification_create
from library.jobs import scheduled_job

BAD_HEAD = "--expect-head takes SEQ:HASH as verify_audit --head prints it."
BREAK_LINE = "Entry #{seq}: {problem}."
UNLISTED = "... and {count} more breaks, counted but not listed."
BROKEN = "Audit trail broken at entry #{seq}: {problem}."
BREAKS_IN_ALL = "{count} breaks in all, listed above."
NO_ARCHIVE = "No archive file at {path}."
NO_ARCHIVES = "No archive directory at {path}."
NO_WITNESS_FILE = "No witness file at {path}."
BAD_WITNESS_FILE = "{path}: {problem}."
_HEAD = re.compile(r"^(\d+):([0-9a-f]{64})$")


def parse_head(text: str) -> chain.Head:
    """Read a head written down as SEQ:HASH; CommandError if it is not one."""
    match = _HEAD.match(text.strip().lower())
    if not match:
        raise CommandError(BAD_HEAD)
    return chain.Head(int(match[1]), match[2])


class Command(BaseCommand):
    help = (
        "Walk every entry of the audit trail's hash chain in the table, and the archive files "
        "for those no longer in it, and report every altered, removed, inserted or reordered "
        "entry, one line each, exiting 1 if there is one (CONF-1). Every head written down "
        "earlier (the witness file of AUDIT_WITNESS_SINKS, --witnessed FILE, --expect-head "
        "SEQ:HASH) must still be in the chain or an archive with the same hash. Each walk is "
        "recorded for the auditors' front page. --head prints the head as SEQ:HASH; --archive "
        "FILE checks one file written by archive_audit instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes checking parts of the chain at once (PostgreSQL; default: all cores)",
        )
        parser.add_argument(
            "--head", action="store_true", help="Print the head as SEQ:HASH and walk nothing."
        )
        parser.add_argument(
            "--expect-head",
            metavar="SEQ:HASH",
            help="A head written down earlier: the chain must still hold that entry unchanged.",
        )
        parser.add_argument(
            "--witnessed",
            metavar="FILE",
            type=Path,
            action="append",
            default=[],
            help="A file of heads witness_audit_head wrote (repeatable); the witness file "
            "of AUDIT_WITNESS_SINKS is always read.",
        )
        parser.add_argument(
            "--archives",
            metavar="DIRECTORY",
            type=Path,
            help="Where archive_audit wrote its files (default: AUDIT_ARCHIVE_DIR); the "
            "entries no longer in the table are checked there.",
        )
        parser.add_argument(
            "--archive", metavar="FILE", type=Path, help="Check one archive file instead."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        expected = (
            parse_head(options["expect_head"]) if options["expect_head"] is not None else None
        )
        if options["head"]:
            self.stdout.write(str(chain.chain_head()))
            return
        if options["archive"] is not None:
            self._check_archive(options["archive"], expected)
            return

        # A walk of the whole chain is the nightly job; --head and --archive are not.
        with scheduled_job("verify_audit") as run:
            run.summary = self._walk(options, expected)
        self.stdout.write(self.style.SUCCESS(run.summary))

    def _walk(self, options: dict[str, Any], expected: chain.Head | None) -> str:
        def progress(checked: int) -> None:
            if options["verbosity"] > 0:
                self.stdout.write(f"  checked {checked} entries")

        archives = options["archives"] or (
            Path(settings.AUDIT_ARCHIVE_DIR) if settings.AUDIT_ARCHIVE_DIR else None
        )
        if archives is not None and not archives.is_dir():
            raise CommandError(NO_ARCHIVES.format(path=archives))
        witnessed = self._witnessed(options["witnessed"])
        began = time.monotonic()
        report = verify.verify_chain(
            progress=progress,
            expect=expected,
            witnessed=witnessed,
            archives=archives,
            workers=options["workers"],
        )
        audit_verification_create(
            report=report, seconds=time.monotonic() - began, expected_head=expected
        )
        if report.first_break is not None:
            # One line a break, then the summary, which keeps the first line it
            # always had, so whatever reads it still finds the first break there.
            for broken in report.breaks:
                self.stderr.write(BREAK_LINE.format(seq=broken.seq, problem=broken.problem))
            if unlisted := report.break_count - len(report.breaks):
                self.stderr.write(UNLISTED.format(count=unlisted))
            first = report.first_break
            summary = BROKEN.format(seq=first.seq, problem=first.problem)
            if report.break_count > 1:
                summary += " " + BREAKS_IN_ALL.format(count=report.break_count)
            raise CommandError(summary)
        return intact_line(report)

    def _witnessed(self, files: list[Path]) -> list[chain.Head]:
        """Read every witnessed head: the configured witness file's, then each one given."""
        configured = witness.witness_file()
        paths = [*([configured] if configured and configured.exists() else []), *files]
        heads = []
        for path in paths:
            if not path.is_file():
                raise CommandError(NO_WITNESS_FILE.format(path=path))
            try:
                heads += [chain.Head(seen.seq, seen.hash) for seen in witness.read_witnessed(path)]
            except (ValueError, OSError) as error:
                raise CommandError(BAD_WITNESS_FILE.format(path=path, problem=error)) from None
        return heads

    def _check_archive(self, path: Path, expected: chain.Head | None) -> None:
        if not path.is_file():
            raise CommandError(NO_ARCHIVE.format(path=path))
        report = verify.verify_archive(path, expect=expected)
        if report.first_break is not None:
            broken = report.first_break
            raise CommandError(f"Archive broken at entry #{broken.seq}: {broken.problem}.")
        checkpoint = (
            f"it matches checkpoint #{report.checkpoint_seq}"
            if report.checkpoint_seq
            else "no checkpoint left in the table names it (a later archive may hold it)"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Archive intact: {report.checked} entries, #{report.first_seq} to "
                f"#{report.last_seq}, last hash {report.last_hash}; {checkpoint}."
            )
        )


def intact_line(report: verify.ChainReport) -> str:
    """Return the line an intact walk prints: what was checked, and the head to write down."""
    start = report.start
    if start.after_seq == 0:
        origin = "from the first entry"
    elif report.archived is not None:
        origin = (
            f"from entry #{start.after_seq + 1}, and entries #1 to #{start.after_seq} in "
            f"{report.archived.files} archive files"
        )
    else:
        origin = (
            f"from entry #{start.after_seq + 1} (entries up to #{start.after_seq} archived, "
            f"as checkpoint #{start.checkpoint_seq} says; archive files not checked)"
        )
    witnessed = f"; {report.witnessed} written-down heads still hold" if report.witnessed else ""
    return (
        f"Audit trail intact: {report.checked} entries checked {origin}{witnessed}; "
        f"head {report.head_seq}:{report.head_hash}."
    )
