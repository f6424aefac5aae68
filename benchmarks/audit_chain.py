"""Benchmark 4: the cost of the hash chain on appends, and verify_audit over the whole trail."""

import time

from django.db import connection, transaction

from benchmarks.common import Result, alternate, median
from patrons.models import Patron
from privacy import access, audit
from privacy.access import Asker
from privacy.models import AuditEntry
from privacy.policy import DataCategory, Decision, Purpose, Requester

APPEND_TARGET = 1.3
VERIFY_TARGET = 120.0


def appends(*, rounds: int) -> Result:
    """One gate read's append (lock, head, hash, insert, commit) vs the same row inserted plainly."""
    patron = Patron.objects.order_by("pk").first()
    assert patron is not None
    asker = Asker(Requester.STAFF)
    decision = Decision(True, "CONF-3", "benchmark", "")

    def entry() -> AuditEntry:
        return access._entry(
            actor=None, patron_id=patron.pk, category=DataCategory.IDENTITY,
            purpose=Purpose.REGISTRATION, decision=decision, asker=asker,
        )  # fmt: skip

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_plain_log (LIKE privacy_auditentry INCLUDING ALL)")
    plain_seq = [10**12]

    def chained() -> None:
        audit.chain_append_many([entry()])

    def plain() -> None:
        row = entry()
        plain_seq[0] += 1
        row.seq, row.prev_hash, row.entry_hash = plain_seq[0], "", ""
        with transaction.atomic():
            audit._insert_into([row], "default", "bench_plain_log")

    chained_times, plain_times = alternate(chained, plain, rounds=rounds)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_plain_log")
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
            f"{rounds} appends each, alternating; each in its own transaction with a synchronous commit",
            "without the chain: the same row, same columns and indexes, into a plain copy of the table",
        ],
    )


def verify(*, workers: int) -> Result:
    began = time.perf_counter()
    report = audit.verify_chain(workers=workers)
    seconds = time.perf_counter() - began
    return Result(
        name=f"4. Audit chain: verify_audit over {report.checked:,} entries",
        measured=f"{seconds:.0f} s ({report.checked / seconds:,.0f} entries/s), chain {'intact' if report.intact else 'BROKEN'}",
        target=f"< {VERIFY_TARGET:.0f} s for 10 million",
        met=report.intact and seconds * 10_000_000 / max(report.checked, 1) < VERIFY_TARGET,
        details=[f"{workers} worker processes reading through server-side cursors"],
    )
