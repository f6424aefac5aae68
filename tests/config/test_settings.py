import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "PRODUCTION": "true",
    "SECRET_KEY": "k3y-" + "x7Qp9vZ2mL4nR8tW1yB6cF0hJ5sD3gA" * 2,
    "ALLOWED_HOSTS": "library.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def _manage(*args, extra_env):
    ignored = {"DEBUG", "PRODUCTION", "EMAIL_BACKEND", "EMAIL_URL", "CACHE_URL"}
    environment = {k: v for k, v in os.environ.items() if k not in ignored}
    environment.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_passes_check_deploy_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", extra_env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key():
    environment = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = _manage("check", extra_env=environment)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "backend",
    [
        None,
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    ],
)
def test_production_mode_refuses_to_start_with_mail_that_is_not_sent(backend):
    environment = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_BACKEND"}
    if backend is not None:
        environment["EMAIL_BACKEND"] = backend
    result = _manage("check", extra_env=environment)
    assert result.returncode != 0
    assert "must name a backend that sends mail in production" in result.stderr


def test_development_defaults_fail_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        extra_env={"DATABASE_URL": "sqlite:///:memory:"},
    )
    assert result.returncode != 0


def test_a_bad_boolean_stops_start_up_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be true or false"):
        env.env_bool("DEBUG")


def test_a_bad_number_stops_start_up(monkeypatch):
    monkeypatch.setenv("AGE_OF_MAJORITY", "eighteen")
    with pytest.raises(ImproperlyConfigured, match="AGE_OF_MAJORITY must be a whole number"):
        env.env_int("AGE_OF_MAJORITY", 18)


_CELERY_CONF = (
    "from config.celery import app; c = app.conf; "
    "print(c.task_always_eager, c.task_acks_late, c.task_reject_on_worker_lost, "
    "c.broker_transport_options['visibility_timeout'], c.broker_url or '-')"
)


def _celery_conf(broker_url):
    result = _manage(
        "shell",
        "-v",
        "0",
        "-c",
        _CELERY_CONF,
        extra_env={"DATABASE_URL": "sqlite:///:memory:", "CELERY_BROKER_URL": broker_url},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_without_a_broker_tasks_run_in_the_request():
    assert _celery_conf("")[0] == "True"


def test_with_a_broker_tasks_go_to_a_worker_that_acknowledges_them_late():
    url = "redis://127.0.0.1:6379/3"
    assert _celery_conf(url) == ["False", "True", "True", "3600", url]


_DATABASES = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps([{a: [d['HOST'], d['NAME'], d['TEST'].get('MIRROR')] "
    "for a, d in s.DATABASES.items()}, s.REPLICA_DATABASES, s.DATABASE_ROUTERS]))"
)


def _databases(replica_url):
    primary = "postgres://app@primary.example.org:5432/library"
    result = _manage(
        "shell",
        "-v",
        "0",
        "-c",
        _DATABASES,
        extra_env={"DATABASE_URL": primary, "DATABASE_REPLICA_URL": replica_url},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_a_replica_there_is_one_database():
    databases, replicas, routers = _databases("")
    assert list(databases) == ["default"] and replicas == []
    assert routers == ["library.db.PrimaryRouter"]


def test_each_replica_url_becomes_an_alias_mirroring_default_in_tests():
    databases, replicas, _routers = _databases(
        "postgres://app@replica-a.example.org:5432/library, "
        "postgres://app@replica-b.example.org:5432/library"
    )
    assert replicas == ["replica_1", "replica_2"]
    assert databases["default"][0] == "primary.example.org"
    assert databases["replica_1"] == ["replica-a.example.org", "library", "default"]
    assert databases["replica_2"] == ["replica-b.example.org", "library", "default"]
