"""Issue 18: footage enters the system from a recorder's export folder (import_footage).

Each file is checked against its SHA-256, a camera in a private space is
refused (CAM-2), what is held already is skipped, and a run leaves one summary
entry in the audit trail, never which recordings (CAM-1).
"""

import datetime
import hashlib
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AuditEntry
from facilities.footage_import import IMPORT_REASON, MANIFEST_NAME
from facilities.models import Recording
from tests.config.test_settings import ROOT
from tests.factories import MP4_BYTES, BranchFactory, CameraFactory

pytestmark = pytest.mark.django_db

HEADER = "camera,start,end,file,sha256,location\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clip(number: int) -> bytes:
    return MP4_BYTES + f"clip {number}".encode()


def at(hours_ago: float) -> str:
    moment = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=hours_ago)
    return timezone.localtime(moment).isoformat()


class Export:
    """A recorder's export folder, written line by line."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.lines = [HEADER]

    def add(
        self,
        camera: str,
        number: int,
        *,
        hours_ago: float = 3,
        location: str = "entrance",
        data: bytes | None = None,
        declared: str | None = None,
        name: str | None = None,
    ) -> None:
        data = clip(number) if data is None else data
        name = name or f"ch/{number:03d}.mp4"
        (self.folder / name).parent.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(data)
        start, end = at(hours_ago), at(hours_ago - 1)
        self.lines.append(f"{camera},{start},{end},{name},{declared or sha256(data)},{location}\n")

    def write(self) -> Path:
        (self.folder / MANIFEST_NAME).write_text("".join(self.lines))
        return self.folder


def run(folder: Path, *arguments: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_footage", str(folder), *arguments, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def import_summaries():
    return AuditEntry.objects.filter(additional_data__reason=IMPORT_REASON)


@pytest.fixture
def cameras():
    branch = BranchFactory(code="CEN", name="Central Library")
    return {
        "doors": CameraFactory(branch=branch, name="Main doors", location_type="entrance"),
        "stacks": CameraFactory(branch=branch, name="Stacks east", location_type="stacks"),
    }


def test_a_good_folder_is_imported_with_each_file_stored_and_hashed(cameras, tmp_path):
    export = Export(tmp_path / "export")
    export.add("Main doors", 1)
    export.add("Stacks east", 2, location="stacks")
    out, err = run(export.write())
    assert out == "imported 2 recordings; skipped 0 already present; refused 0"
    assert err == ""
    recordings = list(Recording.objects.order_by("camera__name"))
    assert [r.camera for r in recordings] == [cameras["doors"], cameras["stacks"]]
    for number, recording in enumerate(recordings, start=1):
        assert recording.sha256 == sha256(clip(number))
        # Copied into the footage storage, not linked to the export folder.
        assert recording.file.name.startswith("footage/recordings/")
        with default_storage.open(recording.file.name, "rb") as stored:
            assert stored.read() == clip(number)
        assert recording.ends_at - recording.starts_at == datetime.timedelta(hours=1)
        assert recording.retain_until == recording.ends_at + datetime.timedelta(days=30)
    # One summary for the run: how many and why, never which recordings.
    entry = import_summaries().get()
    assert entry.action == AuditEntry.Action.CREATE and entry.clause == "CAM-1"
    assert entry.object_pk == "-" and entry.actor is None
    assert entry.additional_data == {
        "bulk": True,
        "count": 2,
        "reason": IMPORT_REASON,
        "kind": "camera recordings",
        "skipped": 0,
        "refused": 0,
    }


def test_a_bad_hash_is_refused_and_reported_with_its_line(cameras, tmp_path):
    export = Export(tmp_path / "export")
    export.add("Main doors", 1)
    export.add("Main doors", 2, hours_ago=5, declared=sha256(b"something else"))
    out, err = run(export.write())
    assert out == "imported 1 recordings; skipped 0 already present; refused 1"
    assert err.startswith(f"{MANIFEST_NAME} line 3: file '002.mp4' does not match its sha256")
    assert len(err.splitlines()) == 1
    assert Recording.objects.get().sha256 == sha256(clip(1))
    # The refused file's copy is not left in the footage storage.
    assert len(list((Path(default_storage.location) / "footage").rglob("*.mp4"))) == 1


def test_a_camera_the_recorder_places_in_a_private_space_is_refused(cameras, tmp_path):
    export = Export(tmp_path / "export")
    export.add("Main doors", 1, location="restroom")
    export.add("Restroom corridor", 2)
    out, err = run(export.write())
    assert out == "imported 0 recordings; skipped 0 already present; refused 2"
    first, second = err.splitlines()
    assert first.startswith(f"{MANIFEST_NAME} line 2: restroom: Cameras go only in public spaces")
    assert "(CAM-2)" in first
    # Not registered: only public-space cameras can be (CAM-2).
    assert second.startswith(
        f"{MANIFEST_NAME} line 3: camera 'Restroom corridor' is not registered"
    )
    assert not Recording.objects.exists()
    assert not import_summaries().exists()
    assert not (Path(default_storage.location) / "footage").exists()


def test_a_repeated_run_imports_nothing_new(cameras, tmp_path):
    export = Export(tmp_path / "export")
    export.add("Main doors", 1)
    export.add("Stacks east", 2, location="stacks")
    folder = export.write()
    run(folder)
    out, err = run(folder)
    assert out == "imported 0 recordings; skipped 2 already present; refused 0"
    assert err == ""
    assert Recording.objects.count() == 2
    assert import_summaries().count() == 1


def test_the_same_file_under_another_name_or_camera_is_skipped(cameras, tmp_path):
    export = Export(tmp_path / "export")
    export.add("Main doors", 1)
    export.add("Stacks east", 2, location="stacks", data=clip(1), name="copy/of-001.mp4")
    out, _ = run(export.write())
    assert out == "imported 1 recordings; skipped 1 already present; refused 0"


def test_a_dry_run_checks_everything_and_stores_nothing(cameras, tmp_path):
    export = Export(tmp_path / "export")
    export.add("Main doors", 1)
    export.add("Main doors", 2, hours_ago=5, declared=sha256(b"other"))
    out, err = run(export.write(), "--dry-run")
    assert out == (
        "imported 1 recordings; skipped 0 already present; refused 1 (dry run: nothing stored)"
    )
    assert "line 3" in err
    assert not Recording.objects.exists() and not import_summaries().exists()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Main doors,{start},{end},../outside.mp4,{hash},", "is not a path inside"),
        ("Main doors,{start},{end},/etc/passwd.mp4,{hash},", "is not a path inside"),
        ("Main doors,{start},{end},missing.mp4,{hash},", "is not in the export folder"),
        ("Main doors,{start},{end},notes.txt,{hash},", "is not footage"),
        ("Main doors,yesterday,{end},ch/001.mp4,{hash},", "start 'yesterday' is not a date"),
        ("Main doors,{end},{start},ch/001.mp4,{hash},", "ends before it starts"),
        ("Main doors,{start},{end},ch/001.mp4,xyz,", "is not a SHA-256"),
        ("Main doors,{start},{end},ch/001.mp4,,", "no sha256"),
        ("Main doors,{start},{end},ch/001.mp4,{hash},parking", "registered in entrance"),
        ("Main doors,{start},{end},ch/001.mp4,{hash},attic", "not a kind of place"),
        ("Main doors,{start},{end},ch/001.mp4,{hash},entrance,extra", "more values"),
        ("Main doors,{old_start},{old_end},ch/001.mp4,{hash},", "more than 30 days ago"),
        ("Main doors,{start},{future},ch/001.mp4,{hash},", "ends in the future"),
    ],
)
def test_each_bad_entry_is_refused_with_its_line_and_reason(cameras, tmp_path, line, reason):
    folder = tmp_path / "export"
    (folder / "ch").mkdir(parents=True)
    (folder / "ch" / "001.mp4").write_bytes(clip(1))
    (folder / "notes.txt").write_bytes(clip(1))
    (tmp_path / "outside.mp4").write_bytes(clip(1))
    values = {
        "start": at(3),
        "end": at(2),
        "old_start": at(32 * 24),
        "old_end": at(31 * 24),
        "future": at(-2),
        "hash": sha256(clip(1)),
    }
    (folder / MANIFEST_NAME).write_text(HEADER + "\n" + line.format(**values) + "\n")
    out, err = run(folder)
    assert out.endswith("refused 1")
    assert err.startswith(f"{MANIFEST_NAME} line 3: ")  # the blank line 2 is passed over
    assert reason in err and len(err.splitlines()) == 1
    assert not Recording.objects.exists()


def test_a_camera_name_at_two_branches_needs_the_branch(cameras, tmp_path):
    CameraFactory(branch=BranchFactory(code="NTH", name="North"), name="Main doors")
    export = Export(tmp_path / "export")
    export.add("Main doors", 1)
    folder = export.write()
    _, err = run(folder)
    assert "more than one branch (CEN, NTH)" in err and "--branch" in err
    out, _ = run(folder, "--branch", "CEN")
    assert out.startswith("imported 1 recordings")
    assert Recording.objects.get().camera == cameras["doors"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: None, "There is no folder"),
        (lambda path: path.mkdir(), "has no manifest.csv"),
        (lambda path: path.write_text("a file"), "There is no folder"),
    ],
)
def test_a_missing_folder_or_manifest_is_one_line(cameras, tmp_path, make, message):
    folder = tmp_path / "export"
    make(folder)
    with pytest.raises(CommandError) as error:
        run(folder)
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (b"", "manifest.csv is empty"),
        (b"camera,start,file\n", "has no end, sha256 column"),
        (b"camera,start,end,file,sha256\n\xff\xfe\n", "is not UTF-8 text"),
    ],
)
def test_a_manifest_that_cannot_be_read_is_one_line_and_nothing_is_stored(
    cameras, tmp_path, manifest, message
):
    (tmp_path / MANIFEST_NAME).write_bytes(manifest)
    with pytest.raises(CommandError, match=message):
        run(tmp_path)
    assert not Recording.objects.exists()


def test_an_unknown_branch_is_one_line(cameras, tmp_path):
    (tmp_path / MANIFEST_NAME).write_text(HEADER)
    with pytest.raises(CommandError, match="no branch with the code 'XYZ'"):
        run(tmp_path, "--branch", "XYZ")


def test_from_a_shell_a_missing_folder_exits_non_zero_with_one_line(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "PRODUCTION"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "import_footage", str(tmp_path / "nowhere")],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"CommandError: There is no folder {str(tmp_path / 'nowhere')!r}."
    ]
