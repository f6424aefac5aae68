"""Recordings from a recorder's export folder: the code behind `manage.py import_footage`.

The folder holds the exported video files and `manifest.csv`, one row per
recording (docs/operations.md, "Importing footage"):

    camera,start,end,file,sha256,location
    Main doors,2026-11-30T09:00:00-06:00,2026-11-30T10:00:00-06:00,ch1/0900.mp4,9f86...,entrance

`camera` is a registered camera's name (at the branch given with --branch,
or at the one branch that has a camera of that name); `start` and `end` are
ISO 8601, in TIME_ZONE when they carry no offset; `file` is a path inside the
folder; `sha256` is the file's SHA-256 in hex. `location` is optional: the
kind of place the recorder says the camera watches.

CSV rather than JSON because recorders and their export tools write CSV
indexes, an operator can read and fix one in any spreadsheet, and a bad
entry can be reported by its line.

Each entry is checked in full before anything is stored: a camera that is not
registered, or that the recorder places in a private space, is refused (only
public-space cameras are ever registered, CAM-2); so is a file outside the
folder, missing, of a type footage never has, or whose SHA-256 differs from
the manifest's, and footage already past its retention (CAM-1). A recording
already held (same camera and start, or same SHA-256) is skipped. The file is
copied into the footage storage as it is hashed, so what is stored is exactly
what was checked; the row is written in a transaction of its own, and the
copy removed if that transaction does not commit.

The audit trail gets one summary entry per run that stored something: how
many recordings and why (CAM-1), never which ones, as for their purge
(facilities.retention).
"""

import csv
import datetime
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit import entries as audit_entries
from audit.models import AuditEntry
from facilities import services
from facilities.models import (
    FOOTAGE_FILE_TYPES,
    PRIVATE_LOCATION_REFUSED,
    PRIVATE_LOCATION_TYPES,
    Camera,
    LocationType,
    Recording,
)
from library.models import Branch

MANIFEST_NAME = "manifest.csv"
REQUIRED_COLUMNS = ("camera", "start", "end", "file", "sha256")
OPTIONAL_COLUMNS = ("location",)
# A recorder's clock may run a little ahead of the server's.
CLOCK_TOLERANCE = datetime.timedelta(minutes=5)
IMPORT_REASON = "imported from a recorder's export"

SUMMARY = "imported {imported} recordings; skipped {skipped} already present; refused {refused}"
NO_FOLDER = "There is no folder {folder}."
NO_MANIFEST = (
    "The folder {folder} has no " + MANIFEST_NAME + ": a recorder's export lists its "
    "recordings there (see docs/operations.md, Importing footage)."
)
MANIFEST_UNREADABLE = MANIFEST_NAME + " cannot be read: {reason}."
MANIFEST_NOT_TEXT = MANIFEST_NAME + " is not UTF-8 text."
MANIFEST_EMPTY = MANIFEST_NAME + " is empty: it needs a header line ({columns})."
MANIFEST_COLUMNS = MANIFEST_NAME + " has no {missing} column; its header must name {columns}."
MANIFEST_NOT_CSV = MANIFEST_NAME + " line {line} is not CSV: {reason}."
NO_BRANCH = "There is no branch with the code {code}."

TIME_FORMAT = "ISO 8601, such as 2026-11-30T14:00:00-06:00"


class FootageFolderError(Exception):
    """The folder or its manifest cannot be used at all; the message is one line."""


class Refusal(Exception):
    """An entry that is not imported; the message says why in one line."""


@dataclass(frozen=True)
class Entry:
    """One row of the manifest, as written, with the line it starts on."""

    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "").strip()


