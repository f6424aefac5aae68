"""CAM-1: recordings past their retention are deleted with their files, in batches, unless an
incident or a legal order holds them; each batch leaves one summary entry, never which ones."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from audit.models import AuditEntry
from facilities import retention, services
from facilities.models import FootageRelease, Recording, RecordingHold, Still
from library.roles import Role
from tests.factories import (
    BanFactory,
    CameraFactory,
    FootageOrderScopeFactory,
    IncidentFactory,
    LegalOrderFactory,
    RecordingFactory,
    StillFactory,
)

pytestmark = pytest.mark.django_db
TICK = datetime.timedelta(microseconds=1)


def expired(**fields):
    """A recording whose retention ended a day ago."""
    ends = timezone.now() - datetime.timedelta(days=31)
    fields.setdefault("camera", CameraFactory())
    return RecordingFactory(
        starts_at=ends - datetime.timedelta(hours=1), ends_at=ends, retention_days=30, **fields
    )


def summaries():
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.DELETE, additional_data__reason="retention"
    ).order_by("seq")


def test_a_recording_is_kept_until_the_moment_its_retention_ends():
    recording = RecordingFactory()
    name = recording.file.name
    assert retention.purge_expired_recordings(now=recording.retain_until - TICK) == 0
    assert Recording.objects.filter(pk=recording.pk).exists()
    assert default_storage.exists(name)
    assert retention.purge_expired_recordings(now=recording.retain_until) == 1
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert not default_storage.exists(name)


def test_the_retention_period_is_set_when_a_recording_is_registered(settings):
    settings.FOOTAGE_RETENTION_DAYS = 14
    ends = timezone.now()
    recording = services.recording_register(
        camera=CameraFactory(),
        starts_at=ends - datetime.timedelta(hours=1),
        ends_at=ends,
        file=ContentFile(b"\x00" * 16, name="clip.mp4"),
    )
    assert recording.retain_until == ends + datetime.timedelta(days=14)
    assert default_storage.exists(recording.file.name)


def test_an_incident_hold_keeps_a_recording_until_it_is_lifted(staff):
    recording = expired()
    hold = services.recording_hold_place(
        actor=staff(Role.SECURITY_GUARD), recording=recording, incident=IncidentFactory()
    )
    assert retention.purge_expired_recordings() == 0
    assert default_storage.exists(recording.file.name)
    services.recording_hold_lift(hold=hold)
    assert retention.purge_expired_recordings() == 1


@pytest.mark.parametrize("status", ["under_review", "valid"])
def test_a_holding_legal_order_keeps_the_footage_it_covers(status):
    recording = expired()
    FootageOrderScopeFactory(
        order=LegalOrderFactory(status=status),
        cameras=[recording.camera],
        starts_at=recording.starts_at + datetime.timedelta(minutes=10),  # overlapping is enough
        ends_at=recording.ends_at + datetime.timedelta(days=1),
    )
    assert retention.purge_expired_recordings() == 0
    assert Recording.objects.filter(pk=recording.pk).exists()


@pytest.mark.parametrize("status", ["received", "rejected", "fulfilled", "expired"])
def test_an_order_that_does_not_hold_keeps_nothing(status):
    recording = expired()
    FootageOrderScopeFactory(
        order=LegalOrderFactory(status=status),
        cameras=[recording.camera],
        starts_at=recording.starts_at,
        ends_at=recording.ends_at,
    )
    assert retention.purge_expired_recordings() == 1


def test_an_order_holds_only_its_own_cameras_and_window():
    covered = expired()
    expired(camera=CameraFactory())  # another camera
    earlier = expired(camera=covered.camera)
    Recording.objects.filter(pk=earlier.pk).update(
        starts_at=covered.starts_at - datetime.timedelta(hours=3),
        ends_at=covered.starts_at - datetime.timedelta(hours=2),
    )
    FootageOrderScopeFactory(
        order=LegalOrderFactory(),
        cameras=[covered.camera],
        starts_at=covered.starts_at,
        ends_at=covered.ends_at,
    )
    assert retention.purge_expired_recordings() == 2
    assert list(Recording.objects.all()) == [covered]


def test_purging_goes_in_batches_with_one_summary_entry_each():
    for _ in range(5):
        expired()
    seen = []
    assert retention.purge_expired_recordings(batch_size=2, progress=seen.append) == 5
    assert seen == [2, 4, 5]
    assert [(e.additional_data["count"], e.clause, e.content_type.model) for e in summaries()] == [
        (2, "CAM-1", "recording"),
        (2, "CAM-1", "recording"),
        (1, "CAM-1", "recording"),
    ]


def test_a_second_run_finds_nothing_and_writes_nothing():
    expired()
    assert retention.purge_expired_recordings() == 1
    assert retention.purge_expired_recordings() == 0
    assert summaries().count() == 1


def test_summary_entries_name_no_recording():
    expired()
    retention.purge_expired_recordings()
    entry = summaries().get()
    assert entry.object_pk == "-" and entry.object_id is None
    assert entry.additional_data == {
        "bulk": True,
        "count": 1,
        "reason": "retention",
        "kind": "camera recordings",
    }


def test_stills_and_release_records_outlive_the_recording(staff):
    recording = expired()
    still = StillFactory(recording=recording, ban=BanFactory())
    RecordingHold.objects.all().delete()
    release = FootageRelease.objects.create(
        recipient_kind="police",
        recipient_name="PD",
        recording=recording,
        camera=recording.camera,
        portion_from=recording.starts_at,
        portion_until=recording.ends_at,
        incident=still.incident,
        clause="CAM-5",
        reason="help",
        released_by=staff(Role.DIRECTOR),
    )
    assert retention.purge_expired_recordings() == 1
    still.refresh_from_db()
    release.refresh_from_db()
    assert still.recording is None and default_storage.exists(still.image.name)
    assert release.recording is None
    assert (release.camera, release.portion_from) == (recording.camera, recording.starts_at)
    assert Still.objects.count() == 1


def test_a_still_taken_for_an_incident_holds_its_recording(staff):
    recording = expired()
    services.still_create(
        actor=staff(Role.SECURITY_GUARD),
        recording=recording,
        incident=IncidentFactory(),
        taken_at=recording.starts_at,
        image=ContentFile(b"x", name="frame.png"),
    )
    assert retention.purge_expired_recordings() == 0
