import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from circulation.catalogue_io import (
    FILE_EXISTS,
    FILE_UNWRITABLE,
    CatalogueFileError,
    Format,
    catalogue_export,
    format_of,
)
from circulation.models import BibliographicRecord


class Command(BaseCommand):
    help = (
        "Export every catalogue record with its copies to a MARC 21 (.mrc), MARCXML (.xml) or "
        "CSV (.csv) file (docs/catalogue.md), streaming in chunks. The export holds no patron "
        "data and no circulation status; withdrawn copies are left out. Ends with one "
        "summary line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The file to write.")
        parser.add_argument(
            "--format",
            choices=[choice.value for choice in Format],
            help="The file's format; by default from its extension (.mrc, .marc, .xml, .csv).",
        )
        parser.add_argument(
            "--overwrite", action="store_true", help="Replace the file if it exists already."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: str = options["path"]
        try:
            fmt = format_of(path, options["format"])
        except CatalogueFileError as error:
            raise CommandError(str(error)) from None
        try:
            target = open(path, "wb" if options["overwrite"] else "xb")  # noqa: SIM115
        except FileExistsError:
            raise CommandError(FILE_EXISTS.format(path=path)) from None
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise CommandError(FILE_UNWRITABLE.format(path=path, reason=reason)) from None
        stream = getattr(self.stderr, "_out", sys.stderr)
        quiet = options["verbosity"] == 0 or not getattr(stream, "isatty", lambda: False)()
        with (
            target,
            tqdm(
                total=BibliographicRecord.objects.count(),
                desc="records",
                unit=" rec",
                file=stream,
                disable=quiet,
            ) as bar,
        ):
            report = catalogue_export(stream=target, fmt=fmt, progress=lambda: bar.update())
        self.stdout.write(f"{report} to {path}")
