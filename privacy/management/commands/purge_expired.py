import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from library.jobs import scheduled_job
from privacy import retention


class Command(BaseCommand):
    help = (
        "Delete every record past its retention period (settings.LIBRARY_RETENTION_DAYS: "
        "computer sessions, reference consultations, event sign-ups after the event, found "
        "items, settled fines, uncollected holds, and whatever other apps register), in "
        "batches, keeping anything of a patron under a legal hold. Each batch leaves one "
        "audit entry with the kind and the count, never whose. Safe to run again: a second "
        "run finds nothing more. Circulation's kind 'returned loans forgotten' forgets the "
        "patron of any returned loan that no unpaid fine needs (CONF-9), the safety net "
        "behind check-in. Patrons' kind 'inactive patron accounts' tells an account unused for "
        "RETENTION_INACTIVE_ACCOUNTS_DAYS that it will be deleted, and deletes it (its login "
        "disabled and scrubbed) once RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS pass with still no "
        "use, never while a loan, an unpaid fine or a legal hold needs it (CONF-3)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=retention.DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--kind", action="append", default=[], help="Only this kind (repeatable)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if not 1 <= batch_size <= retention.MAX_BATCH_SIZE:
            raise CommandError(
                f"--batch-size must be at least 1 and at most {retention.MAX_BATCH_SIZE}."
            )
        purgers = retention.purgers()
        known = {purger.kind for purger in purgers}
        unknown = [kind for kind in options["kind"] if kind not in known]
        if unknown:
            raise CommandError(
                f"Unknown kind {unknown[0]!r}; known kinds: {', '.join(sorted(known))}."
            )
        if options["kind"]:
            purgers = [purger for purger in purgers if purger.kind in options["kind"]]
        # A run of some kinds only is not the nightly run: it is not recorded.
        with scheduled_job("purge_expired", record=not options["kind"]) as run:
            run.summary = self._purge(purgers, batch_size, quiet=options["verbosity"] == 0)
        self.stdout.write(run.summary)

    def _purge(self, purgers: list[retention.Purger], batch_size: int, *, quiet: bool) -> str:
        now = timezone.now()
        done: dict[str, int] = {}
        for purger in purgers:
            due = retention.expired_unheld(purger, now).count()
            # tqdm redraws with carriage returns, so it writes to the raw stream.
            stream = getattr(self.stderr, "_out", sys.stderr)
            with tqdm(
                total=due, desc=purger.kind, unit="rec", file=stream, disable=quiet or not due
            ) as bar:
                done[purger.kind] = retention.purge(
                    purger, now=now, batch_size=batch_size, progress=bar.update
                )
        total = sum(done.values())
        detail = ", ".join(f"{count} {kind}" for kind, count in done.items() if count)
        return f"Purged {total} expired records ({detail or 'nothing was due'})."
