"""Personas shared by every test: alice and bob are patrons, carol is the adult listed
on minor dan's account, and one user per staff role."""

import json
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import connection, connections, transaction
from django.db.models.signals import post_migrate
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from library.roles import Role
from library.security import needs_second_factor
from patrons.models import Patron
from tests.factories import MinorFactory, PatronFactory, ResponsibleAdultFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


class StaffClient(Client):
    """A test client whose force_login also gives the second factor a user's role needs.

    Tests of the second factor itself use `unverified_client`.
    """

    def force_login(self, user: User, backend: str | None = None) -> None:
        super().force_login(user, backend)
        if needs_second_factor(user):
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="test", defaults={"confirmed": True}
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()


@pytest.fixture
def client() -> StaffClient:
    return StaffClient()


@pytest.fixture
def unverified_client() -> Client:
    return Client()


@pytest.fixture
def on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def _patron_with_login(username: str, **fields: object) -> Patron:
    return PatronFactory(user=UserFactory(username=username), **fields)


@pytest.fixture
def alice(db: None) -> Patron:
    return _patron_with_login(
        "alice", first_name="Alice", last_name="Archer", keeps_reading_history=True
    )


@pytest.fixture
def bob(db: None) -> Patron:
    return _patron_with_login("bob", first_name="Bob", last_name="Baker")


@pytest.fixture
def carol(db: None) -> Patron:
    return _patron_with_login("carol", first_name="Carol", last_name="Carter")


@pytest.fixture
def dan(carol: Patron) -> Patron:
    minor = MinorFactory(first_name="Dan", last_name="Carter")
    ResponsibleAdultFactory(minor=minor, adult=carol)
    return minor


@pytest.fixture
def staff(db: None) -> Callable[[Role], User]:
    """Return a maker of staff users: staff(Role.DIRECTOR)."""

    def make(role: Role) -> User:
        return UserFactory(username=role.value, role=role)

    return make


@pytest.fixture
def desk(staff: Callable[[Role], User]) -> User:
    return staff(Role.CIRCULATION)


@pytest.fixture
def director(staff: Callable[[Role], User]) -> User:
    return staff(Role.DIRECTOR)


@pytest.fixture
def auditor(staff: Callable[[Role], User]) -> User:
    return staff(Role.AUDITOR)


def page_text(response: object) -> str:
    """Return a response's HTML with the per-response CSRF token masked out, for comparing pages."""
    import re

    html = response.content.decode()  # type: ignore[attr-defined]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', html)


def stored_in_a_session(text: str) -> bool:
    """Say whether any session row, decoded as stored (nothing dropped on the way), holds text."""
    decode = DatabaseSessionStore().decode
    return any(text in json.dumps(decode(row.session_data)) for row in Session.objects.all())


@pytest.fixture(scope="session", autouse=True)
def _flush_may_empty_the_audit_table() -> Iterator[None]:
    """Let a transactional test's teardown flush empty the append-only audit table.

    Django's flush TRUNCATEs every table, which the PostgreSQL trigger refuses,
    as it must for the application and anyone else. Only in the test process,
    the flush switches that one trigger off and on again inside the flush's own
    transaction, so no other connection ever sees the table unprotected.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    from audit.chain import AUDIT_TABLE, TRUNCATE_TRIGGER

    original = DatabaseOperations.sql_flush

    def sql_flush(
        self: DatabaseOperations,
        style: object,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if AUDIT_TABLE not in tables:
            return original(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        return [
            f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER {TRUNCATE_TRIGGER}",
            *statements,
            f"ALTER TABLE {AUDIT_TABLE} ENABLE TRIGGER {TRUNCATE_TRIGGER}",
        ]

    patch = pytest.MonkeyPatch()
    patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
    yield
    patch.undo()


def _empty_the_trail_after_migrate(
    sender: object, using: str = "default", **kwargs: object
) -> None:
    """Remove what migrate and flush have just appended: the role groups they make and fill.

    The role groups are rights, so library.roles logs their making and their
    permissions; tests start from an empty trail all the same, as the chain's
    tests count from its first entry. Only the test process does this, after
    the application's own receiver; no entry is ever removed in the application.
    """
    from django.apps import apps

    from audit.chain import AUDIT_TABLE, TRUNCATE_TRIGGER

    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is not with_models[-1]:  # the roles are synced after the last app's turn
        return
    database = connections[using]
    with transaction.atomic(using=using), database.cursor() as cursor:
        if database.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER {TRUNCATE_TRIGGER}")
            cursor.execute(f"TRUNCATE {AUDIT_TABLE}")
            cursor.execute(f"ALTER TABLE {AUDIT_TABLE} ENABLE TRIGGER {TRUNCATE_TRIGGER}")
        else:
            cursor.execute(f"DELETE FROM {AUDIT_TABLE}")


post_migrate.connect(_empty_the_trail_after_migrate, dispatch_uid="tests.empty_the_trail")
