"""The inquiry desk, from the outside: each requester kind gets exactly what the policy allows."""

import re

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from audit.models import AuditEntry
from privacy.models import Inquiry
from tests.factories import BranchFactory, ConsentFactory, LegalOrderFactory, LoanFactory, years_ago

pytestmark = pytest.mark.django_db
URL = reverse("privacy:inquiry_desk")


@pytest.fixture
def branch():
    return BranchFactory(code="MAIN", name="Main Library")


def desk_post(client, branch, **fields):
    """Post one desk entry; where and how it was asked are given unless the test says."""
    return client.post(URL, {"branch": branch.pk, "channel": "in_person", **fields})


@pytest.fixture
def at_desk(client, desk, branch):
    client.force_login(desk)

    def ask(**fields):
        response = desk_post(client, branch, **fields)
        assert response.status_code == 200
        return response

    return ask


def answer_of(response):
    """Return the answer section only: the form below it lists choices, not data."""
    html = response.content.decode()
    match = re.search(r'<section class="answer.*?</section>', html, re.S)
    assert match, "no answer shown"
    return match.group(0)


def test_the_desk_page_is_refused_to_patrons_and_anonymous(client, alice):
    assert client.get(URL).status_code == 302
    client.force_login(alice.user)
    assert client.get(URL).status_code == 404


def test_account_holder_with_identification_sees_their_loans(at_desk, alice):
    loan = LoanFactory(patron=alice)
    response = at_desk(
        requester="account_holder",
        kind="account_data",
        card_number=alice.card_number,
        category="circulation",
        identification_seen="on",
        document_kind="drivers_licence",
    )
    answer = answer_of(response)
    assert "CONF-4" in answer and loan.item.record.title in answer
    assert alice.identity_checks.count() == 1


def test_account_holder_without_identification_is_asked_for_it(at_desk, alice):
    loan = LoanFactory(patron=alice)
    answer = answer_of(
        at_desk(requester="account_holder", kind="account_data", card_number=alice.card_number)
    )
    assert "Please show identification" in answer and loan.item.record.title not in answer


def test_listed_adult_with_identification_sees_minors_loans_not_history(at_desk, carol, dan):
    loan = LoanFactory(patron=dan)
    base = dict(
        requester="responsible_adult",
        kind="account_data",
        card_number=dan.card_number,
        adult_card_number=carol.card_number,
        identification_seen="on",
        document_kind="state_id",
    )
    assert loan.item.record.title in answer_of(at_desk(**base, category="circulation"))
    refused = answer_of(at_desk(**base, category="reading_history"))
    assert "CONF-9" in refused and "Do not disclose" in refused


def test_adult_is_refused_once_the_child_comes_of_age(at_desk, carol, dan):
    dan.date_of_birth = years_ago(18)
    dan.save()
    LoanFactory(patron=dan)
    answer = answer_of(
        at_desk(
            requester="responsible_adult",
            kind="account_data",
            card_number=dan.card_number,
            adult_card_number=carol.card_number,
            identification_seen="on",
            document_kind="state_id",
            category="circulation",
        )
    )
    assert "Do not disclose" in answer and "CONF-4" in answer


def test_a_named_adult_who_is_not_a_patron_is_recognised_from_the_minors_account(at_desk, dan):
    from tests.factories import ResponsibleAdultFactory

    ResponsibleAdultFactory(minor=dan, adult=None, adult_name="Ruth Carter")
    loan = LoanFactory(patron=dan)
    answer = answer_of(
        at_desk(
            requester="responsible_adult",
            kind="account_data",
            card_number=dan.card_number,
            adult_name="ruth  carter",
            identification_seen="on",
            document_kind="state_id",
            category="circulation",
        )
    )
    assert loan.item.record.title in answer


