"""The patron portal over HTTP: account, minors, consents, who saw my record, download."""

import json

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditEntry
from library.models import StaffProfile
from privacy import access
from privacy.policy import DataCategory, Purpose
from tests.conftest import page_text
from tests.factories import BranchFactory, ConsentFactory, LegalOrderFactory, LoanFactory, years_ago

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def test_patron_logs_in_with_card_number_and_password(client, alice):
    response = client.post(
        reverse("portal:login"), {"username": alice.card_number, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:account")


def test_wrong_password_and_unknown_card_get_the_same_answer(client, alice):
    wrong = client.post(
        reverse("portal:login"), {"username": alice.card_number, "password": "nope-nope-nope"}
    )
    unknown = client.post(
        reverse("portal:login"), {"username": "29999999999999", "password": "nope-nope-nope"}
    )
    assert "do not match" in wrong.content.decode()
    assert page_text(wrong).replace(alice.card_number, "X") == page_text(unknown).replace(
        "29999999999999", "X"
    )


def test_portal_pages_send_anonymous_visitors_to_sign_in(client):
    for name in ["portal:account", "portal:consents", "portal:access_history", "portal:download"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("portal:login") in response["Location"]


def test_account_shows_own_loans_and_logs_the_reads(client, alice):
    loan = LoanFactory(patron=alice)
    client.force_login(alice.user)
    response = client.get(reverse("portal:account"))
    assert loan.item.record.title in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    reads = AuditEntry.objects.filter(object_id=alice.pk, purpose="self_service")
    assert set(reads.values_list("category", flat=True)) == {"identity", "circulation"}


def test_a_long_loan_list_is_paged_and_costs_the_same_queries(
    client, alice, django_assert_max_num_queries
):
    LoanFactory.create_batch(3, patron=alice)
    client.force_login(alice.user)
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("portal:account"))
    LoanFactory.create_batch(120, patron=alice)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("portal:account"))
    html = response.content.decode()
    assert "Page 1 of 3" in html and "Loans (123)" in html


def test_responsible_adult_sees_the_minors_loans_but_no_history(client, carol, dan):
    loan = LoanFactory(patron=dan)
    client.force_login(carol.user)
    assert dan.first_name in client.get(reverse("portal:account")).content.decode()
    page = client.get(reverse("portal:minor_account", args=[dan.pk])).content.decode()
    assert loan.item.record.title in page and "Reading history is kept for the child alone" in page
    entry = AuditEntry.objects.filter(object_id=dan.pk, purpose="guardian").latest()
    assert entry.clause == "CONF-4" and entry.actor_id == carol.user_id


def test_minors_account_drops_out_of_view_on_the_birthday_of_majority(client, carol, dan):
    dan.date_of_birth = years_ago(18)
    dan.save()
    client.force_login(carol.user)
    assert dan.first_name not in client.get(reverse("portal:account")).content.decode()
    grown = client.get(reverse("portal:minor_account", args=[dan.pk]))
    missing = client.get(reverse("portal:minor_account", args=[999999]))
    assert grown.status_code == missing.status_code == 404
    assert page_text(grown) == page_text(missing)


def test_a_patron_changing_the_id_in_the_url_sees_not_found(client, alice, bob):
    client.force_login(bob.user)
    other = client.get(reverse("portal:minor_account", args=[alice.pk]))
    missing = client.get(reverse("portal:minor_account", args=[999999]))
    assert other.status_code == 404 and page_text(other) == page_text(missing)
    assert alice.last_name not in other.content.decode()


def test_patron_gives_and_withdraws_a_consent(client, alice):
    client.force_login(alice.user)
    client.post(
        reverse("portal:consents"),
        {"recipient": "Tutor Co", "category": "events", "purpose": "Homework"},
    )
    consent = alice.consents.get()
    assert consent.recorded_by == alice.user and consent.identity_check is None
    client.post(reverse("portal:consent_withdraw", args=[consent.pk]))
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


def test_a_patron_cannot_withdraw_someone_elses_consent(client, alice, bob):
    consent = ConsentFactory(patron=alice)
    client.force_login(bob.user)
    assert client.post(reverse("portal:consent_withdraw", args=[consent.pk])).status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_who_has_seen_my_record_lists_a_desk_read_by_role_and_branch(client, alice, desk):
    StaffProfile.objects.create(user=desk, branch=BranchFactory(code="NTH", name="North"))
    access.read(desk, alice, DataCategory.CIRCULATION, Purpose.CIRCULATION)
    client.force_login(alice.user)
    page = client.get(reverse("portal:access_history")).content.decode()
    assert "Circulation staff" in page and "NTH" in page and "CONF-3" in page
    assert desk.username not in page


def test_reads_under_a_gagged_order_stay_hidden_until_the_patron_may_be_told(
    client, alice, director
):
    from guardian.shortcuts import assign_perm

    from privacy.access import Asker
    from privacy.policy import Requester

    order = LegalOrderFactory(patrons=[alice], patron_may_be_told=False)
    assign_perm("patrons.disclose_under_order", director, alice)
    access.disclose(
        actor=director,
        asker=Asker(Requester.LAW_ENFORCEMENT, legal_order=order),
        patron=alice,
        category=DataCategory.CIRCULATION,
        purpose=Purpose.LEGAL_ORDER,
    )
    client.force_login(alice.user)
    assert "CONF-5" not in client.get(reverse("portal:access_history")).content.decode()
    order.patron_may_be_told = True
    order.save()
    assert "CONF-5" in client.get(reverse("portal:access_history")).content.decode()


def test_download_holds_every_category_and_logs_each_read(client, alice):
    LoanFactory(patron=alice)
    client.force_login(alice.user)
    response = client.get(reverse("portal:download"))
    data = json.loads(response.content)
    assert response["Content-Disposition"].startswith("attachment")
    assert data["card_number"] == alice.card_number and len(data["circulation"]) == 1
    assert {"identity", "reading_history", "who_has_seen_my_record"} <= set(data)
    assert AuditEntry.objects.filter(object_id=alice.pk, purpose="self_service").count() == 6


def test_staff_without_a_patron_record_have_no_portal_account(client, desk):
    client.force_login(desk)
    assert client.get(reverse("portal:account")).status_code == 404


def test_password_reset_mails_a_known_address_and_says_the_same_for_an_unknown_one(client, alice):
    known = client.post(reverse("portal:password_reset"), {"email": alice.email})
    unknown = client.post(reverse("portal:password_reset"), {"email": "nobody@example.org"})
    assert (
        known.status_code == unknown.status_code == 302 and known["Location"] == unknown["Location"]
    )
    assert len(mail.outbox) == 1 and "/portal/password-reset/" in mail.outbox[0].body


def test_sessions_end_with_the_browser_and_after_two_hours(settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE <= 2 * 60 * 60
