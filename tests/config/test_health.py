"""/healthz and /readyz answer a load balancer's probe by IP over plain HTTP in production."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings
from django.utils import timezone

from library import health
from library.jobs import scheduled_job
from library.models import JobRun
from tests.config.test_settings import PRODUCTION_ENV, _manage

PROBE_HOST = "10.20.30.40"
JOBS = ["purge_expired", "send_notices", "clearsessions", "witness_audit_head", "verify_audit"]

# What PRODUCTION=true turns on that a probe meets: the HTTPS redirect, HSTS and a
# host list without the balancer's address.
production = override_settings(
    DEBUG=False,
    ALLOWED_HOSTS=["library.example.org"],
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31536000,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    READYZ_JOBS=JOBS,
    READYZ_JOB_MAX_AGE_HOURS=26,
)


@pytest.fixture
def probe() -> Client:
    return Client(HTTP_HOST=PROBE_HOST)


@pytest.fixture(autouse=True)
def _recheck_migrations(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


def _ran(name, *, hours_ago=1.0, outcome=JobRun.Outcome.OK):
    finished = timezone.now() - datetime.timedelta(hours=hours_ago)
    JobRun.objects.update_or_create(
        name=name,
        defaults={
            "started": finished - datetime.timedelta(minutes=1),
            "finished": finished,
            "outcome": outcome,
            "summary": "done",
        },
    )


@pytest.fixture
def all_ran(db):
    for name in JOBS:
        _ran(name)


@production
def test_healthz_answers_a_probe_by_ip_over_http_without_the_database(probe):
    # No db fixture: a query here would fail the test.
    response = probe.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@production
def test_readyz_is_200_when_the_database_migrations_and_jobs_are_fine(probe, all_ran):
    response = probe.get("/readyz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert probe.head("/readyz").status_code == 200


@production
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_no_probe_is_redirected_to_https(probe, all_ran, path):
    response = probe.get(path)
    assert response.status_code == 200
    assert "Location" not in response


@production
@pytest.mark.parametrize(
    ("name", "hours_ago", "outcome"),
    [
        ("purge_expired", 27, JobRun.Outcome.OK),
        ("send_notices", 1, JobRun.Outcome.FAILED),
        ("verify_audit", 30, JobRun.Outcome.OK),
    ],
)
def test_readyz_is_503_naming_the_job_that_is_stale_or_failed(
    probe, all_ran, name, hours_ago, outcome
):
    _ran(name, hours_ago=hours_ago, outcome=outcome)
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "unavailable", "failed": [f"job:{name}"]}


@production
def test_readyz_is_503_for_a_job_that_never_ran(probe, all_ran):
    JobRun.objects.filter(name="clearsessions").delete()
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content)["failed"] == ["job:clearsessions"]


@production
def test_readyz_is_503_while_a_migration_is_not_applied(probe, all_ran):
    MigrationRecorder.Migration.objects.filter(app="library", name="0003_job_run").delete()
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "unavailable", "failed": ["migrations"]}


@production
@pytest.mark.parametrize("path", ["/", "/portal/login/", "/healthz/", "/readyz/x"])
def test_every_other_path_by_ip_is_still_refused(probe, db, path):
    assert probe.get(path).status_code == 400


@production
def test_the_site_by_its_name_over_http_is_still_redirected(db):
    response = Client(HTTP_HOST="library.example.org").get("/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@production
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_only_get_and_head(probe, db, path):
    response = probe.post(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


# --- the job records ---------------------------------------------------------


def test_a_job_that_finishes_records_ok_with_its_summary(db):
    with scheduled_job("purge_expired") as run:
        run.summary = "Purged 3 expired records\n(3 found items)."
    record = JobRun.objects.get(name="purge_expired")
    assert (record.outcome, record.summary) == ("ok", "Purged 3 expired records (3 found items).")
    assert record.started <= record.finished


def test_a_job_that_fails_records_failed_without_the_errors_message(db):
    with pytest.raises(ValueError), scheduled_job("send_notices"):
        raise ValueError("Key (card_number)=(29000000000001) already exists")
    record = JobRun.objects.get(name="send_notices")
    assert record.outcome == "failed"
    assert "2900" not in record.summary
    assert record.summary.startswith("ValueError")


def test_a_command_error_keeps_the_commands_own_sentence(db):
    with pytest.raises(CommandError), scheduled_job("witness_audit_head"):
        raise CommandError("No witness sinks are set.")
    assert JobRun.objects.get(name="witness_audit_head").summary == (
        "CommandError: No witness sinks are set."
    )


def test_purge_expired_records_its_nightly_run_but_not_a_run_of_one_kind(db):
    call_command("purge_expired", "--verbosity", "0", "--kind", "found items")
    assert not JobRun.objects.filter(name="purge_expired").exists()
    call_command("purge_expired", "--verbosity", "0")
    record = JobRun.objects.get(name="purge_expired")
    assert record.outcome == "ok"
    assert record.summary.startswith("Purged ")


def test_send_notices_records_its_run(db):
    call_command("send_notices", "--no-queue")
    record = JobRun.objects.get(name="send_notices")
    assert (record.outcome, record.summary[:5]) == ("ok", "Made ")


def test_verify_audit_records_a_walk_but_not_a_head(db):
    call_command("verify_audit", "--head", "--workers", "1")
    assert not JobRun.objects.filter(name="verify_audit").exists()
    call_command("verify_audit", "--workers", "1", "--verbosity", "0")
    record = JobRun.objects.get(name="verify_audit")
    assert record.outcome == "ok"
    assert record.summary.startswith("Audit trail intact")


@override_settings(AUDIT_WITNESS_SINKS=[])
def test_witness_audit_head_records_a_failure(db):
    with pytest.raises(CommandError):
        call_command("witness_audit_head")
    assert JobRun.objects.get(name="witness_audit_head").outcome == "failed"


def test_run_job_records_clearsessions(db):
    call_command("run_job", "clearsessions")
    record = JobRun.objects.get(name="clearsessions")
    assert (record.outcome, record.summary) == ("ok", "clearsessions finished")


def test_run_job_refuses_an_unknown_command_without_a_record(db):
    with pytest.raises(CommandError, match="Unknown command"):
        call_command("run_job", "no_such_command")
    assert not JobRun.objects.exists()


# --- with PRODUCTION=true itself ----------------------------------------------

_PROBE = (
    "from django.test import Client; c = Client(HTTP_HOST='10.20.30.40'); "
    "print(c.get('/healthz').status_code, c.get('/readyz').status_code, "
    "c.get('/readyz').content.decode())"
)


def test_with_production_on_a_probe_by_ip_over_http_is_answered():
    # An empty in-memory database: alive, but not ready (nothing is migrated).
    result = _manage("shell", "-v", "0", "-c", _PROBE, extra_env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "200",
        "503",
        '{"status":',
        '"unavailable",',
        '"failed":',
        '["migrations"]}',
    ]
