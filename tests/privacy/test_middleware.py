"""Fail closed: every view is declared; undeclared views, refusals and misses all look alike."""

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path

from config import urls as project_urls
from library.declarations import Declaration, declaration_of

pytestmark = pytest.mark.django_db


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_url_of_the_project_is_declared_public_or_to_the_gate():
    undeclared = [
        route for route, view in _walk(get_resolver().url_patterns) if declaration_of(view) is None
    ]
    assert undeclared == []


def test_only_a_few_known_pages_are_public():
    public = {
        route
        for route, view in _walk(get_resolver().url_patterns)
        if declaration_of(view) is Declaration.PUBLIC
    }
    assert public <= {"", "staff/admin/login/", "staff/admin/logout/"} | {
        route
        for route in public
        if route.startswith(("portal/login", "portal/logout", "portal/password-reset"))
    }


def undeclared_view(request):
    return HttpResponse("Alice Archer, 12 Elm St")


urlpatterns = [path("leaky/", undeclared_view), *project_urls.urlpatterns]


@override_settings(ROOT_URLCONF=__name__)
def test_an_undeclared_view_is_refused_and_never_runs(client):
    response = client.get("/leaky/")
    assert response.status_code == 404
    assert b"Alice" not in response.content


def test_patron_data_pages_are_never_cached(client, desk):
    client.force_login(desk)
    response = client.get("/staff/admin/patrons/patron/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_public_pages_may_be_cached(client):
    response = client.get("/")
    assert "no-store" not in response.get("Cache-Control", "")
