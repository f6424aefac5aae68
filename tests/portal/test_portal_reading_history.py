"""The reading-history page of the portal (CONF-9): the switch, the history, search, export,
deleting, and that nobody but the account holder ever reaches it."""

import csv
import datetime
import io
import json
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from circulation.models import ReadingHistoryEntry
from circulation.reading_history import CLEAR_REASON, ENTRY_DELETE_REASON, OPT_OUT_REASON
from library.roles import Role
from portal import views
from privacy.models import LegalOrder
from tests.conftest import page_text, stored_in_a_session
from tests.factories import (
    ContractedAgentFactory,
    LegalOrderFactory,
    PatronFactory,
    ReadingHistoryEntryFactory,
    UserFactory,
)
from tests.portal.helpers import page_queries

pytestmark = pytest.mark.django_db
PAGE = "portal:reading_history"


def _page(client, **params):
    return client.get(reverse(PAGE), params)


def _search(client, term):
    response = client.post(reverse(PAGE), {"q": term})
    assert response.status_code == 302
    return response["Location"]


def _found(client, term):
    """Search by the page's form and return the results page."""
    return client.get(_search(client, term)).content.decode()


def _titles(response):
    data = json.loads(response.content)
    return sorted(record["title"] for record in data["reading_history"])


def _history_entries(patron, count):
    """Make `count` entries of one patron in one query."""
    today = timezone.localdate()
    return ReadingHistoryEntry.objects.bulk_create(
        ReadingHistoryEntry(
            patron=patron,
            title=f"Volume {n:03d} of the Long Saga",
            author="Serial Writer",
            checked_out_on=today - datetime.timedelta(days=n + 14),
            returned_on=today - datetime.timedelta(days=n),
        )
        for n in range(count)
    )


def _summaries_since(seq):
    return AuditEntry.objects.filter(seq__gt=seq, additional_data__bulk=True).order_by("seq")


def _last_seq():
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_the_patron_sees_their_history_and_the_read_is_logged_under_conf_9(client, alice):
    entry = ReadingHistoryEntryFactory(patron=alice, title="Notes from the Orchard")
    client.force_login(alice.user)
    html = _page(client).content.decode()
    assert entry.title in html and "Delete" in html
    read = AuditEntry.objects.filter(object_id=alice.pk, category="reading_history").latest()
    assert (read.purpose, read.clause, read.decision) == ("self_service", "CONF-9", "allowed")


def test_the_page_explains_what_is_kept_and_that_turning_off_deletes(client, bob):
    client.force_login(bob.user)
    html = _page(client).content.decode()
    assert "What is kept" in html and "What is deleted" in html
    assert "Turning it off deletes all of your history" in html
    assert "Turn reading history on" in html


def test_nothing_is_shown_while_the_switch_is_off(client, bob):
    ReadingHistoryEntryFactory(patron=bob, title="Left Over From Before")
    client.force_login(bob.user)
    html = _page(client).content.decode()
    assert "Left Over From Before" not in html and "Off." in html


def test_a_patron_turns_history_on(client, bob):
    client.force_login(bob.user)
    response = client.post(reverse("portal:reading_history_on"))
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.keeps_reading_history and bob.reading_history_changed_at is not None
    assert views.HISTORY_ON in _page(client).content.decode()


def test_turning_off_asks_first_and_then_deletes_everything(client, alice):
    ReadingHistoryEntryFactory.create_batch(3, patron=alice)
    client.force_login(alice.user)
    ask = client.get(reverse("portal:reading_history_off")).content.decode()
    assert "This deletes all 3 entries" in ask
    assert ReadingHistoryEntry.objects.filter(patron=alice).count() == 3
    seq = _last_seq()
    client.post(reverse("portal:reading_history_off"))
    alice.refresh_from_db()
    assert not alice.keeps_reading_history
    assert not ReadingHistoryEntry.objects.filter(patron=alice).exists()
    [summary] = _summaries_since(seq)
    assert summary.additional_data["reason"] == OPT_OUT_REASON and summary.object_id is None


