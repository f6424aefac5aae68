"""Every management command against hostile arguments: one readable line, or it works.

Through call_command, hypothesis sends each command hostile arguments
(tests/security/hostile.py): either the command succeeds, or it raises
CommandError with one line of text and the database is exactly as before. From
a shell (a child process), a bad argument exits non-zero with one error line
and no traceback.
"""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, get_commands
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEntry
from tests.config.test_settings import ROOT
from tests.project import project_app_labels
from tests.security.hostile import BAD_INPUT, DATES, NUMBERS, SCALAR, changed_tables, snapshot
from tests.security.world import isolated

pytestmark = pytest.mark.django_db

APPS = project_app_labels()
OURS = {name for name, app in get_commands().items() if app in APPS}
TOKEN = st.one_of(SCALAR, st.sampled_from(["--", "-", "--unknown", "--batch-size", "--kind"]))
# A positional argument or an unknown option: never a valid call of a command
# that takes no arguments (which would then do its real work).
NOT_AN_ARGUMENT = st.one_of(
    st.just(""), st.text(min_size=1, max_size=30).map(lambda text: "x" + text), st.just("--nope")
)
FORMAT_OPTIONS = st.sampled_from(["--format", "marc", "marcxml", "csv", "--dry-run"])
SMALL_OR_BAD_COUNT = st.one_of(
    st.integers(min_value=-(10**30), max_value=9).map(str),
    st.sampled_from(["", "ten", "1e3", "²", "\x00", "0x10"]),
)


def _arguments(directory: Path) -> dict[str, st.SearchStrategy[list[str]]]:
    """Hostile argument lists per command; none can start a long real run."""
    folder = st.sampled_from(
        [
            str(directory),
            str(directory / "a" / "b"),
            str(directory / "file"),
            "",
            "\x00",
            "x" * 5000,
        ]
    )
    return {
        "purge_expired": st.lists(
            st.one_of(TOKEN, NUMBERS, st.sampled_from(["--batch-size", "--kind"])), max_size=4
        ),
        "verify_audit": st.lists(
            st.one_of(
                TOKEN,
                st.sampled_from(["--head", "--expect-head", "--archive", "1:" + "a" * 64]),
                folder,
            ),
            max_size=4,
        ),
        "archive_audit": st.tuples(
            st.one_of(DATES, SCALAR), folder, st.one_of(NUMBERS, SCALAR)
        ).map(lambda values: ["--before", values[0], "--to", values[1], "--batch-size", values[2]]),
        "staff_totp_enroll": st.lists(st.one_of(SCALAR, st.just("circulation")), max_size=2),
        "demo_otp": st.lists(st.one_of(SCALAR, st.just("director")), max_size=2),
        "seed_scale": st.tuples(
            SMALL_OR_BAD_COUNT, st.one_of(NUMBERS, SCALAR), st.one_of(NUMBERS, SCALAR), SCALAR
        ).map(
            lambda values: [
                "--patrons",
                values[0],
                "--loans",
                values[1],
                "--audit-entries",
                values[2],
                "--seed",
                values[3],
            ]
        ),
        "seed_demo": st.lists(NOT_AN_ARGUMENT, min_size=1, max_size=2),
        "sync_roles": st.lists(NOT_AN_ARGUMENT, min_size=1, max_size=2),
        # The archiver's name is never a valid one, so no role is made outside the test.
        "audit_db_roles": st.tuples(
            st.one_of(SCALAR, st.sampled_from(["library_app", "x; DROP TABLE t", "1abc"])),
            st.sampled_from(["bad name", "a" * 80, "", "x'y", "\x00"]),
        ).map(lambda values: ["--app-role", values[0], "--archiver-role", values[1]]),
        "witness_audit_head": st.lists(NOT_AN_ARGUMENT, min_size=1, max_size=2),
        # Only clearsessions or no command at all: a hostile name must not run a real one.
        "run_job": st.tuples(
            st.sampled_from(["clearsessions", "no_such_command", "", "\x00", "--nope"]),
            st.lists(NOT_AN_ARGUMENT, max_size=2),
        ).map(lambda values: [values[0], *values[1]]),
        # The folder's only file is not a catalogue in any format: nothing can be imported.
        "import_catalogue": st.tuples(
            folder, st.lists(st.one_of(TOKEN, FORMAT_OPTIONS), max_size=3)
        ).map(lambda values: [values[0], *values[1]]),
        # No folder given holds a manifest.csv: nothing can be imported.
        "import_footage": st.tuples(
            folder,
            st.lists(
                st.one_of(TOKEN, st.sampled_from(["--dry-run", "--branch", "CEN"])), max_size=3
            ),
        ).map(lambda values: [values[0], *values[1]]),
        # Whatever is written lands in the test's folder; the database is only read.
        "export_catalogue": st.tuples(
            st.one_of(folder, SCALAR, st.just("out.csv")),
            st.lists(st.one_of(TOKEN, FORMAT_OPTIONS, st.just("--overwrite")), max_size=3),
        ).map(lambda values: [values[0], *values[1]]),
        # --no-queue: a real run makes notices but sends none from the test.
        "send_notices": st.tuples(st.one_of(DATES, SCALAR), st.one_of(NUMBERS, SCALAR)).map(
            lambda values: ["--date", values[0], "--batch-size", values[1], "--no-queue"]
        ),
    }


