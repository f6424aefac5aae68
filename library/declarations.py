"""Every view says what it serves; the middleware refuses any view that does not.

`@public` marks a page with no patron data (home, login, health check).
`@serves_patron_data` marks a page that reads patron data, always through the
gate (privacy.access); its responses are never cached.
"""

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.template import loader
from django.utils.cache import add_never_cache_headers

V = TypeVar("V", bound=Callable[..., Any])

ATTRIBUTE = "privacy_declaration"


class Declaration(Enum):
    PUBLIC = "public"
    PATRON_DATA = "patron_data"


def _declare(view: V, declaration: Declaration) -> V:
    setattr(view, ATTRIBUTE, declaration)
    return view


def public(view: V) -> V:
    """Declare a view that serves no patron data."""
    return _declare(view, Declaration.PUBLIC)


def serves_patron_data(view: V) -> V:
    """Declare a view that reads patron data through the gate."""
    return _declare(view, Declaration.PATRON_DATA)


def declaration_of(view: Any) -> Declaration | None:
    """Return how a view (function, class-based view or admin view) was declared, if at all."""
    found = getattr(view, ATTRIBUTE, None)
    if found is None and hasattr(view, "view_class"):
        found = getattr(view.view_class, ATTRIBUTE, None)
    return found


def not_found_response(request: HttpRequest) -> HttpResponse:
    """Return the one answer for a missing record and a refused one (CONF-1)."""
    # No navigation item is marked as the current page: the page must not differ
    # with the address that was refused.
    body = loader.render_to_string("404.html", {"nav_current": "none"}, request=request)
    response = HttpResponseNotFound(body)
    add_never_cache_headers(response)
    return response
