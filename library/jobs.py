"""Record each scheduled job's last run, for /readyz and the operator (library.health).

Every scheduled command wraps its work in `scheduled_job(name)`; `manage.py
run_job COMMAND` does the same for a command that is not ours (clearsessions).
"""

import datetime
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.management.base import CommandError
from django.db import DatabaseError
from django.utils import timezone

from library.models import JobRun

SUMMARY_LENGTH = 255
_log = logging.getLogger(__name__)


@dataclass
class Run:
    """What a job tells its record: the one line it printed at the end (no patron data)."""

    summary: str = ""


def one_line(text: str) -> str:
    """Return text as one line of at most SUMMARY_LENGTH characters."""
    line = " ".join(text.split())
    return line if len(line) <= SUMMARY_LENGTH else line[: SUMMARY_LENGTH - 1] + "…"


def failure_summary(error: BaseException) -> str:
    """Return what a failed run's record says about the error.

    A CommandError's message is the command's own sentence; any other
    exception's message may quote a row (a database error quotes the key it
    tripped on), so only its type is kept.
    """
    if isinstance(error, CommandError):
        return one_line(f"CommandError: {error}")
    return one_line(f"{type(error).__name__} (message withheld: it may name a patron)")


def _record(name: str, started: datetime.datetime, outcome: str, summary: str) -> None:
    JobRun.objects.update_or_create(
        name=name,
        defaults={
            "started": started,
            "finished": timezone.now(),
            "outcome": outcome,
            "summary": one_line(summary),
        },
    )


@contextmanager
def scheduled_job(name: str, *, record: bool = True) -> Iterator[Run]:
    """Run a scheduled job's work, then record its last run as ok or failed.

    `record=False` runs it unrecorded: a partial run (one kind only, one
    archive file) does not count as the job having run. The error that failed
    a run is raised again after it is recorded.
    """
    run = Run()
    started = timezone.now()
    try:
        yield run
    except BaseException as error:
        if record:
            try:
                _record(name, started, JobRun.Outcome.FAILED, failure_summary(error))
            except DatabaseError:
                # The job's own error matters more; the stale record shows on /readyz.
                _log.warning("Could not record the failed run of %s", name)
        raise
    if record:
        _record(name, started, JobRun.Outcome.OK, run.summary or "done")
