"""A refused id in a portal address gets the same page, after the same queries, as a missing one.

Issue 14: a refusal that costs one more query than "no such record" tells a
patron probing ids which records exist. Every portal page that takes an id
(found from portal.urls, so a new one cannot be forgotten) lists here the
kinds of existing ids it refuses; each must look exactly like a missing id.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patrons.models import Patron
from portal import urls as portal_urls
from tests.conftest import page_text
from tests.factories import (
    ConsentFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    LoanRuleFactory,
    MinorFactory,
    ReadingHistoryEntryFactory,
    ResponsibleAdultFactory,
    years_ago,
)
from tests.portal.helpers import query_shapes

pytestmark = pytest.mark.django_db

MISSING = 999_999

ID_PAGES = sorted(
    pattern.name
    for pattern in portal_urls.urlpatterns
    if pattern.name and "pk" in pattern.pattern.converters  # type: ignore[union-attr]
)


@dataclass(frozen=True)
class People:
    alice: Patron
    bob: Patron
    carol: Patron
    dan: Patron


@dataclass(frozen=True)
class Ids:
    allowed: int  # an id the signed-in patron may use, so the page is known to work
    refused: dict[str, int]  # kind of refusal -> an existing id refused that way


@dataclass(frozen=True)
class Page:
    method: str
    signed_in: str  # which persona asks
    ids: Callable[[People], Ids]


def _minor_ids(p: People) -> Ids:
    bobs_child = MinorFactory()
    ResponsibleAdultFactory(minor=bobs_child, adult=p.bob)
    grown = MinorFactory(date_of_birth=years_ago(18))
    ResponsibleAdultFactory(minor=grown, adult=p.carol)
    return Ids(
        allowed=p.dan.pk,
        refused={
            "another adult's minor": bobs_child.pk,
            "a patron no longer a minor": grown.pk,
            "the adult's own id": p.carol.pk,
            "another adult": p.alice.pk,
        },
    )


def _loan_ids(p: People) -> Ids:
    LoanRuleFactory()
    returned = LoanFactory(
        patron=p.alice,
        checked_out_at=timezone.now() - datetime.timedelta(days=3),
        returned_at=timezone.now(),
    )
    return Ids(
        allowed=LoanFactory(patron=p.alice).pk,
        refused={"another patron's loan": LoanFactory(patron=p.bob).pk, "returned": returned.pk},
    )


def _hold_ids(p: People) -> Ids:
    return Ids(
        allowed=HoldFactory(patron=p.alice).pk,
        refused={"another patron's hold": HoldFactory(patron=p.bob).pk},
    )


def _consent_ids(p: People) -> Ids:
    return Ids(
        allowed=ConsentFactory(patron=p.alice).pk,
        refused={"another patron's consent": ConsentFactory(patron=p.bob).pk},
    )


def _history_ids(p: People) -> Ids:
    deleted = ReadingHistoryEntryFactory(patron=p.alice, deleted_at=timezone.now())
    return Ids(
        allowed=ReadingHistoryEntryFactory(patron=p.alice).pk,
        refused={
            "another patron's entry": ReadingHistoryEntryFactory(patron=p.bob).pk,
            "deleted under a legal hold": deleted.pk,
        },
    )


def _item_ids(p: People) -> Ids:
    return Ids(
        allowed=ItemFactory().record.pk,
        refused={"withdrawn": ItemFactory(withdrawn=True).record.pk},
    )


PAGES = {
    "minor_account": Page("get", "carol", _minor_ids),
    "loan_renew": Page("post", "alice", _loan_ids),
    "hold_cancel": Page("post", "alice", _hold_ids),
    "consent_withdraw": Page("post", "alice", _consent_ids),
    "reading_history_entry_delete": Page("post", "alice", _history_ids),
    "hold_place": Page("get", "alice", _item_ids),
}


@pytest.fixture
def people(alice, bob, carol, dan) -> People:
    return People(alice=alice, bob=bob, carol=carol, dan=dan)


def _asking(client, people: People, name: str):
    """Sign the page's persona in and return its ids and a fetch that captures the queries."""
    page = PAGES[name]
    ids = page.ids(people)
    client.force_login(getattr(people, page.signed_in).user)

    def fetch(pk: int):
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, page.method)(reverse(f"portal:{name}", args=[pk]))
        return response, captured.captured_queries

    fetch(MISSING)  # the first request after sign-in does one-off work
    return ids, fetch


def test_every_portal_page_taking_an_id_lists_its_refusals():
    assert ID_PAGES and set(PAGES) == set(ID_PAGES)


@pytest.mark.parametrize("name", ID_PAGES)
def test_a_refused_id_gets_the_same_not_found_page_as_a_missing_one(client, people, name):
    ids, fetch = _asking(client, people, name)
    missing, _ = fetch(MISSING)
    assert missing.status_code == 404
    for kind, pk in ids.refused.items():
        refused, _ = fetch(pk)
        assert refused.status_code == 404, kind
        assert page_text(refused) == page_text(missing), kind


@pytest.mark.parametrize("name", ID_PAGES)
def test_a_refused_id_runs_the_same_queries_as_a_missing_one(client, people, name):
    ids, fetch = _asking(client, people, name)
    _, missing = fetch(MISSING)
    for kind, pk in ids.refused.items():
        _, refused = fetch(pk)
        assert len(refused) == len(missing), kind
        assert query_shapes(refused) == query_shapes(missing), kind


@pytest.mark.parametrize("name", ID_PAGES)
def test_the_patron_entitled_to_an_id_still_gets_the_page(client, people, name):
    ids, fetch = _asking(client, people, name)
    response, _ = fetch(ids.allowed)
    assert response.status_code in (200, 302)