def test_another_patron_gets_the_same_refusal_for_a_real_and_an_unknown_card(at_desk, alice):
    LoanFactory(patron=alice)
    real = answer_of(
        at_desk(requester="other_patron", kind="account_data", card_number=alice.card_number)
    )
    unknown = answer_of(
        at_desk(requester="other_patron", kind="account_data", card_number="29999999999999")
    )
    assert real == unknown
    assert alice.first_name not in real


def test_open_records_request_is_refused_citing_the_exemption(at_desk, alice):
    answer = answer_of(
        at_desk(requester="third_party", kind="open_records", card_number=alice.card_number)
    )
    assert "CONF-2" in answer and "45-221" in answer


def test_officer_without_an_order_is_referred_to_the_director(at_desk, alice):
    LoanFactory(patron=alice)
    answer = answer_of(
        at_desk(
            requester="law_enforcement",
            kind="account_data",
            card_number=alice.card_number,
            identification_seen="on",
        )
    )
    assert "CONF-5" in answer and "library director" in answer


def test_officer_with_a_valid_order_gets_data_when_the_desk_works_the_order(
    client, branch, staff, alice
):
    from library.roles import Role

    clerk = staff(Role.PERSON_IN_CHARGE)
    loan = LoanFactory(patron=alice)
    order = LegalOrderFactory(patrons=[alice], categories=["circulation"])
    order.workers.add(clerk)
    assign_perm("patrons.disclose_under_order", clerk, alice)
    client.force_login(clerk)
    response = desk_post(
        client,
        branch,
        **dict(
            requester="law_enforcement",
            kind="account_data",
            card_number=alice.card_number,
            category="circulation",
            identification_seen="on",
            legal_order=order.pk,
        ),
    )
    answer = answer_of(response)
    assert "CONF-5" in answer and loan.item.record.title in answer
    assert order.releases.count() == 1


def _order_errors(response):
    form = response.context["form"]
    return form.errors.get("legal_order")


def test_a_clerk_not_working_an_order_does_not_see_its_case_number(client, desk, staff):
    from library.roles import Role

    order = LegalOrderFactory()
    order.workers.add(staff(Role.PERSON_IN_CHARGE))
    client.force_login(desk)
    page = client.get(URL)
    assert page.status_code == 200
    assert order.case_number not in page.content.decode()


def test_a_clerk_not_working_an_order_cannot_post_it_any_more_than_a_missing_one(at_desk, alice):
    order = LegalOrderFactory(patrons=[alice], categories=["circulation"])
    asked = dict(
        requester="law_enforcement",
        kind="account_data",
        card_number=alice.card_number,
        identification_seen="on",
    )
    not_theirs = at_desk(**asked, legal_order=order.pk)
    missing = at_desk(**asked, legal_order=order.pk + 1000)
    assert _order_errors(not_theirs) == _order_errors(missing)
    assert "not one of the available choices" in _order_errors(not_theirs)[0]
    assert order.case_number not in not_theirs.content.decode()
    assert not Inquiry.objects.exists() and order.releases.count() == 0


def test_a_clerk_working_an_order_in_force_sees_it_listed(client, desk):
    order = LegalOrderFactory()
    order.workers.add(desk)
    expired = LegalOrderFactory(status="expired")
    expired.workers.add(desk)
    client.force_login(desk)
    html = client.get(URL).content.decode()
    assert order.case_number in html
    assert expired.case_number not in html


def test_the_director_sees_every_order_in_force_at_the_desk(client, director, staff):
    from library.roles import Role

    order = LegalOrderFactory()
    order.workers.add(staff(Role.PERSON_IN_CHARGE))
    client.force_login(director)
    assert order.case_number in client.get(URL).content.decode()


def test_fac_1_and_fac_3_identified_officer_with_a_picture_gets_an_answer(at_desk):
    answer = answer_of(
        at_desk(requester="law_enforcement", kind="presence_picture", identification_seen="on")
    )
    assert "You may answer" in answer and "FAC-3" in answer and "no account information" in answer