def test_turning_off_under_a_legal_hold_hides_the_kept_history_even_after_turning_on_again(
    client, alice
):
    entry = ReadingHistoryEntryFactory(patron=alice, title="Kept For The Court")
    LegalOrderFactory(patrons=[alice], status=LegalOrder.Status.UNDER_REVIEW)
    client.force_login(alice.user)
    client.post(reverse("portal:reading_history_off"))
    assert ReadingHistoryEntry.objects.filter(pk=entry.pk).exists()
    client.post(reverse("portal:reading_history_on"))
    assert entry.title not in _page(client).content.decode()
    download = json.loads(client.get(reverse("portal:download")).content)
    assert download["reading_history"] == []
    exported = json.loads(client.get(reverse("portal:reading_history_json")).content)
    assert exported["reading_history"] == []


def test_search_finds_entries_by_title_or_author(client, alice):
    ReadingHistoryEntryFactory(patron=alice, title="Prairie Winds", author="Ada Lark")
    ReadingHistoryEntryFactory(patron=alice, title="Harbor Lights", author="Ben Moss")
    client.force_login(alice.user)
    by_title = _found(client, "prairie")
    by_author = _found(client, "moss")
    both_words = _found(client, "harbor ben")
    assert "Prairie Winds" in by_title and "Harbor Lights" not in by_title
    assert "Harbor Lights" in by_author and "Prairie Winds" not in by_author
    assert "Harbor Lights" in both_words and "Prairie Winds" not in both_words
    assert "Nothing in your history matches" in _found(client, "zebra")


def test_a_history_of_500_entries_is_paged_and_costs_the_same_queries(client, alice):
    # Session, user, patron, the gate (asker; insert), count, one page of entries.
    _history_entries(alice, 3)
    client.force_login(alice.user)
    assert len(page_queries(lambda: _page(client))) == 7
    _history_entries(alice, 497)
    assert len(page_queries(lambda: _page(client, page=2))) == 7
    html = _page(client, page=2).content.decode()
    assert "Page 2 of 10" in html and "(500)" in html
    assert html.count("<td>Volume ") == 50


