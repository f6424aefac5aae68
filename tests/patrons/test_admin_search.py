"""The staff patron search counts matches only up to a cap, and still shows and logs the page."""

import pytest

from audit.models import AuditEntry
from library.paginators import CappedCountPaginator
from tests.conftest import page_text
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db

PATRONS = "/staff/admin/patrons/patron/"


def test_a_search_matching_more_than_the_cap_says_so_instead_of_counting_them_all(
    client, desk, monkeypatch
):
    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    PatronFactory.create_batch(5, last_name="Okonkwo")
    PatronFactory(last_name="Lindqvist")
    client.force_login(desk)

    response = client.get(PATRONS, {"q": "okonk"})

    assert response.status_code == 200
    text = page_text(response)
    assert "More than 3 patrons match: narrow the search or filter." in text
    assert len(response.context["cl"].result_list) == 5  # the page still lists every match
    shown = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS, actor_id=desk.pk)
    assert shown.count() == 5


def test_a_search_within_the_cap_gives_the_exact_count(client, desk, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    PatronFactory.create_batch(2, last_name="Okonkwo")
    PatronFactory(last_name="Lindqvist")
    client.force_login(desk)

    text = page_text(client.get(PATRONS, {"q": "okonk"}))

    assert "2 patrons" in text
    assert "More than" not in text
