"""Every form, and every page that reads its query string, against hostile input.

Each submission starts from a valid one, as a user allowed to send it, and
hypothesis spoils or drops fields (tests/security/hostile.py). The answer must
be a 4xx or the form again with an error, or a success; never a 500. When the
answer is an error, the database must be exactly as before (every row of every
table but the audit trail, sessions and sign-in throttling): no partial write.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import PNG_BYTES
from tests.security.hostile import BAD_INPUT, changed_tables, hostile_payload, snapshot
from tests.security.world import PASSWORD, World, isolated

pytestmark = pytest.mark.django_db

ERROR_SHOWN = re.compile(r'errorlist|errornote|role="alert"')
NEW_PASSWORD = "Prairie-lantern-2031"


@dataclass(frozen=True)
class Form:
    name: str
    kind: str  # who sends it (a kind of tests/security/world.py)
    url: Callable[[World], str]
    valid: Callable[[World], dict[str, Any]]
    method: str = "POST"
    ids: list[str] = field(default_factory=list)


def _at(path: str) -> Callable[[World], str]:
    return lambda world: path


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S")


def _datetime(world: World, days: int = 0) -> str:
    return (timezone.localtime() + datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _date(days: int = 0) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def _patron_fields(world: World) -> dict[str, Any]:
    return {
        "card_number": "21000000009999",
        "status": "active",
        "card_expires_on": _date(365),
        "home_branch": world.branch.pk,
        "first_name": "Erin",
        "last_name": "Evans",
        "date_of_birth": "1990-04-01",
        "address_line": "1 Elm St",
        "city": "Lawrence",
        "postal_code": "66044",
        "phone": "785-555-0199",
        "email": "erin@example.org",
        "user": "",
        "responsible_adults-TOTAL_FORMS": "0",
        "responsible_adults-INITIAL_FORMS": "0",
        "responsible_adults-MIN_NUM_FORMS": "0",
        "responsible_adults-MAX_NUM_FORMS": "1000",
    }


def _period() -> dict[str, Any]:
    return {"date_from": _date(-30), "date_to": _date(), "before": "", "after": ""}


def _statistics_filters() -> dict[str, Any]:
    return {
        "date_from": _date(-30),
        "date_to": _date(),
        "period": "week",
        "breakdown": ["branch", "item_type"],
    }


def _notice_template(world: World) -> str:
    from tests.security.urls import _notice_template_id

    return f"/staff/notices/templates/{_notice_template_id()}/"


FORMS = [
    # The portal (anonymous and patrons).
    Form(
        "portal sign-in",
        "anon",
        _at("/portal/login/"),
        lambda w: {"username": w.alice.card_number, "password": PASSWORD},
    ),
    Form(
        "portal password reset",
        "anon",
        _at("/portal/password-reset/"),
        lambda w: {"email": w.alice.email},
    ),
    Form(
        "portal new password",
        "anon",
        lambda w: f"/portal/password-reset/{w.reset_uid}/set-password/",
        lambda w: {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    ),
    Form(
        "notice template",
        "pic",
        _notice_template,
        lambda w: {"subject": "Due {{ due_date|date }}", "body": "Dear {{ first_name }}"},
    ),
    # Sign-in factors (library.authenticators): one's own, and another's.
    Form("own recovery codes", "dir", _at("/staff/second-factor/"), lambda w: {"action": "codes"}),
    Form(
        "staff sign-in factors",
        "it",
        _at("/staff/logins/"),
        lambda w: {"login": w.users["dir"].username, "action": "revoke"},
    ),
    Form(
        "portal consents",
        "alice",
        _at("/portal/consents/"),
        lambda w: {"recipient": "Tutor Co", "category": "events", "purpose": "Homework help"},
    ),
    Form("portal loans page", "alice", _at("/portal/"), lambda w: {"page": "2"}, "GET"),
    Form(
        "portal notices name items",
        "alice",
        _at("/portal/notices/"),
        lambda w: {"name_items": "on"},
    ),
    Form(
        "portal catalogue search",
        "alice",
        _at("/portal/catalogue/"),
        lambda w: {"q": "shelf", "page": "1"},
        "GET",
    ),
    Form(
        "portal place a hold",
        "alice",
        lambda w: f"/portal/catalogue/{w.item_shelf.record.pk}/hold/",
        lambda w: {"pickup_branch": w.branch.pk},
    ),
    Form(
        "portal reading history search",
        "alice",
        _at("/portal/reading-history/"),
        lambda w: {"q": "shelf"},
    ),
    Form(
        "portal reading history page",
        "alice",
        _at("/portal/reading-history/"),
        lambda w: {"_s": "a-token", "page": "1"},
        "GET",
    ),
    Form(
        "portal reading history export",
        "alice",
        _at("/portal/reading-history/export.csv"),
        lambda w: {"_s": "a-token"},
        "GET",
    ),
    Form(
        "portal who has seen my record",
        "alice",
        _at("/portal/who-has-seen-my-record/"),
        lambda w: {"before": "5"},
        "GET",
    ),
    Form(
        "minor's account page",
        "carol",
        lambda w: f"/portal/minors/{w.dan.pk}/",
        lambda w: {"page": "1"},
        "GET",
    ),
    # The admin.
    Form(
        "staff sign-in",
        "anon",
        _at("/staff/admin/login/"),
        lambda w: {
            "username": "circulation",
            "password": PASSWORD,
            "otp_token": "",
            "next": "/staff/",
        },
    ),
    Form(
        "admin password change",
        "circ",
        _at("/staff/admin/password_change/"),
        lambda w: {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    ),
    Form("admin patron add", "circ", _at("/staff/admin/patrons/patron/add/"), _patron_fields),
    Form(
        "admin patron change",
        "circ",
        lambda w: f"/staff/admin/patrons/patron/{w.alice.pk}/change/",
        lambda w: {**_patron_fields(w), "card_number": w.alice.card_number},
    ),
    Form(
        "admin patron search",
        "circ",
        _at("/staff/admin/patrons/patron/"),
        lambda w: {"q": w.alice.card_number, "o": "1", "p": "0", "status__exact": "active"},
        "GET",
    ),
    Form(
        "admin responsible adult add",
        "circ",
        _at("/staff/admin/patrons/responsibleadult/add/"),
        lambda w: {
            "minor": w.dan.pk,
            "adult": w.bob.pk,
            "adult_name": "",
            "relationship": "parent",
        },
    ),
    Form(
        "admin identity check add",
        "circ",
        _at("/staff/admin/privacy/identitycheck/add/"),
        lambda w: {"patron": w.bob.pk, "responsible_adult": "", "document_kind": "passport"},
    ),
    Form(
        "admin item add",
        "pic",
        _at("/staff/admin/circulation/item/add/"),
        lambda w: {
            "barcode": "31000000009999",
            "record": w.item_shelf.record.pk,
            "call_number": "800 WRI",
            "item_type": "book",
            "branch": w.branch.pk,
        },
    ),
    Form(
        "admin item search",
        "pic",
        _at("/staff/admin/circulation/item/"),
        lambda w: {"q": "Book", "item_type__exact": "book", "branch__id__exact": w.branch.pk},
        "GET",
    ),
    Form(
        "admin loan rule change",
        "pic",
        lambda w: f"/staff/admin/circulation/loanrule/{w.admin['circulation.loanrule'].pk}/change/",
        lambda w: {
            "item_type": "book",
            "loan_days": "21",
            "renewal_limit": "2",
            "fine_per_day": "0.25",
            "max_fine": "10.00",
        },
    ),
    Form(
        "admin branch add",
        "dir",
        _at("/staff/admin/library/branch/add/"),
        lambda w: {"code": "EAS", "name": "East Branch", "address": "9 Oak St"},
    ),
    Form(
        "admin camera add",
        "pic",
        _at("/staff/admin/facilities/camera/add/"),
        lambda w: {
            "branch": w.branch.pk,
            "name": "Lobby 2",
            "location_type": "entrance",
            "location_description": "Lobby",
            "installed_on": _date(),
            "active": "on",
        },
    ),
    Form(
        "admin footage order scope add",
        "dir",
        _at("/staff/admin/facilities/footageorderscope/add/"),
        lambda w: {
            "order": w.order.pk,
            "starts_at_0": _date(-2),
            "starts_at_1": "10:00",
            "ends_at_0": _date(-1),
            "ends_at_1": "10:00",
            "cameras": [w.camera.pk],
        },
    ),
    Form(
        "admin user add",
        "root",
        _at("/staff/admin/auth/user/add/"),
        lambda w: {
            "username": "newdesk",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
    ),
    # Legal orders, agents, consents and inquiries.
    Form(
        "legal order",
        "dir",
        _at("/staff/privacy/orders/new/"),
        lambda w: {
            "kind": "subpoena",
            "issuing_authority": "District Court",
            "requesting_agency": "Police",
            "case_number": "2026-CV-9",
            "card_numbers": w.alice.card_number,
            "categories": ["identity"],
            "records_from": _date(-30),
            "records_until": _date(),
            "expires_at": _datetime(w, 30),
            "patron_may_be_told": "on",
            "document": SimpleUploadedFile(
                "order.pdf", b"%PDF-1.4", content_type="application/pdf"
            ),
        },
    ),
    Form(
        "legal order decision",
        "dir",
        lambda w: f"/staff/privacy/orders/{w.order.pk}/fulfil/",
        lambda w: {"note": "Done."},
    ),
    Form(
        "legal order worker",
        "dir",
        lambda w: f"/staff/privacy/orders/{w.order.pk}/workers/",
        lambda w: {"worker": w.users["circ"].pk},
    ),
    Form(
        "legal order release",
        "dir",
        lambda w: f"/staff/privacy/orders/{w.order.pk}/release/",
        lambda w: {"patron": w.alice.pk, "category": "circulation", "note": "By hand"},
    ),
    Form(
        "agent registration",
        "dir",
        _at("/staff/privacy/agents/"),
        lambda w: {
            "name": "Recovery Ltd",
            "purpose": "Overdue items",
            "categories": ["identity"],
            "contract_start": _date(),
            "contract_end": _date(90),
            "username": "recovery",
        },
    ),
    Form(
        "agent account assignment",
        "dir",
        lambda w: f"/staff/privacy/agents/{w.agent.pk}/",
        lambda w: {"card_number": w.bob.card_number, "action": "assign"},
    ),
    Form(
        "consent desk",
        "circ",
        _at("/staff/privacy/consents/"),
        lambda w: {
            "card_number": w.bob.card_number,
            "grant": "1",
            "recipient": "Tutor Co",
            "category": "events",
            "purpose": "Homework help",
            "document_kind": "passport",
        },
    ),
    Form(
        "consent desk withdrawal",
        "circ",
        _at("/staff/privacy/consents/"),
        lambda w: {"card_number": w.alice.card_number, "withdraw": str(w.consent.pk)},
    ),
    Form(
        "inquiry desk",
        "circ",
        _at("/staff/privacy/inquiries/"),
        lambda w: {
            "branch": str(w.branch.pk),
            "channel": "in_person",
            "requester": "responsible_adult",
            "kind": "account_data",
            "card_number": w.dan.card_number,
            "category": "circulation",
            "identification_seen": "on",
            "document_kind": "drivers_licence",
            "adult_card_number": w.carol.card_number,
            "adult_name": "",
            "legal_order": "",
            "recipient": "",
        },
    ),
    # The auditors' pages.
    Form(
        "audit filters",
        "aud",
        _at("/audit/entries/"),
        lambda w: {
            "actor": "circulation",
            "card_number": w.alice.card_number,
            "category": "identity",
            "action": "3",
            "decision": "allowed",
            "clause": "CONF-3",
            **_period(),
        },
    ),
    Form(
        "audit entries page",
        "aud",
        _at("/audit/entries/"),
        lambda w: {
            "actor": w.users["circ"].pk,
            "patron": w.alice.pk,
            "category": "identity",
            "action": "3",
            "decision": "refused",
            "clause": "CONF-4",
            **_period(),
        },
        "GET",
    ),
    Form(
        "audit entries export",
        "aud",
        _at("/audit/entries/export.csv"),
        lambda w: {"patron": w.alice.pk, **_period()},
        "GET",
    ),
    Form(
        "audit patron lookup",
        "aud",
        _at("/audit/patrons/"),
        lambda w: {"card_number": w.alice.card_number},
    ),
    Form("audit refused reads", "aud", _at("/audit/refused/"), lambda w: _period(), "GET"),
    Form(
        "audit refused export", "aud", _at("/audit/refused/export.csv"), lambda w: _period(), "GET"
    ),
    Form("audit legal releases", "aud", _at("/audit/legal-orders/"), lambda w: _period(), "GET"),
    Form(
        "audit legal releases export",
        "aud",
        _at("/audit/legal-orders/export.csv"),
        lambda w: _period(),
        "GET",
    ),
    Form("audit agent reads", "aud", _at("/audit/agents/"), lambda w: _period(), "GET"),
    Form(
        "audit patron history",
        "aud",
        lambda w: f"/audit/patrons/{w.alice.pk}/",
        lambda w: _period(),
        "GET",
    ),
    Form(
        "audit staff activity export",
        "aud",
        lambda w: f"/audit/staff/{w.users['circ'].pk}/export.csv",
        lambda w: _period(),
        "GET",
    ),
    Form(
        "audit chart",
        "aud",
        _at("/audit/chart/"),
        lambda w: {"date_from": _date(-30), "date_to": _date()},
        "GET",
    ),
    # Circulation statistics (issue 17): the filters are all in the query string.
    Form(
        "circulation statistics",
        "circ",
        _at("/staff/circulation/statistics/"),
        lambda w: _statistics_filters(),
        "GET",
    ),
    Form(
        "circulation statistics export",
        "circ",
        _at("/staff/circulation/statistics.csv"),
        lambda w: _statistics_filters(),
        "GET",
    ),
    # Registration (patrons app).
    Form(
        "registration card lookup",
        "circ",
        _at("/staff/patrons/"),
        lambda w: {"card_number": w.alice.card_number},
    ),
    Form(
        "registration new patron",
        "circ",
        _at("/staff/patrons/register/"),
        lambda w: {
            "first_name": "Nora",
            "last_name": "Newcomb",
            "date_of_birth": _date(-30 * 366),
            "home_branch": w.branch.pk,
            "card_number": "",
            "email": "nora.newcomb@example.org",
            "phone": "785-555-0199",
            "address_line": "9 Elm Street",
            "city": "Lawrence",
            "postal_code": "66044",
            "responsible_adult_card": "",
            "relationship": "parent",
        },
    ),
    Form(
        "registration desk note",
        "circ",
        lambda w: f"/staff/patrons/{w.alice.pk}/note/",
        lambda w: {"desk_note": "Card reported lost on the bus."},
    ),
    Form(
        "registration contact details",
        "circ",
        lambda w: f"/staff/patrons/{w.alice.pk}/contact/",
        lambda w: {
            "email": w.alice.email,
            "phone": "785-555-0123",
            "address_line": "1 Main Street",
            "city": "Lawrence",
            "postal_code": "66044",
        },
    ),
    Form(
        "registration block",
        "circ",
        lambda w: f"/staff/patrons/{w.alice.pk}/block/",
        lambda w: {"reason": "Card reported stolen"},
    ),
    Form(
        "registration unblock",
        "circ",
        lambda w: f"/staff/patrons/{w.blocked_patron.pk}/unblock/",
        lambda w: {"reason": "Card found again"},
    ),
    Form(
        "portal password change",
        "alice",
        _at("/portal/password/"),
        lambda w: {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    ),
    Form(
        "portal contact details",
        "alice",
        _at("/portal/contact/"),
        lambda w: {
            "email": w.alice.email,
            "phone": "785-555-0123",
            "address_line": "1 Main Street",
            "city": "Lawrence",
            "postal_code": "66044",
            "password": "",
        },
    ),
    # The circulation desk and found items.
    Form(
        "desk card lookup",
        "circ",
        _at("/staff/circulation/desk/"),
        lambda w: {"card_number": w.alice.card_number},
    ),
    Form(
        "desk branch",
        "circ",
        _at("/staff/circulation/desk/branch/"),
        lambda w: {"branch": w.branch.pk},
    ),
    Form(
        "desk check-in",
        "circ",
        _at("/staff/circulation/desk/checkin/"),
        lambda w: {"checkin-barcode": w.item_out.barcode},
    ),
    Form(
        "desk check-out",
        "circ",
        lambda w: f"/staff/circulation/desk/patrons/{w.alice.pk}/checkout/",
        lambda w: {"checkout-barcode": w.item_held.barcode},
    ),
    Form(
        "desk hold",
        "circ",
        lambda w: f"/staff/circulation/desk/patrons/{w.bob.pk}/holds/",
        lambda w: {"hold-barcode": w.item_out.barcode},
    ),
    Form(
        "desk fine payment",
        "circ",
        lambda w: f"/staff/circulation/desk/patrons/{w.alice.pk}/fines/{w.fine.pk}/pay/",
        lambda w: {f"pay-{w.fine.pk}-amount": "0.50", f"pay-{w.fine.pk}-method": "cash"},
    ),
    Form(
        "desk fine waiver",
        "circ",
        lambda w: f"/staff/circulation/desk/patrons/{w.alice.pk}/fines/{w.fine.pk}/waive/",
        lambda w: {f"waive-{w.fine.pk}-reason": "staff_error"},
    ),
    Form(
        "desk charge for a lost or damaged item",
        "circ",
        lambda w: f"/staff/circulation/desk/patrons/{w.alice.pk}/loan/charge/",
        lambda w: {
            "loan": str(w.loan.pk),
            f"charge-{w.loan.pk}-reason": "damaged",
            f"charge-{w.loan.pk}-amount": "5.00",
        },
    ),
    Form(
        "found item",
        "circ",
        _at("/staff/circulation/found/"),
        lambda w: {
            "kind": "library_item",
            "description": "A book on the bus",
            "branch": w.branch.pk,
            "finder_name": "A finder",
            "finder_contact": "finder@example.org",
            "barcode": w.item_out.barcode,
            "card_number": w.bob.card_number,
        },
    ),
    Form(
        "found item owner by card",
        "circ",
        lambda w: f"/staff/circulation/found/{w.found.pk}/match/card/",
        lambda w: {"card_number": w.bob.card_number},
    ),
    Form(
        "found item owner by name",
        "circ",
        lambda w: f"/staff/circulation/found/{w.found.pk}/match/name/",
        lambda w: {"first_name": "Bob", "last_name": "Baker"},
    ),
    Form(
        "found item contact",
        "circ",
        lambda w: f"/staff/circulation/found/{w.found.pk}/contact/",
        lambda w: {"channel": "email"},
    ),
    Form(
        "loan rule new",
        "pic",
        _at("/staff/circulation/loan-rules/new/"),
        lambda w: {
            "item_type": "dvd",
            "patron_category": "minor",
            "loan_days": "7",
            "renewal_limit": "1",
            "fine_per_day": "0.50",
            "max_fine": "5.00",
        },
    ),
    Form(
        "loan rule edit",
        "dir",
        lambda w: f"/staff/circulation/loan-rules/{w.admin['circulation.loanrule'].pk}/",
        lambda w: {
            "item_type": w.admin["circulation.loanrule"].item_type,
            "patron_category": w.admin["circulation.loanrule"].patron_category,
            "loan_days": "14",
            "renewal_limit": "3",
            "fine_per_day": "0.10",
            "max_fine": "2.00",
        },
    ),
    # Computers, reference and events.
    Form(
        "computer session",
        "circ",
        _at("/staff/activity/computers/"),
        lambda w: {
            "card_number": w.bob.card_number,
            "resource": "PC-9",
            "kind": "computer",
            "branch": w.branch.pk,
        },
    ),
    Form(
        "computer lookup",
        "circ",
        _at("/staff/activity/computers/lookup/"),
        lambda w: {"card_number": w.alice.card_number},
    ),
    Form(
        "reference consultation",
        "ref",
        _at("/staff/activity/reference/"),
        lambda w: {
            "channel": "in_person",
            "branch": w.branch.pk,
            "question": "Maps?",
            "answer": "Floor 2",
            "card_number": w.alice.card_number,
        },
    ),
    Form(
        "reference lookup",
        "ref",
        _at("/staff/activity/reference/lookup/"),
        lambda w: {"card_number": w.alice.card_number},
    ),
    Form(
        "event sign-up",
        "circ",
        lambda w: f"/staff/activity/events/{w.event.pk}/",
        lambda w: {"card_number": w.bob.card_number},
    ),
    # Incidents, bans, cameras, footage and releases.
    Form(
        "incident",
        "guard",
        _at("/staff/facilities/incidents/new/"),
        lambda w: {
            "occurred_at": _datetime(w, -1),
            "branch": w.branch.pk,
            "area": "Lobby",
            "kind": "conduct",
            "description": "Shouting",
            "police_contacted": "",
            "police_report_number": "",
        },
    ),
    Form(
        "incident person",
        "guard",
        lambda w: f"/staff/facilities/incidents/{w.incident.pk}/people/",
        lambda w: {"card_number": w.bob.card_number, "description": "", "involvement": "witness"},
    ),
    Form(
        "identity to police",
        "pic",
        lambda w: f"/staff/facilities/incidents/{w.incident.pk}/police/",
        lambda w: {
            "person": w.ban.person_id,
            "agency": "Police",
            "officer": "Officer 12",
            "note": "",
        },
    ),
    Form(
        "ban",
        "pic",
        lambda w: f"/staff/facilities/incidents/{w.incident.pk}/bans/new/",
        lambda w: {
            "person": w.ban.person_id,
            "starts_at": "",
            "ends_at": _datetime(w, 10),
            "all_branches": "on",
            "branches": [],
            "note": "",
        },
    ),
    Form(
        "incidents page",
        "guard",
        _at("/staff/facilities/incidents/"),
        lambda w: {"page": "2"},
        "GET",
    ),
    Form(
        "camera",
        "pic",
        _at("/staff/facilities/cameras/"),
        lambda w: {
            "branch": w.branch.pk,
            "name": "Stacks 3",
            "location_type": "stacks",
            "location_description": "Aisle 3",
        },
    ),
    Form(
        "recording hold",
        "guard",
        lambda w: f"/staff/facilities/recordings/{w.recording.pk}/hold/",
        lambda w: {"incident": w.incident.pk},
    ),
    Form(
        "still",
        "guard",
        lambda w: f"/staff/facilities/recordings/{w.recording.pk}/stills/new/",
        lambda w: {
            "incident": w.incident.pk,
            "taken_at": _local(w.recording.starts_at + datetime.timedelta(minutes=1)),
            "image": SimpleUploadedFile("still.png", PNG_BYTES, content_type="image/png"),
            "caption": "Lobby",
            "ban": "",
        },
    ),
    Form(
        "outside request",
        "circ",
        _at("/staff/facilities/requests/new/"),
        lambda w: {
            "requester_kind": "police",
            "requester_name": "Police",
            "contact": "",
            "footage_wanted": "Lobby, 3 pm",
            "incident": w.incident.pk,
            "legal_order": "",
        },
    ),
    Form(
        "footage release",
        "dir",
        _at("/staff/facilities/releases/new/"),
        lambda w: {
            "recording": w.recording.pk,
            "portion_from": "",
            "portion_until": "",
            "still": "",
            "incident": w.incident.pk,
            "legal_order": "",
            "recipient_kind": "police",
            "recipient_name": "Police",
            "reason": "Help with the incident",
        },
    ),
    Form(
        "footage release page",
        "dir",
        _at("/staff/facilities/releases/new/"),
        lambda w: {"incident": w.incident.pk},
        "GET",
    ),
    Form(
        "outside request declined",
        "dir",
        lambda w: f"/staff/facilities/requests/{w.outside.pk}/decline/",
        lambda w: {"reason": "No order"},
    ),
]


def _error_messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the error messages a redirect carries in the messages cookie."""
    cookie = response.cookies.get("messages")
    if cookie is None or not cookie.value:
        return []
    stored = CookieStorage(HttpRequest())._decode(cookie.value) or []
    return [str(message) for message in stored if message.level >= constants.ERROR]


