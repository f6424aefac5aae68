"""Bulk updates and deletes, which django-auditlog cannot see, leave a summary entry."""

import pytest

from audit.chain import GENESIS_HASH, ChainStart, chain_start
from audit.entries import record_summary
from audit.models import AuditEntry
from audit.verify import verify_chain
from patrons.models import Patron
from tests.factories import PatronFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_bulk_update_leaves_no_entry_of_its_own():
    PatronFactory.create_batch(3)
    before = AuditEntry.objects.count()
    Patron.objects.update(city="Topeka")
    assert AuditEntry.objects.count() == before


def test_a_summary_records_what_how_many_why_and_who_but_no_patron():
    patrons = PatronFactory.create_batch(3)
    janitor = UserFactory(username="retention-job")
    Patron.objects.update(city="Topeka")
    entry = record_summary(
        model=Patron,
        action=AuditEntry.Action.UPDATE,
        count=3,
        reason="anonymised after the retention period",
        clause="CONF-9",
        actor=janitor,
        details={"batch": 1},
    )
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.action, entry.clause, entry.actor_id, entry.actor_name) == (
        AuditEntry.Action.UPDATE,
        "CONF-9",
        janitor.pk,
        "retention-job",
    )
    assert entry.additional_data == {
        "bulk": True,
        "count": 3,
        "reason": "anonymised after the retention period",
        "batch": 1,
    }
    assert entry.object_id is None and entry.object_pk == "-"
    assert not any(str(patron.pk) == entry.object_pk for patron in patrons)
    assert verify_chain().intact


def test_a_summary_made_without_a_logged_in_user_has_no_actor():
    from django.contrib.auth.models import AnonymousUser

    entry = record_summary(
        model=Patron, action=AuditEntry.Action.DELETE, count=0, reason="x", actor=AnonymousUser()
    )
    assert entry.actor_id is None


def test_the_chain_starts_at_genesis_without_a_checkpoint():
    PatronFactory()
    assert chain_start() == ChainStart(0, GENESIS_HASH)


@pytest.mark.parametrize(
    ("checkpoint", "problem"),
    [
        ({"archived_through": "lots"}, "the checkpoint entry is malformed"),
        (
            {"archived_through": 99, "last_hash": "0" * 64},
            "the checkpoint claims to archive itself",
        ),
    ],
)
def test_a_bad_checkpoint_breaks_the_chain(checkpoint, problem):
    PatronFactory()
    entry = record_summary(
        model=AuditEntry,
        action=AuditEntry.Action.DELETE,
        count=1,
        reason="x",
        details={"checkpoint": checkpoint},
    )
    report = verify_chain()
    assert (report.first_break.seq, report.first_break.kind) == (entry.seq, "checkpoint")
    assert report.first_break.problem == problem
