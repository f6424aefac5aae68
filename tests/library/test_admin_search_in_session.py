"""Staff searches in the admin post; the term lives in the session, the address holds a token."""

import datetime
import re

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEntry
from tests.conftest import stored_in_a_session
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db

PATRONS = "/staff/admin/patrons/patron/"


def _search(client, term, url=PATRONS):
    response = client.post(url, {"q": term})
    assert response.status_code == 302
    return response["Location"]


def _listed(response):
    return {patron.pk for patron in response.context["cl"].result_list}


def test_a_search_redirects_to_an_address_without_the_term_and_shows_the_matches(client, desk):
    wanted = PatronFactory.create_batch(2, last_name="Okonkwo")
    other = PatronFactory(last_name="Lindqvist")
    client.force_login(desk)

    location = _search(client, "okonkwo")
    response = client.get(location)

    assert "okonkwo" not in location.lower()
    assert re.fullmatch(rf"{PATRONS}\?_s=[\w-]+", location)
    assert _listed(response) == {p.pk for p in wanted}
    assert other.pk not in _listed(response)
    body = response.content.decode().lower()
    assert 'value="okonkwo"' in body  # the box still shows what was searched
    links = re.findall(r'(?:href|action)="([^"]*)"', body)
    assert links and not [link for link in links if "okonkwo" in link]
    shown = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS, actor_id=desk.pk)
    assert set(shown.values_list("object_id", flat=True)) == {p.pk for p in wanted}


def test_the_next_page_keeps_the_search_through_the_token(client, desk):
    wanted = PatronFactory.create_batch(27, last_name="Okonkwo")
    PatronFactory.create_batch(3, last_name="Lindqvist")
    client.force_login(desk)

    first = client.get(_search(client, "okonkwo"))
    token = re.search(r"_s=([\w-]+)", first.content.decode()).group(1)
    second = client.get(PATRONS, {"_s": token, "p": 2})

    assert f"?_s={token}&amp;p=2" in first.content.decode()
    assert len(_listed(first)) == 25 and len(_listed(second)) == 2
    assert _listed(first) | _listed(second) == {p.pk for p in wanted}


def test_a_search_keeps_the_filters_and_starts_again_at_the_first_page(client, desk):
    PatronFactory(last_name="Okonkwo", status="blocked")
    client.force_login(desk)

    location = _search(client, "okonkwo", f"{PATRONS}?status__exact=active&p=3")

    assert location.startswith(f"{PATRONS}?status__exact=active&_s=")
    assert _listed(client.get(location)) == set()


def test_an_empty_search_clears_it(client, desk):
    PatronFactory.create_batch(2)
    client.force_login(desk)

    assert _search(client, "   ") == PATRONS


def test_a_token_means_nothing_in_another_session(client, desk, staff):
    from library.roles import Role

    PatronFactory(last_name="Okonkwo")
    PatronFactory(last_name="Lindqvist")
    client.force_login(desk)
    location = _search(client, "okonkwo")

    client.force_login(staff(Role.CIRCULATION))
    response = client.get(location)

    assert response.status_code == 200
    assert response.context["cl"].query == ""
    assert len(_listed(response)) == 2


def test_search_results_come_newest_first(client, desk):
    older, newer = PatronFactory(last_name="Okonkwo"), PatronFactory(last_name="Okonkwo")
    client.force_login(desk)

    response = client.get(_search(client, "okonkwo"))

    assert [p.pk for p in response.context["cl"].result_list] == [newer.pk, older.pk]


# A term lives minutes in the session, not the session's life (issue 14).


def test_a_term_is_gone_from_the_stored_session_after_its_lifetime(client, desk):
    wanted = PatronFactory(last_name="Okonkwo")
    PatronFactory(last_name="Lindqvist")
    client.force_login(desk)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        location = _search(client, wanted.card_number)
        traveller.shift(datetime.timedelta(minutes=9))
        assert _listed(client.get(location)) == {wanted.pk}

        traveller.shift(datetime.timedelta(minutes=2))
        response = client.get(PATRONS)

        assert not stored_in_a_session(wanted.card_number)
        # The old address still opens: the unfiltered list, not an error.
        expired = client.get(location)
        assert expired.status_code == 200 and expired.context["cl"].query == ""
        assert len(_listed(expired)) == 2
    assert response.status_code == 200


def test_the_lifetime_is_a_setting(client, desk, settings):
    settings.SEARCH_TERM_MINUTES = 2
    wanted = PatronFactory(last_name="Okonkwo")
    client.force_login(desk)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        location = _search(client, wanted.card_number)
        traveller.shift(datetime.timedelta(minutes=3))
        assert client.get(location).context["cl"].query == ""
        assert not stored_in_a_session(wanted.card_number)


def test_no_session_row_holds_a_card_number_after_the_lifetime_even_if_left_alone(client, desk):
    # A desk PC left signed in, or a browser closed: no request comes to drop the
    # term, so the scheduled clearsessions does.
    wanted = PatronFactory()
    client.force_login(desk)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _search(client, wanted.card_number)
        assert stored_in_a_session(wanted.card_number)
        traveller.shift(datetime.timedelta(minutes=11))

        call_command("clearsessions")

        assert Session.objects.exists()  # still signed in: only the term went
        assert not stored_in_a_session(wanted.card_number)


def test_signing_out_of_the_admin_clears_the_search(client, desk):
    wanted = PatronFactory()
    client.force_login(desk)
    _search(client, wanted.card_number)
    assert stored_in_a_session(wanted.card_number)

    response = client.post("/staff/admin/logout/")

    assert response.status_code in (200, 302)
    assert not stored_in_a_session(wanted.card_number)
