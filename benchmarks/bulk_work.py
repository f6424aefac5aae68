"""Benchmark 3: the bulk jobs against the single raw SQL statement doing the same work.

Each job and its raw statement run on identical, freshly made data in the same
run: opting out a patron with 10,000 history entries, forgetting a day's
returns, and purging a large set of expired computer sessions.
"""

import datetime
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.utils import timezone

from activity.models import ComputerSession
from benchmarks.common import Result
from circulation.models import Item, Loan, ReadingHistoryEntry
from circulation.reading_history import patron_reading_history_opt_out
from circulation.services import loans_forget_returned
from patrons.models import Patron
from privacy import retention

TARGET = 1.5


def _copy(table: str, columns: list[str], rows: list[tuple[object, ...]]) -> None:
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def _history(patron: Patron, count: int) -> None:
    Patron.objects.filter(pk=patron.pk).update(keeps_reading_history=True)
    item = Item.objects.order_by("pk").first()
    assert item is not None
    day = timezone.localdate()
    _copy(
        ReadingHistoryEntry._meta.db_table,
        ["patron_id", "item_id", "title", "author", "checked_out_on", "returned_on"],
        [(patron.pk, item.pk, "A title", "", day, day)] * count,
    )


def opt_out(*, entries: int, rounds: int = 5) -> Result:
    """A patron's whole history deleted by the opt-out service vs one DELETE; median of rounds."""
    table = ReadingHistoryEntry._meta.db_table
    patrons = list(Patron.objects.adults().order_by("pk")[: 2 * rounds + 1])
    # A first run off the clock: a long-running worker has its caches warm.
    _history(patrons[-1], 10)
    patron_reading_history_opt_out(patron=patrons[-1])
    services, raws = [], []
    for first, second in zip(patrons[:rounds], patrons[rounds : 2 * rounds], strict=True):
        _history(first, entries)
        _history(second, entries)
        services.append(_timed(lambda: patron_reading_history_opt_out(patron=first)))  # noqa: B023
        raws.append(
            _timed(lambda: _execute(f'DELETE FROM "{table}" WHERE patron_id = %s', [second.pk]))  # noqa: B023
        )
    return _result(
        f"3. Bulk: opting out a patron with {entries:,} history entries",
        statistics.median(services),
        statistics.median(raws),
        rounds=rounds,
    )


def day_of_returns(*, loans: int) -> Result:
    """Loans returned today that still name their patron, forgotten by the sweep vs one UPDATE."""
    patrons = list(Patron.objects.adults().values_list("pk", flat=True)[:1000])
    now = timezone.now()

    def make() -> None:
        items = list(
            Item.objects.exclude(loans__returned_at__isnull=True).values_list("pk", "branch_id")[
                :loans
            ]
        )
        first = (Loan.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        _copy(
            Loan._meta.db_table,
            ["id", "item_id", "patron_id", "branch_id", "checked_out_at", "due_at", "returned_at", "renewals"],
            [
                (first + index, item, patrons[index % len(patrons)], branch,
                 now - datetime.timedelta(days=10), now + datetime.timedelta(days=11), now, 0)
                for index, (item, branch) in enumerate(items)
            ],
        )  # fmt: skip
        _execute(
            "SELECT setval(pg_get_serial_sequence('circulation_loan', 'id'), (SELECT MAX(id) FROM circulation_loan))",
            [],
        )

    loans_forget_returned(batch_size=loans)  # warm-up off the clock (nothing to forget yet)
    make()
    service = _timed(lambda: loans_forget_returned(batch_size=loans))
    make()
    zone = timezone.get_current_timezone_name()
    midnight = "(DATE_TRUNC('day', {0} AT TIME ZONE %s) AT TIME ZONE %s)"
    raw_sql = (
        f"UPDATE circulation_loan SET patron_id = NULL, "
        f"checked_out_at = {midnight.format('checked_out_at')}, "
        f"due_at = GREATEST({midnight.format('due_at')}, {midnight.format('checked_out_at')} + interval '1 day'), "
        f"returned_at = {midnight.format('returned_at')} "
        "WHERE returned_at IS NOT NULL AND patron_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM circulation_fine f WHERE f.loan_id = circulation_loan.id "
        "AND f.paid_at IS NULL AND f.waived_at IS NULL)"
    )
    # The same WHERE clause as the sweep: like the sweep, it is not told which loans came back.
    raw = _timed(lambda: _execute(raw_sql, [zone, zone, zone, zone, zone, zone, zone, zone]))
    return _result(f"3. Bulk: forgetting a day's {loans:,} returns", service, raw)


def purge(*, sessions: int) -> Result:
    """Expired computer sessions deleted by purge_expired's purger vs one DELETE."""
    purger = next(p for p in retention.purgers() if p.kind == "computer sessions")
    patrons = list(Patron.objects.adults().values_list("pk", flat=True)[:5000])
    branch = Patron.objects.values_list("home_branch_id", flat=True).first()
    old = timezone.now() - datetime.timedelta(days=30)

    def make() -> None:
        _copy(
            ComputerSession._meta.db_table,
            ["kind", "resource", "patron_id", "branch_id", "started_at", "ended_at"],
            [("computer", f"PC-{index % 40}", patrons[index % len(patrons)], branch, old, old)
             for index in range(sessions)],
        )  # fmt: skip
        # Both runs start from a vacuumed table: no dead rows left by the one before.
        _execute(f'VACUUM ANALYZE "{ComputerSession._meta.db_table}"', [])

    retention.purge(purger, now=timezone.now(), batch_size=50_000)  # warm-up off the clock
    make()
    service = _timed(lambda: retention.purge(purger, now=timezone.now(), batch_size=50_000))
    make()
    cutoff = retention.retention_cutoff(timezone.now(), "computer_sessions")
    table = ComputerSession._meta.db_table
    # The same work as the purger: the same expiry and the same legal-hold exclusion.
    raw_sql = (
        f'DELETE FROM "{table}" WHERE COALESCE(ended_at, started_at) <= %s '
        "AND (patron_id IS NULL OR patron_id NOT IN (SELECT lp.patron_id "
        "FROM privacy_legalorder_patrons lp JOIN privacy_legalorder o ON o.id = lp.legalorder_id "
        "WHERE o.status IN ('under_review', 'valid')))"
    )
    raw = _timed(lambda: _execute(raw_sql, [cutoff]))
    return _result(
        f"3. Bulk: purge_expired over {sessions:,} expired computer sessions", service, raw
    )


def _execute(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _result(name: str, service: float, raw: float, *, rounds: int = 1) -> Result:
    ratio = service / raw if raw else float("inf")
    timing = f"median of {rounds} rounds" if rounds > 1 else "one round"
    return Result(
        name=name,
        measured=f"{ratio:.2f}× ({service * 1000:,.0f} ms vs {raw * 1000:,.0f} ms)",
        target=f"≤ {TARGET}× the raw SQL statement",
        met=ratio <= TARGET,
        details=["the job as the application runs it (batches, legal holds, one audit summary per "
                 "batch) against one raw statement on identical data made fresh for each; "
                 f"{timing}, after a warm-up run off the clock"],
    )  # fmt: skip
