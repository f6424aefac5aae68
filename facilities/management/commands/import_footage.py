import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from facilities.footage_import import (
    MANIFEST_NAME,
    BadEntry,
    FootageFolderError,
    branch_by_code,
    footage_import,
    open_folder,
)


class Command(BaseCommand):
    help = (
        f"Import recordings from a recorder's export folder, listed in its {MANIFEST_NAME} "
        "(columns camera, start, end, file, sha256 and optionally location; "
        "docs/operations.md, Importing footage). Each file must be in the folder and match "
        "its SHA-256; footage from a camera that is not registered, or that the recorder "
        "places in a private space, is refused (CAM-2), and so is footage past its retention "
        "(CAM-1). A recording already held (same camera and start, or same SHA-256) is "
        "skipped, so running the same folder again imports nothing new. Each recording is "
        "copied into the footage storage and registered in a transaction of its own; a bad "
        "entry is reported to stderr with its line. Ends with one summary line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "folder", help=f"The recorder's export folder, holding {MANIFEST_NAME} and the files."
        )
        parser.add_argument(
            "--branch",
            metavar="CODE",
            help=(
                "The code of the branch whose recorder made the export; camera names are "
                "looked up there. Needed only when another branch has a camera of the same name."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every entry and hash every file, report bad entries, and store nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            root, entries = open_folder(options["folder"])
            branch = branch_by_code(options["branch"]) if options["branch"] is not None else None
        except FootageFolderError as error:
            raise CommandError(str(error)) from None
        # tqdm redraws with carriage returns, so it writes to the raw stream,
        # and only to a terminal: a log file gets the bad entries and the summary alone.
        stream = getattr(self.stderr, "_out", sys.stderr)
        quiet = options["verbosity"] == 0 or not getattr(stream, "isatty", lambda: False)()
        with tqdm(
            total=len(entries), desc="recordings", unit=" rec", file=stream, disable=quiet
        ) as bar:

            def report_bad(bad: BadEntry) -> None:
                bar.clear()
                self.stderr.write(str(bad))

            report = footage_import(
                root=root,
                entries=entries,
                branch=branch,
                dry_run=options["dry_run"],
                on_bad=report_bad,
                progress=lambda: bar.update(),
            )
        suffix = " (dry run: nothing stored)" if options["dry_run"] else ""
        self.stdout.write(f"{report}{suffix}")
