"""verify_audit in parallel stretches finds the same breaks as one walk, at boundaries too."""

import pytest
from django.db import connection

from audit.models import AuditEntry
from audit.verify import verify_chain
from patrons.models import Patron
from privacy import access
from privacy.policy import DataCategory, Purpose
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chain(on_postgres, desk):
    patron = PatronFactory()
    access.record_list_read(desk, [patron.pk] * 400, DataCategory.IDENTITY, Purpose.REGISTRATION)
    return list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))


def _tamper(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE privacy_auditentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE privacy_auditentry ENABLE TRIGGER USER")


def _parallel():
    return verify_chain(workers=3, parallel_from=1)


def test_parallel_walk_accepts_an_intact_chain_and_agrees_with_one_walk(chain):
    parallel, single = _parallel(), verify_chain()
    assert parallel.intact and single.intact
    assert (parallel.checked, parallel.head_seq, parallel.head_hash) == (
        single.checked,
        single.head_seq,
        single.head_hash,
    )


@pytest.mark.parametrize("where", ["middle of a stretch", "first entry of a stretch"])
def test_parallel_walk_finds_an_altered_entry(chain, where):
    step = (chain[-1] - 0) // 3
    seq = step + 1 if where == "first entry of a stretch" else step // 2
    _tamper("UPDATE privacy_auditentry SET purpose = 'changed' WHERE seq = %s", [seq])
    report = _parallel()
    assert report.first_break.seq == seq and report.first_break.kind == "altered"


def test_parallel_walk_finds_an_entry_removed_at_a_boundary(chain):
    step = chain[-1] // 3
    _tamper("DELETE FROM privacy_auditentry WHERE seq = %s", [step + 1])
    report = _parallel()
    assert not report.intact and report.first_break.kind == "removed"


def test_parallel_walk_finds_a_rehashed_entry_whose_successor_no_longer_links(chain):
    step = chain[-1] // 3
    # The last entry of the first stretch gets a new hash: the next stretch's first link breaks.
    _tamper("UPDATE privacy_auditentry SET entry_hash = repeat('a', 64) WHERE seq = %s", [step])
    report = _parallel()
    assert not report.intact and report.first_break.seq in (step, step + 1)
    assert Patron.objects.count() == 1
