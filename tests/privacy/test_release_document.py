"""The printable release under a legal order (CONF-5): what a court or officer is handed.

It names the library, the order, its issuer, what was released (the records in a table),
who released it and when, in the library's time zone, and has a signature line. Its
records are read again through the gate and logged as the release was; the patron is
named by card number only where the order's scope may be read.
"""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import dateformat, timezone

from audit.models import AuditEntry
from circulation.models import Loan
from library import dates
from library.roles import Role
from privacy import services
from privacy.models import LegalOrder, LegalOrderRelease
from privacy.policy import DataCategory
from tests.conftest import page_text
from tests.factories import LegalOrderFactory, LoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(director, alice):
    order = LegalOrderFactory(
        patrons=[alice],
        status="received",
        categories=["identity", "circulation"],
        case_number="2026-CR-0042",
        issuing_authority="Douglas County District Court",
    )
    services.legal_order_validate(order=order, director=director)
    return order


@pytest.fixture
def loan(alice):
    return LoanFactory(patron=alice)


def document_url(order, release):
    return reverse("privacy:order_release_document", args=[order.pk, release.pk])


def release_as_document(client, user, order, patron):
    client.force_login(user)
    return client.post(
        reverse("privacy:order_release", args=[order.pk]),
        {"patron": patron.pk, "category": "circulation", "format": "document"},
    )


def test_releasing_for_print_records_the_release_and_opens_its_document(
    client, director, order, alice, loan
):
    response = release_as_document(client, director, order, alice)
    release = LegalOrderRelease.objects.get()
    assert response.status_code == 302 and response["Location"] == document_url(order, release)
    assert (release.order, release.patron, release.records) == (order, alice, 1)


def test_the_document_names_library_order_issuer_records_releaser_and_a_signature_line(
    client, director, order, alice, loan
):
    release_as_document(client, director, order, alice)
    release = LegalOrderRelease.objects.get()
    response = client.get(document_url(order, release))
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert 'class="slip document"' in html and "data-print" in html
    assert "Public Library" in html
    assert "2026-CR-0042" in html and "Douglas County District Court" in html
    assert re.search(r"<table>.*" + re.escape(loan.item.record.title) + r".*</table>", html, re.S)
    assert f"Card number {alice.card_number}" in html
    assert director.get_username() in html
    assert "Signature of the library officer releasing" in html


def test_the_document_gives_times_in_the_librarys_time_zone(
    client, director, order, alice, loan, settings
):
    settings.TIME_ZONE = "America/Chicago"
    release_as_document(client, director, order, alice)
    release = LegalOrderRelease.objects.get()
    html = client.get(document_url(order, release)).content.decode()
    local = timezone.localtime(release.released_at)
    assert dates.moment(release.released_at) in html
    assert "America/Chicago" in html  # the zone, named once
    utc = release.released_at.astimezone(datetime.UTC)
    assert "UTC" not in html and "+00:00" not in html
    assert utc.strftime("%H:%M") != local.strftime("%H:%M")
    assert dateformat.format(utc, "M j, Y H:i") not in html


def test_the_document_leaves_out_records_dated_after_the_release(
    client, director, order, alice, loan
):
    """It shows what the release gave, not what the order would cover by the day it is printed."""
    release_as_document(client, director, order, alice)
    release = LegalOrderRelease.objects.get()
    later = LoanFactory(patron=alice)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        LegalOrder.objects.filter(pk=order.pk).update(
            records_until=timezone.localdate() + datetime.timedelta(days=5)
        )
        Loan.objects.filter(pk=later.pk).update(checked_out_at=timezone.now())
        client.force_login(director)  # two days on, the staff session has ended
        html = client.get(document_url(order, release)).content.decode()
    assert loan.item.record.title in html
    assert later.item.record.title not in html


