"""Real HTTP load: gunicorn processes, signed-in sessions and concurrent keep-alive clients."""

import http.client
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(*, workers: int, port: int | None = None) -> Iterator[int]:
    """Serve the project with gunicorn against the benchmark database; yield its port."""
    port = port or free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "DATABASE_CONN_MAX_AGE": "600",
    }
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--log-level", "warning", "--keep-alive", "30",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    try:
        _wait_until_up(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


@dataclass
class Session:
    """Cookies of a signed-in user, made straight in the session store (no login form)."""

    cookie: str
    csrf: str = field(default_factory=lambda: secrets.token_hex(16))

    @classmethod
    def for_user(
        cls, user: User, *, second_factor: bool = False, extra: dict | None = None
    ) -> "Session":
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if second_factor:
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="bench", defaults={"confirmed": True}
            )
            store[DEVICE_ID_SESSION_KEY] = device.persistent_id
        for key, value in (extra or {}).items():
            store[key] = value
        store.create()
        session = cls(cookie="")
        session.cookie = f"{settings.SESSION_COOKIE_NAME}={store.session_key}; {settings.CSRF_COOKIE_NAME}={session.csrf}"
        return session


@dataclass
class Client:
    """One keep-alive connection acting as one signed-in user."""

    port: int
    session: Session
    connection: http.client.HTTPConnection = field(init=False)

    def __post_init__(self) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def get(self, path: str) -> int:
        return self._send("GET", path, None)

    def post(self, path: str, data: dict[str, str]) -> int:
        body = urlencode({**data, "csrfmiddlewaretoken": self.session.csrf})
        return self._send("POST", path, body)

    def _send(self, method: str, path: str, body: str | None) -> int:
        headers = {"Cookie": self.session.cookie, "Host": "localhost"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        response.read()
        return response.status


Action = Callable[[Client, int], int]  # does one request (the int counts calls); returns the status


def run_load(
    *, clients: list[Client], action: Action, seconds: float, expect: set[int]
) -> tuple[list[float], int]:
    """Run `action` from every client at once for `seconds`; return latencies and error count."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def work(client: Client) -> None:
        nonlocal errors
        mine, bad, count = [], 0, 0
        while time.monotonic() < stop:
            began = time.perf_counter()
            status = action(client, count)
            mine.append(time.perf_counter() - began)
            bad += status not in expect
            count += 1
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors
