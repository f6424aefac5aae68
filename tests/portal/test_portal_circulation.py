"""Renewing, the catalogue, placing and cancelling holds in the portal; what each page costs."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import AuditEntry
from circulation import services
from circulation.models import BibliographicRecord, Hold, Item, Loan
from portal import views
from tests.conftest import page_text
from tests.factories import (
    BranchFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    LoanRuleFactory,
    PatronFactory,
)
from tests.portal.helpers import page_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules():
    LoanRuleFactory()


def _said(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _renew(client, loan):
    return client.post(reverse("portal:loan_renew", args=[loan.pk]))


# Renewing


def test_a_patron_renews_a_loan_and_is_told_the_new_due_date(client, alice):
    loan = LoanFactory(patron=alice, item__title="Prairie Winds")
    client.force_login(alice.user)
    response = _renew(client, loan)
    assert response.status_code == 302 and response["Location"] == reverse("portal:account")
    loan.refresh_from_db()
    assert loan.renewals == 1
    [message] = _said(response)
    assert message.startswith("Renewed “Prairie Winds”. It is now due ")


def test_a_refused_renewal_says_why_in_words(client, alice):
    LoanRuleFactory(item_type="dvd", renewal_limit=0)
    loan = LoanFactory(patron=alice, item__title="Night Film", item__item_type="dvd")
    client.force_login(alice.user)
    [message] = _said(_renew(client, loan))
    reason = views.PORTAL_REASONS[services.RENEWAL_LIMIT]
    assert message == views.NOT_RENEWED.format(title="Night Film", reason=reason)
    loan.refresh_from_db()
    assert loan.renewals == 0


def test_a_loan_another_reader_waits_for_is_not_renewed(client, alice, bob):
    loan = LoanFactory(patron=alice)
    HoldFactory(item=loan.item, patron=bob)
    client.force_login(alice.user)
    [message] = _said(_renew(client, loan))
    assert "another reader is waiting for it" in message
    page = client.get(reverse("portal:account")).content.decode()
    assert "another reader is waiting for it" in page


def test_a_blocked_card_cannot_renew(client, alice):
    loan = LoanFactory(patron=alice)
    alice.status = "blocked"
    alice.save()
    client.force_login(alice.user)
    [message] = _said(_renew(client, loan))
    assert views.PORTAL_REASONS[services.PATRON_BLOCKED] in message


def test_renewing_another_patrons_loan_looks_like_a_missing_one(client, alice, bob):
    loan = LoanFactory(patron=alice)
    client.force_login(bob.user)
    other = _renew(client, loan)
    missing = client.post(reverse("portal:loan_renew", args=[999999]))
    assert other.status_code == missing.status_code == 404
    assert page_text(other) == page_text(missing)
    loan.refresh_from_db()
    assert loan.renewals == 0


def test_renewing_needs_a_post(client, alice):
    loan = LoanFactory(patron=alice)
    client.force_login(alice.user)
    assert client.get(reverse("portal:loan_renew", args=[loan.pk])).status_code == 405


def test_a_responsible_adult_sees_a_childs_loans_without_any_action(client, carol, dan):
    loan = LoanFactory(patron=dan)
    hold = HoldFactory(patron=dan)
    client.force_login(carol.user)
    page = client.get(reverse("portal:minor_account", args=[dan.pk])).content.decode()
    assert loan.item.record.title in page and hold.record.title in page
    assert "/renew/" not in page and "/cancel/" not in page and "Cancel hold" not in page
    assert _renew(client, loan).status_code == 404
    cancel = client.post(reverse("portal:hold_cancel", args=[hold.pk]))
    assert cancel.status_code == 404
    loan.refresh_from_db()
    assert loan.renewals == 0 and Hold.objects.filter(pk=hold.pk).exists()


def test_the_account_page_offers_renew_and_cancel_with_names_for_screen_readers(client, alice):
    LoanFactory(patron=alice, item__title="Prairie Winds")
    HoldFactory(patron=alice, item__title="Harbor Lights")
    client.force_login(alice.user)
    page = client.get(reverse("portal:account")).content.decode()
    assert 'Renew<span class="sr-only"> “Prairie Winds”</span>' in page
    assert 'Cancel hold<span class="sr-only"> on “Harbor Lights”</span>' in page


def test_the_account_page_costs_the_same_queries_for_3_or_500_loans(client, alice):
    # Session, user, patron; the gate (asker, one insert for both categories);
    # minors scope; loans count and page; holds; fines; minors.
    LoanFactory.create_batch(3, patron=alice)
    HoldFactory(patron=alice)
    client.force_login(alice.user)
    few = page_queries(lambda: client.get(reverse("portal:account")))
    assert len(few) == 10
    item = ItemFactory()
    now = datetime.datetime.now(datetime.UTC)
    for n in range(497):
        Loan.objects.create(
            item=ItemFactory(barcode=f"39{n:012d}", title=f"Book {n}", branch=item.branch),
            patron=alice,
            branch=item.branch,
            checked_out_at=now,
            due_at=now + datetime.timedelta(days=21, minutes=n),
        )
    HoldFactory.create_batch(5, patron=alice)
    many = page_queries(lambda: client.get(reverse("portal:account"), {"page": 4}))
    assert len(many) == len(few)
    html = client.get(reverse("portal:account"), {"page": 4}).content.decode()
    assert "Page 4 of 10" in html and "Loans (500)" in html


# Catalogue and holds


def test_the_catalogue_finds_items_by_title_author_or_barcode(client, alice):
    river = ItemFactory(title="The River Atlas", author="Mara Quill")
    ItemFactory(title="Winter Harbor", author="Otto Brand")
    withdrawn = ItemFactory(title="River Of Old", withdrawn=True)
    client.force_login(alice.user)

    def found(q):
        return client.get(reverse("portal:catalogue"), {"q": q}).content.decode()

    title = river.record.title
    assert title in found("river") and "Winter Harbor" not in found("river")
    # A title whose every copy is withdrawn is listed, but cannot be held.
    page = found("river of old")
    assert withdrawn.record.title in page and "No copy can be lent" in page
    assert reverse("portal:hold_place", args=[withdrawn.record.pk]) not in page
    assert title in found("quill") and title in found("atlas mara")
    assert title in found(river.barcode)
    assert "No results" in found("zebra")


def test_the_catalogue_without_a_search_lists_nothing(client, alice):
    ItemFactory(title="The River Atlas")
    client.force_login(alice.user)
    page = client.get(reverse("portal:catalogue")).content.decode()
    assert "The River Atlas" not in page and "Search by words" in page


def test_the_catalogue_marks_what_is_out_and_what_the_patron_has(client, alice, bob):
    # Authors are set: a generated one could share Bob's surname.
    mine = LoanFactory(patron=alice, item__title="Orchard One", item__author="Ann Lee").item
    out = LoanFactory(patron=bob, item__title="Orchard Two", item__author="Ann Lee").item
    held = HoldFactory(patron=alice, item__title="Orchard Three", item__author="Ann Lee").record
    ItemFactory(title="Orchard Four", author="Ann Lee")
    client.force_login(alice.user)
    html = client.get(reverse("portal:catalogue"), {"q": "orchard"}).content.decode()
    rows = {
        title: html.split(title)[1].split("</li>\n  \n")[0]
        for title in ["One", "Two", "Three", "Four"]
    }
    assert "On loan to you" in rows["One"] and "Place a hold" not in rows["One"]
    assert "none on the shelf" in rows["Two"] and "Place a hold" in rows["Two"]
    assert "You have a hold" in rows["Three"]
    assert "1 on the shelf" in rows["Four"] and "Place a hold" in rows["Four"]
    assert bob.last_name not in html and mine and out and held


def test_the_catalogue_is_paged_and_its_queries_do_not_grow(client, alice):
    # Session, user, patron; the gate (asker, insert); one word, so a look for
    # a barcode or ISBN first; the count of results; a page of titles; the
    # patron's loans and holds among them; the copies per branch of the page's titles.
    ItemFactory.create_batch(3, title="Comet Tales")
    client.force_login(alice.user)
    search = {"q": "comet"}
    few = page_queries(lambda: client.get(reverse("portal:catalogue"), search))
    assert len(few) == 11
    branch = BranchFactory(code="CEN")
    records = BibliographicRecord.objects.bulk_create(
        BibliographicRecord(title=f"Comet Tales {n}") for n in range(497)
    )
    Item.objects.bulk_create(
        Item(barcode=f"38{n:012d}", record=record, branch=branch, current_branch=branch)
        for n, record in enumerate(records)
    )
    many = page_queries(lambda: client.get(reverse("portal:catalogue"), {**search, "page": 2}))
    assert len(many) == len(few)
    html = client.get(reverse("portal:catalogue"), {**search, "page": 2}).content.decode()
    assert "Page 2 of 25" in html and "500 titles" in html and "?q=comet&amp;page=3" in html


def test_placing_a_hold_asks_where_to_pick_it_up_then_places_it(client, alice):
    north = BranchFactory(code="NTH", name="North Branch")
    item = LoanFactory(item__title="The River Atlas").item
    client.force_login(alice.user)
    url = reverse("portal:hold_place", args=[item.record.pk])
    ask = client.get(url).content.decode()
    assert "Pick it up at" in ask and "North Branch" in ask
    assert f'value="{alice.home_branch.pk}" selected' in ask
    response = client.post(url, {"pickup_branch": north.pk})
    assert response.status_code == 302
    hold = Hold.objects.get(patron=alice, record=item.record)
    assert hold.pickup_branch == north and hold.status == Hold.Status.WAITING
    assert hold.item is None and not hold.item_level  # the title: any copy fills it
    [message] = _said(response)
    assert message == views.HOLD_PLACED.format(title="The River Atlas", branch=north)


def test_a_hold_on_a_title_on_the_shelf_waits_to_be_pulled_not_ready_at_once(client, alice):
    # Issue 17: nobody has pulled the copy yet, so it is not ready.
    item = ItemFactory(title="Winter Harbor")
    client.force_login(alice.user)
    response = client.post(
        reverse("portal:hold_place", args=[item.record.pk]),
        {"pickup_branch": alice.home_branch.pk},
    )
    [message] = _said(response)
    assert message.startswith("Hold placed on “Winter Harbor”")
    hold = Hold.objects.get(patron=alice)
    assert hold.status == Hold.Status.WAITING and hold.ready_until is None
    page = client.get(reverse("portal:account")).content.decode()
    assert "Waiting" in page and "Ready" not in page


def test_a_patron_may_insist_on_one_copy(client, alice):
    item = ItemFactory(title="Winter Harbor")
    other = ItemFactory(record=item.record, barcode="31009999999999")
    client.force_login(alice.user)
    url = reverse("portal:hold_place", args=[item.record.pk])
    assert other.barcode in client.get(url).content.decode()
    client.post(url, {"pickup_branch": alice.home_branch.pk, "copy": other.pk})
    hold = Hold.objects.get(patron=alice)
    assert hold.item == other and hold.item_level


def test_a_copy_of_another_title_cannot_be_chosen(client, alice):
    item = ItemFactory(title="Winter Harbor")
    stranger = ItemFactory(title="Something Else")
    client.force_login(alice.user)
    response = client.post(
        reverse("portal:hold_place", args=[item.record.pk]),
        {"pickup_branch": alice.home_branch.pk, "copy": stranger.pk},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Hold.objects.filter(patron=alice).exists()


def test_a_second_hold_on_the_same_item_is_refused_in_words(client, alice):
    hold = HoldFactory(patron=alice, item__title="Winter Harbor")
    client.force_login(alice.user)
    response = client.post(
        reverse("portal:hold_place", args=[hold.record.pk]),
        {"pickup_branch": alice.home_branch.pk},
    )
    assert response.status_code == 200
    assert views.PORTAL_REASONS[services.HOLD_ALREADY_PLACED] in response.content.decode()
    assert Hold.objects.filter(patron=alice).count() == 1


def test_a_withdrawn_or_missing_item_cannot_be_held(client, alice):
    withdrawn = ItemFactory(withdrawn=True)
    client.force_login(alice.user)
    assert client.get(reverse("portal:hold_place", args=[withdrawn.record.pk])).status_code == 404
    assert client.get(reverse("portal:hold_place", args=[999999])).status_code == 404


def test_a_patron_cancels_their_hold(client, alice):
    hold = HoldFactory(patron=alice, item__title="Winter Harbor")
    client.force_login(alice.user)
    response = client.post(reverse("portal:hold_cancel", args=[hold.pk]))
    assert response.status_code == 302 and not Hold.objects.filter(pk=hold.pk).exists()
    assert _said(response) == [views.HOLD_CANCELLED.format(title="Winter Harbor")]


def test_cancelling_another_patrons_hold_looks_like_a_missing_one(client, alice, bob):
    hold = HoldFactory(patron=alice)
    client.force_login(bob.user)
    other = client.post(reverse("portal:hold_cancel", args=[hold.pk]))
    missing = client.post(reverse("portal:hold_cancel", args=[999999]))
    assert other.status_code == missing.status_code == 404
    assert page_text(other) == page_text(missing)
    assert Hold.objects.filter(pk=hold.pk).exists()


def test_staff_and_logins_without_a_card_have_no_catalogue_or_actions(client, desk):
    loan = LoanFactory(patron=PatronFactory())
    client.force_login(desk)
    assert client.get(reverse("portal:catalogue"), {"q": "a"}).status_code == 404
    assert _renew(client, loan).status_code == 404
    refused = AuditEntry.objects.filter(actor=desk, decision="refused").latest()
    assert refused.category == "circulation" and refused.purpose == "self_service"


def test_circulation_pages_send_anonymous_visitors_to_sign_in(client):
    item = ItemFactory()
    for url in [reverse("portal:catalogue"), reverse("portal:hold_place", args=[item.record.pk])]:
        response = client.get(url)
        assert response.status_code == 302 and reverse("portal:login") in response["Location"]


def test_a_catalogue_search_matching_more_than_the_cap_says_so(client, alice, monkeypatch):
    from library.paginators import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    ItemFactory.create_batch(5, title="Lantern Songs")
    client.force_login(alice.user)

    html = client.get(reverse("portal:catalogue"), {"q": "lantern"}).content.decode()

    assert "More than 3 titles" in html and "5 titles" not in html