def test_reading_the_document_is_audited_like_the_release(client, director, order, alice, loan):
    release_as_document(client, director, order, alice)
    release = LegalOrderRelease.objects.get()
    last = AuditEntry.objects.latest("seq").seq
    client.get(document_url(order, release))
    read = AuditEntry.objects.filter(seq__gt=last, object_id=alice.pk)
    records = read.get(purpose="legal_order", category="circulation")
    assert (records.decision, records.clause) == ("allowed", "CONF-5")
    assert records.additional_data["legal_order"] == order.pk
    assert records.additional_data["release"] == release.pk
    card = read.get(category="identity")
    assert (card.decision, card.purpose) == ("allowed", "order_review")
    assert card.additional_data["legal_order"] == order.pk


def test_the_directors_order_page_names_each_release_by_card_number(
    client, director, order, alice, loan
):
    services.legal_order_release(
        order=order, actor=director, patron=alice, category=DataCategory.CIRCULATION
    )
    client.force_login(director)
    html = client.get(reverse("privacy:order_detail", args=[order.pk])).content.decode()
    releases = html.split("Releases under this order", 1)[1]
    assert f"Card {alice.card_number}" in releases
    assert "Printable release" in releases


def test_a_worker_of_an_order_without_identity_gets_the_document_without_the_card(
    client, director, staff, alice, loan
):
    order = LegalOrderFactory(patrons=[alice], status="received", categories=["circulation"])
    clerk = staff(Role.CIRCULATION)
    order = services.legal_order_validate(order=order, director=director)
    services.legal_order_add_worker(order=order, director=director, worker=clerk)
    release_as_document(client, clerk, order, alice)
    release = LegalOrderRelease.objects.get()
    html = client.get(document_url(order, release)).content.decode()
    assert loan.item.record.title in html
    assert alice.card_number not in html and f"Patron record #{alice.pk}" in html
    refused = AuditEntry.objects.filter(category="identity", object_id=alice.pk).latest("seq")
    assert (refused.decision, refused.purpose) == ("refused", "legal_order")


@pytest.mark.parametrize(
    "role", [Role.PERSON_IN_CHARGE, Role.SECURITY_GUARD, Role.AUDITOR, Role.CIRCULATION]
)
def test_staff_not_working_the_order_get_the_not_found_page(
    client, director, staff, order, alice, loan, role
):
    release, _, _ = services.legal_order_release(
        order=order, actor=director, patron=alice, category=DataCategory.CIRCULATION
    )
    client.force_login(staff(role))
    existing = client.get(document_url(order, release))
    missing = client.get(reverse("privacy:order_release_document", args=[order.pk, 999999]))
    assert existing.status_code == missing.status_code == 404
    assert page_text(existing) == page_text(missing)
    assert alice.card_number not in page_text(existing)


def test_a_release_is_found_only_under_its_own_order(client, director, order, alice, loan):
    release, _, _ = services.legal_order_release(
        order=order, actor=director, patron=alice, category=DataCategory.CIRCULATION
    )
    other = LegalOrderFactory(patrons=[alice])
    client.force_login(director)
    response = client.get(reverse("privacy:order_release_document", args=[other.pk, release.pk]))
    assert response.status_code == 404


def test_the_document_of_an_order_no_longer_in_force_releases_nothing_and_is_logged(
    client, director, order, alice, loan
):
    release, _, _ = services.legal_order_release(
        order=order, actor=director, patron=alice, category=DataCategory.CIRCULATION
    )
    type(order).objects.filter(pk=order.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    client.force_login(director)
    response = client.get(document_url(order, release))
    assert response.status_code == 404 and loan.item.record.title not in response.content.decode()
    refusal = AuditEntry.objects.filter(purpose="legal_order", object_id=alice.pk).latest("seq")
    assert (refusal.decision, refusal.clause) == ("refused", "CONF-5")


def test_the_json_release_gives_its_time_with_the_librarys_offset(
    client, director, order, alice, loan
):
    client.force_login(director)
    response = client.post(
        reverse("privacy:order_release", args=[order.pk]),
        {"patron": alice.pk, "category": "circulation"},
    )
    released_at = response.json()["release"]["released_at"]
    assert not released_at.endswith(("Z", "+00:00"))
    assert (
        datetime.datetime.fromisoformat(released_at) == LegalOrderRelease.objects.get().released_at
    )
