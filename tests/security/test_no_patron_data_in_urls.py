"""No patron data in addresses: every link, form action and redirect, as every kind of user.

Card numbers, names and email addresses end up in browser histories, proxy
logs and Referer headers when they are put in a URL. Every page each kind of
user can open (per the authorization matrix) is scanned: each href, src,
action and formaction, and the Location of every redirect the matrix's POSTs
produce. Patrons travel in addresses as ids only.

GET forms are where typed data lands in the query string: they may take
only what is listed here, never a card number, a name, an email address or
what a patron read. Search boxes over patron data (the admin's, reading
history) post, and their result pages carry a session token instead of the
term (library/search_terms.py).
"""

import html
import re
from urllib.parse import unquote_plus

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.security.conftest import send
from tests.security.test_authorization_matrix import ROUTES, TABLE
from tests.security.urls import address
from tests.security.world import AUD, KINDS, ROOT, World

pytestmark = pytest.mark.django_db

ADDRESS = re.compile(r"""\b(?:href|src|action|formaction)\s*=\s*["']([^"']*)["']""", re.I)
GET_FORM = re.compile(r"<form(?![^>]*method=[\"']?post)[^>]*>(.*?)</form>", re.I | re.S)
FIELD = re.compile(r"<(?:input|select|textarea)[^>]*\bname=[\"']([^\"']+)", re.I)
# What a GET form may take: periods (and, for the circulation statistics, the
# rows' length and the breakdown: a period kind and dimension names), a branch
# (the desk's queue pages), and on the catalogue a search of titles, which is
# about the collection, not a patron.
GET_FORM_FIELDS = {"date_from", "date_to", "period", "breakdown", "branch"}
CATALOGUE = "/portal/catalogue/"


def patron_data(world: World) -> list[str]:
    """Return what would identify one of the world's patrons if it were in an address."""
    values = []
    for patron in (world.alice, world.bob, world.carol, world.dan):
        values += [patron.card_number, patron.first_name, patron.last_name, patron.email]
        values.append(patron.email.split("@")[0])
    return [value.lower() for value in values if value]


def _leaks(text: str, secrets: list[str]) -> list[str]:
    decoded = unquote_plus(html.unescape(text)).lower()
    return [secret for secret in secrets if secret in decoded]


def test_the_scanner_sees_a_card_number_in_a_link_and_a_name_in_a_query(world):
    secrets = patron_data(world)
    assert _leaks(f"/x/?card={world.alice.card_number}", secrets)
    assert _leaks("/x/?who=Bob%20Baker", secrets)
    assert not _leaks(f"/staff/circulation/desk/patrons/{world.alice.pk}/", secrets)


def test_no_link_or_form_action_on_any_page_carries_patron_data(world):
    secrets = patron_data(world)
    found, pages = [], 0
    for key, route in ROUTES.items():
        url = address(route, world)
        for kind, code in zip(KINDS, TABLE[key]["GET"], strict=True):
            if code != "200":
                continue
            response, _ = send(world.client(kind), "GET", url)
            if "html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            body = response.content.decode()
            found += [
                f"{url} as {kind}: {target}"
                for target in ADDRESS.findall(body)
                if _leaks(target, secrets)
            ]
            allowed = GET_FORM_FIELDS | ({"q"} if url.startswith(CATALOGUE) else set())
            for form in GET_FORM.findall(body):
                fields = set(FIELD.findall(form)) - allowed
                if fields:
                    found.append(f"{url} as {kind}: a GET form takes {sorted(fields)}")
    assert pages > 400
    assert found == []


def test_no_redirect_carries_patron_data(world):
    secrets = patron_data(world)
    found, redirects = [], 0
    for key, route in ROUTES.items():
        url = address(route, world)
        for kind, code in zip(KINDS, TABLE[key]["POST"], strict=True):
            if code not in {"302", "in", "pin"}:
                continue
            response, _ = send(world.client(kind), "POST", url)
            redirects += 1
            if _leaks(response["Location"], secrets):
                found.append(f"POST {url} as {kind}: {response['Location']}")
    assert redirects > 300
    assert found == []


def test_every_admin_search_box_posts_and_leaves_only_a_token_in_the_address(world):
    # The admin's search boxes take card numbers and names: they post, and
    # the result page's address carries a session token (library/admin_search.py).
    secrets = patron_data(world)
    searchable = [model for model, admin_ in admin.site._registry.items() if admin_.search_fields]
    assert len(searchable) >= 8
    for model in searchable:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        # The superuser opens every list but the audit trail's, which is the auditors'.
        client = world.client(AUD if model._meta.label == "audit.AuditEntry" else ROOT)
        page = client.get(url).content.decode()
        assert '<form id="changelist-search" method="post"' in page, url
        response = client.post(url, {"q": world.alice.card_number})
        assert response.status_code == 302, url
        assert "_s=" in response["Location"] and not _leaks(response["Location"], secrets)
        results = client.get(response["Location"])
        assert results.status_code == 200, url
        assert results.context["cl"].query == world.alice.card_number


def test_filtering_the_audit_trail_by_card_number_puts_only_an_id_in_the_address(world):
    auditor = world.client("aud")
    response, _ = send(auditor, "POST", "/audit/entries/", {"card_number": world.alice.card_number})
    assert response.status_code == 302
    assert response["Location"] == f"/audit/entries/?patron={world.alice.pk}"
    response, _ = send(auditor, "POST", "/audit/patrons/", {"card_number": world.alice.card_number})
    assert response["Location"] == f"/audit/patrons/{world.alice.pk}/"


def test_the_desk_lookup_posts_the_card_number_and_shows_the_patron_under_an_id(world):
    desk = world.client("circ")
    page, _ = send(desk, "GET", "/staff/circulation/desk/")
    form = re.search(r'<form[^>]*>(?:(?!</form>).)*name="card_number"', page.content.decode(), re.S)
    assert form is not None and 'method="post"' in form[0]
    posted, _ = send(
        desk, "POST", "/staff/circulation/desk/", {"card_number": world.alice.card_number}
    )
    # Answered with a redirect to the patron's id (post/redirect/get): reloading posts nothing.
    assert posted.status_code == 302
    assert posted["Location"] == f"/staff/circulation/desk/patrons/{world.alice.pk}/"
    response, _ = send(desk, "GET", posted["Location"])
    assert response.status_code == 200
    links = ADDRESS.findall(response.content.decode())
    assert f"/staff/circulation/desk/patrons/{world.alice.pk}/checkout/" in links
    assert not [link for link in links if _leaks(link, patron_data(world))]


def test_no_address_names_a_patron_beside_a_loan():
    """A staff address names a patron or a loan, never both (CONF-9).

    Access logs keep every address; a patron's id beside a loan's id would tie
    the patron to the item after the loan is returned and forgets them. Derived
    from the URL resolver, so a new page cannot bring the pair back.
    """
    from tests.security.urls import project_routes

    loan_placeholder = re.compile(r"<(?:\w+:)?\w*loan\w*>")
    both = [
        route.route
        for route in project_routes().values()
        if "patrons/<int:pk>/" in route.route
        and loan_placeholder.search(route.route.split("patrons/<int:pk>/", 1)[1])
    ]
    assert both == []
