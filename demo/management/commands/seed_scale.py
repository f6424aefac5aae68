import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from demo.scale import seed_scale


class Command(BaseCommand):
    help = (
        "Append a library-system-sized data set with PostgreSQL COPY: patrons (a fifth minors with "
        "a responsible adult, a tenth of adults keeping reading history), items, loans (most "
        "returned and anonymised), holds, fines, reading history and a hash-chained audit trail. "
        "Each run appends a new set; use a fresh database for benchmarks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patrons", type=int, default=10_000)
        parser.add_argument("--loans", type=int, default=100_000)
        parser.add_argument(
            "--audit-entries",
            type=int,
            default=None,
            help="gate reads to add (default: a tenth of --loans)",
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        patrons, loans = options["patrons"], options["loans"]
        entries = options["audit_entries"] if options["audit_entries"] is not None else loans // 10
        if min(patrons, loans, entries) < 0 or patrons < 10:
            raise CommandError("--patrons must be at least 10, and no count may be negative.")
        bars: dict[str, tqdm] = {}

        def progress(table: str, rows: int) -> None:
            if table not in bars:
                bars[table] = tqdm(desc=table, unit=" rows", unit_scale=True, file=self.stderr._out)
            bars[table].update(rows)

        started = time.monotonic()
        try:
            written = seed_scale(
                patrons=patrons,
                loans=loans,
                audit_entries=entries,
                seed=options["seed"],
                progress=progress,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        finally:
            for bar in bars.values():
                bar.close()
        summary = ", ".join(f"{count:,} {name}" for name, count in written.items())
        self.stdout.write(f"Loaded {summary} in {time.monotonic() - started:.0f} s.")
