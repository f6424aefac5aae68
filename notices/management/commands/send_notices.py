import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from library.jobs import scheduled_job
from notices import services, tasks

DATE_OUT_OF_RANGE = "--date is too near the calendar's first or last day to count notice days from."


class Command(BaseCommand):
    help = (
        "Make the day's notices and queue the emails for the worker (`celery -A config "
        "worker`); run nightly. Kinds: due soon (NOTICES_PRE_DUE_DAYS before the due day), "
        "overdue first, second and final (NOTICES_OVERDUE_*_DAYS after it), card expiring "
        "(NOTICES_CARD_EXPIRY_DAYS before it); one notice a patron a kind a day, made "
        "set-based. Patrons with no email address get a letter, printed from the staff "
        "letters page. Safe to run again the same day: it makes no second notice and sends "
        "none twice. Notices keep no text; titles appear only in emails to patrons who chose "
        "that (CONF-9)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            type=datetime.date.fromisoformat,
            default=None,
            help="The day to run for, YYYY-MM-DD (default: today in the library's time zone).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Notice ids per worker task (default: settings.NOTICES_BATCH_SIZE, 500).",
        )
        parser.add_argument(
            "--no-queue",
            action="store_true",
            help=(
                "Only make the notices; queue nothing (a run later today or tomorrow queues "
                "those still unsent)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Make the day's notice rows, then queue unsent emails (today's, yesterday's) in batches.

        Output: one summary line, "Made N notices (k kind, ...); queued M emails
        in B tasks.". CommandError for a batch size below 1, or a date so near
        the calendar's ends that a notice's due day falls outside it.
        """
        batch_size = options["batch_size"]
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        # A run for another day (--date) makes that day's notices; it is not
        # tonight's run, so it is not recorded as the job's.
        with scheduled_job("send_notices", record=options["date"] is None) as run:
            run.summary = self._send(options, batch_size)
        self.stdout.write(run.summary)

    def _send(self, options: dict[str, Any], batch_size: int | None) -> str:
        today = options["date"] or timezone.localdate()
        try:
            made = services.notices_create_due(today=today)
        except OverflowError:  # raised before any row is written; the transaction rolls back
            raise CommandError(DATE_OUT_OF_RANGE) from None
        detail = ", ".join(f"{count} {kind}" for kind, count in made.items() if count)
        queued, task_count = 0, 0
        if not options["no_queue"]:
            ids = list(services.unsent_emails(today=today).values_list("pk", flat=True))
            for batch in tasks.batches(ids, batch_size):
                tasks.notices_send_queue(notice_ids=batch)
                queued += len(batch)
                task_count += 1
                if options["verbosity"] > 1:
                    self.stderr.write(f"queued {queued} of {len(ids)}")
        return (
            f"Made {sum(made.values())} notices ({detail or 'none were due'}); "
            f"queued {queued} emails in {task_count} tasks."
        )