@dataclass(frozen=True)
class BadEntry:
    """An entry that was refused: its line and the reason, in one line."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"{MANIFEST_NAME} line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    refused: int = 0

    def __str__(self) -> str:
        return SUMMARY.format(**self.__dict__)


@dataclass(frozen=True)
class _Checked:
    camera: Camera
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    path: Path
    sha256: str


@dataclass
class _Cameras:
    """Cameras looked up by name, once each."""

    branch: Branch | None
    found: dict[str, Camera | str] = field(default_factory=dict)

    def get(self, name: str) -> Camera:
        if name not in self.found:
            self.found[name] = self._look_up(name)
        camera = self.found[name]
        if isinstance(camera, str):
            raise Refusal(camera)
        return camera

    def _look_up(self, name: str) -> Camera | str:
        cameras = Camera.objects.filter(name=name).select_related("branch")
        where = ""
        if self.branch is not None:
            cameras = cameras.filter(branch=self.branch)
            where = f" at {self.branch.code}"
        found = list(cameras[:10])
        if len(found) > 1:
            codes = ", ".join(sorted(camera.branch.code for camera in found))
            return (
                f"camera {name!r} is registered at more than one branch ({codes}); "
                "name the recorder's branch with --branch"
            )
        if not found:
            return (
                f"camera {name!r} is not registered{where}: footage is imported only from "
                "cameras registered in public spaces (CAM-1, CAM-2)"
            )
        return found[0]


def open_folder(folder: str) -> tuple[Path, list[Entry]]:
    """Return the export folder and its manifest's entries, or raise FootageFolderError."""
    try:
        root = Path(folder).resolve() if folder else None
        if root is None or not root.is_dir():
            raise FootageFolderError(NO_FOLDER.format(folder=_shown(folder)))
        manifest = root / MANIFEST_NAME
        if not manifest.is_file():
            raise FootageFolderError(NO_MANIFEST.format(folder=_shown(folder)))
        data = manifest.read_bytes()
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or "the name is not a valid path"
        raise FootageFolderError(f"The folder {_shown(folder)} cannot be read: {reason}.") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FootageFolderError(MANIFEST_NOT_TEXT) from None
    return root, _entries(text)


def _shown(folder: str) -> str:
    """A folder name fit for one line of an error message."""
    shown = repr(folder)
    return shown if len(shown) <= 200 else shown[:197] + "...'"


def _entries(text: str) -> list[Entry]:
    columns = ", ".join(REQUIRED_COLUMNS)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise FootageFolderError(MANIFEST_EMPTY.format(columns=columns))
        names = [name.strip().lower() for name in header]
        missing = [name for name in REQUIRED_COLUMNS if name not in names]
        if missing:
            raise FootageFolderError(
                MANIFEST_COLUMNS.format(missing=", ".join(missing), columns=columns)
            )
        entries = []
        while True:
            line = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if not any(value.strip() for value in row):
                continue  # a blank line
            values = dict(zip(names, row, strict=False))
            if len(row) > len(names):
                values["\0extra"] = "yes"
            entries.append(Entry(line=line, values=values))
    except csv.Error as error:
        raise FootageFolderError(
            MANIFEST_NOT_CSV.format(line=reader.line_num, reason=error)
        ) from None
    return entries


def branch_by_code(code: str) -> Branch:
    branch = Branch.objects.filter(code=code.strip()).first() if "\0" not in code else None
    if branch is None:
        raise FootageFolderError(NO_BRANCH.format(code=_shown(code)))
    return branch


