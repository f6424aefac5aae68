"""Sent notices keep only day, kind and patron after the retention period; unsent ones go."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEntry
from notices.models import Channel, Kind, Notice
from tests.factories import HoldFactory, PatronFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)


def at_noon(day: datetime.date):
    zone = timezone.get_current_timezone()
    return datetime.datetime.combine(day, datetime.time(12), zone)


def notice(**fields) -> Notice:
    defaults = {"kind": Kind.PRE_DUE, "channel": Channel.EMAIL, "created_on": TODAY}
    return Notice.objects.create(
        patron=fields.pop("patron", None) or PatronFactory(), **{**defaults, **fields}
    )


def purge() -> str:
    out = io.StringIO()
    call_command(
        "purge_expired",
        "--kind",
        "sent notices scrubbed",
        "--kind",
        "notices never sent",
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def test_a_sent_notice_is_scrubbed_to_day_kind_and_patron_after_the_period(settings):
    settings.LIBRARY_RETENTION_DAYS = {**settings.LIBRARY_RETENTION_DAYS, "sent_notices": 30}
    old = notice(sent_on=TODAY)
    fresh = notice(sent_on=TODAY + datetime.timedelta(days=1))
    with time_machine.travel(at_noon(TODAY + datetime.timedelta(days=30)), tick=False):
        purge()
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.scrubbed and old.channel == "" and old.item_id is None and old.hold_id is None
    assert (old.kind, old.created_on, old.patron_id) == (Kind.PRE_DUE, TODAY, old.patron_id)
    assert not fresh.scrubbed and fresh.channel == Channel.EMAIL


def test_the_scrub_leaves_one_summary_saying_how_many_never_whose(settings):
    settings.LIBRARY_RETENTION_DAYS = {**settings.LIBRARY_RETENTION_DAYS, "sent_notices": 30}
    patrons = [PatronFactory() for _ in range(3)]
    for patron in patrons:
        notice(patron=patron, sent_on=TODAY)
    with time_machine.travel(at_noon(TODAY + datetime.timedelta(days=40)), tick=False):
        out = purge()
    assert "3 sent notices scrubbed" in out
    (entry,) = AuditEntry.objects.filter(additional_data__bulk=True, clause="CONF-9")
    assert entry.additional_data["count"] == 3
    text = str(entry.additional_data) + entry.object_repr + entry.object_pk
    assert not any(str(p.pk) in text.replace("3", "", 1) or p.last_name in text for p in patrons)


def test_a_notice_never_sent_in_the_period_is_deleted(settings):
    settings.LIBRARY_RETENTION_DAYS = {**settings.LIBRARY_RETENTION_DAYS, "sent_notices": 30}
    hold = HoldFactory()
    stale = notice(channel=Channel.LETTER, kind=Kind.HOLD_READY, hold=hold, item=hold.item)
    recent = notice(channel=Channel.LETTER, created_on=TODAY + datetime.timedelta(days=5))
    with time_machine.travel(at_noon(TODAY + datetime.timedelta(days=30)), tick=False):
        purge()
    assert not Notice.objects.filter(pk=stale.pk).exists()
    assert Notice.objects.filter(pk=recent.pk).exists()


def test_a_second_purge_finds_nothing(settings):
    notice(sent_on=TODAY)
    with time_machine.travel(at_noon(TODAY + datetime.timedelta(days=60)), tick=False):
        purge()
        assert "nothing was due" in purge()
