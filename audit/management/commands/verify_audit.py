import os
import re
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import chain, verify
from audit.services import audit_verification_create

BAD_HEAD = "--expect-head takes SEQ:HASH as verify_audit --head prints it."
BREAK_LINE = "Entry #{seq}: {problem}."
UNLISTED = "... and {count} more breaks, counted but not listed."
BROKEN = "Audit trail broken at entry #{seq}: {problem}."
BREAKS_IN_ALL = "{count} breaks in all, listed above."
NO_ARCHIVE = "No archive file at {path}."
_HEAD = re.compile(r"^(\d+):([0-9a-f]{64})$")


def parse_head(text: str) -> chain.Head:
    """Read a head written down as SEQ:HASH; CommandError if it is not one."""
    match = _HEAD.match(text.strip().lower())
    if not match:
        raise CommandError(BAD_HEAD)
    return chain.Head(int(match[1]), match[2])


class Command(BaseCommand):
    help = (
        "Walk the audit trail's hash chain from its start (or from the newest archive "
        "checkpoint) to its head and report every altered, removed, inserted or reordered "
        "entry, one line each, exiting 1 if there is one (CONF-1). Each walk is recorded for "
        "the auditors' front page. --head prints the head as SEQ:HASH to write down somewhere "
        "else; --expect-head SEQ:HASH later also catches entries cut off the end or a "
        "rewritten chain. --archive FILE checks a file written by archive_audit instead."
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
            "--archive", metavar="FILE", type=Path, help="Check an archive file instead."
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

        def progress(checked: int) -> None:
            if options["verbosity"] > 0:
                self.stdout.write(f"  checked {checked} entries")

        began = time.monotonic()
        report = verify.verify_chain(progress=progress, expect=expected, workers=options["workers"])
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
        start = report.start
        origin = (
            f"after checkpoint #{start.checkpoint_seq} (entries up to #{start.after_seq} archived)"
            if start.checkpoint_seq
            else "from the first entry"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail intact: {report.checked} entries checked {origin}; "
                f"head {report.head_seq}:{report.head_hash}."
            )
        )

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