def footage_import(
    *,
    root: Path,
    entries: list[Entry],
    branch: Branch | None = None,
    dry_run: bool = False,
    on_bad: Callable[[BadEntry], None] = lambda bad: None,
    progress: Callable[[], None] = lambda: None,
    now: datetime.datetime | None = None,
) -> ImportReport:
    """Import every entry that passes its checks; report the others through `on_bad`.

    With `dry_run` every check is made (files hashed too) and nothing is
    stored. Running the same folder again imports nothing new.
    """
    now = now or timezone.now()
    report = ImportReport()
    cameras = _Cameras(branch)
    seen: set[tuple[int, datetime.datetime]] = set()
    seen_hashes: set[str] = set()
    try:
        for entry in entries:
            try:
                checked = _check(entry, root=root, cameras=cameras, now=now)
                key = (checked.camera.pk, checked.starts_at)
                if key in seen or checked.sha256 in seen_hashes or _present(checked):
                    report.skipped += 1
                elif dry_run:
                    if _file_sha256(checked.path) != checked.sha256:
                        raise Refusal(_mismatch(checked))
                    report.imported += 1
                elif _store(checked):
                    report.imported += 1
                else:
                    report.skipped += 1
                seen.add(key)
                seen_hashes.add(checked.sha256)
            except Refusal as refusal:
                report.refused += 1
                on_bad(BadEntry(entry.line, str(refusal)))
            progress()
    finally:
        # Written even when the run is interrupted: what was stored is accounted for.
        if report.imported and not dry_run:
            _audit(report)
    return report


def _check(entry: Entry, *, root: Path, cameras: _Cameras, now: datetime.datetime) -> _Checked:
    """Return what the entry says, checked, or raise Refusal; the file is not read yet."""
    if "\0extra" in entry.values:
        raise Refusal("the line has more values than the header has columns")
    for column in REQUIRED_COLUMNS:
        if not entry.get(column):
            raise Refusal(f"no {column}")
    location = entry.get("location")
    _refuse_private(location)
    camera = cameras.get(entry.get("camera"))
    _check_location(location, camera)
    starts_at, ends_at = _moment(entry, "start"), _moment(entry, "end")
    if ends_at <= starts_at:
        raise Refusal("the recording ends before it starts")
    if ends_at > now + CLOCK_TOLERANCE:
        raise Refusal("the recording ends in the future: is the recorder's clock right?")
    days = settings.FOOTAGE_RETENTION_DAYS
    if ends_at + datetime.timedelta(days=days) <= now:
        raise Refusal(
            f"the recording ended more than {days} days ago, past the time footage is kept (CAM-1)"
        )
    sha256 = entry.get("sha256").lower()
    if len(sha256) != 64 or any(char not in "0123456789abcdef" for char in sha256):
        raise Refusal("sha256 is not a SHA-256 in hex (64 characters, 0-9 and a-f)")
    return _Checked(camera, starts_at, ends_at, _file(root, entry.get("file")), sha256)


def _kind(location: str) -> str:
    return location.lower().replace(" ", "_").replace("-", "_")


def _refuse_private(location: str) -> None:
    """Refuse footage the recorder places in a private space, whatever the camera (CAM-2)."""
    kind = _kind(location)
    if kind in PRIVATE_LOCATION_TYPES:
        raise Refusal(f"{PRIVATE_LOCATION_TYPES[kind].lower()}: {PRIVATE_LOCATION_REFUSED}")


def _check_location(location: str, camera: Camera) -> None:
    """Refuse footage the recorder places where the camera is not registered (CAM-1)."""
    if not location:
        return
    kind = _kind(location)
    if kind not in LocationType.values:
        raise Refusal(f"location {location!r} is not a kind of place cameras are registered in")
    if kind != camera.location_type:
        raise Refusal(
            f"the recorder places camera {camera.name!r} in {LocationType(kind).label.lower()}, "
            f"but it is registered in {camera.get_location_type_display().lower()}; correct "
            "its registration first (CAM-1)"
        )


def _moment(entry: Entry, column: str) -> datetime.datetime:
    value = entry.get(column)
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise Refusal(f"{column} {value[:40]!r} is not a date and time ({TIME_FORMAT})") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _file(root: Path, name: str) -> Path:
    """Return the entry's file: a regular file inside the folder, of a footage type."""
    relative = PurePosixPath(name.replace("\\", "/"))
    shown = repr(name[:80])
    if relative.is_absolute() or ".." in relative.parts or "\0" in name:
        raise Refusal(f"file {shown} is not a path inside the export folder")
    extension = relative.suffix.lower().lstrip(".")
    if extension not in FOOTAGE_FILE_TYPES:
        raise Refusal(
            f"file {shown} is not footage (the types kept are {', '.join(FOOTAGE_FILE_TYPES)})"
        )
    try:
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise Refusal(f"file {shown} leads outside the export folder")
        if not path.is_file():
            raise Refusal(f"file {shown} is not in the export folder")
    except OSError as error:
        raise Refusal(f"file {shown} cannot be read: {error.strerror}") from None
    return path