def test_fac_3_officer_without_identification_is_asked_for_it(at_desk):
    answer = answer_of(at_desk(requester="law_enforcement", kind="presence_picture"))
    assert "Do not disclose" in answer and "FAC-3" in answer


def test_fac_2_officer_asking_about_computer_use_needs_an_order(at_desk, alice):
    answer = answer_of(
        at_desk(
            requester="law_enforcement",
            kind="computer_use",
            card_number=alice.card_number,
            identification_seen="on",
        )
    )
    assert "FAC-2" in answer and "Do not disclose" in answer


def test_fac_4_nobody_can_ask_to_be_told_when_someone_arrives(at_desk):
    answer = answer_of(
        at_desk(requester="law_enforcement", kind="watch_request", identification_seen="on")
    )
    assert "FAC-4" in answer and "does not watch" in answer


def test_fac_5_a_parent_looking_for_a_child_gets_no_confirmation_but_help(at_desk):
    answer = answer_of(
        at_desk(requester="responsible_adult", kind="looking_for_someone", identification_seen="on")
    )
    assert "FAC-5" in answer and "help you look" in answer and "Do not disclose" in answer


def test_fac_6_an_emergency_message_is_relayed_and_the_outcome_is_not_recorded(at_desk):
    answer = answer_of(at_desk(requester="other_patron", kind="emergency_message"))
    assert "FAC-6" in answer and "pass your message on" in answer
    inquiry = Inquiry.objects.get()
    assert not {field.name for field in Inquiry._meta.get_fields()} & {
        "found",
        "located",
        "present",
        "outcome",
    }
    assert inquiry.kind == "emergency_message"


def test_conf_7_a_third_party_with_consent_receives_that_category(at_desk, alice):
    ConsentFactory(patron=alice, recipient="Homework Help Inc.", category="circulation")
    loan = LoanFactory(patron=alice)
    answer = answer_of(
        at_desk(
            requester="third_party",
            kind="account_data",
            card_number=alice.card_number,
            category="circulation",
            recipient="Homework Help Inc.",
        )
    )
    assert "CONF-7" in answer and loan.item.record.title in answer


def test_conf_7_the_press_without_consent_gets_nothing(at_desk, alice):
    answer = answer_of(
        at_desk(
            requester="third_party",
            kind="account_data",
            card_number=alice.card_number,
            recipient="Daily News",
        )
    )
    assert "Do not disclose" in answer and alice.last_name not in answer


def test_conf_8_a_finder_learns_nothing_about_the_owner(at_desk, alice):
    answer = answer_of(
        at_desk(requester="other_patron", kind="found_item", card_number=alice.card_number)
    )
    assert "CONF-8" in answer and "contact the owner" in answer
    assert alice.email not in answer and alice.phone not in answer


def test_every_inquiry_is_recorded_and_leaves_an_audit_entry(at_desk, alice):
    at_desk(requester="other_patron", kind="account_data", card_number=alice.card_number)
    at_desk(requester="law_enforcement", kind="presence_picture", identification_seen="on")
    assert Inquiry.objects.count() == 2
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).order_by("seq")
    assert [(e.decision, e.clause) for e in entries] == [
        ("refused", "CONF-7"),
        ("allowed", "FAC-3"),
    ]
    assert entries[0].object_id == alice.pk


def test_a_missing_card_number_is_asked_for_and_nothing_is_recorded(client, branch, desk):
    client.force_login(desk)
    response = desk_post(client, branch, requester="other_patron", kind="account_data")
    assert "Enter the card number" in response.content.decode()
    assert not Inquiry.objects.exists()


# Issue 14, case 1: the desk never gives reading history, and a ticked box is no identity check.


def _desk_roles():
    from library.roles import Purpose, roles_performing

    return sorted(roles_performing(Purpose.DESK_INQUIRY))


