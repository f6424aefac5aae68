"""A trail written before the audit trail, consents and identity checks moved apps still verifies.

The database is taken back to the migrations of the layout before the move
(the audit trail's and the consents' models in their old apps), populated
there with a hash-chained trail whose entries name the old apps' content types,
then migrated forward. The content types are renamed in place, so every stored
hash still holds: verify_audit says the chain is intact, and a head written
down before the move is still the head after it.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit import chain
from audit.models import AuditEntry
from privacy.models import Consent

# The newest migration of each app before the move, and the apps that did not exist.
BEFORE_THE_MOVE = [
    ("audit", None),
    ("privacy", "0005_audit_content_type_protected"),
    ("patrons", "0003_card_number_search_index"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([node for node in targets if node[1]]).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _append(entry, head):
    """Link and hash an entry as the application does, and insert it plainly."""
    chain._link(entry, head.seq + 1, head.hash, head.timestamp)
    entry.save()
    return chain.Head(entry.seq, entry.entry_hash, entry.timestamp)


@pytest.mark.django_db(transaction=True)
def test_a_trail_written_before_the_move_verifies_after_it():
    old = _migrate(BEFORE_THE_MOVE)
    ContentType = old.get_model("contenttypes", "ContentType")
    OldEntry = old.get_model("privacy", "AuditEntry")
    OldConsent = old.get_model("patrons", "Consent")
    Patron = old.get_model("patrons", "Patron")
    Branch = old.get_model("library", "Branch")

    branch = Branch.objects.create(code="MOVE", name="Before the move")
    patron = Patron.objects.create(
        card_number="29000000999999",
        first_name="Ada",
        last_name="Before",
        date_of_birth="1980-01-01",
        home_branch=branch,
        card_expires_on="2030-01-01",
    )
    consent = OldConsent.objects.create(
        patron=patron, recipient="A named counsellor", category="identity", purpose="support"
    )
    types = {
        name: ContentType.objects.get_or_create(app_label=app, model=name)[0].pk
        for app, name in [("patrons", "patron"), ("patrons", "consent"), ("privacy", "auditentry")]
    }
    now = timezone.now()
    written = [
        # A read of the patron through the gate.
        dict(content_type_id=types["patron"], object_pk=str(patron.pk), object_id=patron.pk,
             action=3, category="identity", purpose="registration", clause="CONF-3",
             decision="allowed", additional_data={"basis": "staff operation: registration"}),
        # django-auditlog's entry for the consent, naming the consents' old app.
        dict(content_type_id=types["consent"], object_pk=str(consent.pk), object_id=consent.pk,
             action=0, changes={"recipient": ["None", "[redacted]"]}),
        # A summary about the trail itself (an archive checkpoint is one such).
        dict(content_type_id=types["auditentry"], object_pk="-", action=2,
             additional_data={"bulk": True, "count": 0, "reason": "nothing archived"}),
    ]  # fmt: skip
    head = chain.Head(0, chain.GENESIS_HASH)
    for fields in written:
        head = _append(OldEntry(timestamp=now, object_repr="", **fields), head)
    written_down = str(head)

    _migrate(_latest())

    output = io.StringIO()
    call_command("verify_audit", "--expect-head", written_down, stdout=output)
    assert "Audit trail intact: 3 entries checked" in output.getvalue()
    # The same content type rows, renamed: no entry had to change.
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [entry.content_type_id for entry in entries] == list(types.values())
    assert [entry.content_type.app_label for entry in entries] == ["patrons", "privacy", "audit"]
    assert Consent.objects.get().recipient == "A named counsellor"
