"""The demo data follows the desk's rules (CONF-9), so it teaches the right thing."""

import io

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from circulation.models import CirculationDay, Hold, Loan

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the demo's placeholder footage lands here
    call_command("seed_demo", stdout=io.StringIO())


def test_returned_demo_loans_keep_only_days(seeded):
    for loan in Loan.objects.filter(returned_at__isnull=False)[:200]:
        for moment in (loan.checked_out_at, loan.due_at, loan.returned_at):
            local = timezone.localtime(moment)
            assert (local.hour, local.minute, local.second) == (0, 0, 0)


def test_open_demo_loans_are_due_at_the_end_of_a_day(seeded):
    for loan in Loan.objects.filter(returned_at__isnull=True)[:100]:
        local = timezone.localtime(loan.due_at)
        assert (local.hour, local.minute) == (23, 59)


def test_nobody_holds_an_item_they_have_out(seeded):
    assert not Hold.objects.filter(
        item__loans__returned_at__isnull=True, item__loans__patron=F("patron")
    ).exists()


def test_demo_counts_match_the_loans(seeded):
    assert sum(CirculationDay.objects.values_list("checkouts", flat=True)) == Loan.objects.count()


def test_nothing_in_fresh_demo_data_is_past_its_retention(seeded):
    out = io.StringIO()
    call_command("purge_expired", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == "Purged 0 expired records (nothing was due)."


def test_no_demo_reading_history_predates_the_opt_in_the_portal_shows(seeded):
    from circulation.models import ReadingHistoryEntry

    entries = ReadingHistoryEntry.objects.select_related("patron")
    assert entries.exists()
    for entry in entries:
        opted_in = entry.patron.reading_history_changed_at
        assert opted_in is not None
        assert entry.checked_out_on >= timezone.localdate(opted_in), entry.patron.card_number


def test_every_demo_card_past_its_expiry_is_expired(seeded):
    from patrons.models import Patron

    lapsed = Patron.objects.filter(card_expires_on__lt=timezone.localdate())
    assert lapsed.exists()
    assert set(lapsed.values_list("status", flat=True)) == {Patron.Status.EXPIRED}