def _send(client, form: Form, url: str, payload: dict[str, Any]):  # type: ignore[no-untyped-def]
    if form.method == "GET":
        query = {
            name: [str(v) for v in value] if isinstance(value, list) else str(value)
            for name, value in payload.items()
            if not isinstance(value, SimpleUploadedFile)
        }
        return client.get(url, query)
    return client.post(url, payload)


# Pages that take a POST but read no field: an action named by the address alone.
ACTIONS_WITHOUT_FIELDS = {
    "portal:logout",
    "portal:consent_withdraw",
    "portal:loan_renew",
    "portal:hold_cancel",
    "portal:reading_history_on",
    "portal:reading_history_off",
    "portal:reading_history_clear",
    "portal:reading_history_entry_delete",
    "patrons:renew",
    "patrons:login_issue",
    "circulation:desk_renew",
    "circulation:desk_hold_cancel",
    "circulation:desk_renew_all",
    "circulation:desk_loan_checkin",
    "circulation:found_match_pick",
    "circulation:found_contact_done",
    "circulation:found_return",
    "activity:computer_end",
    "activity:event_signup_cancel",
    "facilities:ban_end",
    # These answer a POST as they answer a GET, reading no field.
    "home",
    "staff_home",
    "portal:account",
    "portal:access_history",
    "portal:catalogue",
    "portal:reading_history_csv",
    "portal:reading_history_json",
    "portal:download",
    "portal:minor_account",
    "agent:accounts",
    "agent:account",
    "privacy:order_list",
    "privacy:order_detail",
    "circulation:desk_patron",
    "circulation:found_tasks",
    "notices:letters",
    "notices:letters_print",
    "notices:templates",
    "circulation:found_detail",
    "activity:computers_patron",
    "activity:reference_patron",
    "activity:events",
    "facilities:index",
    "facilities:incident_list",
    "facilities:incident_detail",
    "facilities:ban_list",
    "facilities:recording_list",
    "facilities:recording_detail",
    "facilities:recording_file",
    "facilities:stills_shared",
    "facilities:still_image",
    "facilities:request_queue",
    "facilities:request_release",
}


