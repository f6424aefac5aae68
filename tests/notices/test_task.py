"""The sending task: each notice at most once, mail errors retried, locked notices left."""

import datetime
import logging
import smtplib
import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.utils import timezone

from notices import tasks
from notices.models import Channel, Kind, Notice
from notices.services import Outcome, notice_send
from tests.factories import PatronFactory
from tests.notices.helpers import loan_due


def _due_notice(**patron_fields) -> Notice:
    patron = PatronFactory(**patron_fields)
    today = timezone.localdate()
    loan_due(patron, today - datetime.timedelta(days=1))
    return Notice.objects.create(
        patron=patron, kind=Kind.OVERDUE_FIRST, channel=Channel.EMAIL, created_on=today
    )


@pytest.mark.django_db
def test_a_batch_sends_each_notice_once_however_often_it_runs():
    notices = [_due_notice() for _ in range(3)]
    ids = [notice.pk for notice in notices]
    tasks.notices_send.delay(notice_ids=ids)
    tasks.notices_send.delay(notice_ids=ids)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        notice.patron.email for notice in notices
    )


@pytest.mark.django_db
def test_a_mail_server_error_is_retried_and_the_notice_sent_once(monkeypatch):
    notice = _due_notice()
    send = EmailBackend.send_messages
    failures = []

    def fails_once(self, messages):
        if not failures:
            failures.append(1)
            raise smtplib.SMTPServerDisconnected("connection lost")
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", fails_once)
    tasks.notices_send.delay(notice_ids=[notice.pk])
    assert failures and len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.sent_on == timezone.localdate()
    task = tasks.notices_send
    assert task.retry_backoff and task.max_retries == tasks.MAIL_RETRIES


@pytest.mark.django_db
def test_a_refused_address_leaves_the_notice_unsent_and_out_of_the_log(monkeypatch, caplog):
    notice = _due_notice()

    def refuses(self, messages):
        raise smtplib.SMTPRecipientsRefused({notice.patron.email: (550, b"no such mailbox")})

    monkeypatch.setattr(EmailBackend, "send_messages", refuses)
    with caplog.at_level(logging.INFO):
        tasks.notices_send.delay(notice_ids=[notice.pk])
    notice.refresh_from_db()
    assert notice.sent_on is None
    assert "MailNotSent" in caplog.text
    assert notice.patron.email not in caplog.text and "no such mailbox" not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_notice_another_transaction_holds_is_busy_not_sent(on_postgres):
    notice = _due_notice()
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        try:
            with transaction.atomic():
                Notice.objects.select_for_update().get(pk=notice.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        assert notice_send(notice_id=notice.pk) is Outcome.BUSY
        assert mail.outbox == []
    finally:
        release.set()
        holder.join()
    assert notice_send(notice_id=notice.pk) is Outcome.SENT
    assert notice_send(notice_id=notice.pk) is Outcome.DONE
    assert len(mail.outbox) == 1
