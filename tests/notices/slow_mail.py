"""A mail backend for the worker test: slow, and keeps a durable line for every message it sends.

Named by EMAIL_BACKEND in the worker process's environment. Each message waits
NOTICE_TEST_MAIL_DELAY seconds (so a batch takes long enough to kill the
worker in the middle of it), then appends its recipient to NOTICE_TEST_MAIL_LOG
and syncs the file to disk, so a send survives the worker's SIGKILL. Before
waiting it notes the recipient in NOTICE_TEST_MAIL_LOG + ".started", so the
test can tell when a send is under way.
"""

import os
import time
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class SlowRecordingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        delay = float(os.environ.get("NOTICE_TEST_MAIL_DELAY", "0.2"))
        path = os.environ["NOTICE_TEST_MAIL_LOG"]
        for message in email_messages:
            _append(f"{path}.started", message)
            time.sleep(delay)
            _append(path, message)
        return len(email_messages)


def _append(path: str, message: EmailMessage) -> None:
    with open(path, "a", encoding="utf-8") as log:
        log.write(f"{','.join(message.to)}\n")
        log.flush()
        os.fsync(log.fileno())