def test_every_page_that_takes_a_post_is_fuzzed_or_reads_no_field(world):
    """A form added later needs a row in FORMS (the admin's screens are sampled)."""
    from django.urls import resolve

    from tests.security.test_authorization_matrix import TABLE

    taking_posts = {
        key
        for key, row in TABLE.items()
        if ("200" in row["POST"] or "302" in row["POST"])
        and not key.startswith("admin:")
        and not key.startswith("staff/admin/")
    }
    fuzzed = {resolve(form.url(world)).view_name for form in FORMS if form.method == "POST"}
    assert taking_posts - fuzzed - ACTIONS_WITHOUT_FIELDS == set()


@pytest.mark.parametrize("form", FORMS, ids=[form.name for form in FORMS])
def test_a_valid_submission_is_accepted(world, form):
    """The starting point of the hostile runs works, so spoiling it tests something."""
    with isolated():
        response = _send(world.client(form.kind), form, form.url(world), form.valid(world))
    assert response.status_code in (200, 302), response.status_code
    assert not _error_messages(response)
    if response.status_code == 200 and form.method == "POST":
        assert not ERROR_SHOWN.search(response.content.decode()), form.name


@pytest.mark.parametrize("form", FORMS, ids=[form.name for form in FORMS])
@BAD_INPUT
@given(data=st.data())
def test_hostile_input_gets_an_error_or_a_success_never_a_500_or_a_partial_write(world, form, data):
    payload = data.draw(hostile_payload(form.valid(world)))
    with isolated():
        before = snapshot()
        response = _send(world.client(form.kind), form, form.url(world), payload)
        after = snapshot()
        # A CSV export streams: read it all, so an error while streaming counts too.
        content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code < 500, f"{form.name}: {response.status_code}"
    error = (
        400 <= response.status_code < 500
        or bool(ERROR_SHOWN.search(content.decode(errors="replace")))
        or bool(_error_messages(response))
    )
    if error:
        assert changed_tables(before, after) == [], f"{form.name}: written despite the error"