@pytest.mark.parametrize("role", _desk_roles())
def test_no_desk_role_reads_reading_history_to_the_account_holder(
    client, branch, staff, alice, role
):
    from tests.factories import ReadingHistoryEntryFactory

    kept = ReadingHistoryEntryFactory(patron=alice)
    client.force_login(staff(role))
    response = desk_post(
        client,
        branch,
        **dict(
            requester="account_holder",
            kind="account_data",
            card_number=alice.card_number,
            category="reading_history",
            identification_seen="on",
            document_kind="passport",
        ),
    )
    answer = answer_of(response)
    assert "Do not disclose" in answer and "CONF-9" in answer
    assert kept.title not in response.content.decode()
    refused = AuditEntry.objects.filter(object_id=alice.pk, category="reading_history")
    assert [(entry.decision, entry.clause) for entry in refused] == [("refused", "CONF-9")]


def test_a_ticked_box_without_the_document_seen_is_no_identity_check(at_desk, alice):
    loan = LoanFactory(patron=alice)
    response = at_desk(
        requester="account_holder",
        kind="account_data",
        card_number=alice.card_number,
        category="circulation",
        identification_seen="on",
    )
    assert response.context["form"].errors["document_kind"]
    assert loan.item.record.title not in response.content.decode()
    assert alice.identity_checks.count() == 0
    assert not Inquiry.objects.exists()


def test_history_the_patron_deleted_under_a_legal_hold_is_released_to_no_one(
    client, branch, staff, alice
):
    from circulation import reading_history
    from library.roles import Role
    from tests.factories import ReadingHistoryEntryFactory

    deleted = ReadingHistoryEntryFactory(patron=alice, title="Deleted While Held")
    kept = ReadingHistoryEntryFactory(patron=alice, title="Still In The History")
    order = LegalOrderFactory(patrons=[alice], categories=["reading_history"])
    reading_history.reading_history_entry_delete(patron=alice, entry_id=deleted.pk)
    deleted.refresh_from_db()
    assert deleted.deleted_at is not None  # the legal hold keeps it, hidden
    clerk = staff(Role.PERSON_IN_CHARGE)
    order.workers.add(clerk)
    assign_perm("patrons.disclose_under_order", clerk, alice)
    client.force_login(clerk)
    response = desk_post(
        client,
        branch,
        **dict(
            requester="law_enforcement",
            kind="account_data",
            card_number=alice.card_number,
            category="reading_history",
            identification_seen="on",
            legal_order=order.pk,
        ),
    )
    answer = answer_of(response)
    assert kept.title in answer and deleted.title not in answer
    assert order.releases.get().records == 1


# Issue 14, case 2: under an order, the desk shows what the order covers, as the release records.


def test_an_order_answered_at_the_desk_shows_only_records_inside_its_dates(
    client, branch, staff, alice
):
    import datetime

    from django.utils import timezone

    from library.roles import Role

    year = timezone.localdate().year - 1
    zone = timezone.get_current_timezone()
    inside = LoanFactory(
        patron=alice, checked_out_at=datetime.datetime(year, 2, 10, 10, tzinfo=zone)
    )
    outside = LoanFactory(
        patron=alice, checked_out_at=datetime.datetime(year, 4, 10, 10, tzinfo=zone)
    )
    order = LegalOrderFactory(
        patrons=[alice],
        categories=["circulation"],
        records_from=datetime.date(year, 1, 1),
        records_until=datetime.date(year, 3, 31),
    )
    clerk = staff(Role.PERSON_IN_CHARGE)
    order.workers.add(clerk)
    assign_perm("patrons.disclose_under_order", clerk, alice)
    client.force_login(clerk)
    response = desk_post(
        client,
        branch,
        **dict(
            requester="law_enforcement",
            kind="account_data",
            card_number=alice.card_number,
            category="circulation",
            identification_seen="on",
            legal_order=order.pk,
        ),
    )
    answer = answer_of(response)
    assert inside.item.record.title in answer and outside.item.record.title not in answer
    assert order.releases.get().records == 1
