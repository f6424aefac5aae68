"""Inactive patron accounts (CONF-3): told once, deleted after the grace period, never while needed.

Everything runs through `manage.py purge_expired`, as cron runs it, and is
checked where people see it: the mail the patron gets, the portal's sign-in
page, the patron list, and the auditors' export of the trail.
"""

import csv
import datetime
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from circulation import services as circulation
from library.roles import Role
from patrons import services, tasks
from patrons.models import Patron
from tests.factories import (
    FineFactory,
    HoldFactory,
    IncidentPersonFactory,
    ItemFactory,
    LegalOrderFactory,
    LoanFactory,
    LoanRuleFactory,
    MinorFactory,
    PatronFactory,
    ResponsibleAdultFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
KIND = "inactive patron accounts"
DAY = datetime.timedelta(days=1)
FOUR_YEARS_AGO = timezone.now() - datetime.timedelta(days=4 * 365)


def purge():
    out = io.StringIO()
    call_command("purge_expired", "--kind", KIND, verbosity=0, stdout=out)
    return out.getvalue()


def later(days):
    """Travel to `days` from now (the worker's mail and the purge both see that day)."""
    return time_machine.travel(timezone.now() + datetime.timedelta(days=days), tick=False)


def dormant(username, **fields):
    """Return a patron registered four years ago whose card ran out and who never came back."""
    login = UserFactory(username=username)
    login.date_joined = login.last_login = FOUR_YEARS_AGO
    login.save(update_fields=["date_joined", "last_login"])
    registered = FOUR_YEARS_AGO.date()
    return PatronFactory(
        user=login,
        registered_on=registered,
        card_expires_on=registered + datetime.timedelta(days=settings.PATRON_CARD_PERIOD_DAYS),
        **fields,
    )


def sign_in(client, patron):
    return client.post(
        reverse("portal:login"), {"username": patron.card_number, "password": PASSWORD}
    )


@pytest.fixture
def run_mail(django_capture_on_commit_callbacks):
    """Run purge_expired, running the mail it queues once its transaction commits."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return purge()

    return run


# --- Told once


def test_an_inactive_account_is_told_once_by_mail(run_mail):
    erin = dormant("erin", email="erin@example.org")
    run_mail()
    [notice] = mail.outbox
    assert notice.to == ["erin@example.org"]
    assert notice.subject == tasks.INACTIVE_NOTICE_SUBJECT
    delete_on = timezone.localdate() + datetime.timedelta(
        days=settings.RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS
    )
    assert f"before {delete_on.isoformat()}" in notice.body
    # Nothing that names the account in the mail: a shared address is not told whose.
    assert erin.card_number not in notice.body and erin.last_name not in notice.body
    run_mail()
    with later(10):
        run_mail()
    assert len(mail.outbox) == 1
    assert Patron.objects.filter(pk=erin.pk).exists()


def test_a_patron_with_no_address_is_not_written_to_but_the_notice_is_recorded(run_mail):
    fay = dormant("fay", email="")
    run_mail()
    assert mail.outbox == []
    fay.refresh_from_db()
    assert fay.inactivity_notice_on == timezone.localdate()


def test_the_notice_mail_keeps_the_address_out_of_the_workers_log(monkeypatch):
    sent = {}
    monkeypatch.setattr(
        tasks.inactive_account_notice, "apply_async", lambda **kwargs: sent.update(kwargs)
    )
    tasks.inactive_account_notice_queue(email="erin@example.org", day="2030-01-01")
    assert sent["kwargs"]["email"] == "erin@example.org"
    assert "erin" not in sent["argsrepr"] + sent["kwargsrepr"]


# --- Deleted after the grace period


def test_after_the_grace_period_the_account_is_deleted_and_its_login_refused(client, run_mail):
    erin = dormant("erin", email="erin@example.org")
    login = erin.user
    assert sign_in(client, erin).status_code == 302  # the password worked before
    client.logout()
    login.last_login = FOUR_YEARS_AGO  # signing in above was activity; undo it for the test
    login.save(update_fields=["last_login"])
    run_mail()
    grace = settings.RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS
    with later(grace - 1):
        run_mail()
    assert Patron.objects.filter(pk=erin.pk).exists()
    with later(grace):
        out = run_mail()
        assert "1 inactive patron accounts" in out
        assert not Patron.objects.filter(card_number=erin.card_number).exists()
        refused = sign_in(client, erin)
        assert refused.status_code == 200 and "do not match" in refused.content.decode()
        by_old_name = client.post(
            reverse("portal:login"), {"username": "erin", "password": PASSWORD}
        )
        assert by_old_name.status_code == 200
    login.refresh_from_db()
    assert not login.is_active and not login.has_usable_password()
    assert (login.username != "erin", login.email, login.first_name) == (True, "", "")
    assert len(mail.outbox) == 1  # no second mail on deletion


def test_using_the_account_in_the_grace_period_keeps_it_and_withdraws_the_notice(client, run_mail):
    erin = dormant("erin")
    run_mail()
    with later(5):
        assert sign_in(client, erin).status_code == 302
    with later(settings.RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS + 1):
        run_mail()
    erin.refresh_from_db()
    assert erin.inactivity_notice_on is None
    assert len(mail.outbox) == 1


# --- Kept while something needs the account


def _held_through_the_grace(patron, run_mail):
    run_mail()
    with later(settings.RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS + 1):
        run_mail()
    patron.refresh_from_db()  # raises if the account went
    return patron


def test_an_account_under_a_legal_hold_is_kept_and_never_told(run_mail):
    erin = dormant("erin")
    order = LegalOrderFactory(patrons=[erin], status="under_review")
    erin = _held_through_the_grace(erin, run_mail)
    assert mail.outbox == [] and erin.inactivity_notice_on is None
    assert list(order.patrons.all()) == [erin]


def test_a_closed_legal_order_keeps_nothing(run_mail):
    erin = dormant("erin")
    LegalOrderFactory(patrons=[erin], status="fulfilled")
    run_mail()
    with later(settings.RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS):
        run_mail()
        assert not Patron.objects.filter(pk=erin.pk).exists()


def test_an_account_with_an_unpaid_fine_is_kept_and_never_told(run_mail):
    erin = dormant("erin")
    FineFactory(patron=erin, created_at=FOUR_YEARS_AGO)
    erin = _held_through_the_grace(erin, run_mail)
    assert mail.outbox == [] and erin.inactivity_notice_on is None


def test_an_account_with_a_loan_never_returned_is_kept_and_never_told(run_mail):
    erin = dormant("erin")
    with time_machine.travel(FOUR_YEARS_AGO, tick=False):
        LoanFactory(patron=erin)
    erin = _held_through_the_grace(erin, run_mail)
    assert mail.outbox == [] and erin.inactivity_notice_on is None


def test_an_account_with_a_live_hold_is_kept(run_mail):
    erin = dormant("erin")
    with time_machine.travel(FOUR_YEARS_AGO, tick=False):
        HoldFactory(patron=erin)
    _held_through_the_grace(erin, run_mail)
    assert mail.outbox == []


def test_a_patron_named_in_an_incident_is_kept(run_mail):
    erin = dormant("erin")
    IncidentPersonFactory(patron=erin)
    _held_through_the_grace(erin, run_mail)
    assert mail.outbox == []


def test_the_listed_adult_of_a_minor_is_kept(run_mail):
    carol = dormant("carol")
    ResponsibleAdultFactory(minor=MinorFactory(), adult=carol)
    _held_through_the_grace(carol, run_mail)
    assert mail.outbox == []


# --- Active accounts are not touched


def test_a_recent_sign_in_keeps_the_account_untouched(run_mail):
    erin = dormant("erin")
    erin.user.last_login = timezone.now() - datetime.timedelta(days=300)
    erin.user.save(update_fields=["last_login"])
    _held_through_the_grace(erin, run_mail)
    assert mail.outbox == [] and erin.inactivity_notice_on is None


def test_a_valid_card_keeps_the_account_untouched(run_mail):
    erin = dormant("erin")
    erin.card_expires_on = timezone.localdate() + datetime.timedelta(days=100)
    erin.save(update_fields=["card_expires_on"])
    _held_through_the_grace(erin, run_mail)
    assert mail.outbox == []


def test_borrowing_and_returning_at_the_desk_keeps_the_account(run_mail):
    erin = dormant("erin")
    LoanRuleFactory()
    item = ItemFactory()
    two_years_ago = timezone.now() - datetime.timedelta(days=2 * 365)
    # The card was still valid then; the loan forgets erin when it comes back (CONF-9).
    with time_machine.travel(two_years_ago, tick=False):
        circulation.loan_checkout(patron=erin, barcode=item.barcode, branch=item.branch)
    with time_machine.travel(two_years_ago + datetime.timedelta(days=10), tick=False):
        circulation.loan_checkin(barcode=item.barcode, branch=item.branch)
    assert not erin.loans.exists()
    erin = _held_through_the_grace(erin, run_mail)
    assert mail.outbox == [] and erin.inactivity_notice_on is None


def test_the_check_in_itself_counts_as_activity(run_mail, settings):
    # A long loan: out more than the inactivity period ago, back since.
    settings.LIBRARY_RETENTION_DAYS = {**settings.LIBRARY_RETENTION_DAYS, "inactive_accounts": 150}
    erin = dormant("erin")
    LoanRuleFactory(loan_days=90)
    item = ItemFactory()
    with time_machine.travel(timezone.now() - datetime.timedelta(days=160), tick=False):
        erin.card_expires_on = timezone.localdate() + DAY
        erin.save(update_fields=["card_expires_on"])
        circulation.loan_checkout(patron=erin, barcode=item.barcode, branch=item.branch)
        erin.card_expires_on = timezone.localdate() - datetime.timedelta(days=20)
        erin.save(update_fields=["card_expires_on"])
        Patron.objects.filter(pk=erin.pk).update(last_active_on=None)  # only the check-in stamps
    with time_machine.travel(timezone.now() - datetime.timedelta(days=80), tick=False):
        circulation.loan_checkin(barcode=item.barcode, branch=item.branch)
    erin.refresh_from_db()
    assert erin.last_active_on is not None and erin.last_active_on.day == 1
    _held_through_the_grace(erin, run_mail)
    assert mail.outbox == []


# --- What the audit trail keeps


def last_seq():
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_the_trail_counts_notices_and_deletions_and_names_no_one(client, staff, run_mail):
    erin = dormant("erin", email="erin@example.org", first_name="Erin", last_name="Eastwood")
    fay = dormant("fay", email="", first_name="Fay", last_name="Fairweather")
    kept = dormant("gil")
    FineFactory(patron=kept)
    before = last_seq()
    run_mail()
    with later(settings.RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS):
        run_mail()
        after = last_seq()
        client.force_login(staff(Role.AUDITOR))
        response = client.get(reverse("audit:entries_export"))
    body = b"".join(response.streaming_content).decode()
    rows = [row for row in csv.DictReader(io.StringIO(body)) if before < int(row["seq"]) <= after]
    rows.sort(key=lambda row: int(row["seq"]))
    # One summary per step, and nothing else: no entry per patron, login or grant.
    assert [(row["action"], row["clause"], row["record"]) for row in rows] == [
        ("update", "CONF-3", "patrons"),
        ("delete", "CONF-3", "patrons"),
    ]
    notice, deletion = rows
    assert notice["details"] == f"2 records: {services.INACTIVE_NOTIFIED}"
    assert deletion["details"] == f"2 records: {services.INACTIVE_ERASED}"
    names = [erin.first_name, erin.last_name, fay.last_name, erin.card_number, fay.card_number]
    names += ["erin@example.org", "erin", "fay"]
    for row in rows:
        assert row["patron_id"] == "" and row["actor"] == ""
        text = " ".join(row.values()).lower()
        assert not [name for name in names if name.lower() in text]
    # What the trail stores beyond the export: the kind and how many were mailed, no record.
    ids = {str(pk) for pk in (erin.pk, fay.pk, erin.user_id, fay.user_id)}
    stored = list(AuditEntry.objects.filter(seq__gt=before, seq__lte=after).order_by("seq"))
    assert [entry.additional_data["kind"] for entry in stored] == [KIND, KIND]
    assert stored[0].additional_data["emailed"] == 1
    for entry in stored:
        assert set(entry.additional_data) <= {"bulk", "count", "reason", "kind", "emailed"}
        assert entry.object_pk not in ids and entry.object_id is None and not entry.changes


# --- What the patron sees of it


def test_the_patrons_download_shows_the_month_of_their_last_loan_and_the_notice(client, run_mail):
    erin = dormant("erin")
    run_mail()
    with time_machine.travel(FOUR_YEARS_AGO, tick=False):
        LoanFactory(patron=erin)  # stamps the month it went out
    client.force_login(erin.user)
    data = json.loads(client.get(reverse("portal:download")).content)
    [account] = [row for row in data["identity"] if row["kind"] == "account"]
    assert account["last_active_month"] == timezone.localtime(FOUR_YEARS_AGO).strftime("%Y-%m")
    assert account["told_unused_account_is_deleted_on"] == timezone.localdate().isoformat()


# --- Settings


def _settings_in_a_new_process(**environment):
    code = (
        "from django.conf import settings as s; "
        "print(s.LIBRARY_RETENTION_DAYS['inactive_accounts'], "
        "s.RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS)"
    )
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DATABASE_URL": "sqlite:///:memory:", **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_periods_default_to_three_years_and_thirty_days_and_come_from_the_environment():
    assert settings.LIBRARY_RETENTION_DAYS["inactive_accounts"] == 3 * 365
    assert settings.RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS == 30
    result = _settings_in_a_new_process(
        RETENTION_INACTIVE_ACCOUNTS_DAYS="400", RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS="14"
    )
    assert result.stdout.split() == ["400", "14"], result.stderr


def test_a_grace_period_as_long_as_the_inactivity_period_stops_start_up():
    result = _settings_in_a_new_process(
        RETENTION_INACTIVE_ACCOUNTS_DAYS="60", RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS="60"
    )
    assert result.returncode != 0
    assert "RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS must be shorter" in result.stderr
