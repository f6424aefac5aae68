"""A password reset does the same work for a known and an unknown address: the worker mails.

The page queues one task whatever the address; the task, in the worker, finds
the logins with that address and mails them, or nobody.
"""

import logging
import smtplib
import time
from urllib.parse import urlsplit

import pytest
import redis
from celery import Celery
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.celery import app
from config.env import env_str
from patrons import tasks
from tests.portal.helpers import query_shapes

pytestmark = pytest.mark.django_db

NOBODY = "nobody@example.org"
TEST_BROKER_URL = env_str("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def queued(monkeypatch):
    """Record what the page queues instead of running it."""
    calls = []
    task = tasks.password_reset_mail
    monkeypatch.setattr(task, "apply_async", lambda *a, **kw: calls.append((a, kw)))
    monkeypatch.setattr(task, "delay", lambda *a, **kw: calls.append((a, kw)))
    return calls


def _reset(client, email):
    return client.post(reverse("portal:password_reset"), {"email": email})


def test_the_page_queues_one_task_for_a_known_and_for_an_unknown_address(client, alice, queued):
    known = _reset(client, alice.email)
    unknown = _reset(client, NOBODY)
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("portal:password_reset_done")
    assert len(queued) == 2
    (known_args, known_call), (unknown_args, unknown_call) = queued
    assert known_args == unknown_args == ()
    assert known_call.keys() == unknown_call.keys()
    assert known_call["kwargs"] == {
        "email": alice.email,
        "domain": "testserver",
        "use_https": False,
    }
    assert unknown_call["kwargs"] == {**known_call["kwargs"], "email": NOBODY}


def test_the_page_sends_no_mail_itself(client, alice, queued):
    _reset(client, alice.email)
    assert mail.outbox == []


def test_the_page_runs_the_same_queries_for_a_known_and_an_unknown_address(client, alice, queued):
    _reset(client, NOBODY)  # the first request does one-off work
    with CaptureQueriesContext(connection) as known:
        _reset(client, alice.email)
    with CaptureQueriesContext(connection) as unknown:
        _reset(client, NOBODY)
    assert query_shapes(known.captured_queries) == query_shapes(unknown.captured_queries)


def test_what_the_worker_logs_of_a_queued_reset_names_no_address(client, alice, queued):
    _reset(client, alice.email)
    [(_, call)] = queued
    assert (call["argsrepr"], call["kwargsrepr"]) == (tasks.HIDDEN_ARGS, tasks.HIDDEN_KWARGS)
    assert "@" not in call["argsrepr"] + call["kwargsrepr"]


def _send(email):
    tasks.password_reset_mail.delay(email=email, domain="library.example.org", use_https=True)


def test_the_task_mails_a_link_to_the_login_with_a_known_address(alice):
    _send(alice.email)
    [message] = mail.outbox
    assert message.to == [alice.email]
    assert "https://library.example.org/portal/password-reset/" in message.body


def test_the_task_mails_nobody_for_an_unknown_address(alice):
    _send(NOBODY)
    assert mail.outbox == []


def test_a_mail_server_error_is_retried(alice, monkeypatch):
    send = EmailBackend.send_messages
    failures = []

    def fails_once(self, messages):
        if not failures:
            failures.append(1)
            raise smtplib.SMTPServerDisconnected("connection lost")
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", fails_once)
    _send(alice.email)
    assert failures and len(mail.outbox) == 1
    task = tasks.password_reset_mail
    assert task.retry_backoff and task.max_retries == tasks.MAIL_RETRIES
    assert task.retry_backoff_max == tasks.MAIL_RETRY_MAX_DELAY


def test_a_refused_address_is_kept_out_of_the_log(alice, monkeypatch, caplog):
    def refuses(self, messages):
        raise smtplib.SMTPRecipientsRefused({alice.email: (550, b"no such mailbox")})

    monkeypatch.setattr(EmailBackend, "send_messages", refuses)
    with caplog.at_level(logging.INFO):
        _send(alice.email)
    assert mail.outbox == []
    assert "MailNotSent" in caplog.text
    assert alice.email not in caplog.text and "no such mailbox" not in caplog.text


# The real thing: a Celery worker taking the task from Redis.


@pytest.fixture
def redis_broker():
    """Return the test broker's URL, or skip when no Redis answers there."""
    try:
        redis.Redis.from_url(TEST_BROKER_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {urlsplit(TEST_BROKER_URL).netloc} (CELERY_TEST_BROKER_URL)")
    return TEST_BROKER_URL


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_takes_the_reset_from_redis_and_mails_it(client, alice, redis_broker):
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun, task_received

    received = []  # tasks the worker took from the broker (an eager run takes none)

    def took(request, **kwargs):
        received.append(request.name)

    def close_worker_connections(**kwargs):
        # The worker thread's own database connection must not outlive the test.
        connections.close_all()

    # A fresh app as config/celery.py makes it, pointed at the test broker: the
    # project's app may already hold a (never opened) connection for the eager runs.
    worker_app = Celery("config", set_as_current=False)
    worker_app.config_from_object("django.conf:settings", namespace="CELERY")
    worker_app.conf.update(broker_url=redis_broker, task_always_eager=False)
    task_received.connect(took, weak=False)
    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with worker_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(worker_app.conf.task_default_queue)
        # start_worker makes worker_app the current app, the one the page queues on.
        with start_worker(worker_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            assert _reset(client, alice.email).status_code == 302
            deadline = time.monotonic() + 20
            while not mail.outbox and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        task_received.disconnect(took)
        task_postrun.disconnect(close_worker_connections)
        app.set_current()
        app.set_default()
    assert received == [tasks.password_reset_mail.name]
    [message] = mail.outbox
    assert message.to == [alice.email]
    assert "/portal/password-reset/" in message.body


def _link_in(message):
    import re

    return re.search(r"https?://[^/\s]+(/portal/password-reset/\S+/)", message.body).group(1)


def test_the_mailed_link_sets_the_password_and_the_patron_signs_in(client, alice):
    client.post("/portal/password-reset/", {"email": alice.email})
    [message] = mail.outbox
    form_page = client.get(_link_in(message), follow=True)
    assert form_page.status_code == 200 and "new_password1" in form_page.content.decode()
    new = "a-new-password-2026"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    alice.user.refresh_from_db()
    assert alice.user.check_password(new)


def test_a_link_stops_working_once_the_address_on_the_record_changes(client, alice):
    client.post("/portal/password-reset/", {"email": alice.email})
    [message] = mail.outbox
    alice.email = "moved.away@example.org"
    alice.save()
    page = client.get(_link_in(message), follow=True).content.decode()
    assert "new_password1" not in page
