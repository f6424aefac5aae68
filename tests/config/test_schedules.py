"""The shipped schedules (deploy/crontab, deploy/systemd) run every recurring job, alike."""

import configparser
import shlex
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "deploy" / "systemd"
WEB_AND_WORKER = {"library-web.service", "library-worker.service"}


def _job(arguments: list[str]) -> tuple[str, ...]:
    """The job a manage.py command line runs: run_job's command, or the command itself."""
    return tuple(arguments[1:]) if arguments[0] == "run_job" else tuple(arguments)


def crontab_jobs() -> dict[str, tuple[str, ...]]:
    jobs = {}
    for line in (ROOT / "deploy" / "crontab").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = shlex.split(line)
        schedule, command = fields[:5], fields[5:]
        assert command[0] == "/srv/library/deploy/job.sh", line
        jobs[_job(command[1:])[0]] = (" ".join(schedule), *command[1:])
    return jobs


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def systemd_jobs() -> dict[str, tuple[str, ...]]:
    jobs = {}
    for service in sorted(SYSTEMD.glob("*.service")):
        if service.name in WEB_AND_WORKER:
            continue
        command = shlex.split(_unit(service)["Service"]["ExecStart"])
        assert command[:2] == ["/srv/library/.venv/bin/python", "manage.py"], service.name
        jobs[_job(command[2:])[0]] = tuple(command[2:])
    return jobs


def test_cron_and_systemd_schedule_the_same_commands():
    cron = {name: arguments[1:] for name, arguments in crontab_jobs().items()}
    assert cron == systemd_jobs()


def test_the_jobs_readyz_waits_for_are_the_scheduled_ones():
    assert set(crontab_jobs()) == set(settings.READYZ_JOBS)


def test_every_scheduled_command_exists():
    commands = get_commands()
    for name, arguments in systemd_jobs().items():
        assert name in commands and arguments[0] in commands


def test_each_job_service_has_a_timer_and_each_timer_a_service():
    services = {p.stem for p in SYSTEMD.glob("*.service")} - {p[:-8] for p in WEB_AND_WORKER}
    timers = {p.stem for p in SYSTEMD.glob("*.timer")}
    assert services == timers
    for timer in timers:
        section = _unit(SYSTEMD / f"{timer}.timer")["Timer"]
        assert section["Unit"] == f"{timer}.service"
        assert section["OnCalendar"]


def test_job_services_run_once_with_the_shared_environment():
    for service in SYSTEMD.glob("*.service"):
        section = _unit(service)["Service"]
        assert section["EnvironmentFile"] == "/etc/library/library.env"
        assert section["User"] == "library"
        if service.name not in WEB_AND_WORKER:
            assert section["Type"] == "oneshot"
