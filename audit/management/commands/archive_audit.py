import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import ArchiveError, audit_entries_archive

BAD_DATE = "--before takes a date as YYYY-MM-DD."
CANNOT_WRITE = "Could not write the archive: {reason}."
MAX_BATCH_SIZE = 100_000
BAD_BATCH = f"--batch-size must be a whole number of at least 1 and at most {MAX_BATCH_SIZE}."


class Command(BaseCommand):
    help = (
        "Move the audit entries made before a date (the library's time zone) into a JSON-lines "
        "file in a directory, append a checkpoint entry carrying the hash of the last archived "
        "entry and the file's SHA-256, then remove the archived entries: the only removal the "
        "append-only trail allows. The remaining chain still verifies. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--to", required=True, metavar="DIRECTORY", type=Path)
        parser.add_argument("--batch-size", default="5000", metavar="N")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            before = datetime.date.fromisoformat(options["before"])
        except ValueError:
            raise CommandError(BAD_DATE) from None
        try:
            batch_size = int(options["batch_size"])
        except ValueError:
            batch_size = 0
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise CommandError(BAD_BATCH)

        def progress(text: str) -> None:
            if options["verbosity"] > 0:
                self.stdout.write(f"  {text}")

        try:
            result = audit_entries_archive(
                before=before, directory=options["to"], batch_size=batch_size, progress=progress
            )
        except ArchiveError as error:
            raise CommandError(str(error)) from None
        except OSError as error:  # the directory exists but cannot be written, or the disk is full
            raise CommandError(CANNOT_WRITE.format(reason=error.strerror)) from None
        if not result.archived:
            finished = (
                f" (removed {result.removed} entries an earlier run had archived)"
                if result.removed
                else ""
            )
            self.stdout.write(f"Nothing to archive before {before.isoformat()}{finished}.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Archived {result.archived} entries (#{result.first_seq} to #{result.last_seq}) "
                f"to {result.path}; checkpoint #{result.checkpoint_seq} carries hash "
                f"{result.last_hash}; removed {result.removed} entries."
            )
        )
