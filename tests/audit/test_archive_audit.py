"""archive_audit: old entries go to a file, a checkpoint keeps the chain verifiable."""

import datetime
import hashlib
import io
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit import chain, services, verify
from audit.management.commands.archive_audit import BAD_DATE
from audit.models import AuditEntry
from audit.services import (
    ARCHIVE_DATE_IN_FUTURE,
    ARCHIVE_NO_DIRECTORY,
    audit_entries_archive,
)
from patrons.models import Patron
from tests.audit import tamper

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 1)


def days_ago(days):
    return timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(12))) - (
        datetime.timedelta(days=days)
    )


def entry_at(when, **fields):
    entry = AuditEntry(
        content_type=ContentType.objects.get_for_model(Patron),
        object_pk="1",
        object_id=1,
        action=AuditEntry.Action.ACCESS,
        category="identity",
        decision="allowed",
        timestamp=when,
        **fields,
    )
    entry.save()
    return entry


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def history():
    """Three entries 400 days old, two 200 days old, two from today."""
    for days in (400, 400, 400, 200, 200, 0, 0):
        entry_at(days_ago(days))


def archive(directory, before, *args):
    out = io.StringIO()
    call_command("archive_audit", "--before", before, "--to", str(directory), *args, stdout=out)
    return out.getvalue()


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_old_entries_go_to_a_file_and_the_chain_still_verifies(history, tmp_path):
    last_old = AuditEntry.objects.get(seq=3)
    output = archive(tmp_path, "2025-06-01")
    path = tmp_path / "audit-000000000001-000000000003.jsonl"
    assert f"Archived 3 entries (#1 to #3) to {path}; checkpoint #8" in output
    assert [line["seq"] for line in lines(path)] == [1, 2, 3]
    assert lines(path)[-1]["entry_hash"] == last_old.entry_hash
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == [4, 5, 6, 7, 8]
    checkpoint = AuditEntry.objects.get(seq=8).additional_data["checkpoint"]
    assert checkpoint == {
        "archived_from": 1,
        "archived_through": 3,
        "last_hash": last_old.entry_hash,
        "file": path.name,
        "sha256": verify.file_sha256(path),
    }
    report = verify.verify_chain()
    assert report.intact and report.checked == 5
    assert (report.start.after_seq, report.start.checkpoint_seq) == (3, 8)


def test_the_archive_file_verifies_against_its_checkpoint(history, tmp_path):
    archive(tmp_path, "2025-06-01")
    out = io.StringIO()
    path = next(tmp_path.iterdir())
    call_command("verify_audit", "--archive", str(path), stdout=out)
    assert "Archive intact: 3 entries, #1 to #3" in out.getvalue()
    assert "matches checkpoint #8" in out.getvalue()


def test_a_changed_archive_file_is_found(history, tmp_path):
    archive(tmp_path, "2025-06-01")
    path = next(tmp_path.iterdir())
    first, *rest = path.read_text().splitlines(keepends=True)
    # The decision, in the line's own fields or in the text PostgreSQL hashed.
    assert "allowed" in first
    path.write_text("".join([first.replace("allowed", "refused", 1), *rest]))
    report = verify.verify_archive(path)
    assert (report.first_break.seq, report.first_break.kind) == (1, "altered")
    with pytest.raises(CommandError, match="Archive broken at entry #1"):
        call_command("verify_audit", "--archive", str(path), stdout=io.StringIO())


def test_an_archive_file_rewritten_with_new_hashes_no_longer_matches_its_checkpoint(
    history, tmp_path
):
    archive(tmp_path, "2025-06-01")
    path = next(tmp_path.iterdir())
    entries, prev = lines(path), None
    for payload in entries:
        if prev is not None:
            payload["prev_hash"] = prev
        if "canonical" in payload:  # hashed by PostgreSQL: forge the text it hashed
            elements = json.loads(payload["canonical"])
            elements[2], elements[7] = payload["prev_hash"], "patron #999"
            payload["canonical"] = json.dumps(elements)
            payload["entry_hash"] = prev = hashlib.sha256(payload["canonical"].encode()).hexdigest()
        else:
            payload["object_repr"] = "patron #999"
            payload["entry_hash"] = prev = chain.payload_hash(payload)
    path.write_text("".join(json.dumps(payload) + "\n" for payload in entries))
    report = verify.verify_archive(path)
    assert (report.first_break.kind, report.checkpoint_seq) == ("checkpoint", 8)


def test_running_it_again_archives_nothing_twice(history, tmp_path):
    archive(tmp_path, "2025-06-01")
    assert archive(tmp_path, "2025-06-01") == "Nothing to archive before 2025-06-01.\n"
    assert AuditEntry.objects.count() == 5 and len(list(tmp_path.iterdir())) == 1


