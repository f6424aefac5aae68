"""The audit table only grows: the model and queryset refuse changes everywhere, and on
PostgreSQL a trigger refuses UPDATE, TRUNCATE and any DELETE of entries no checkpoint
archived, whoever sends the SQL."""

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction

from audit.chain import AuditTrailIsAppendOnly, chain_head, checkpoint_details
from audit.entries import record_summary
from audit.models import AuditEntry
from audit.verify import verify_chain
from tests.audit import tamper
from tests.factories import PatronFactory, UserFactory

pytestmark = pytest.mark.django_db


def raw(statement):
    with transaction.atomic(), connection.cursor() as cursor:
        # Run the deferred foreign-key checks first: TRUNCATE waits for none.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement)


def checkpoint(through):
    """Append a checkpoint as archive_audit does, covering entries up to `through`."""
    last = AuditEntry.objects.get(seq=through)
    return record_summary(
        model=AuditEntry,
        action=AuditEntry.Action.DELETE,
        count=through,
        reason="test",
        details=checkpoint_details(
            archived_from=1,
            archived_through=through,
            last_hash=last.entry_hash,
            file="f",
            sha256="0" * 64,
        ),
    )


def test_the_queryset_refuses_update():
    PatronFactory()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEntry.objects.all().update(object_repr="x")


def test_the_queryset_refuses_delete():
    PatronFactory()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 1


def test_only_entries_a_checkpoint_covers_can_be_removed():
    PatronFactory.create_batch(3)
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEntry.objects.remove_archived(through_seq=2)
    checkpoint(through=2)
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEntry.objects.remove_archived(through_seq=3)
    assert AuditEntry.objects.remove_archived(through_seq=2) == 2
    assert verify_chain().intact


def test_deleting_a_user_leaves_their_entries_as_they_were():
    actor = UserFactory(username="leaver")
    patron = PatronFactory()
    entry = record_summary(
        model=type(patron), action=AuditEntry.Action.UPDATE, count=1, reason="x", actor=actor
    )
    User.objects.filter(pk=actor.pk).delete()
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor_id, entry.actor_name) == (actor.pk, "leaver")
    assert verify_chain().intact


def test_removing_a_content_type_never_removes_its_entries():
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import ProtectedError

    from patrons.models import Patron

    PatronFactory()
    with pytest.raises(ProtectedError):
        ContentType.objects.get_for_model(Patron).delete()
    assert AuditEntry.objects.count() == 1


def test_entries_keep_no_email_address_of_the_actor():
    actor = UserFactory(username="someone", email="someone@example.org")
    entry = record_summary(
        model=User, action=AuditEntry.Action.UPDATE, count=1, reason="x", actor=actor
    )
    entry.refresh_from_db()
    assert entry.actor_email is None


def test_the_trigger_refuses_update(on_postgres):
    PatronFactory()
    with pytest.raises(DatabaseError, match="append-only: UPDATE"):
        raw("UPDATE privacy_auditentry SET object_repr = 'x'")


def test_the_trigger_refuses_delete(on_postgres):
    PatronFactory()
    with pytest.raises(DatabaseError, match="not archived by a checkpoint"):
        raw("DELETE FROM privacy_auditentry")
    assert AuditEntry.objects.count() == 1


def test_the_trigger_refuses_truncate(on_postgres):
    PatronFactory()
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE"):
        raw("TRUNCATE privacy_auditentry")


def test_the_trigger_refuses_truncate_cascading_from_another_table(on_postgres):
    PatronFactory()
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE"):
        raw("TRUNCATE django_content_type CASCADE")


def test_the_trigger_lets_archived_entries_go_and_nothing_else(on_postgres):
    PatronFactory.create_batch(3)
    with pytest.raises(DatabaseError, match="entry 2 is not archived"):
        raw("DELETE FROM privacy_auditentry WHERE seq <= 2")
    checkpoint(through=2)
    with pytest.raises(DatabaseError, match="entry 3 is not archived"):
        raw("DELETE FROM privacy_auditentry WHERE seq <= 3")
    raw("DELETE FROM privacy_auditentry WHERE seq <= 2")
    assert verify_chain().intact


def test_the_trigger_refuses_removing_the_checkpoint_with_what_it_covers(on_postgres):
    PatronFactory.create_batch(2)
    assert checkpoint(through=2).seq == 3
    with pytest.raises(DatabaseError, match="not archived"):
        raw("DELETE FROM privacy_auditentry WHERE seq <= 3")


def test_the_verifier_catches_a_change_made_with_the_trigger_disabled(on_postgres):
    PatronFactory.create_batch(3)
    with pytest.raises(DatabaseError):
        raw("UPDATE privacy_auditentry SET decision = 'allowed' WHERE seq = 2")
    tamper.alter(2, decision="allowed")  # with the triggers switched off
    report = verify_chain()
    assert (report.first_break.seq, report.first_break.kind) == (2, "altered")
    assert chain_head().seq == 3
