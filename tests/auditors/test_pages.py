"""What the auditors' pages show, and that showing it reads through the gate and changes nothing."""

import csv
import datetime
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from audit.models import AuditEntry
from auditors.forms import DATE_ORDER, PERIOD_TOO_LONG
from auditors.selectors import PAGE_SIZE
from auditors.views import NO_SUCH_USER
from library.roles import Role
from patrons.models import Patron
from privacy import access, gate
from privacy.access import Asker
from privacy.gate import Refused
from privacy.policy import DataCategory, Purpose, Requester
from tests.audit import tamper
from tests.factories import (
    ContractedAgentFactory,
    LegalOrderReleaseFactory,
    LoanFactory,
    ReadingHistoryEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
C, P = DataCategory, Purpose


@pytest.fixture
def as_auditor(client, auditor):
    client.force_login(auditor)
    return client


@pytest.fixture
def auditor_later(client, staff):
    """Return a function signing in an auditor made only now, after the entries a test wrote.

    Making a login appends entries (a change of rights) at the present time, and
    the chain raises any later entry's time to it: entries dated in the past
    are written before the auditor is made.
    """

    def sign_in():
        client.force_login(staff(Role.AUDITOR))
        return client

    return sign_in


def refuse(user, patron, category=C.READING_HISTORY, purpose=P.CIRCULATION):
    with pytest.raises(Refused):
        access.read(user, patron, category, purpose)


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def seqs(response):
    return [row["seq"] for row in response.context["page"].rows]


def entry_at(when, **fields):
    entry = AuditEntry(
        content_type=ContentType.objects.get_for_model(Patron),
        object_pk="1",
        object_id=1,
        action=AuditEntry.Action.ACCESS,
        timestamp=when,
        **{"category": "identity", "decision": "allowed", **fields},
    )
    entry.save()
    return entry


# The front page


def test_the_front_page_says_the_chain_was_never_verified(as_auditor):
    response = as_auditor.get(reverse("audit:index"))
    assert b"Never verified" in response.content


def test_the_front_page_shows_the_last_verification_and_the_head(as_auditor, alice):
    call_command("verify_audit", stdout=io.StringIO())
    last = AuditEntry.objects.order_by("-seq").first()
    response = as_auditor.get(reverse("audit:index"))
    assert b"<strong>Intact</strong>" in response.content
    assert f"{last.seq}:{last.entry_hash}".encode() in response.content


def test_the_front_page_shows_a_broken_chain(as_auditor, alice, bob):
    tamper.alter(1, object_repr="patron #999")
    with pytest.raises(Exception, match="broken"):
        call_command("verify_audit", stdout=io.StringIO())
    response = as_auditor.get(reverse("audit:index"))
    assert b"<strong>Broken</strong>" in response.content
    assert b"entry #1: its contents do not match its hash" in response.content


def test_the_front_page_counts_every_break(as_auditor, alice, bob):
    tamper.alter(1, object_repr="patron #999")
    tamper.alter(2, object_repr="patron #998")
    with pytest.raises(Exception, match="broken"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())
    response = as_auditor.get(reverse("audit:index"))
    assert b"entry #1: its contents do not match its hash" in response.content
    assert b"(2 breaks in all: run" in response.content


def test_the_front_page_says_when_the_last_verification_is_old(as_auditor, alice):
    call_command("verify_audit", stdout=io.StringIO())
    from audit.models import AuditVerification

    AuditVerification.objects.update(ran_at=timezone.now() - datetime.timedelta(days=3))
    assert b"Out of date" in as_auditor.get(reverse("audit:index")).content


# The entry list and its filters


def test_filters_are_posted_and_shown_by_id_never_by_card_or_name(as_auditor, alice, desk):
    response = as_auditor.post(
        reverse("audit:entries"),
        {"card_number": alice.card_number, "actor": "circulation", "decision": "refused"},
    )
    assert response.status_code == 302
    assert response["Location"] == (
        f"/audit/entries/?actor={desk.pk}&patron={alice.pk}&decision=refused"
    )
    assert alice.card_number not in response["Location"]


def test_an_unknown_card_or_username_is_a_form_error_and_filters_nothing(as_auditor):
    response = as_auditor.post(
        reverse("audit:entries"), {"card_number": "29999999999999", "actor": "nobody"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors == {
        "card_number": [gate.NOT_FOUND_MESSAGE],
        "actor": [NO_SUCH_USER],
    }


def test_the_list_filters_by_patron_actor_category_decision_and_clause(
    as_auditor, alice, bob, desk, staff
):
    access.read(desk, alice, C.IDENTITY, P.CIRCULATION)
    refuse(desk, alice)
    refuse(staff(Role.REFERENCE), alice)
    access.read(desk, bob, C.CIRCULATION, P.CIRCULATION)
    url = reverse("audit:entries")
    by_patron = as_auditor.get(url, {"patron": alice.pk, "action": 3})
    # The auditor's own read of alice is the newest entry about her.
    assert [row["actor_name"] for row in by_patron.context["page"].rows] == [
        "auditor",
        "reference",
        "circulation",
        "circulation",
    ]
    refused = as_auditor.get(url, {"actor": desk.pk, "decision": "refused"}).context["page"]
    assert [(row["category"], row["clause"]) for row in refused.rows] == [
        ("reading_history", "CONF-9")
    ]
    by_category = as_auditor.get(url, {"category": "circulation"}).context["page"].rows
    assert [row["object_id"] for row in by_category] == [bob.pk]
    by_clause = as_auditor.get(url, {"clause": "CONF-9"}).context["page"].rows
    assert len(by_clause) == 2


def test_filtering_on_a_patron_is_a_logged_read_for_the_audit(as_auditor, auditor, alice):
    as_auditor.get(reverse("audit:entries"), {"patron": alice.pk})
    read = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).latest()
    assert (read.actor_id, read.object_id, read.purpose, read.decision) == (
        auditor.pk,
        alice.pk,
        "audit",
        "allowed",
    )


def test_the_date_range_covers_whole_days_in_the_librarys_time_zone(auditor_later):
    zone = timezone.get_current_timezone()

    def at(day, hour, minute=0):
        return datetime.datetime(2026, 3, day, hour, minute, tzinfo=zone)

    entry_at(at(1, 23, 59))
    inside = [entry_at(at(2, 0, 0)).seq, entry_at(at(3, 23, 59)).seq]
    entry_at(at(4, 0, 0))
    response = auditor_later().get(
        reverse("audit:entries"), {"date_from": "2026-03-02", "date_to": "2026-03-03"}
    )
    assert seqs(response) == inside[::-1]


def test_a_period_ending_before_it_starts_is_refused(as_auditor):
    response = as_auditor.post(
        reverse("audit:entries"), {"date_from": "2026-03-05", "date_to": "2026-03-01"}
    )
    assert response.context["form"].non_field_errors() == [DATE_ORDER]


def test_junk_in_the_address_filters_nothing_and_says_so(as_auditor, alice):
    response = as_auditor.get(reverse("audit:entries"), {"patron": "alice", "decision": "maybe"})
    assert response.status_code == 400
    assert b"not valid" in response.content and "page" not in response.context


def test_pages_go_by_seq_without_counting(as_auditor):
    for _ in range(PAGE_SIZE + 10):
        entry_at(timezone.now())
    newest_first = list(AuditEntry.objects.order_by("-seq").values_list("seq", flat=True))
    with CaptureQueriesContext(connection) as queries:
        first = as_auditor.get(reverse("audit:entries"))
    assert not any("COUNT(" in query["sql"].upper() for query in queries)
    assert seqs(first) == newest_first[:PAGE_SIZE]
    older = as_auditor.get(first.context["older_url"])
    assert seqs(older) == newest_first[PAGE_SIZE:]
    assert "older_url" not in older.context
    newer = as_auditor.get(older.context["newer_url"])
    assert seqs(newer) == seqs(first)


def test_a_page_costs_the_same_queries_for_few_entries_or_many(as_auditor, alice):
    agent = ContractedAgentFactory()
    entry_at(timezone.now(), additional_data={"agent": agent.pk})
    as_auditor.get(reverse("audit:index"))  # the session's idle timer is refreshed once here
    with CaptureQueriesContext(connection) as few:
        as_auditor.get(reverse("audit:entries"))
    for _ in range(30):
        entry_at(timezone.now(), additional_data={"agent": agent.pk})
    with CaptureQueriesContext(connection) as many:
        as_auditor.get(reverse("audit:entries"))
    assert len(many) == len(few)


# Reports


def test_a_patrons_history_shows_who_read_them_and_is_itself_logged(
    as_auditor, auditor, alice, desk
):
    access.read(desk, alice, C.IDENTITY, P.CIRCULATION)
    refuse(desk, alice)
    response = as_auditor.get(reverse("audit:patron_history", args=[alice.pk]))
    rows = response.context["page"].rows
    assert [(row["actor_name"], row["decision"]) for row in rows[:3]] == [
        ("auditor", "allowed"),
        ("circulation", "refused"),
        ("circulation", "allowed"),
    ]
    assert rows[0]["purpose"] == "audit"
    assert AuditEntry.objects.filter(
        actor=auditor, object_id=alice.pk, purpose="audit", decision="allowed"
    ).exists()


def test_a_patron_is_found_by_card_number_through_the_gate(as_auditor, alice):
    response = as_auditor.post(reverse("audit:patron_find"), {"card_number": alice.card_number})
    assert response["Location"] == reverse("audit:patron_history", args=[alice.pk])
    response = as_auditor.post(reverse("audit:patron_find"), {"card_number": "29999999999999"})
    assert response.context["form"].errors == {"card_number": [gate.NOT_FOUND_MESSAGE]}
    refused = AuditEntry.objects.filter(decision="refused").latest()
    assert (refused.purpose, refused.object_pk) == ("audit", access.UNKNOWN_PATRON)


def test_a_missing_patron_looks_like_any_refusal(as_auditor):
    assert as_auditor.get(reverse("audit:patron_history", args=[999999])).status_code == 404


def test_a_patrons_history_exports_as_csv_and_the_export_is_logged(as_auditor, alice, desk):
    access.read(desk, alice, C.IDENTITY, P.CIRCULATION)
    before = AuditEntry.objects.filter(purpose="audit").count()
    response = as_auditor.get(reverse("audit:patron_history_export", args=[alice.pk]))
    rows = csv_rows(response)
    assert AuditEntry.objects.filter(purpose="audit").count() == before + 1
    assert response["Content-Disposition"] == f'attachment; filename="audit-patron-{alice.pk}.csv"'
    assert [row["actor"] for row in rows][:2] == ["auditor", "circulation"]
    assert all(row["patron_id"] == str(alice.pk) for row in rows)
    assert alice.card_number not in str(rows) and "Alice" not in str(rows)


def test_a_staff_members_activity_shows_only_what_they_did(as_auditor, alice, bob, desk, director):
    access.read(desk, alice, C.IDENTITY, P.CIRCULATION)
    access.read(director, bob, C.IDENTITY, P.CIRCULATION)
    response = as_auditor.get(reverse("audit:staff_activity", args=[desk.pk]))
    assert [row["object_id"] for row in response.context["page"].rows] == [alice.pk]
    assert response.context["heading"] == "Activity of circulation"
    staff_page = as_auditor.get(reverse("audit:staff"))
    assert reverse("audit:staff_activity", args=[desk.pk]).encode() in staff_page.content


def test_a_deleted_users_activity_keeps_their_name(as_auditor, alice):
    leaver = UserFactory(username="leaver", role=Role.CIRCULATION)
    access.read(leaver, alice, C.IDENTITY, P.CIRCULATION)
    pk = leaver.pk
    leaver.delete()
    response = as_auditor.get(reverse("audit:staff_activity", args=[pk]))
    assert response.context["heading"] == "Activity of leaver"
    assert len(response.context["page"].rows) == 1


def test_refused_reads_lists_refusals_only(as_auditor, alice, desk):
    access.read(desk, alice, C.IDENTITY, P.CIRCULATION)
    refuse(desk, alice)
    rows = as_auditor.get(reverse("audit:refused")).context["page"].rows
    assert [(row["decision"], row["clause"]) for row in rows] == [("refused", "CONF-9")]
    exported = csv_rows(as_auditor.get(reverse("audit:refused_export")))
    assert [row["clause"] for row in exported] == ["CONF-9"]


def test_releases_under_legal_orders_show_order_and_patron_id_but_no_note(as_auditor, alice):
    release = LegalOrderReleaseFactory(patron=alice)
    response = as_auditor.get(reverse("audit:legal_releases"))
    assert release.order.case_number.encode() in response.content
    assert reverse("audit:patron_history", args=[alice.pk]).encode() in response.content
    assert b"detective" not in response.content and b"Alice" not in response.content
    (row,) = csv_rows(as_auditor.get(reverse("audit:legal_releases_export")))
    assert (row["case_number"], row["patron_id"], row["records"]) == (
        release.order.case_number,
        str(alice.pk),
        "3",
    )


def test_reads_by_contracted_agents_name_the_agent(as_auditor, alice, bob):
    agent = ContractedAgentFactory(name="Prompt Recovery Ltd")
    assign_perm("patrons.disclose_as_agent", agent.user, alice)
    asker = Asker(Requester.CONTRACTED_AGENT, agent=agent)
    access.disclose(
        actor=agent.user, asker=asker, patron=alice, category=C.CIRCULATION, purpose=P.CONTRACT
    )
    with pytest.raises(Refused):
        access.disclose(
            actor=agent.user, asker=asker, patron=bob, category=C.CIRCULATION, purpose=P.CONTRACT
        )
    access.read(UserFactory(role=Role.CIRCULATION), bob, C.IDENTITY, P.CIRCULATION)
    rows = as_auditor.get(reverse("audit:agent_reads")).context["page"].rows
    assert [(row["object_id"], row["decision"]) for row in rows] == [
        (bob.pk, "refused"),
        (alice.pk, "allowed"),
    ]
    assert all("agent: Prompt Recovery Ltd" in row["details"] for row in rows)


def test_exports_cannot_smuggle_formulas_into_a_spreadsheet(as_auditor, alice):
    sneaky = UserFactory(username="=HYPERLINK", role=Role.CIRCULATION)
    access.read(sneaky, alice, C.IDENTITY, P.CIRCULATION)
    rows = csv_rows(as_auditor.get(reverse("audit:entries_export")))
    assert "'=HYPERLINK" in [row["actor"] for row in rows]


def test_auditors_pages_show_no_reading_history_and_no_titles(as_auditor, alice):
    ReadingHistoryEntryFactory(patron=alice, title="A Very Private Title")
    LoanFactory(patron=alice, item__title="Another Private Title")
    pages = [
        reverse("audit:entries"),
        reverse("audit:patron_history", args=[alice.pk]),
        reverse("audit:entries_export"),
        reverse("audit:patron_history_export", args=[alice.pk]),
    ]
    for url in pages:
        response = as_auditor.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"Private Title" not in body, url


def test_browsing_every_page_writes_nothing_but_audit_entries(as_auditor, alice):
    urls = [
        reverse("audit:index"),
        reverse("audit:entries"),
        reverse("audit:patron_history", args=[alice.pk]),
        reverse("audit:refused"),
        reverse("audit:legal_releases"),
        reverse("audit:agent_reads"),
        reverse("audit:chart"),
        reverse("audit:staff"),
    ]
    with CaptureQueriesContext(connection) as queries:
        for url in urls:
            assert as_auditor.get(url).status_code == 200
    # The staff session's idle timer is the only other thing a page may write.
    writes = [
        query["sql"]
        for query in queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and '"django_session"' not in query["sql"]
    ]
    assert writes and all('INTO "privacy_auditentry"' in sql for sql in writes)


# The chart


def test_the_chart_counts_reads_and_refusals_per_day(auditor_later):
    zone = timezone.get_current_timezone()
    day = datetime.datetime(2026, 3, 2, 10, tzinfo=zone)
    entry_at(day, decision="allowed")
    entry_at(day, decision="allowed")
    entry_at(day, decision="refused")
    entry_at(day + datetime.timedelta(days=2), decision="refused")
    response = auditor_later().get(
        reverse("audit:chart"), {"date_from": "2026-03-01", "date_to": "2026-03-04"}
    )
    counts = [(d.day.day, d.allowed, d.refused) for d in response.context["days"]]
    assert counts == [(1, 0, 0), (2, 2, 1), (3, 0, 0), (4, 0, 1)]
    content = response.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in content
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in content
    assert "<title>Mar 2, 2026: 1 refused</title>" in content
    assert 'fill="url(#refused-hatch)"' in content  # refusals are hatched, not just coloured
    assert "Refused (hatched)" in content and "Allowed (solid)" in content
    assert "3 allowed" not in content and "2 allowed and 2 refused in all" in content
    assert "<td>Mar 2, 2026</td><td>2</td><td>1</td>" in content


def test_the_chart_defaults_to_the_last_thirty_days(as_auditor):
    days = as_auditor.get(reverse("audit:chart")).context["days"]
    assert len(days) == 30 and days[-1].day == timezone.localdate()


def test_the_chart_refuses_a_period_longer_than_a_year(as_auditor):
    response = as_auditor.get(
        reverse("audit:chart"), {"date_from": "2024-01-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [PERIOD_TOO_LONG.format(days=366)]


def test_the_front_page_shows_the_last_head_witnessed_outside_the_database(
    client, auditor, settings, tmp_path
):
    from django.core.management import call_command

    from audit.chain import chain_head
    from tests.factories import PatronFactory

    PatronFactory()
    client.force_login(auditor)
    assert "Never witnessed" in client.get("/audit/").content.decode()
    settings.AUDIT_WITNESS_SINKS = [f"file://{tmp_path / 'heads.log'}"]
    call_command("witness_audit_head", stdout=open("/dev/null", "w"))  # noqa: SIM115
    head = chain_head()
    page = client.get("/audit/").content.decode()
    assert f"{head.seq}:{head.hash}" in page and "1 sink outside the database" in page
    assert (tmp_path / "heads.log").read_text().split()[1] == str(head)
