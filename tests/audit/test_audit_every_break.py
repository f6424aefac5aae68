"""verify_audit reports every break in the chain, not only the first (CONF-1).

After a break the walk picks the chain up again from the next entry's own link,
so one removal is one break, and an alteration further on is still found. The
parallel walk (PostgreSQL, workers > 1) reports the same breaks as one walk.
"""

import io

import pytest
from django.core.management import CommandError, call_command

from audit.entries import record_summary
from audit.models import AuditEntry, AuditVerification
from audit.verify import verify_chain
from tests.audit import tamper


def build_chain(length=60):
    for number in range(length):
        record_summary(model=AuditEntry, action=AuditEntry.Action.UPDATE, count=number, reason="x")
    assert verify_chain().intact


def breaks(report):
    return [(broken.seq, broken.kind) for broken in report.breaks]


def single():
    return verify_chain()


def parallel():
    return verify_chain(workers=3, parallel_from=1)


WALKS = [
    pytest.param(single, id="one walk"),
    # The parallel walk's processes read only what the test has committed.
    pytest.param(parallel, id="parallel", marks=pytest.mark.django_db(transaction=True)),
]
pytestmark = pytest.mark.django_db


@pytest.fixture(params=WALKS)
def walk(request):
    """Each test runs with one walk on any database and with the parallel walk on PostgreSQL."""
    if request.param is parallel:
        request.getfixturevalue("on_postgres")
    return request.param


def test_two_altered_entries_are_two_breaks(walk):
    build_chain()
    tamper.alter(3, object_repr="patron #999")
    tamper.alter(40, purpose="changed")
    report = walk()
    assert breaks(report) == [(3, "altered"), (40, "altered")]
    assert (report.first_break.seq, report.break_count, report.checked) == (3, 2, 60)
    assert not report.intact


def test_one_removed_entry_is_one_break(walk):
    build_chain()
    tamper.remove(10)
    report = walk()
    assert breaks(report) == [(11, "removed")]
    assert "#10 is missing" in report.first_break.problem


def test_entries_removed_at_the_end_of_a_parallel_stretch_are_found(walk):
    # With three workers over 60 entries the stretches end at 20 and 40.
    build_chain()
    tamper.remove(19, 20)
    tamper.remove(40)
    report = walk()
    assert breaks(report) == [(21, "removed"), (41, "removed")]
    assert "#19 to #20 are missing" in report.first_break.problem


def test_a_rehashed_entry_and_a_later_removal_are_both_found(walk):
    build_chain()
    tamper.alter_and_rehash(20, object_repr="patron #999")
    tamper.remove(45)
    assert breaks(walk()) == [(21, "unlinked"), (46, "removed")]


def test_an_altered_entry_after_a_removed_one_is_found(walk):
    build_chain()
    tamper.remove(10)
    tamper.alter(11, purpose="changed")
    tamper.alter(59, purpose="changed")
    assert breaks(walk()) == [(11, "removed"), (11, "altered"), (59, "altered")]


def test_an_intact_chain_has_no_breaks(walk):
    build_chain()
    report = walk()
    assert report.intact and report.breaks == () and report.break_count == 0


def test_verify_audit_prints_each_break_then_one_summary_and_records_them():
    build_chain(8)
    tamper.alter(3, object_repr="patron #999")
    tamper.remove(6)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("verify_audit", stdout=out, stderr=err)
    assert err.getvalue().splitlines() == [
        "Entry #3: its contents do not match its hash: the entry was altered.",
        "Entry #7: entry #6 is missing: removed.",
    ]
    assert str(error.value) == (
        "Audit trail broken at entry #3: its contents do not match its hash: the entry was "
        "altered. 2 breaks in all, listed above."
    )
    run = AuditVerification.objects.get()
    assert (run.intact, run.break_seq, run.break_count, run.checked) == (False, 3, 2, 7)
    assert [(broken["seq"], broken["kind"]) for broken in run.breaks] == [
        (3, "altered"),
        (7, "removed"),
    ]


def test_two_swapped_entries_break_at_each_and_at_the_entry_after_them(walk):
    build_chain()
    tamper.swap(30, 31)
    # Each swapped entry is out of place and, its number being hashed, altered too.
    assert breaks(walk()) == [
        (30, "reordered"),
        (30, "altered"),
        (31, "inserted"),
        (31, "altered"),
        (32, "inserted"),
    ]


def test_past_the_listed_breaks_the_rest_are_counted(monkeypatch):
    from audit import verify

    monkeypatch.setattr(verify, "MAX_LISTED_BREAKS", 2)
    build_chain(10)
    for seq in (2, 4, 6, 8):
        tamper.alter(seq, purpose="changed")
    tamper.alter_and_rehash(9, purpose="changed")  # unlinks #10, past the list: no query
    err = io.StringIO()
    with pytest.raises(CommandError, match="5 breaks in all"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines()[-1] == "... and 3 more breaks, counted but not listed."
    run = AuditVerification.objects.get()
    assert (run.break_count, [broken["seq"] for broken in run.breaks]) == (5, [2, 4])
