"""Admin searches travel by POST and are kept in the session, never in the address.

A search box in the admin takes card numbers and names. Django's admin sends
it as a GET query string, which ends up in browser histories, proxy and server
logs and Referer headers. Here the search form posts; the term is kept a few
minutes in the staff member's session under a token (library.search_terms),
and the address carries only the token (so pagination, sorting and filters
keep the search).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR, ChangeList
from django.http import HttpRequest, HttpResponse

from library.search_terms import TOKEN_VAR, search_of, search_redirect

# What the admin's own POSTs to a change list carry: actions and list editing.
_ADMIN_POST_KEYS = {"action", "index", "_save", "_selected_action"}


def is_searching(request: HttpRequest) -> bool:
    """Say whether a change-list request carries a search, by term or by a live token."""
    return bool(request.GET.get(SEARCH_VAR) or search_of(request).term)


def search_in_session(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a change-list view: a posted search is kept, then shown at an address with a token."""

    @wraps(view)
    def changelist(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (
            request.method == "POST"
            and SEARCH_VAR in request.POST
            and not _ADMIN_POST_KEYS & set(request.POST)
        ):
            term = request.POST.get(SEARCH_VAR, "")
            return search_redirect(request, term, drop={SEARCH_VAR, PAGE_VAR})
        return view(request, *args, **kwargs)

    return changelist


class TokenSearchChangeList(ChangeList):
    """A change list that takes its search term from the session, named by the address's token.

    The token stays in the query string like any other parameter, so every link
    the page builds (pages, sorting, filters, the way back from a change page)
    keeps the search without carrying the term. An expired token lists everything.
    """

    def get_filters_params(self, params: Any = None) -> Any:
        params = super().get_filters_params(params)
        params.pop(TOKEN_VAR, None)  # not a field lookup
        return params

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> Any:
        if TOKEN_VAR in request.GET:
            self.query = search_of(request).term
        return super().get_queryset(request, exclude_parameters)


def token_search_changelist(request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
    """Stand in for ModelAdmin.get_changelist on every model the staff site registers."""
    return TokenSearchChangeList
