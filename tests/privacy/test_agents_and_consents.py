"""Contracted agents and patron consent (CONF-7)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from library.roles import Role
from privacy import services
from privacy.models import Consent, ContractedAgent, IdentityCheck
from tests.conftest import page_text
from tests.factories import ContractedAgentFactory, LoanFactory

pytestmark = pytest.mark.django_db


def test_director_registers_an_agent_and_assigns_an_account(client, director, alice):
    client.force_login(director)
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
    agent = ContractedAgent.objects.get()
    assert response.status_code == 302 and not agent.user.has_usable_password()
    client.post(
        reverse("privacy:agent_detail", args=[agent.pk]),
        {"card_number": alice.card_number, "action": "assign"},
    )
    client.force_login(agent.user)
    listing = client.get(reverse("agent:accounts")).content.decode()
    assert alice.card_number in listing


def test_an_agent_sees_assigned_accounts_only_and_unassigned_ones_look_missing(
    client, alice, bob, director
):
    agent = ContractedAgentFactory()
    services.agent_assign(agent=agent, patron=alice, director=director)
    loan = LoanFactory(patron=alice)
    client.force_login(agent.user)
    assert (
        loan.item.record.title
        in client.get(reverse("agent:account", args=[alice.pk])).content.decode()
    )
    unassigned = client.get(reverse("agent:account", args=[bob.pk]))
    missing = client.get(reverse("agent:account", args=[999999]))
    assert unassigned.status_code == missing.status_code == 404
    assert page_text(unassigned) == page_text(missing)
    assert bob.card_number not in client.get(reverse("agent:accounts")).content.decode()


def test_an_agent_after_the_contract_ends_gets_nothing(client, alice, director):
    agent = ContractedAgentFactory(contract_end=timezone.localdate() - datetime.timedelta(days=1))
    services.agent_assign(agent=agent, patron=alice, director=director)
    client.force_login(agent.user)
    assert alice.card_number not in client.get(reverse("agent:accounts")).content.decode()
    assert client.get(reverse("agent:account", args=[alice.pk])).status_code == 404


def test_an_agent_can_never_be_given_reading_history(director):
    with pytest.raises(ValidationError, match="never receive reading history"):
        services.agent_register(
            director=director,
            name="Book Club Co",
            purpose="Recommendations",
            categories=["reading_history"],
            contract_start=timezone.localdate(),
            contract_end=timezone.localdate(),
            username="bookclub",
        )
    assert not ContractedAgent.objects.exists()


def test_agent_pages_are_refused_to_everyone_else(client, staff, alice):
    for user in (staff(Role.CIRCULATION), alice.user):
        client.force_login(user)
        assert client.get(reverse("agent:accounts")).status_code == 404
        assert client.get(reverse("privacy:agent_list")).status_code == 404


def test_desk_records_a_consent_after_an_identity_check_and_withdraws_it(client, desk, alice):
    client.force_login(desk)
    client.post(
        reverse("privacy:consent_desk"),
        {
            "card_number": alice.card_number,
            "grant": "1",
            "recipient": "Homework Help Inc.",
            "category": "circulation",
            "purpose": "Tutoring",
            "document_kind": "passport",
        },
    )
    consent = Consent.objects.get()
    check = IdentityCheck.objects.get()
    assert consent.identity_check == check and check.patron == alice and check.checked_by == desk
    client.post(
        reverse("privacy:consent_desk"), {"card_number": alice.card_number, "withdraw": consent.pk}
    )
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


def test_staff_cannot_record_a_consent_without_an_identity_check(desk, alice):
    with pytest.raises(ValidationError, match="identity check"):
        services.consent_grant(
            patron=alice,
            recipient="X",
            category="identity",
            purpose="p",
            recorded_by=desk,
            identity_check=None,
        )


def test_a_patron_may_record_their_own_consent(alice):
    consent = services.consent_grant(
        patron=alice, recipient="Tutor", category="events", purpose="p", recorded_by=alice.user
    )
    assert consent.is_active


def test_no_consent_can_release_reading_history(alice):
    with pytest.raises(ValidationError, match="own use"):
        services.consent_grant(
            patron=alice,
            recipient="X",
            category="reading_history",
            purpose="p",
            recorded_by=alice.user,
        )


def test_consent_desk_lookup_of_an_unknown_card_says_not_found_and_logs_it(client, desk):
    client.force_login(desk)
    response = client.post(
        reverse("privacy:consent_desk"), {"card_number": "29999999999999", "lookup": "1"}
    )
    assert "No matching record was found." in response.content.decode()
    assert AuditEntry.objects.filter(decision="refused", object_pk="-").exists()
