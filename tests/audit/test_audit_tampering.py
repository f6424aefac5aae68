"""Every kind of tampering with the audit table is found by the verifier (CONF-1).

The changes are made in raw SQL, with the PostgreSQL triggers switched off, as
someone at a database shell would have to.
"""

import pytest

from audit.chain import Head, chain_head
from audit.models import AuditEntry
from audit.verify import verify_chain
from tests.audit import tamper
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    """Six entries: one create entry per patron."""
    PatronFactory.create_batch(6)
    assert verify_chain().intact and chain_head().seq == 6
    return {entry.seq: entry for entry in AuditEntry.objects.all()}


def first_break():
    report = verify_chain()
    assert not report.intact
    return report.first_break


def test_an_untouched_chain_verifies(chain):
    report = verify_chain()
    assert report.intact and report.checked == 6
    assert (report.head_seq, report.head_hash) == (6, chain[6].entry_hash)


def test_an_altered_entry_is_found(chain):
    tamper.alter(3, object_repr="patron #999")
    broken = first_break()
    assert (broken.seq, broken.kind) == (3, "altered")


def test_an_altered_decision_is_found(chain):
    tamper.alter(4, decision="allowed")
    assert (first_break().seq, first_break().kind) == (4, "altered")


def test_an_altered_entry_given_a_new_hash_breaks_the_next_link(chain):
    tamper.alter_and_rehash(3, object_repr="patron #999")
    broken = first_break()
    assert (broken.seq, broken.kind) == (4, "unlinked")


def test_a_removed_entry_is_found(chain):
    tamper.remove(3)
    broken = first_break()
    assert (broken.seq, broken.kind) == (4, "removed")
    assert "#3 is missing" in broken.problem


def test_a_removed_entry_is_found_even_when_the_rest_are_renumbered(chain):
    tamper.remove(3)
    tamper.shift(4, -1)
    broken = first_break()
    assert (broken.seq, broken.kind) == (3, "unlinked")


def test_an_entry_inserted_in_the_middle_is_found(chain):
    tamper.shift(4, 1)
    tamper.insert_forged(4, chain[3].entry_hash, like=chain[3])
    broken = first_break()
    assert (broken.seq, broken.kind) == (5, "inserted")
    assert "links to entry #3" in broken.problem


def test_an_entry_appended_outside_the_chain_is_found(chain):
    tamper.insert_forged(7, "f" * 64, like=chain[6])
    broken = first_break()
    assert (broken.seq, broken.kind) == (7, "unlinked")


def test_reordered_entries_are_found(chain):
    tamper.swap(3, 4)
    broken = first_break()
    assert (broken.seq, broken.kind) == (3, "reordered")


def test_entries_cut_off_the_end_are_found_against_a_written_down_head(chain):
    written_down = chain_head()
    tamper.remove(5, 6)
    assert verify_chain().intact  # what is left is a valid chain...
    report = verify_chain(expect=written_down)  # ...but shorter than the one written down
    assert (report.first_break.seq, report.first_break.kind) == (6, "cut_off")


def test_a_rewritten_tail_is_found_against_a_written_down_head(chain):
    written_down = chain_head()
    tamper.alter_and_rehash(6, object_repr="patron #999")
    assert verify_chain().intact
    broken = verify_chain(expect=written_down).first_break
    assert (broken.seq, broken.kind) == (6, "rewritten")


def test_a_written_down_head_is_accepted_while_the_chain_grows(chain):
    written_down = chain_head()
    PatronFactory()
    assert verify_chain(expect=written_down).intact
    assert verify_chain(expect=Head(0, "0" * 64)).intact
