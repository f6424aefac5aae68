"""Issue 17: the nightly notice run (`send_notices`) against the raw SELECTs that find the same work.

The run is `notices.services.notices_create_due` (what `send_notices --no-queue`
does: one INSERT ... SELECT per kind) followed by the queuing step of
`send_notices` (reading today's unsent emails and cutting them into batches),
with the broker publish replaced by a no-op so that no mail is sent. The floor,
timed in the same run on the same data, is the raw SQL that only finds the
due patrons: one SELECT per due-day window (the patrons with open loans due
that day, and how many each) and the card-expiry SELECT, every row fetched.
The ratio is what the ORM, the notice rows and their constraint add.

The scale data's open loans fall due from ten days before the seeding day to
three weeks after it, and cards expire from 30 days after it; the run is made
for `today` = the seeding day plus DAYS_AFTER_SEED, so that every window (due
in 3 days; overdue by 1, 8 and 15 days; card expiring in 30 days) finds loans.
"""

import datetime
import statistics
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from benchmarks.common import Result
from circulation.models import Loan
from notices import services, tasks
from notices.models import NIGHTLY_KINDS, Kind, Notice
from patrons.models import Patron

TARGET_SECONDS = 5 * 60
# Every notice window falls inside the seeded due dates (see the module's docstring).
DAYS_AFTER_SEED = 6


class _Rollback(Exception):
    """Raised to undo a timed round of the service, so the next round starts from the same data."""


def _floor(today: datetime.date) -> dict[str, int]:
    """Find the due patrons with raw SQL, fetching every row; return how many per kind."""
    loans = connection.ops.quote_name(Loan._meta.db_table)
    patrons = connection.ops.quote_name(Patron._meta.db_table)
    found = {}
    with connection.cursor() as cursor:
        for kind in NIGHTLY_KINDS:
            if kind == Kind.CARD_EXPIRING:
                expires = today + datetime.timedelta(days=settings.NOTICES_CARD_EXPIRY_DAYS)
                cursor.execute(
                    f"SELECT id, email FROM {patrons} WHERE card_expires_on = %s AND status <> %s",
                    [expires, Patron.Status.EXPIRED.value],
                )
            else:
                start, end = services._day_bounds(services.due_day_of(kind=kind, created_on=today))
                cursor.execute(
                    f"SELECT patron_id, count(*) FROM {loans} "
                    "WHERE patron_id IS NOT NULL AND returned_at IS NULL "
                    "AND due_at >= %s AND due_at < %s GROUP BY patron_id",
                    [start, end],
                )
            found[kind.value] = len(cursor.fetchall())
    return found


def _queue(today: datetime.date) -> tuple[int, int]:
    """The queuing step of send_notices with a no-op publish; return (emails, tasks)."""
    ids = list(services.unsent_emails(today=today).values_list("pk", flat=True))
    batches = list(tasks.batches(ids, None))
    return len(ids), len(batches)


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    began = time.perf_counter()
    value = fn()
    return time.perf_counter() - began, value


def _service_round(today: datetime.date, *, keep: bool) -> tuple[float, float, dict[str, int]]:
    """Make the day's notices and queue them; keep them, or undo the round. Return both times."""
    made: dict[str, int] = {}
    create = queue = 0.0
    try:
        with transaction.atomic():
            create, value = _timed(lambda: services.notices_create_due(today=today))
            made = value  # type: ignore[assignment]
            queue, _ = _timed(lambda: _queue(today))
            if not keep:
                raise _Rollback
    except _Rollback:
        pass
    return create, queue, made


def run(*, today: datetime.date | None = None, rounds: int = 3) -> Result:
    """Time the nightly run and its floor in alternation; the last round's notices are kept.

    Each round runs the floor, then the service; every service round but the
    last is rolled back, so each finds the same work. Then the same day is run
    once more, which must make no notice.
    """
    today = today or timezone.localdate() + datetime.timedelta(days=DAYS_AFTER_SEED)
    _floor(today)  # warm-up off the clock: both find the same pages in the cache
    floors, creates, queues = [], [], []
    made: dict[str, int] = {}
    found: dict[str, int] = {}
    for index in range(rounds):
        seconds, value = _timed(lambda: _floor(today))
        found = value  # type: ignore[assignment]
        floors.append(seconds)
        create, queue, made = _service_round(today, keep=index == rounds - 1)
        creates.append(create)
        queues.append(queue)
    emails, task_count = _queue(today)
    again_seconds, value = _timed(lambda: services.notices_create_due(today=today))
    again: dict[str, int] = value  # type: ignore[assignment]
    floor = statistics.median(floors)
    create = statistics.median(creates)
    total = create + statistics.median(queues)
    ratio = total / floor if floor else float("inf")
    counts = ", ".join(f"{made.get(kind, 0):,} {kind}" for kind in found)
    same = made == found
    return Result(
        name="Issue 17: nightly notices (send_notices, queuing a no-op)",
        measured=(
            f"{ratio:.2f}\N{MULTIPLICATION SIGN} ({total * 1000:,.0f} ms vs "
            f"{floor * 1000:,.0f} ms for the raw SELECTs); {sum(made.values()):,} notices"
        ),
        target=f"< {TARGET_SECONDS // 60} minutes at full size",
        met=total < TARGET_SECONDS and same and sum(again.values()) == 0,
        details=[
            f"run for {today.isoformat()} (the seeding day + {DAYS_AFTER_SEED}, so every notice "
            "window finds seeded loans); median of "
            f"{rounds} rounds, each after the floor's, every round but the last rolled back",
            f"notices_create_due: {create * 1000:,.0f} ms; the queuing step (reading the unsent "
            f"emails, {emails:,} of them in {task_count:,} batches, publish a no-op): "
            f"{statistics.median(queues) * 1000:,.0f} ms",
            f"floor: {len(found)} raw SELECTs (one per due-day window, GROUP BY patron, and the "
            f"card-expiry one), every row fetched: {floor * 1000:,.0f} ms "
            f"(rounds: {', '.join(f'{s * 1000:,.0f}' for s in floors)} ms)",
            f"notices made: {counts}; the floor found "
            + ", ".join(f"{count:,}" for count in found.values())
            + f" patrons — {'the same' if same else '**not the same**'}",
            f"running the same day again made {sum(again.values())} notices "
            f"in {again_seconds * 1000:,.0f} ms; {Notice.objects.count():,} notice rows in all",
        ],
    )