# Tables a command may write even when it ends in CommandError, by design.
# A scheduled job records its failed run (library.jobs).
WRITES_WHATEVER_THE_ANSWER = {
    "verify_audit": {"privacy_auditverification", "library_jobrun"},
    "witness_audit_head": {"library_jobrun"},
    "run_job": {"library_jobrun"},
}


def test_every_command_of_the_project_is_here(tmp_path):
    assert set(_arguments(tmp_path)) == OURS


@pytest.mark.parametrize("command", sorted(OURS))
@BAD_INPUT
@given(data=st.data())
def test_hostile_arguments_get_one_readable_line_or_a_result_never_a_crash(
    world, command, data, tmp_path_factory, monkeypatch
):
    directory = tmp_path_factory.mktemp("archives")
    (directory / "file").write_text("not an archive\n")
    monkeypatch.chdir(directory)  # any relative path a command writes lands here
    arguments = data.draw(_arguments(directory)[command])
    with isolated():
        before, entries = snapshot(), AuditEntry.objects.count()
        try:
            call_command(command, *arguments, stdout=StringIO(), stderr=StringIO())
        except CommandError as error:
            # argparse quotes a bad argument as typed, line breaks included; the rest is one line.
            message = str(error)
            for argument in sorted(arguments, key=len, reverse=True):
                message = message.replace(argument, "") if argument else message
            assert str(error) and "\n" not in message and "Traceback" not in message, str(error)
            changed = set(changed_tables(before, snapshot()))
            assert changed <= WRITES_WHATEVER_THE_ANSWER.get(command, set()), changed
            assert AuditEntry.objects.count() == entries


def _run(*arguments: str):  # type: ignore[no-untyped-def]
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "PRODUCTION"}}
    # Every case below fails before the database is opened: none may touch one.
    environment["DATABASE_URL"] = "sqlite:///" + str(Path(os.devnull))
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "arguments",
    [
        ["purge_expired", "--batch-size", "0"],
        ["purge_expired", "--batch-size", "many"],
        ["purge_expired", "--batch-size", "9" * 40],
        ["archive_audit", "--before", "9999-99-99", "--to", "/nonexistent"],
        ["verify_audit", "--expect-head", "not-a-head"],
        ["seed_scale", "--patrons", "-1"],
        ["sync_roles", "unexpected"],
        ["staff_totp_enroll"],
        ["import_catalogue", "/nonexistent/catalogue.csv"],
        ["import_catalogue", "/nonexistent/catalogue.dat"],
        ["import_catalogue", "catalogue.csv", "--format", "pdf"],
        ["export_catalogue", "/nonexistent/folder/catalogue.csv"],
        ["import_footage", "/nonexistent/export"],
        ["import_footage", "/nonexistent/export", "--branch"],
    ],
    ids=lambda arguments: " ".join(arguments)[:40],
)
def test_from_a_shell_a_bad_argument_exits_non_zero_with_one_error_line(arguments):
    result = _run(*arguments)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [
        line
        for line in result.stderr.splitlines()
        if line.startswith("CommandError: ") or ": error: " in line
    ]
    assert len(errors) == 1, result.stderr


# What the hostile runs found, pinned down.


@pytest.mark.parametrize("folder", ["x" * 5000, "a\x00b"])
def test_an_archive_folder_no_file_system_can_hold_is_refused_in_one_line(world, folder):
    from audit.services import ARCHIVE_NO_DIRECTORY

    with pytest.raises(CommandError) as error:
        call_command("archive_audit", "--before", "2020-01-01", "--to", folder)
    assert str(error.value) == ARCHIVE_NO_DIRECTORY


@pytest.mark.parametrize("command", ["staff_totp_enroll", "demo_otp"])
def test_a_user_name_with_a_nul_character_is_refused_in_one_line(world, command):
    from demo.authenticators import NO_DEMO_DEVICE
    from library.authenticators import NOT_STAFF

    with pytest.raises(CommandError) as error:
        call_command(command, "director\x00")
    assert str(error.value) in {NOT_STAFF, NO_DEMO_DEVICE}


@pytest.mark.parametrize(
    ("command", "extra"),
    [("purge_expired", []), ("archive_audit", ["--before", "2020-01-01", "--to", "."])],
)
def test_a_batch_larger_than_a_transaction_should_hold_is_refused(world, command, extra):
    with pytest.raises(CommandError, match="at most 100000"):
        call_command(command, *extra, "--batch-size", "100001")
