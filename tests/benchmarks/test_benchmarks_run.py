"""The benchmarks still run: each measurement, a few rounds, on the test database.

They run outside the test suite (scripts/bench.sh), so a renamed template or
function would otherwise only show on the day someone measures. These tests
check that each one completes and reports a ratio; the figures themselves
belong to the benchmark runs, not here.
"""

import re

import pytest
from django.db import connection

from benchmarks import audit_chain, privacy_overhead
from benchmarks.fixtures import portal_patron
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
