"""Legal orders (CONF-5): recorded, reviewed by the director, scoped, time-bounded, logged."""

import datetime
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from library.roles import Role
from patrons.models import PatronUserObjectPermission
from privacy import access, gate, services
from privacy.access import Asker
from privacy.gate import GateInsideTransaction
from privacy.models import LegalOrder, LegalOrderRelease
from privacy.policy import DataCategory, Purpose, Requester
from tests.conftest import page_text
from tests.factories import LegalOrderFactory, LoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _new_order(client, director, patrons, **overrides):
    client.force_login(director)
    data = {
        "kind": "subpoena",
        "issuing_authority": "Douglas County District Court",
        "requesting_agency": "Lawrence Police Department",
        "case_number": "2026-CR-0042",
        "document": SimpleUploadedFile(
            "order.pdf", b"%PDF-1.4 test", content_type="application/pdf"
        ),
        "card_numbers": "\n".join(p.card_number for p in patrons),
        "categories": ["circulation"],
        "records_from": (timezone.localdate() - datetime.timedelta(days=30)).isoformat(),
        "records_until": timezone.localdate().isoformat(),
        "expires_at": (timezone.now() + datetime.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
        "patron_may_be_told": "",
        **overrides,
    }
    return client.post(reverse("privacy:order_create"), data)


def test_director_records_an_order_that_releases_nothing_yet(client, director, alice):
    response = _new_order(client, director, [alice])
    order = LegalOrder.objects.get()
    assert response.status_code == 302
    assert order.status == "received" and not order.patron_may_be_told and order.document
    assert list(order.patrons.all()) == [alice]
    release = client.post(
        reverse("privacy:order_release", args=[order.pk]),
        {"patron": alice.pk, "category": "circulation"},
    )
    assert release.status_code == 404
    assert not LegalOrderRelease.objects.exists()


def test_an_unknown_card_number_stops_the_order_with_a_message(client, director, alice):
    response = _new_order(
        client, director, [alice], card_numbers=f"{alice.card_number}\n29999999999999"
    )
    assert "No patron has these card numbers: 29999999999999." in response.content.decode()
    assert not LegalOrder.objects.exists()


def test_bad_dates_are_refused_and_nothing_is_written(client, director, alice):
    yesterday = (timezone.now() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _new_order(
        client, director, [alice], expires_at=yesterday, records_from="2030-01-01"
    )
    html = response.content.decode()
    assert "The expiry must be in the future." in html
    assert "must not be before its start" in html
    assert not LegalOrder.objects.exists()


def test_only_the_director_records_or_decides_orders(client, staff, alice):
    person_in_charge = staff(Role.PERSON_IN_CHARGE)
    assert _new_order(client, person_in_charge, [alice]).status_code == 404
    order = LegalOrderFactory(patrons=[alice], status="received")
    assert (
        client.post(reverse("privacy:order_decide", args=[order.pk, "validate"])).status_code == 404
    )
    with pytest.raises(Exception, match="Only the library director"):
        services.legal_order_validate(order=order, director=person_in_charge)


def test_validated_order_releases_records_inside_its_dates_only(client, director, alice):
    _new_order(client, director, [alice])
    order = LegalOrder.objects.get()
    assert (
        client.post(reverse("privacy:order_decide", args=[order.pk, "validate"])).status_code == 302
    )
    inside = LoanFactory(patron=alice)
    outside = LoanFactory(patron=alice, checked_out_at=timezone.now() - datetime.timedelta(days=90))
    response = client.post(
        reverse("privacy:order_release", args=[order.pk]),
        {"patron": alice.pk, "category": "circulation"},
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    payload = json.loads(response.content)
    titles = [record.get("title") for record in payload["records"]]
    assert inside.item.record.title in titles and outside.item.record.title not in titles
    release = LegalOrderRelease.objects.get()
    assert (release.order, release.patron, release.records) == (order, alice, 1)
    entry = AuditEntry.objects.filter(
        purpose="legal_order", decision="allowed", object_id=alice.pk
    ).latest()
    assert entry.clause == "CONF-5" and entry.additional_data["legal_order"] == order.pk


def test_a_category_outside_the_order_cannot_be_released(client, director, alice):
    order = LegalOrderFactory(patrons=[alice], categories=["identity"], status="received")
    services.legal_order_validate(order=order, director=director)
    client.force_login(director)
    client.post(
        reverse("privacy:order_release", args=[order.pk]),
        {"patron": alice.pk, "category": "circulation"},
    )
    assert not LegalOrderRelease.objects.exists()


def test_an_order_past_its_expiry_releases_nothing_though_still_marked_valid(
    client, director, alice
):
    order = LegalOrderFactory(patrons=[alice], status="received")
    services.legal_order_validate(order=order, director=director)
    LegalOrder.objects.filter(pk=order.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    client.force_login(director)
    response = client.post(
        reverse("privacy:order_release", args=[order.pk]),
        {"patron": alice.pk, "category": "circulation"},
    )
    assert response.status_code in (302, 404)
    assert not LegalOrderRelease.objects.exists()
    with pytest.raises(gate.Refused):
        services.legal_order_release(
            order=order, actor=director, patron=alice, category=DataCategory.CIRCULATION
        )
    assert AuditEntry.objects.filter(
        purpose="legal_order", decision="refused", object_id=alice.pk
    ).exists()


def test_an_expired_order_cannot_be_made_valid(director, alice):
    order = LegalOrderFactory(
        patrons=[alice], status="received", expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    with pytest.raises(Exception, match="expiry date has passed"):
        services.legal_order_validate(order=order, director=director)


def test_closing_an_order_ends_its_grants_and_its_legal_hold(director, alice):
    order = LegalOrderFactory(patrons=[alice], status="received")
    services.legal_order_start_review(order=order, reviewer=director)
    assert order in LegalOrder.objects.holding()
    services.legal_order_validate(order=order, director=director)
    assert PatronUserObjectPermission.objects.filter(user=director, content_object=alice).exists()
    services.legal_order_close(order=order, director=director, status=LegalOrder.Status.FULFILLED)
    assert not PatronUserObjectPermission.objects.filter(
        user=director, content_object=alice
    ).exists()
    assert order not in LegalOrder.objects.holding()


def test_closing_one_order_keeps_the_grant_another_order_still_needs(director, alice):
    first = LegalOrderFactory(patrons=[alice], status="received")
    second = LegalOrderFactory(patrons=[alice], status="received")
    services.legal_order_validate(order=first, director=director)
    services.legal_order_validate(order=second, director=director)
    services.legal_order_close(order=first, director=director, status=LegalOrder.Status.FULFILLED)
    assert (
        services.legal_order_release(
            order=second, actor=director, patron=alice, category=DataCategory.CIRCULATION
        )[0].order
        == second
    )


def test_order_pages_are_not_found_for_staff_not_working_the_order_and_for_patrons(
    client, staff, alice, bob
):
    order = LegalOrderFactory(patrons=[alice])
    for user in (staff(Role.CIRCULATION), bob.user):
        client.force_login(user)
        existing = client.get(reverse("privacy:order_detail", args=[order.pk]))
        missing = client.get(reverse("privacy:order_detail", args=[order.pk + 100]))
        assert existing.status_code == missing.status_code == 404
        assert page_text(existing) == page_text(missing)


def test_the_directors_queue_shows_orders_awaiting_review(client, director, alice):
    waiting = LegalOrderFactory(patrons=[alice], status="received", case_number="WAIT-1")
    client.force_login(director)
    assert waiting.case_number in client.get(reverse("privacy:order_list")).content.decode()


def test_the_gate_refuses_to_be_asked_inside_a_write_transaction(alice):
    """A refusal inside transaction.atomic would roll back its own audit entry."""
    with pytest.raises(GateInsideTransaction), transaction.atomic():
        access.disclose(
            actor=None,
            asker=Asker(Requester.OTHER_PATRON),
            patron=alice,
            category=DataCategory.IDENTITY,
            purpose=Purpose.DESK_INQUIRY,
        )


# Telling the patron is off unless the order allows it (CONF-5).


def test_an_order_recorded_without_the_box_forbids_telling_the_patron(client, director, alice):
    """The box left out of the POST altogether, as a browser sends an unticked one."""
    client.force_login(director)
    data = {
        "kind": "court_order",
        "issuing_authority": "Douglas County District Court",
        "requesting_agency": "Lawrence Police Department",
        "case_number": "2026-CR-0099",
        "card_numbers": alice.card_number,
        "categories": ["circulation"],
        "records_from": (timezone.localdate() - datetime.timedelta(days=30)).isoformat(),
        "records_until": timezone.localdate().isoformat(),
        "expires_at": (timezone.now() + datetime.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
    }
    assert client.post(reverse("privacy:order_create"), data).status_code == 302
    assert LegalOrder.objects.get().patron_may_be_told is False


def test_an_order_that_allows_telling_the_patron_is_recorded_so(client, director, alice):
    _new_order(client, director, [alice], patron_may_be_told="on")
    assert LegalOrder.objects.get().patron_may_be_told is True


def test_the_order_form_starts_with_telling_the_patron_unticked(client, director):
    client.force_login(director)
    html = client.get(reverse("privacy:order_create")).content.decode()
    box = re.search(r'<input[^>]*name="patron_may_be_told"[^>]*>', html)
    assert box and "checked" not in box.group(0)


def test_the_model_and_the_service_default_to_not_telling(director, alice):
    assert LegalOrder._meta.get_field("patron_may_be_told").default is False
    order = services.legal_order_receive(
        received_by=director,
        kind="subpoena",
        issuing_authority="Court",
        requesting_agency="Police",
        case_number="X-1",
        patrons=[alice],
        categories=["circulation"],
        records_from=timezone.localdate(),
        records_until=timezone.localdate(),
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    assert order.patron_may_be_told is False
