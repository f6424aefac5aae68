"""The director's grants from the outside: contracted agents and legal orders, over HTTP.

Each page's work must leave entries naming what changed and who did it
(issue 15, case 4): an agent's login and contract, an account assigned to it
and taken back, a worker added to an order, an order made valid or closed and
the grants that go with it. Bulk grants of an order are one summary per worker:
the order, the permission and how many, never which patrons (CONF-5).
"""

import datetime
import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from library.roles import Role
from patrons.models import PatronUserObjectPermission
from privacy import services
from privacy.models import ContractedAgent, LegalOrder
from tests.audit.trail import Trail, naming
from tests.factories import ContractedAgentFactory, LegalOrderFactory

pytestmark = pytest.mark.django_db


def _holds_no_patron(entries, *patrons):
    text = json.dumps([entry.changes for entry in entries] + [e.additional_data for e in entries])
    for patron in patrons:
        for value in (patron.card_number, patron.first_name, patron.last_name, patron.email):
            assert value not in text


def test_registering_an_agent_records_its_login_and_its_contract(client, director):
    client.force_login(director)
    trail = Trail()
    response = client.post(
        reverse("privacy:agent_list"),
        {
            "name": "Unique Management Services",
            "purpose": "Recovering long-overdue materials",
            "categories": ["identity", "circulation"],
            "contract_start": timezone.localdate().isoformat(),
            "contract_end": (timezone.localdate() + datetime.timedelta(days=365)).isoformat(),
            "username": "ums-agent",
        },
    )
    assert response.status_code == 302
    agent = ContractedAgent.objects.get()
    entries = trail.new()
    [login] = naming(entries, User, agent.user_id, action=AuditEntry.Action.CREATE)
    [contract] = naming(entries, ContractedAgent, agent.pk, action=AuditEntry.Action.CREATE)
    assert login.actor_id == contract.actor_id == director.pk
    assert login.changes["username"] == ["[redacted]", "[redacted]"]  # a login's name is identity
    assert login.changes["password"][1] == "[redacted]"
    assert contract.changes["user"] == [None, agent.user_id]
    assert contract.changes["categories"][1] == ["circulation", "identity"]


def test_assigning_and_taking_back_an_account_records_the_grant_by_number(client, director, alice):
    agent = ContractedAgentFactory()
    client.force_login(director)
    trail = Trail()
    page = reverse("privacy:agent_detail", args=[agent.pk])
    client.post(page, {"card_number": alice.card_number, "action": "assign"})
    grant = PatronUserObjectPermission.objects.get(user=agent.user)
    [given] = naming(
        trail.new(), PatronUserObjectPermission, grant.pk, action=AuditEntry.Action.CREATE
    )
    assert given.actor_id == director.pk
    assert given.changes["user"] == [None, agent.user_id]
    assert given.changes["content_object"] == [None, alice.pk]
    assert given.changes["permission"] == [None, grant.permission_id]
    client.post(page, {"card_number": alice.card_number, "action": "unassign"})
    entries = trail.new()
    [taken] = naming(entries, PatronUserObjectPermission, grant.pk, action=AuditEntry.Action.DELETE)
    assert taken.actor_id == director.pk
    _holds_no_patron(entries, alice)


def test_adding_a_worker_records_the_worker_and_a_summary_of_their_grants(
    client, director, desk, alice, bob
):
    order = LegalOrderFactory(patrons=[alice, bob], received_by=director)
    trail = Trail()
    client.force_login(director)
    client.post(reverse("privacy:order_add_worker", args=[order.pk]), {"worker": desk.pk})
    entries = trail.new()
    [added] = naming(entries, LegalOrder, order.pk, action=AuditEntry.Action.UPDATE)
    assert added.actor_id == director.pk
    assert added.changes["workers"] == {
        "type": "m2m",
        "operation": "add",
        "objects": [f"user #{desk.pk}"],
    }
    [summary] = naming(entries, PatronUserObjectPermission, action=AuditEntry.Action.CREATE)
    assert summary.object_pk == "-" and summary.actor_id == director.pk
    assert summary.clause == "CONF-5"
    assert summary.additional_data["count"] == 2
    assert summary.additional_data["legal_order"] == order.pk
    assert summary.additional_data["permission"] == services.ORDER_GRANT
    assert summary.additional_data["user"] == desk.pk
    assert PatronUserObjectPermission.objects.filter(user=desk).count() == 2
    _holds_no_patron(entries, alice, bob)


def test_validating_an_order_records_the_decision_and_the_grants(client, director, alice):
    order = LegalOrderFactory(patrons=[alice], received_by=director, status="under_review")
    order.workers.add(director)
    trail = Trail()
    client.force_login(director)
    client.post(reverse("privacy:order_decide", args=[order.pk, "validate"]), {"note": "ok"})
    entries = trail.new()
    [decision] = [
        entry
        for entry in naming(entries, LegalOrder, order.pk, action=AuditEntry.Action.UPDATE)
        if "status" in entry.changes
    ]
    assert decision.actor_id == director.pk
    assert decision.changes["status"] == ["under_review", "valid"]
    assert decision.changes["reviewed_by"][1] == director.pk
    [summary] = naming(entries, PatronUserObjectPermission, action=AuditEntry.Action.CREATE)
    assert summary.additional_data["count"] == 1
    assert summary.additional_data["legal_order"] == order.pk
    assert summary.actor_id == director.pk


def test_closing_an_order_records_the_decision_and_one_summary_of_the_revoked_grants(
    client, director, desk, alice, bob
):
    order = LegalOrderFactory(patrons=[alice, bob], received_by=director, status="received")
    services.legal_order_add_worker(order=order, director=director, worker=desk)
    services.legal_order_validate(order=order, director=director)
    assert PatronUserObjectPermission.objects.count() == 4
    trail = Trail()
    client.force_login(director)
    client.post(reverse("privacy:order_decide", args=[order.pk, "fulfil"]), {"note": "done"})
    entries = trail.new()
    [decision] = naming(entries, LegalOrder, order.pk, action=AuditEntry.Action.UPDATE)
    assert decision.changes["status"] == ["valid", "fulfilled"]
    assert decision.actor_id == director.pk
    revoked = naming(entries, PatronUserObjectPermission, action=AuditEntry.Action.DELETE)
    assert sorted((e.additional_data["user"], e.additional_data["count"]) for e in revoked) == (
        sorted([(director.pk, 2), (desk.pk, 2)])
    )
    assert {entry.object_pk for entry in revoked} == {"-"}  # no entry names one grant
    assert PatronUserObjectPermission.objects.count() == 0
    _holds_no_patron(entries, alice, bob)


def test_a_worker_added_to_an_order_not_yet_valid_gets_no_grant_and_no_summary(
    director, staff, alice
):
    order = LegalOrderFactory(patrons=[alice], received_by=director, status="received")
    reference = staff(Role.REFERENCE)
    trail = Trail()
    services.legal_order_add_worker(order=order, director=director, worker=reference)
    entries = trail.new()
    assert naming(entries, LegalOrder, order.pk, action=AuditEntry.Action.UPDATE)
    assert not naming(entries, PatronUserObjectPermission)
