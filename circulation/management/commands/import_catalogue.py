import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from circulation.catalogue_io import (
    BadRecord,
    CatalogueFileError,
    Format,
    catalogue_import,
    format_of,
    read_records,
)


class Command(BaseCommand):
    help = (
        "Import catalogue records with their copies from a MARC 21 (.mrc), MARCXML (.xml) or "
        "CSV (.csv) file (docs/catalogue.md). Each record is stored with its copies in a "
        "transaction of its own; a bad one is reported to stderr by line or record number "
        "and skipped, the rest are imported. A record matches the catalogue's by ISBN (else "
        "by title and authors), and copies whose barcode is already held are skipped, so "
        "running the same file again imports nothing new. Ends with one summary line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The file to import.")
        parser.add_argument(
            "--format",
            choices=[choice.value for choice in Format],
            help="The file's format; by default from its extension (.mrc, .marc, .xml, .csv).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check and count everything, report bad records, and store nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: str = options["path"]
        try:
            fmt = format_of(path, options["format"])
            records = read_records(path, fmt)
            # tqdm redraws with carriage returns, so it writes to the raw stream,
            # and only to a terminal: a log file gets the summary line alone.
            stream = getattr(self.stderr, "_out", sys.stderr)
            quiet = options["verbosity"] == 0 or not getattr(stream, "isatty", lambda: False)()
            with tqdm(desc="records", unit=" rec", file=stream, disable=quiet) as bar:

                def report_bad(bad: BadRecord) -> None:
                    bar.clear()
                    self.stderr.write(str(bad))

                report = catalogue_import(
                    records=records,
                    dry_run=options["dry_run"],
                    on_bad=report_bad,
                    progress=lambda: bar.update(),
                )
        except CatalogueFileError as error:
            raise CommandError(str(error)) from None
        suffix = " (dry run: nothing stored)" if options["dry_run"] else ""
        self.stdout.write(f"{report}{suffix}")
