"""The gate: facts from the database, the engine's decision, an audit entry every time."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from guardian.shortcuts import assign_perm

from audit.models import AuditEntry
from library.roles import Role
from patrons.models import Patron
from privacy import access, gate
from privacy.access import Asker
from privacy.gate import Refused
from privacy.policy import DataCategory, Purpose, Requester
from tests.factories import (
    ConsentFactory,
    ContractedAgentFactory,
    LegalOrderFactory,
    PatronFactory,
    years_ago,
)

pytestmark = pytest.mark.django_db
C, P = DataCategory, Purpose


def last_access():
    return AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).order_by("-seq").first()


def test_account_holder_reads_own_record_and_the_read_is_logged(alice):
    decision = access.read(alice.user, alice, C.READING_HISTORY, P.SELF_SERVICE)
    assert decision.allowed and decision.clause == "CONF-9"
    entry = last_access()
    assert (
        entry.actor_id,
        entry.object_id,
        entry.category,
        entry.purpose,
        entry.clause,
        entry.decision,
    ) == (
        alice.user.pk,
        alice.pk,
        "reading_history",
        "self_service",
        "CONF-9",
        "allowed",
    )


def test_another_patron_is_refused_and_the_refusal_is_logged(alice, bob):
    with pytest.raises(Refused) as refused:
        access.read(bob.user, alice, C.IDENTITY, P.SELF_SERVICE)
    assert str(refused.value) == gate.NOT_FOUND_MESSAGE
    entry = last_access()
    assert (entry.actor_id, entry.object_id, entry.decision) == (bob.user.pk, alice.pk, "refused")


def test_refusal_reads_the_same_whether_or_not_the_patron_exists(alice):
    asker = Asker(Requester.OTHER_PATRON)
    with pytest.raises(Refused) as existing:
        access.disclose(
            actor=None, asker=asker, patron=alice, category=C.IDENTITY, purpose=P.DESK_INQUIRY
        )
    with pytest.raises(Refused) as missing:
        access.disclose(
            actor=None, asker=asker, patron=None, category=C.IDENTITY, purpose=P.DESK_INQUIRY
        )
    assert str(existing.value) == str(missing.value)
    assert existing.value.decision.message == missing.value.decision.message
    assert existing.value.decision.clause == missing.value.decision.clause


def test_find_patron_refuses_unknown_card_and_logs_it(desk):
    with pytest.raises(Refused):
        access.find_patron(
            desk, card_number="29999999999999", category=C.IDENTITY, purpose=P.REGISTRATION
        )
    entry = last_access()
    assert entry.object_pk == access.UNKNOWN_PATRON and entry.decision == "refused"
    assert "29999999999999" not in str(entry.additional_data)


def test_responsible_adult_reads_minors_loans_but_not_their_reading_history(carol, dan):
    assert access.read(carol.user, dan, C.CIRCULATION, P.GUARDIAN).allowed
    with pytest.raises(Refused):
        access.read(carol.user, dan, C.READING_HISTORY, P.GUARDIAN)


def test_responsible_adult_loses_access_on_the_birthday_of_majority(carol, dan):
    Patron.objects.filter(pk=dan.pk).update(date_of_birth=years_ago(18))
    dan.refresh_from_db()
    with pytest.raises(Refused):
        access.read(carol.user, dan, C.IDENTITY, P.GUARDIAN)


def test_unlisted_adult_is_refused_for_a_minor(bob, dan):
    with pytest.raises(Refused):
        access.read(bob.user, dan, C.IDENTITY, P.GUARDIAN)


def test_find_minor_gives_the_listed_adult_their_minor_and_logs_the_read(carol, dan):
    assert access.find_minor(carol.user, pk=dan.pk, category=C.IDENTITY) == dan
    entry = last_access()
    assert (entry.object_id, entry.purpose, entry.decision) == (dan.pk, "guardian", "allowed")


def test_find_minor_refuses_the_adults_own_id_and_logs_it_against_their_record(carol):
    with pytest.raises(Refused):
        access.find_minor(carol.user, pk=carol.pk, category=C.IDENTITY)
    entry = last_access()
    assert (entry.object_id, entry.purpose, entry.decision) == (carol.pk, "guardian", "refused")
    assert entry.additional_data["basis"] == "not listed on the account"


def test_find_minor_logs_a_refused_minor_against_the_minors_record(bob, dan):
    with pytest.raises(Refused):
        access.find_minor(bob.user, pk=dan.pk, category=C.IDENTITY)
    entry = last_access()
    assert (entry.actor_id, entry.object_id, entry.decision) == (bob.user.pk, dan.pk, "refused")


def test_find_minor_logs_a_missing_id_as_an_unknown_patron(carol):
    with pytest.raises(Refused):
        access.find_minor(carol.user, pk=999_999, category=C.IDENTITY)
    entry = last_access()
    assert entry.object_pk == access.UNKNOWN_PATRON and entry.decision == "refused"


def test_circulation_staff_read_loans_for_circulation(desk, alice):
    assert access.read(desk, alice, C.CIRCULATION, P.CIRCULATION).clause == "CONF-3"


def test_staff_never_read_reading_history(staff, alice):
    for role in Role:
        with pytest.raises(Refused):
            access.read(staff(role), alice, C.READING_HISTORY, P.CIRCULATION)


def test_superuser_without_a_role_gets_nothing(alice):
    root = User.objects.create_superuser("root", "root@example.org", "x-long-password-1")
    with pytest.raises(Refused):
        access.read(root, alice, C.IDENTITY, P.REGISTRATION)
    assert not access.scoped_patrons(root, C.IDENTITY, P.REGISTRATION).exists()


def _order_worker(director, patron, **order_fields):
    order = LegalOrderFactory(patrons=[patron], **order_fields)
    assign_perm("patrons.disclose_under_order", director, patron)
    return order


def _read_under_order(director, order, patron, category=C.CIRCULATION):
    asker = Asker(Requester.LAW_ENFORCEMENT, legal_order=order)
    return access.disclose(
        actor=director, asker=asker, patron=patron, category=category, purpose=P.LEGAL_ORDER
    )


def test_valid_order_in_scope_releases_and_names_the_order(director, alice):
    order = _order_worker(director, alice)
    assert _read_under_order(director, order, alice).clause == "CONF-5"
    assert last_access().additional_data["legal_order"] == order.pk


def test_expired_order_releases_nothing_even_with_the_grant_left_in_place(director, alice):
    order = _order_worker(
        director, alice, expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    with pytest.raises(Refused):
        _read_under_order(director, order, alice)


def test_order_releases_only_its_categories_and_patrons(director, alice, bob):
    order = _order_worker(director, alice)
    with pytest.raises(Refused):
        _read_under_order(director, order, alice, category=C.REFERENCE)
    assign_perm("patrons.disclose_under_order", director, bob)
    with pytest.raises(Refused):
        _read_under_order(director, order, bob)


def test_order_not_yet_valid_releases_nothing(director, alice):
    order = _order_worker(director, alice, status="under_review")
    with pytest.raises(Refused):
        _read_under_order(director, order, alice)


def test_order_releases_only_to_staff_holding_its_grant(staff, director, alice):
    order = _order_worker(director, alice)
    with pytest.raises(Refused):
        _read_under_order(staff(Role.PERSON_IN_CHARGE), order, alice)


def test_agent_reads_assigned_accounts_in_contract_only(alice, bob):
    agent = ContractedAgentFactory()
    assign_perm("patrons.disclose_as_agent", agent.user, alice)
    assert access.read(agent.user, alice, C.CIRCULATION, P.CONTRACT).clause == "CONF-7"
    with pytest.raises(Refused):
        access.read(agent.user, bob, C.CIRCULATION, P.CONTRACT)
    with pytest.raises(Refused):
        access.read(agent.user, alice, C.REFERENCE, P.CONTRACT)
    assert list(access.scoped_patrons(agent.user, C.CIRCULATION, P.CONTRACT)) == [alice]


def test_agent_after_contract_end_reads_nothing(alice):
    agent = ContractedAgentFactory(contract_end=timezone.localdate() - datetime.timedelta(days=1))
    assign_perm("patrons.disclose_as_agent", agent.user, alice)
    with pytest.raises(Refused):
        access.read(agent.user, alice, C.CIRCULATION, P.CONTRACT)
    assert not access.scoped_patrons(agent.user, C.CIRCULATION, P.CONTRACT).exists()


def test_third_party_with_consent_receives_until_it_is_withdrawn(alice):
    consent = ConsentFactory(patron=alice, recipient="Homework Help Inc.", category="circulation")
    asker = Asker(Requester.THIRD_PARTY, recipient="homework help inc.")
    decision = access.disclose(
        actor=None, asker=asker, patron=alice, category=C.CIRCULATION, purpose=P.CONSENT
    )
    assert decision.clause == "CONF-7"
    consent.withdrawn_at = timezone.now()
    consent.save()
    with pytest.raises(Refused):
        access.disclose(
            actor=None, asker=asker, patron=alice, category=C.CIRCULATION, purpose=P.CONSENT
        )


def test_scoped_patrons_for_a_patron_is_self_and_listed_minors_only(carol, dan, alice):
    assert set(access.scoped_patrons(carol.user, C.CIRCULATION, P.GUARDIAN)) == {carol, dan}
    assert set(access.scoped_patrons(carol.user, C.READING_HISTORY, P.SELF_SERVICE)) == {carol}
    Patron.objects.filter(pk=dan.pk).update(date_of_birth=years_ago(18))
    assert set(access.scoped_patrons(carol.user, C.CIRCULATION, P.GUARDIAN)) == {carol}


def test_scoped_patrons_for_staff_follows_their_operations(desk, staff, alice):
    assert access.scoped_patrons(desk, C.CIRCULATION, P.CIRCULATION).filter(pk=alice.pk).exists()
    assert not access.scoped_patrons(staff(Role.REFERENCE), C.CIRCULATION, P.CIRCULATION).exists()


def test_list_reads_are_logged_one_entry_per_patron_in_one_chain(desk):
    patrons = PatronFactory.create_batch(3)
    before = AuditEntry.objects.count()
    access.record_list_read(desk, [p.pk for p in patrons], C.IDENTITY, P.REGISTRATION)
    entries = list(AuditEntry.objects.order_by("seq")[before:])
    assert [e.object_id for e in entries] == [p.pk for p in patrons]
    assert all(e.decision == "allowed" and e.clause == "CONF-3" for e in entries)
    from audit.verify import verify_chain

    assert verify_chain().intact


def test_a_list_read_logs_ids_outside_the_scope_as_refused_and_leaves_them_out(
    alice, bob, carol, dan
):
    shown = access.record_list_read(carol.user, [carol.pk, dan.pk, bob.pk], C.IDENTITY, P.GUARDIAN)
    assert shown == {carol.pk, dan.pk}
    decisions = dict(
        AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).values_list(
            "object_id", "decision"
        )
    )
    assert decisions == {carol.pk: "allowed", dan.pk: "allowed", bob.pk: "refused"}


def test_the_director_reviews_whom_an_order_names_under_its_own_purpose(client, director, alice):
    from django.urls import reverse

    order = LegalOrderFactory(patrons=[alice], status="received")
    client.force_login(director)
    page = client.get(reverse("privacy:order_detail", args=[order.pk])).content.decode()
    assert alice.card_number in page
    entry = last_access()
    assert (entry.object_id, entry.purpose, entry.clause, entry.decision) == (
        alice.pk,
        "order_review",
        "CONF-5",
        "allowed",
    )


def test_staff_working_an_order_see_no_names_when_it_does_not_cover_identity(
    client, staff, director, alice
):
    from django.urls import reverse

    from privacy import services

    worker = staff(Role.PERSON_IN_CHARGE)
    order = LegalOrderFactory(patrons=[alice], categories=["circulation"], status="received")
    services.legal_order_add_worker(order=order, director=director, worker=worker)
    services.legal_order_validate(order=order, director=director)
    client.force_login(worker)
    page = client.get(reverse("privacy:order_detail", args=[order.pk])).content.decode()
    assert alice.card_number not in page and alice.last_name not in page
    assert last_access().decision == "refused"
