"""Benchmark 4: the cost of the hash chain on appends, and verify_audit over the whole trail."""

import time

from django.db import connection

from audit import chain
from audit.models import AuditEntry
from audit.verify import verify_chain
from benchmarks.common import Result, alternate, median, timed
from patrons.models import Patron
from privacy import access
from privacy.access import Asker
from privacy.policy import DataCategory, Decision, Purpose, Requester

APPEND_TARGET = 1.2
VERIFY_TARGET = 120.0


def appends(*, rounds: int) -> Result:
    """One gate read's append (one INSERT; the trigger locks, links and hashes) vs a plain insert."""
    patron = Patron.objects.order_by("pk").first()
    assert patron is not None
    asker = Asker(Requester.STAFF)
    decision = Decision(True, "CONF-3", "benchmark", "")

    def entry() -> AuditEntry:
        return access._read(
            actor=None, patron_id=patron.pk, category=DataCategory.IDENTITY,
            purpose=Purpose.REGISTRATION, decision=decision, asker=asker,
        ).entry(None)  # fmt: skip

    with connection.cursor() as cursor:
        # A logged table, not a temporary one: a temporary table writes no WAL,
        # so its commits would skip the flush that every real append waits for.
        cursor.execute("CREATE TABLE bench_plain_log (LIKE privacy_auditentry INCLUDING ALL)")
    plain_seq = [10**12]

    def chained() -> None:
        chain.chain_append_many([entry()])

    def plain() -> None:
        row = entry()
        plain_seq[0] += 1
        row.seq, row.prev_hash, row.entry_hash = plain_seq[0], "", ""
        # One INSERT committing on its own: the cheapest way to append a row.
        chain._insert_into([row], "default", "bench_plain_log")

    chained_times, plain_times = alternate(chained, plain, rounds=rounds)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_plain_log")
        round_trip = median([timed(lambda: cursor.execute("SELECT 1")) for _ in range(rounds)])
    ratio = median(chained_times) / median(plain_times)
    return Result(
        name="4. Audit chain: appends with the chain vs without",
        measured=(
            f"{ratio:.2f}× ({1 / median(chained_times):.0f} vs {1 / median(plain_times):.0f} appends/s, "
            "one at a time)"
        ),
        target=f"≤ {APPEND_TARGET}×",
        met=ratio <= APPEND_TARGET,
        details=[
            f"{rounds} appends each, alternating, each committed on its own with a synchronous "
            "commit; with the chain: one autocommit INSERT ... RETURNING, in which PostgreSQL's "
            "trigger takes the chain's lock, reads the head and hashes the row "
            "(audit.database_hash)",
            "without the chain: the same row, same columns and indexes, into a plain logged copy "
            "of the table (no trigger) as a single autocommit INSERT (no lock, no head, no hash)",
            f"median difference {(median(chained_times) - median(plain_times)) * 1e6:.0f} µs; "
            f"one round trip to PostgreSQL (SELECT 1) takes {round_trip * 1e6:.0f} µs here: "
            "both appends take one",
        ],
    )


def verify(*, workers: int) -> Result:
    began = time.perf_counter()
    report = verify_chain(workers=workers)
    seconds = time.perf_counter() - began
    return Result(
        name=f"4. Audit chain: verify_audit over {report.checked:,} entries",
        measured=f"{seconds:.0f} s ({report.checked / seconds:,.0f} entries/s), chain {'intact' if report.intact else 'BROKEN'}",
        target=f"< {VERIFY_TARGET:.0f} s for 10 million",
        met=report.intact and seconds * 10_000_000 / max(report.checked, 1) < VERIFY_TARGET,
        details=[f"{workers} worker processes reading through server-side cursors"],
    )
