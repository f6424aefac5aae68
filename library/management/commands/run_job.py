import argparse
from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from library.jobs import scheduled_job


class Command(BaseCommand):
    help = (
        "Run another management command as a scheduled job, recording its last run (ok or "
        "failed, when) for /readyz and the operator, as the project's own scheduled commands "
        "record theirs: `run_job clearsessions`. Arguments after the command's name go to it. "
        "The record's summary names the command only, never its output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", help="The management command to run, such as clearsessions.")
        parser.add_argument("job_args", nargs=argparse.REMAINDER, help="Its arguments.")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["job"]
        if name not in get_commands():
            raise CommandError(f"Unknown command {name!r}.")
        with scheduled_job(name) as run:
            call_command(name, *options["job_args"], stdout=self.stdout, stderr=self.stderr)
            run.summary = f"{name} finished"
