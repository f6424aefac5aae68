"""The benchmarks still run: each measurement, a few rounds, on the test database.

They run outside the test suite (scripts/bench.sh), so a renamed template or
function would otherwise only show on the day someone measures. These tests
check that each one completes and reports a ratio; the figures themselves
belong to the benchmark runs, not here.
"""

import datetime
import re

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from benchmarks import audit_chain, latency, notices, privacy_overhead, run
from benchmarks.fixtures import portal_patron
from demo.scale import seed_scale
from notices import services as notice_services
from notices.models import Notice
from tests.factories import LoanFactory, PatronFactory

pytestmark = pytest.mark.django_db

RATIO = re.compile(r"^\d+\.\d\d\N{MULTIPLICATION SIGN} \(")


def test_the_privacy_overhead_benchmark_compares_the_gated_page_with_the_plain_one():
    PatronFactory(date_of_birth="1970-01-01")
    LoanFactory.create_batch(3)
    result = privacy_overhead.run(patron=portal_patron(loans=2), rounds=3)
    assert RATIO.match(result.measured), result.measured


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trail's trigger is PostgreSQL's")
def test_the_append_benchmark_compares_a_chained_append_with_a_plain_insert():
    PatronFactory()
    result = audit_chain.appends(rounds=3)
    assert RATIO.match(result.measured), result.measured


def test_the_verify_benchmark_reports_an_intact_chain():
    PatronFactory.create_batch(2)
    result = audit_chain.verify(workers=1)
    assert "intact" in result.measured, result.measured


def _due_at(day: datetime.date) -> datetime.datetime:
    """Noon of a library day: inside that day's due window."""
    start, _ = notice_services._day_bounds(day)
    return start + datetime.timedelta(hours=12)


def test_the_notice_benchmark_makes_what_the_floor_finds_and_nothing_the_second_time():
    today = timezone.localdate()
    pre_due = today + datetime.timedelta(days=settings.NOTICES_PRE_DUE_DAYS)
    overdue = today - datetime.timedelta(days=settings.NOTICES_OVERDUE_DAYS[0])
    LoanFactory.create_batch(2, due_at=_due_at(pre_due))
    late = PatronFactory()
    taken = _due_at(overdue) - datetime.timedelta(days=21)
    LoanFactory.create_batch(2, patron=late, checked_out_at=taken, due_at=_due_at(overdue))
    PatronFactory(
        card_expires_on=today + datetime.timedelta(days=settings.NOTICES_CARD_EXPIRY_DAYS)
    )

    result = notices.run(today=today, rounds=2)

    assert RATIO.match(result.measured), result.measured
    assert result.met, result.details
    assert "2 pre_due, 1 overdue_1, 0 overdue_2, 0 overdue_3, 1 card_expiring" in str(
        result.details
    )
    assert "running the same day again made 0 notices" in str(result.details)
    assert Notice.objects.count() == 4  # the rounds before the last were rolled back


def test_the_runner_takes_only_issue17_and_an_output_file_keeping_results_md_by_default():
    args = run.parser().parse_args(["--only", "issue17", "--out", "benchmarks/ISSUE17.md"])
    assert (args.only, args.out) == ("issue17", "benchmarks/ISSUE17.md")
    assert run.parser().parse_args([]).out.endswith("benchmarks/RESULTS.md")
    with pytest.raises(SystemExit):
        run.parser().parse_args(["--only", "nothing"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="seed_scale loads with COPY")
def test_only_issue17_runs_the_catalogue_search_beside_its_floor_and_the_notice_run(
    monkeypatch: pytest.MonkeyPatch,
):
    seed_scale(patrons=200, loans=2000, audit_entries=0)
    # gunicorn, a process of its own, serves the test database.
    database = connection.settings_dict
    monkeypatch.setenv(
        "DATABASE_URL",
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}",
    )

    floor, search, nightly = run.issue17(seconds=0.4, workers=1)

    assert floor.name == f"2. Latency: {latency.CATALOGUE_FLOOR}", floor.name
    assert floor.met is None  # a floor, no target of its own
    assert search.name == f"2. Latency: {latency.CATALOGUE_SEARCH}", search.name
    assert RATIO.match(search.measured), search.measured
    assert "0 unexpected answers" in str(search.details), search.details
    assert RATIO.match(nightly.measured), nightly.measured
    assert "running the same day again made 0 notices" in str(nightly.details)
