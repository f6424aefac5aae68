"""The application's own database role cannot remove, alter or reorder the audit trail.

Real roles on PostgreSQL, made by `audit_db_roles` as a deployment makes them:
the test connects as the web application's role and tries each statement an
attacker holding its credentials could run. Each is refused by the database,
or (an entry appended, a checkpoint forged) changes nothing verify_audit does
not see. The test suite's own connection is the tables' owner.
"""

import datetime
import io
import secrets

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from audit import chain, entries
from audit.chain import AUDIT_TABLE, chain_head
from audit.models import AuditEntry
from audit.verify import verify_chain
from tests.factories import PatronFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("on_postgres")]


@pytest.fixture
def roles():
    suffix = secrets.token_hex(4)
    app, archiver = f"test_app_{suffix}", f"test_archiver_{suffix}"
    call_command("audit_db_roles", app_role=app, archiver_role=archiver, stdout=io.StringIO())
    yield app, archiver
    with connection.cursor() as cursor:
        for role in (app, archiver):
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def _connect(role):
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=role,
        autocommit=True,
    )


def _row_sql(entry):
    """Return an INSERT of this (linked) entry, as the attacker would send it by hand."""
    fields = [field for field in AuditEntry._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(field.column for field in fields)
    values = [field.get_db_prep_save(getattr(entry, field.attname), connection) for field in fields]
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {AUDIT_TABLE} ({columns}) VALUES ({marks})", values


def _linked(**overrides):
    """Return an entry that links correctly to the head, with fields overridden afterwards."""
    head = chain_head()
    entry = AuditEntry(
        content_type_id=AuditEntry.objects.first().content_type_id,
        object_pk="-",
        action=AuditEntry.Action.DELETE,
        additional_data={"bulk": True, "count": 0, "reason": "nothing"},
    )
    chain._link(entry, head.seq + 1, head.hash, head.timestamp)
    for name, value in overrides.items():
        setattr(entry, name, value)
    return entry


REFUSED = (psycopg.errors.InsufficientPrivilege, psycopg.errors.IntegrityConstraintViolation)


@pytest.mark.parametrize(
    "statement",
    [
        f"DELETE FROM {AUDIT_TABLE} WHERE seq = 1",
        f"DELETE FROM {AUDIT_TABLE}",
        f"UPDATE {AUDIT_TABLE} SET purpose = 'changed' WHERE seq = 2",
        f"UPDATE {AUDIT_TABLE} SET seq = seq + 1000",
        f"TRUNCATE {AUDIT_TABLE}",
        f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER ALL",
        f"ALTER TABLE {AUDIT_TABLE} DROP CONSTRAINT audit_seq_positive",
        f"DROP TRIGGER privacy_audit_chain ON {AUDIT_TABLE}",
        "CREATE OR REPLACE FUNCTION privacy_audit_chain() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        # A function of the same name earlier on a search path: the trigger names its schema.
        "CREATE FUNCTION public.sha256(bytea) RETURNS bytea LANGUAGE sql AS 'SELECT $1'",
        "SET session_replication_role = replica",
        f"DROP TABLE {AUDIT_TABLE}",
    ],
)
def test_the_application_role_cannot_change_or_remove_entries(roles, statement):
    PatronFactory.create_batch(3)
    before = chain_head()
    with _connect(roles[0]) as app, pytest.raises(psycopg.Error):
        app.execute(statement)
    assert chain_head() == before and verify_chain().intact


@pytest.mark.parametrize(
    "overrides",
    [
        {"seq": 0},  # at or below zero: never checked by a walk that starts at 1
        {"seq": -5},
        "gap",  # one number skipped
        {"prev_hash": "f" * 64},  # a link to nothing
        "duplicate",
        {"entry_hash": "0" * 64},  # a hash of its own choosing
        {"hash_format": 1},  # claiming to be hashed by Python
        {"timestamp": datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)},  # before the head
    ],
)
def test_the_database_numbers_links_and_hashes_whatever_the_insert_says(roles, overrides):
    PatronFactory.create_batch(3)
    before = chain_head()
    if overrides == "gap":
        entry = _linked(seq=before.seq + 2)
    elif overrides == "duplicate":
        entry = _linked(seq=before.seq)
    else:
        entry = _linked(**overrides)
    statement, values = _row_sql(entry)
    with _connect(roles[0]) as app:
        app.execute(statement, values)
    stored = AuditEntry.objects.get(seq=before.seq + 1)
    assert (stored.prev_hash, stored.hash_format) == (before.hash, 2)
    assert before.timestamp <= stored.timestamp
    assert chain_head().seq == before.seq + 1 and verify_chain().intact


def test_a_forged_checkpoint_removes_nothing(roles):
    PatronFactory.create_batch(5)
    written_down = chain_head()
    forged = _linked(
        additional_data={
            "bulk": True,
            "count": written_down.seq,
            "reason": "archived",
            **chain.checkpoint_details(
                archived_from=1,
                archived_through=written_down.seq,
                last_hash=written_down.hash,
                file="audit-forged.jsonl",
                sha256="0" * 64,
            ),
        }
    )
    statement, values = _row_sql(forged)
    with _connect(roles[0]) as app:
        app.execute(statement, values)  # appending is what the application may do
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute(f"DELETE FROM {AUDIT_TABLE} WHERE seq <= %s", [written_down.seq])
    assert AuditEntry.objects.filter(seq__lte=written_down.seq).count() == written_down.seq
    report = verify_chain(expect=written_down)
    assert report.intact and report.checked == written_down.seq + 1


def test_the_archiver_role_removes_only_what_a_checkpoint_covers(roles):
    PatronFactory.create_batch(4)
    with _connect(roles[1]) as archiver, pytest.raises(psycopg.Error):
        archiver.execute(f"DELETE FROM {AUDIT_TABLE} WHERE seq <= 2")
    entries.record_summary(
        model=AuditEntry,
        action=AuditEntry.Action.DELETE,
        count=2,
        reason="archived",
        details=chain.checkpoint_details(
            archived_from=1, archived_through=2, last_hash=_hash_of(2), file="f", sha256="0" * 64
        ),
    )
    with _connect(roles[1]) as archiver:
        archiver.execute(f"DELETE FROM {AUDIT_TABLE} WHERE seq <= 2")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            archiver.execute(f"UPDATE {AUDIT_TABLE} SET purpose = 'x'")
    assert not AuditEntry.objects.filter(seq__lte=2).exists()


def _hash_of(seq):
    return AuditEntry.objects.get(seq=seq).entry_hash
