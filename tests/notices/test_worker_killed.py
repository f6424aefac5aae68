"""Acceptance: notices are sent once each after a worker is killed mid-batch.

A real worker process (`celery worker`) takes a batch of 40 notices from Redis
and sends them through a slow mail backend that records every send on disk.
The test SIGKILLs it part-way, starts a new worker, and checks that every
notice was sent exactly once: the killed worker's batch comes back from Redis
(acks_late), and the new worker sends only the notices still unsent.
"""

import datetime
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from config.env import env_str
from notices.models import Channel, Notice
from notices.services import notices_create_due, unsent_emails
from tests.factories import PatronFactory
from tests.notices.helpers import loan_due

TEST_BROKER_URL = env_str("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/14")
PROJECT = Path(__file__).resolve().parents[2]
NOTICES = 40
MAIL_DELAY = 0.4  # seconds a send takes: the batch takes about 16 s


@pytest.fixture
def redis_broker():
    try:
        redis.Redis.from_url(TEST_BROKER_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {urlsplit(TEST_BROKER_URL).netloc} (CELERY_TEST_BROKER_URL)")
    # Nothing left from an earlier run: no queued tasks, no unacknowledged ones.
    redis.Redis.from_url(TEST_BROKER_URL).flushdb()
    return TEST_BROKER_URL


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(name: str, mail_log: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": TEST_BROKER_URL,
        "EMAIL_BACKEND": "tests.notices.slow_mail.SlowRecordingBackend",
        "NOTICE_TEST_MAIL_LOG": str(mail_log),
        "NOTICE_TEST_MAIL_DELAY": str(MAIL_DELAY),
        "TIME_ZONE": settings.TIME_ZONE,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "tests.notices.worker_app", "worker",
        "--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip",
        "--without-heartbeat", "--prefetch-multiplier=1", f"--hostname={name}@%h",
    ]  # fmt: skip
    with open(log, "ab") as out:
        # Its own session, so the test can kill exactly this worker and nothing else.
        return subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def _kill(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def _sends(mail_log: Path) -> list[str]:
    return mail_log.read_text().split() if mail_log.exists() else []


def _wait_for(condition, *, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log.exists() else ""
            pytest.fail(f"timed out waiting for {what}; worker log:\n{tail}")
        time.sleep(0.1)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_notices_are_sent_once_each_after_a_worker_is_killed_mid_batch(
    redis_broker, tmp_path, on_postgres
):
    today = datetime.date.today()
    patrons = [PatronFactory(email=f"reader{n}@example.org") for n in range(NOTICES)]
    for patron in patrons:
        loan_due(patron, today + datetime.timedelta(days=settings.NOTICES_PRE_DUE_DAYS))
    notices_create_due(today=today)
    ids = list(unsent_emails(today=today).values_list("pk", flat=True))
    assert len(ids) == NOTICES

    mail_log, worker_log = tmp_path / "sent.txt", tmp_path / "worker.log"
    sender = Celery("config", set_as_current=False)
    sender.conf.update(broker_url=redis_broker, task_serializer="json")
    first = _start_worker("first", mail_log, worker_log)
    second = None
    try:
        sender.send_task("notices.tasks.notices_send", kwargs={"notice_ids": ids, "hold": None})
        started = mail_log.with_name(mail_log.name + ".started")

        def mid_send() -> bool:
            done = len(_sends(mail_log))
            return done >= 8 and len(_sends(started)) > done

        # Killed during a send: the mail server has not taken it, and the
        # notice's row is locked in a transaction that never commits. (A kill
        # in the few milliseconds between the mail server taking a message and
        # the commit would send that one notice twice: the one window no
        # database lock can close; docs/notices.md.)
        _wait_for(mid_send, timeout=60, what="8 sends and a 9th under way", log=worker_log)
        _kill(first)
        sent_before_the_kill = len(_sends(mail_log))
        assert sent_before_the_kill < NOTICES, "the worker finished before it was killed"

        second = _start_worker("second", mail_log, worker_log)
        unsent = Notice.objects.filter(pk__in=ids, sent_on__isnull=True)
        _wait_for(lambda: not unsent.exists(), timeout=120, what="every notice", log=worker_log)
        time.sleep(2 * MAIL_DELAY)  # a duplicate send, if any, would land now
    finally:
        _kill(first)
        if second is not None:
            _kill(second)

    sends = Counter(_sends(mail_log))
    assert sorted(sends) == sorted(patron.email for patron in patrons)
    assert set(sends.values()) == {1}, "a notice was sent twice"
    assert "@example.org" not in worker_log.read_text()  # the worker logs no address
    assert (
        Notice.objects.filter(pk__in=ids, channel=Channel.EMAIL, sent_on=today).count() == NOTICES
    )