# What the hostile runs found, pinned down.


def test_a_refused_consent_at_the_desk_leaves_no_identity_check_behind(world):
    from privacy.models import IdentityCheck
    from privacy.services import CONSENT_ALREADY_GIVEN

    consent = world.consent  # alice already consents to this recipient and category
    with isolated():
        before = snapshot()
        response = world.client("circ").post(
            "/staff/privacy/consents/",
            {
                "card_number": world.alice.card_number,
                "grant": "1",
                "recipient": consent.recipient,
                "category": consent.category,
                "purpose": "Again",
                "document_kind": "passport",
            },
        )
        assert CONSENT_ALREADY_GIVEN in response.content.decode()
        assert changed_tables(before, snapshot()) == []
        assert IdentityCheck.objects.filter(patron=world.alice).count() == 1


@pytest.mark.parametrize(
    ("kind", "url", "params"),
    [
        ("alice", "/portal/who-has-seen-my-record/", {"before": "²"}),
        ("alice", "/portal/who-has-seen-my-record/", {"before": "9" * 5000}),
        ("dir", "/staff/facilities/releases/new/", {"incident": "²³"}),
        ("dir", "/staff/facilities/releases/new/", {"incident": "9" * 40}),
    ],
)
def test_ids_in_the_query_string_that_are_not_numbers_are_ignored(world, kind, url, params):
    with isolated():
        assert world.client(kind).get(url, params).status_code == 200


