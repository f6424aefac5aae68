"""manage.py verify_audit: walks the chain, says where it broke, records each run."""

import io

import pytest
from django.core.management import CommandError, call_command

from audit.chain import chain_head
from audit.management.commands.verify_audit import BAD_HEAD
from audit.models import AuditVerification
from audit.verify import verify_chain
from tests.audit import tamper
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def test_an_intact_chain_is_reported_with_its_head_and_the_run_recorded():
    PatronFactory.create_batch(3)
    head = chain_head()
    output = run()
    assert f"Audit trail intact: 3 entries checked from the first entry; head {head}." in output
    run_ = AuditVerification.objects.get()
    assert (run_.intact, run_.checked, run_.head_seq, run_.head_hash) == (True, 3, 3, head.hash)


def test_a_broken_chain_exits_with_one_line_naming_the_entry_and_is_recorded():
    PatronFactory.create_batch(3)
    tamper.alter(2, object_repr="patron #999")
    with pytest.raises(CommandError) as error:
        run()
    assert str(error.value) == (
        "Audit trail broken at entry #2: its contents do not match its hash: the entry was altered."
    )
    run_ = AuditVerification.objects.get()
    # The walk goes on past a break: all three entries were checked.
    assert (run_.intact, run_.break_seq, run_.break_count, run_.checked) == (False, 2, 1, 3)


def test_head_prints_seq_and_hash_and_records_nothing():
    PatronFactory.create_batch(2)
    assert run("--head").strip() == f"2:{chain_head().hash}"
    assert not AuditVerification.objects.exists()


def test_a_written_down_head_catches_entries_cut_off_the_end():
    PatronFactory.create_batch(4)
    written_down = run("--head").strip()
    tamper.remove(4)
    run()  # without the head the shorter chain looks fine
    with pytest.raises(CommandError, match="cut off the end"):
        run("--expect-head", written_down)
    assert AuditVerification.objects.filter(intact=False, expected_head_seq=4).exists()


def test_a_written_down_head_passes_while_the_chain_only_grows():
    PatronFactory()
    written_down = run("--head").strip()
    PatronFactory()
    assert "intact" in run("--expect-head", written_down)


@pytest.mark.parametrize("head", ["12", "12:xyz", "abc:" + "0" * 64, ""])
def test_a_malformed_written_down_head_is_refused(head):
    with pytest.raises(CommandError) as error:
        run("--expect-head", head)
    assert str(error.value) == BAD_HEAD


def test_progress_is_reported_along_the_way():
    PatronFactory.create_batch(5)
    seen = []
    verify_chain(progress=seen.append, progress_every=2)
    assert seen == [2, 4]


def test_a_missing_archive_file_is_one_readable_line(tmp_path):
    from audit.management.commands.verify_audit import NO_ARCHIVE

    path = tmp_path / "nothing.jsonl"
    with pytest.raises(CommandError) as error:
        run("--archive", str(path))
    assert str(error.value) == NO_ARCHIVE.format(path=path)
