"""The gate core writes a read repeated within one request once, and every refusal every time.

Outside a request (commands, jobs) every read is written, as before.
"""

import pytest
from django.db import transaction
from django.utils import timezone

from activity.services import ALREADY_SIGNED_UP
from audit.models import AuditEntry
from circulation.services import OWNER_HAS_NO_EMAIL
from privacy import access, gate
from privacy.gate import Refused
from privacy.policy import DataCategory, Purpose
from tests.factories import EventFactory, FoundItemFactory, LoanFactory

pytestmark = pytest.mark.django_db


def _head() -> int:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _reads(**filters):
    return AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS, **filters)


def test_an_allowed_read_repeated_in_one_request_is_written_once(desk, alice):
    with gate.one_request():
        for _ in range(3):
            access.read(desk, alice, DataCategory.IDENTITY, Purpose.CIRCULATION)
    assert _reads(object_id=alice.pk).count() == 1


def test_a_refusal_is_written_every_time_and_before_it_raises(desk, alice):
    with gate.one_request():
        for attempt in range(1, 4):
            with pytest.raises(Refused):
                access.read(desk, alice, DataCategory.READING_HISTORY, Purpose.CIRCULATION)
            assert _reads(object_id=alice.pk, decision="refused").count() == attempt


def test_a_refusal_is_not_merged_into_an_allowed_read_of_the_same_patron(desk, alice):
    with gate.one_request():
        access.read(desk, alice, DataCategory.IDENTITY, Purpose.CIRCULATION)
        with pytest.raises(Refused):
            access.read(desk, alice, DataCategory.READING_HISTORY, Purpose.CIRCULATION)
        access.read(desk, alice, DataCategory.IDENTITY, Purpose.CIRCULATION)
    assert sorted(_reads(object_id=alice.pk).values_list("decision", flat=True)) == [
        "allowed",
        "refused",
    ]


def test_reads_of_other_patrons_categories_purposes_or_readers_stay_apart(
    desk, director, alice, bob
):
    with gate.one_request():
        access.read(desk, alice, DataCategory.IDENTITY, Purpose.CIRCULATION)
        access.read(desk, bob, DataCategory.IDENTITY, Purpose.CIRCULATION)
        access.read(desk, alice, DataCategory.CIRCULATION, Purpose.CIRCULATION)
        access.read(desk, alice, DataCategory.IDENTITY, Purpose.HOLDS)
        access.read(director, alice, DataCategory.IDENTITY, Purpose.CIRCULATION)
    assert _reads().count() == 5


def test_a_list_read_repeats_no_patron_but_keeps_each_one(desk, alice, bob):
    with gate.one_request():
        access.record_list_read(
            desk, [alice.pk, bob.pk, alice.pk], DataCategory.IDENTITY, Purpose.CIRCULATION
        )
        access.record_list_read(desk, [bob.pk], DataCategory.IDENTITY, Purpose.CIRCULATION)
    assert sorted(_reads().values_list("object_id", flat=True)) == sorted([alice.pk, bob.pk])


def test_outside_a_request_every_read_is_written(desk, alice):
    for _ in range(3):
        access.read(desk, alice, DataCategory.IDENTITY, Purpose.CIRCULATION)
    assert _reads(object_id=alice.pk).count() == 3


def test_a_read_whose_entry_was_rolled_back_is_written_again(desk, alice):
    with gate.one_request():
        with pytest.raises(RuntimeError), transaction.atomic():
            access.read(desk, alice, DataCategory.IDENTITY, Purpose.CIRCULATION)
            raise RuntimeError
        assert not _reads(object_id=alice.pk).exists()
        access.read(desk, alice, DataCategory.IDENTITY, Purpose.CIRCULATION)
    assert _reads(object_id=alice.pk).count() == 1


# From the outside: pages that found a patron and then listed or showed them again.


def test_a_sign_up_refused_and_shown_again_is_one_read_of_the_patron(client, desk, alice):
    """The page looks the card up, then lists the sign-ups, this patron among them."""
    event = EventFactory()
    client.force_login(desk)
    url = f"/staff/activity/events/{event.pk}/"
    assert client.post(url, {"card_number": alice.card_number}).status_code == 302
    since = _head()
    response = client.post(url, {"card_number": alice.card_number})
    assert ALREADY_SIGNED_UP in response.content.decode()
    assert _reads(object_id=alice.pk, category="events", seq__gt=since).count() == 1


def test_a_found_item_contact_shown_again_is_one_read_of_its_owner(client, desk, alice):
    """The page reads the owner's contact details, then shows the item with its owner."""
    alice.email = ""
    alice.save()
    found = FoundItemFactory(owner=alice, matched_at=timezone.now())
    client.force_login(desk)
    response = client.post(f"/staff/circulation/found/{found.pk}/contact/", {"channel": "email"})
    assert OWNER_HAS_NO_EMAIL in response.content.decode()
    assert _reads(object_id=alice.pk, purpose="found_item").count() == 1


def test_an_adult_opening_a_minors_account_is_one_read_of_each_category(client, carol, dan):
    LoanFactory(patron=dan)
    client.force_login(carol.user)
    assert client.get(f"/portal/minors/{dan.pk}/").status_code == 200
    reads = _reads(object_id=dan.pk)
    assert sorted(reads.values_list("category", flat=True)) == ["circulation", "identity"]


def test_a_refused_page_writes_its_refusal_each_time_it_is_asked(client, bob, dan):
    client.force_login(bob.user)
    for _ in range(2):
        assert client.get(f"/portal/minors/{dan.pk}/").status_code == 404
    assert _reads(object_id=dan.pk, decision="refused").count() == 2