def _present(checked: _Checked) -> bool:
    """Whether a recording of this camera and start, or with this SHA-256, is held already."""
    return Recording.objects.filter(
        Q(camera=checked.camera, starts_at=checked.starts_at) | Q(sha256=checked.sha256)
    ).exists()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
    except OSError as error:
        raise Refusal(f"file {path.name!r} cannot be read: {error.strerror}") from None
    return digest.hexdigest()


def _mismatch(checked: _Checked, actual: str | None = None) -> str:
    actual = actual or _file_sha256(checked.path)
    return (
        f"file {checked.path.name!r} does not match its sha256 (the manifest says "
        f"{checked.sha256[:12]}..., the file is {actual[:12]}...): it may be damaged or "
        "not the file exported"
    )


class _HashingFile(File):
    """A file that hashes what the storage reads from it while copying it."""

    def __init__(self, handle: Any, name: str) -> None:
        super().__init__(handle, name)
        self.digest = hashlib.sha256()
        self.hashed = 0

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        self.digest = hashlib.sha256()
        self.hashed = 0
        for chunk in super().chunks(chunk_size):
            self.digest.update(chunk)
            self.hashed += len(chunk)
            yield chunk


def _store(checked: _Checked) -> bool:
    """Copy the file into the footage storage and register it; False if it was there already."""
    file_field = Recording._meta.get_field("file")
    storage = file_field.storage
    extension = checked.path.suffix.lower()
    start = checked.starts_at.astimezone(datetime.UTC)
    # A neutral name: which camera and when (Unix seconds), nothing of the recorder's naming.
    name = file_field.generate_filename(
        Recording(camera=checked.camera),
        f"camera{checked.camera.pk}-{int(start.timestamp())}{extension}",
    )
    try:
        with checked.path.open("rb") as handle:
            source = _HashingFile(handle, checked.path.name)
            stored = storage.save(name, source, max_length=file_field.max_length)
    except (OSError, SuspiciousFileOperation) as error:
        raise Refusal(f"file {checked.path.name!r} cannot be copied: {error}") from None
    try:
        # A storage that does not read through chunks(): hash the copy instead.
        actual = (
            source.digest.hexdigest()
            if source.hashed == checked.path.stat().st_size
            else _stored_sha256(storage, stored)
        )
        if actual != checked.sha256:
            raise Refusal(_mismatch(checked, actual))
        with transaction.atomic():
            # Two runs importing the same export wait for each other here, and
            # the second finds what the first stored.
            Camera.objects.select_for_update().filter(pk=checked.camera.pk).exists()
            if _present(checked):
                storage.delete(stored)
                return False
            services.recording_register(
                camera=checked.camera,
                starts_at=checked.starts_at,
                ends_at=checked.ends_at,
                file=stored,
                sha256=checked.sha256,
            )
    except ValidationError as error:
        storage.delete(stored)
        raise Refusal(" ".join(error.messages)) from None
    except BaseException:
        storage.delete(stored)
        raise
    return True


def _stored_sha256(storage: Any, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        for chunk in handle.chunks():
            digest.update(chunk)
    return digest.hexdigest()


def _audit(report: ImportReport) -> None:
    audit_entries.record_summary(
        model=Recording,
        action=AuditEntry.Action.CREATE,
        count=report.imported,
        reason=IMPORT_REASON,
        clause="CAM-1",
        details={"kind": "camera recordings", "skipped": report.skipped, "refused": report.refused},
    )
