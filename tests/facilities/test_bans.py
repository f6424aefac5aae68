"""Bans: made from an incident, in effect between their dates (computed when read), ended early
by a person in charge, a guard or the director."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape

from facilities import services
from facilities.models import Ban
from library.roles import Role
from tests.facilities.helpers import local
from tests.factories import BanFactory, BranchFactory, IncidentPersonFactory

pytestmark = pytest.mark.django_db

HANDLERS = ["person_in_charge", "security_guard", "director"]
OTHERS = ["circulation", "reference", "it_staff", "auditor", "alice", "root"]


def test_a_ban_is_in_effect_from_its_start_until_just_before_its_end():
    ban = BanFactory()
    tick = datetime.timedelta(microseconds=1)
    assert not ban.is_in_effect(ban.starts_at - tick)
    assert ban.is_in_effect(ban.starts_at)
    assert ban.is_in_effect(ban.ends_at - tick)
    assert not ban.is_in_effect(ban.ends_at)
    for moment, expected in [
        (ban.starts_at - tick, False),
        (ban.starts_at, True),
        (ban.ends_at - tick, True),
        (ban.ends_at, False),
    ]:
        assert Ban.objects.in_effect(moment).exists() is expected, moment


def test_the_database_refuses_a_ban_ending_before_it_starts():
    ban = BanFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ban.objects.filter(pk=ban.pk).update(ends_at=ban.starts_at - datetime.timedelta(days=1))


class TestMakingABan:
    def _post(self, client, who, **data):
        return client.post(
            f"/staff/facilities/incidents/{who.incident_id}/bans/new/",
            {
                "person": who.pk,
                "ends_at": local(timezone.now() + datetime.timedelta(days=90)),
                "all_branches": "on",
                **data,
            },
        )

    @pytest.mark.parametrize("who", HANDLERS)
    def test_an_incident_handler_bans_a_person_involved(self, client, login_as, who):
        person = IncidentPersonFactory()
        user = login_as(who)
        assert self._post(client, person).status_code == 302
        ban = Ban.objects.get()
        assert (ban.person, ban.created_by, ban.all_branches) == (person, user, True)
        assert ban.is_in_effect()

    def test_a_ban_may_cover_some_branches(self, client, staff):
        person = IncidentPersonFactory()
        north, south = BranchFactory(code="NOR"), BranchFactory(code="SOU")
        client.force_login(staff(Role.PERSON_IN_CHARGE))
        response = self._post(client, person, all_branches="", branches=[north.pk, south.pk])
        assert response.status_code == 302
        ban = Ban.objects.get()
        assert not ban.all_branches and set(ban.branches.all()) == {north, south}

    def test_some_branches_means_naming_them(self, client, staff):
        person = IncidentPersonFactory()
        client.force_login(staff(Role.PERSON_IN_CHARGE))
        response = self._post(client, person, all_branches="")
        assert escape(services.BAN_NEEDS_BRANCHES) in response.content.decode()
        assert not Ban.objects.exists()

    def test_a_ban_ends_after_it_starts(self, client, staff):
        person = IncidentPersonFactory()
        client.force_login(staff(Role.PERSON_IN_CHARGE))
        response = self._post(
            client, person, ends_at=local(timezone.now() - datetime.timedelta(days=1))
        )
        assert escape(services.BAN_ENDS_BEFORE_START) in response.content.decode()
        assert not Ban.objects.exists()

    def test_only_a_person_of_this_incident_can_be_chosen(self, client, staff):
        person, stranger = IncidentPersonFactory(), IncidentPersonFactory()
        client.force_login(staff(Role.PERSON_IN_CHARGE))
        response = self._post(client, person, person=stranger.pk)
        assert response.status_code == 200
        assert not Ban.objects.exists()

    @pytest.mark.parametrize("who", OTHERS)
    def test_others_cannot_ban(self, client, login_as, who):
        person = IncidentPersonFactory()
        login_as(who)
        assert self._post(client, person).status_code == 404
        assert not Ban.objects.exists()


class TestEndingABan:
    @pytest.mark.parametrize("who", HANDLERS)
    def test_a_handler_ends_a_ban_now(self, client, login_as, who):
        ban = BanFactory()
        user = login_as(who)
        assert client.post(f"/staff/facilities/bans/{ban.pk}/end/").status_code == 302
        ban.refresh_from_db()
        assert not ban.is_in_effect()
        assert ban.ended_by == user and ban.ended_early_at is not None

    @pytest.mark.parametrize("who", OTHERS)
    def test_others_cannot_end_a_ban(self, client, login_as, who):
        ban = BanFactory()
        login_as(who)
        assert client.post(f"/staff/facilities/bans/{ban.pk}/end/").status_code == 404
        ban.refresh_from_db()
        assert ban.is_in_effect()

    def test_an_ended_ban_cannot_be_ended_again(self, staff):
        ban = BanFactory(
            starts_at=timezone.now() - datetime.timedelta(days=10),
            ends_at=timezone.now() - datetime.timedelta(days=1),
        )
        with pytest.raises(ValidationError) as refused:
            services.ban_end(actor=staff(Role.PERSON_IN_CHARGE), ban=ban)
        assert refused.value.messages == [services.BAN_ALREADY_ENDED]

    def test_a_ban_not_yet_started_ends_before_it_begins(self, staff):
        ban = BanFactory(
            starts_at=timezone.now() + datetime.timedelta(days=1),
            ends_at=timezone.now() + datetime.timedelta(days=10),
        )
        ended = services.ban_end(actor=staff(Role.PERSON_IN_CHARGE), ban=ban)
        assert ended.ends_at == ended.starts_at
        assert not ended.is_in_effect(ended.starts_at)


@pytest.mark.parametrize("who", HANDLERS)
def test_the_ban_list_names_people_through_the_gate_and_says_which_are_in_effect(
    client, login_as, alice, who
):
    current = BanFactory(person=IncidentPersonFactory(patron=alice))
    BanFactory(
        starts_at=timezone.now() - datetime.timedelta(days=10),
        ends_at=timezone.now() - datetime.timedelta(days=1),
    )
    login_as(who)
    body = client.get("/staff/facilities/bans/").content.decode()
    assert alice.full_name in body
    assert f"End ban #{current.pk} now" in body
    assert body.count("End ban #") == 1


@pytest.mark.parametrize("who", OTHERS)
def test_others_do_not_see_the_ban_list(client, login_as, alice, who):
    BanFactory(person=IncidentPersonFactory(patron=alice))
    login_as(who)
    response = client.get("/staff/facilities/bans/")
    assert response.status_code == 404
    assert alice.last_name not in response.content.decode()