def test_export_as_csv_has_every_entry_and_defuses_formulas(client, alice):
    ReadingHistoryEntryFactory(patron=alice, title="=HYPERLINK(1)", author="Ada Lark")
    ReadingHistoryEntryFactory(patron=alice, title="Harbor Lights", author="Ben Moss")
    client.force_login(alice.user)
    response = client.get(reverse("portal:reading_history_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="my-reading-history.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Title", "Author", "Borrowed on", "Returned on"]
    assert {row[0] for row in rows[1:]} == {"'=HYPERLINK(1)", "Harbor Lights"}


def test_deleting_one_entry_leaves_the_rest_and_a_summary_without_the_title(client, alice):
    gone = ReadingHistoryEntryFactory(patron=alice, title="A Book To Forget")
    kept = ReadingHistoryEntryFactory(patron=alice)
    client.force_login(alice.user)
    seq = _last_seq()
    response = client.post(reverse("portal:reading_history_entry_delete", args=[gone.pk]))
    assert response.status_code == 302
    assert list(ReadingHistoryEntry.objects.filter(patron=alice)) == [kept]
    [summary] = _summaries_since(seq)
    assert summary.additional_data["count"] == 1 and summary.clause == "CONF-9"
    assert summary.additional_data["reason"] == ENTRY_DELETE_REASON
    assert gone.title not in json.dumps(summary.additional_data) + summary.object_repr
    page = _page(client).content.decode()
    assert views.HISTORY_ENTRY_DELETED in page and gone.title not in page


def test_another_patrons_entry_cannot_be_deleted_and_looks_missing(client, alice, bob):
    theirs = ReadingHistoryEntryFactory(patron=alice)
    bob.keeps_reading_history = True
    bob.save()
    client.force_login(bob.user)
    other = client.post(reverse("portal:reading_history_entry_delete", args=[theirs.pk]))
    missing = client.post(reverse("portal:reading_history_entry_delete", args=[999999]))
    assert other.status_code == missing.status_code == 404
    assert page_text(other) == page_text(missing)
    assert ReadingHistoryEntry.objects.filter(pk=theirs.pk).exists()


def test_deleting_all_asks_first_and_keeps_the_switch_on(client, alice):
    ReadingHistoryEntryFactory.create_batch(2, patron=alice)
    client.force_login(alice.user)
    assert (
        "This deletes all 2 entries"
        in client.get(reverse("portal:reading_history_clear")).content.decode()
    )
    seq = _last_seq()
    client.post(reverse("portal:reading_history_clear"))
    alice.refresh_from_db()
    assert alice.keeps_reading_history
    assert not ReadingHistoryEntry.objects.filter(patron=alice).exists()
    assert [s.additional_data["reason"] for s in _summaries_since(seq)] == [CLEAR_REASON]


def test_switch_and_delete_need_a_post(client, alice):
    entry = ReadingHistoryEntryFactory(patron=alice)
    client.force_login(alice.user)
    assert client.get(reverse("portal:reading_history_on")).status_code == 405
    # A GET of the delete address only asks (tests/portal/test_portal_account_changes.py).
    delete = reverse("portal:reading_history_entry_delete", args=[entry.pk])
    assert client.get(delete).status_code == 200
    assert ReadingHistoryEntry.objects.filter(pk=entry.pk).exists()


HISTORY_URLS = [
    ("get", "portal:reading_history"),
    ("get", "portal:reading_history_csv"),
    ("get", "portal:reading_history_json"),
    ("get", "portal:reading_history_off"),
    ("get", "portal:reading_history_clear"),
    ("post", "portal:reading_history_on"),
]


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for method, name in HISTORY_URLS:
        response = getattr(client, method)(reverse(name))
        assert response.status_code == 302 and reverse("portal:login") in response["Location"]


@pytest.mark.parametrize(
    "who", ["desk", "director", "auditor", "responsible_adult", "agent", "login_without_card"]
)
def test_nobody_but_the_account_holder_reaches_any_reading_history(client, who, carol, dan, staff):
    secret = ReadingHistoryEntryFactory(patron=dan, title="The Child's Own Secret Book")
    dan.keeps_reading_history = True
    dan.save()
    users = {
        "desk": lambda: staff(Role.CIRCULATION),
        "director": lambda: staff(Role.DIRECTOR),
        "auditor": lambda: staff(Role.AUDITOR),
        "responsible_adult": lambda: carol.user,
        "agent": lambda: ContractedAgentFactory().user,
        "login_without_card": lambda: UserFactory(),
    }
    client.force_login(users[who]())
    for method, name in HISTORY_URLS:
        response = getattr(client, method)(reverse(name))
        assert secret.title not in response.content.decode()
        if who != "responsible_adult":  # carol has a history page of her own, empty
            assert response.status_code == 404, name
    delete = client.post(reverse("portal:reading_history_entry_delete", args=[secret.pk]))
    assert delete.status_code == 404
    assert ReadingHistoryEntry.objects.filter(pk=secret.pk).exists()


def test_staff_refusal_looks_like_a_missing_page_and_is_logged(client, desk):
    client.force_login(desk)
    refused = _page(client)
    missing = client.get(reverse("portal:minor_account", args=[999999]))
    assert refused.status_code == 404 and page_text(refused) == page_text(missing)
    entry = AuditEntry.objects.filter(actor=desk, category="reading_history").latest()
    assert entry.decision == "refused" and entry.purpose == "self_service"


def test_a_minor_sees_their_own_history(client, dan):
    dan.user = UserFactory(username="dan")
    dan.keeps_reading_history = True
    dan.save()
    ReadingHistoryEntryFactory(patron=dan, title="Dragons Returned")
    client.force_login(dan.user)
    assert "Dragons Returned" in _page(client).content.decode()


def test_another_patrons_history_never_shows(client, alice, bob):
    ReadingHistoryEntryFactory(patron=alice, title="Alice's Private Reading")
    bob.keeps_reading_history = True
    bob.save()
    client.force_login(bob.user)
    assert "Alice's Private Reading" not in _page(client).content.decode()
    exported = client.get(reverse("portal:reading_history_json")).content.decode()
    assert "Alice's Private Reading" not in exported


def test_a_patron_with_no_login_history_is_untouched_by_others(client, bob):
    stranger = PatronFactory(keeps_reading_history=True)
    ReadingHistoryEntryFactory(patron=stranger)
    client.force_login(bob.user)
    client.post(reverse("portal:reading_history_clear"))
    assert ReadingHistoryEntry.objects.filter(patron=stranger).count() == 1


# Searching posts; the term waits minutes in the session and addresses carry a token (issue 14).

SEARCH_FORM = re.compile(r'<form[^>]*role="search"[^>]*>')
ADDRESS = re.compile(r'(?:href|src|action|formaction)="([^"]*)"')


def _prairie_and_harbor(patron):
    ReadingHistoryEntryFactory(patron=patron, title="Prairie Winds", author="Ada Lark")
    ReadingHistoryEntryFactory(patron=patron, title="Harbor Lights", author="Ben Moss")


def test_a_search_posts_and_no_address_of_its_results_carries_the_term(client, alice):
    _history_entries(alice, 60)
    client.force_login(alice.user)
    assert 'method="post"' in SEARCH_FORM.search(_page(client).content.decode())[0]

    location = _search(client, "saga")
    html = client.get(location).content.decode()

    assert re.fullmatch(r"/portal/reading-history/\?_s=[\w-]+", location)
    token = location.split("_s=")[1]
    links = ADDRESS.findall(html)
    assert f"?_s={token}&amp;page=2" in links
    assert f"{reverse('portal:reading_history_csv')}?_s={token}" in links
    assert f"{reverse('portal:reading_history_json')}?_s={token}" in links
    assert [link for link in links if "saga" in link.lower()] == []
    assert 'value="saga"' in html  # the box still shows what was searched
    assert "(60 found)" in html


def test_the_export_with_the_token_gives_exactly_the_entries_the_page_shows(client, alice):
    _prairie_and_harbor(alice)
    client.force_login(alice.user)
    token = _search(client, "prairie").split("_s=")[1]

    page = client.get(reverse(PAGE), {"_s": token}).content.decode()
    as_json = client.get(reverse("portal:reading_history_json"), {"_s": token})
    as_csv = client.get(reverse("portal:reading_history_csv"), {"_s": token})

    assert "Prairie Winds" in page and "Harbor Lights" not in page
    assert _titles(as_json) == ["Prairie Winds"]
    [record] = json.loads(as_json.content)["reading_history"]
    assert set(record) == {"title", "author", "borrowed_on", "returned_on"}
    rows = list(csv.reader(io.StringIO(as_csv.content.decode())))
    assert [row[0] for row in rows[1:]] == ["Prairie Winds"]


def test_another_patrons_session_cannot_use_the_token(client, alice, bob):
    _prairie_and_harbor(alice)
    bob.keeps_reading_history = True
    bob.save()
    ReadingHistoryEntryFactory(patron=bob, title="Prairie Schooner")
    ReadingHistoryEntryFactory(patron=bob, title="Bob's Own Book")
    client.force_login(alice.user)
    location = _search(client, "prairie")
    token = location.split("_s=")[1]

    other = Client()
    other.force_login(bob.user)
    page = other.get(location)
    exported = other.get(reverse("portal:reading_history_json"), {"_s": token})

    assert page.status_code == 200 and "Bob&#x27;s Own Book" in page.content.decode()
    assert _titles(exported) == ["Bob's Own Book", "Prairie Schooner"]
    # In the same browser after alice signs out, the token means nothing either.
    client.post(reverse("portal:logout"))
    client.force_login(bob.user)
    assert _titles(client.get(reverse("portal:reading_history_json"), {"_s": token})) == [
        "Bob's Own Book",
        "Prairie Schooner",
    ]


def test_a_term_in_the_address_is_not_searched(client, alice):
    _prairie_and_harbor(alice)
    client.force_login(alice.user)
    page = _page(client, q="prairie").content.decode()
    exported = client.get(reverse("portal:reading_history_json"), {"q": "prairie"})
    assert "Harbor Lights" in page and "Prairie Winds" in page
    assert _titles(exported) == ["Harbor Lights", "Prairie Winds"]


def test_a_search_expires_after_minutes_and_its_address_shows_everything(client, alice):
    _prairie_and_harbor(alice)
    client.force_login(alice.user)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        location = _search(client, "prairie")
        assert stored_in_a_session("prairie")
        traveller.shift(datetime.timedelta(minutes=11))

        page = client.get(location)
        query = location.split("?", 1)[1]
        exported = client.get(f"{reverse('portal:reading_history_json')}?{query}")

        assert page.status_code == 200 and "Harbor Lights" in page.content.decode()
        assert _titles(exported) == ["Harbor Lights", "Prairie Winds"]
        assert not stored_in_a_session("prairie")


def test_signing_out_of_the_portal_clears_the_search(client, alice):
    _prairie_and_harbor(alice)
    client.force_login(alice.user)
    _search(client, "prairie")
    assert stored_in_a_session("prairie")

    client.post(reverse("portal:logout"))

    assert not stored_in_a_session("prairie")