def test_a_later_archive_continues_from_the_earlier_checkpoint(history, tmp_path):
    archive(tmp_path, "2025-06-01")
    archive(tmp_path, "2026-01-01")
    path = tmp_path / "audit-000000000004-000000000005.jsonl"
    assert (
        lines(path)[0]["prev_hash"]
        == lines(tmp_path / "audit-000000000001-000000000003.jsonl")[-1]["entry_hash"]
    )
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == [6, 7, 8, 9]
    report = verify.verify_chain()
    assert report.intact and (report.start.after_seq, report.start.checkpoint_seq) == (5, 9)
    assert verify.verify_archive(path).checkpoint_seq == 9


def test_a_run_stopped_after_its_checkpoint_is_finished_by_the_next(history, tmp_path, monkeypatch):
    archive(tmp_path, "2025-06-01")
    head = chain.chain_head()
    real_remove = services._remove_archived

    def stop_before_removing(through, **kwargs):
        if through == 5:
            raise KeyboardInterrupt  # the run stops after its file and its checkpoint
        return real_remove(through, **kwargs)

    monkeypatch.setattr(services, "_remove_archived", stop_before_removing)
    with pytest.raises(KeyboardInterrupt):
        archive(tmp_path, "2026-01-01")
    monkeypatch.undo()
    assert AuditEntry.objects.filter(seq__in=[4, 5]).count() == 2
    assert verify.verify_chain().intact  # entries 4 and 5 are covered, waiting to go

    assert "removed 2 entries an earlier run had archived" in archive(tmp_path, "2026-01-01")
    assert AuditEntry.objects.filter(seq__lte=5).count() == 0
    assert verify.verify_chain(archives=tmp_path).intact
    assert chain.chain_head().seq == head.seq + 1


def test_a_broken_chain_is_not_archived(history, tmp_path):
    tamper.alter(2, object_repr="patron #999")
    with pytest.raises(CommandError, match=r"broken at entry #2 .*nothing was archived"):
        archive(tmp_path, "2025-06-01")
    assert AuditEntry.objects.count() == 7 and list(tmp_path.iterdir()) == []


def test_a_written_down_head_that_was_archived_is_checked_in_the_archive(history, tmp_path):
    written_down = chain.Head(2, AuditEntry.objects.get(seq=2).entry_hash)
    archive(tmp_path, "2025-06-01")
    assert verify.verify_chain(expect=written_down).first_break.kind == "archived"
    path = next(tmp_path.iterdir())
    assert verify.verify_archive(path, expect=written_down).intact
    wrong = chain.Head(2, "f" * 64)
    assert verify.verify_archive(path, expect=wrong).first_break.kind == "rewritten"


def test_a_written_down_head_at_the_archive_boundary_is_checked_in_the_table(history, tmp_path):
    written_down = chain.Head(3, AuditEntry.objects.get(seq=3).entry_hash)
    archive(tmp_path, "2025-06-01")
    assert verify.verify_chain(expect=written_down).intact


def test_timestamps_never_go_backwards_along_the_chain():
    entry_at(days_ago(1))
    late = entry_at(days_ago(5))
    assert late.timestamp == days_ago(1)


@pytest.mark.parametrize(
    ("before", "message"),
    [("2026-06-02", ARCHIVE_DATE_IN_FUTURE), ("01/06/2025", BAD_DATE)],
)
def test_a_bad_date_is_refused(history, tmp_path, before, message):
    with pytest.raises(CommandError) as error:
        archive(tmp_path, before)
    assert str(error.value) == message
    assert AuditEntry.objects.count() == 7


def test_a_missing_directory_is_refused(history, tmp_path):
    with pytest.raises(CommandError) as error:
        archive(tmp_path / "nowhere", "2025-06-01")
    assert str(error.value) == ARCHIVE_NO_DIRECTORY


def test_removal_goes_in_batches(history, tmp_path):
    messages = []
    audit_entries_archive(
        before=datetime.date(2026, 1, 1), directory=tmp_path, batch_size=2, progress=messages.append
    )
    assert messages == [
        "removed entries up to #2",
        "removed entries up to #4",
        "removed entries up to #5",
    ]


@pytest.mark.parametrize("size", ["0", "many"])
def test_a_bad_batch_size_is_refused(history, tmp_path, size):
    from audit.management.commands.archive_audit import BAD_BATCH

    with pytest.raises(CommandError) as error:
        archive(tmp_path, "2025-06-01", "--batch-size", size)
    assert str(error.value) == BAD_BATCH