def test_a_consent_to_withdraw_named_by_anything_but_an_id_is_ignored(world):
    with isolated():
        response = world.client("circ").post(
            "/staff/privacy/consents/",
            {"card_number": world.alice.card_number, "withdraw": "²"},
        )
        assert response.status_code == 200
        world.consent.refresh_from_db()
        assert world.consent.withdrawn_at is None


@pytest.mark.parametrize(
    "params",
    [{"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}, {"date_to": "1899-12-31"}],
)
@pytest.mark.parametrize("page", ["/audit/entries/", "/audit/refused/", "/audit/legal-orders/"])
def test_a_period_beyond_the_calendar_is_a_400_with_a_message(world, page, params):
    from auditors.forms import DATE_OUT_OF_RANGE

    with isolated():
        response = world.client("aud").get(page, params)
    assert response.status_code == 400
    if page != "/audit/entries/":  # the entry list says its filters are bad, in one line
        assert DATE_OUT_OF_RANGE in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "method", "url", "data"),
    [
        ("pic", "GET", "/staff/admin/circulation/item/", {"item_type__exact": "\x00"}),
        ("pic", "GET", "/staff/admin/circulation/item/", {"q": "\x00"}),
        ("circ", "POST", "/staff/circulation/desk/", {"card_number": "2100\x00"}),
        ("aud", "GET", "/audit/entries/", {"clause\x00": "CONF-1"}),
    ],
)
def test_a_nul_character_anywhere_in_the_parameters_is_a_400(world, kind, method, url, data):
    with isolated():
        client = world.client(kind)
        response = client.get(url, data) if method == "GET" else client.post(url, data)
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_a_value_out_of_range_deep_in_a_view_is_a_400_not_a_500(world, monkeypatch):
    from circulation import views

    def overflowing(request):  # type: ignore[no-untyped-def]
        raise OverflowError("date value out of range")

    monkeypatch.setattr(views, "_home", lambda request, **kwargs: overflowing(request))
    with isolated():
        response = world.client("circ").get("/staff/circulation/desk/")
    assert response.status_code == 400
