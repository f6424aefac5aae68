"""Heads witnessed outside the database catch what a chain consistent with itself hides (CONF-1).

Issue 15, case 1 and the design's witnessed heads: whoever can rewrite the
table can rebuild a chain that verifies on its own, cut entries off its end,
or remove old entries behind a checkpoint. A head published by
witness_audit_head, and the archive files, are what verify_audit holds the
table to.
"""

import io

import pytest
from django.core.management import CommandError, call_command

from audit import chain, entries, verify
from audit.models import AuditEntry
from audit.services import ARCHIVE_NOT_PROVED
from tests.audit import tamper
from tests.audit.test_archive_audit import _today, archive, history  # noqa: F401 (fixtures)
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def witness_file(settings, tmp_path):
    path = tmp_path / "witness" / "heads.log"
    path.parent.mkdir()
    settings.AUDIT_WITNESS_SINKS = [f"file://{path}"]
    return path


def witness():
    call_command("witness_audit_head", stdout=io.StringIO())


def verify_audit(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", "--workers", "1", *args, stdout=out, stderr=err)
    except CommandError as error:
        return False, err.getvalue() + str(error)
    return True, out.getvalue()


def test_a_witnessed_head_that_still_holds_is_counted(witness_file):
    PatronFactory.create_batch(2)
    witness()
    PatronFactory()
    witness()
    intact, said = verify_audit()
    assert intact and "2 written-down heads still hold" in said


def test_a_rewrite_consistent_with_itself_is_caught_only_by_the_witnessed_head(witness_file):
    PatronFactory.create_batch(3)
    witness()
    written_down = chain.chain_head()
    tamper.rewrite_consistently(2, purpose="rewritten")

    assert verify.verify_chain().intact  # the chain alone cannot tell
    intact, said = verify_audit()
    assert not intact
    assert f"Entry #{written_down.seq}: entry #{written_down.seq}'s hash is not the one" in said


def test_entries_cut_off_the_end_are_caught_by_the_witnessed_head(witness_file):
    PatronFactory.create_batch(3)
    witness()
    head = chain.chain_head()
    tamper.remove(head.seq, head.seq - 1)

    assert verify.verify_chain().intact
    intact, said = verify_audit()
    assert not intact and f"entry #{head.seq} was written down earlier" in said


def test_a_witness_file_given_on_the_command_line_is_read(tmp_path):
    PatronFactory.create_batch(2)
    head = chain.chain_head()
    heads = tmp_path / "copied-heads.log"
    heads.write_text(f"2026-11-30T10:00:00+00:00 {head.seq}:{'f' * 64}\n")
    intact, said = verify_audit("--witnessed", str(heads))
    assert not intact and "hash is not the one written down" in said


def test_a_witness_file_that_is_not_one_is_refused_in_one_line(tmp_path):
    heads = tmp_path / "heads.log"
    heads.write_text("not a head\n")
    intact, said = verify_audit("--witnessed", str(heads))
    assert not intact and said.strip() == f"{heads}: line 1 of the witness file is not a head."


def test_archived_witnessed_heads_are_checked_in_the_archive_files(
    history,  # noqa: F811
    witness_file,
    tmp_path,
):
    witness()  # entry 7, the head: still in the table after archiving
    written_down = verify.Head(2, AuditEntry.objects.get(seq=2).entry_hash)
    witness_file.write_text(
        witness_file.read_text() + f"2026-06-01T00:00:00+00:00 {written_down}\n"
    )
    archives = tmp_path / "archives"
    archives.mkdir()
    archive(archives, "2025-06-01")  # entries 1 to 3 leave the table

    intact, said = verify_audit("--archives", str(archives))
    assert intact, said
    assert "entries #1 to #3 in 1 archive files; 2 written-down heads still hold" in said

    intact, said = verify_audit()  # no archive directory: the archived head cannot be checked
    assert not intact and "entry #2 was written down earlier and has been archived" in said

    path = next(archives.iterdir())
    path.write_text(path.read_text().replace("allowed", "refused", 1))
    intact, said = verify_audit("--archives", str(archives))
    assert not intact and "in audit-000000000001-000000000003.jsonl" in said


def test_entries_removed_behind_a_checkpoint_with_no_archive_file_are_caught(history, tmp_path):  # noqa: F811
    # What the archiver's role could do by hand: a checkpoint, then a removal,
    # with no file written.
    entries.record_summary(
        model=AuditEntry,
        action=AuditEntry.Action.DELETE,
        count=3,
        reason="archived",
        details=chain.checkpoint_details(
            archived_from=1,
            archived_through=3,
            last_hash=AuditEntry.objects.get(seq=3).entry_hash,
            file="audit-000000000001-000000000003.jsonl",
            sha256="0" * 64,
        ),
    )
    tamper.remove(1, 2, 3)
    archives = tmp_path / "archives"
    archives.mkdir()

    intact, said = verify_audit("--archives", str(archives))
    assert not intact
    assert "entries #1 to #3 are in neither the table nor any archive file: removed" in said


def test_a_forged_checkpoint_makes_archive_audit_remove_nothing(history, tmp_path):  # noqa: F811
    # The application's role may append any entry, a checkpoint included; the
    # next archiving run must not take it at its word.
    entries.record_summary(
        model=AuditEntry,
        action=AuditEntry.Action.DELETE,
        count=5,
        reason="archived",
        details=chain.checkpoint_details(
            archived_from=1,
            archived_through=5,
            last_hash=AuditEntry.objects.get(seq=5).entry_hash,
            file="audit-000000000001-000000000005.jsonl",
            sha256="0" * 64,
        ),
    )
    count = AuditEntry.objects.count()
    with pytest.raises(CommandError) as refused:
        archive(tmp_path, "2025-06-01")
    assert str(refused.value) == ARCHIVE_NOT_PROVED.format(
        checkpoint=8, first=1, last=5, file="audit-000000000001-000000000005.jsonl"
    )
    assert AuditEntry.objects.count() == count
    assert verify.verify_chain().intact and verify.verify_chain().checked == count


def test_the_walk_starts_at_the_lowest_entry_whatever_a_checkpoint_claims(history):  # noqa: F811
    entries.record_summary(
        model=AuditEntry,
        action=AuditEntry.Action.DELETE,
        count=5,
        reason="archived",
        details=chain.checkpoint_details(
            archived_from=1,
            archived_through=5,
            last_hash=AuditEntry.objects.get(seq=5).entry_hash,
            file="forged.jsonl",
            sha256="0" * 64,
        ),
    )
    tamper.alter(2, purpose="changed under a forged checkpoint")
    report = verify.verify_chain()
    assert report.checked == 8
    assert [(broken.seq, broken.kind) for broken in report.breaks] == [(2, "altered")]
