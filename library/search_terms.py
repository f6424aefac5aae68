"""Search terms kept a few minutes in the session, so an address carries a token, never a term.

Search boxes that take patron data (card numbers and names in the admin, what
a patron has read in the portal) post. The term is kept in the searcher's own
session under a short random token; the results page's address, its pages and
its export links carry only the token. Addresses end up in browser histories,
proxy and server logs and Referer headers; a session row ends up in backups.

So a term lasts SEARCH_TERM_MINUTES from when it was typed, no longer: it is
dropped whenever its session is read or written (library.sessions), from
sessions nobody uses any more by `manage.py clearsessions`, and with the whole
session at sign-out. An expired or unknown token is no search at all.
"""

import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect

TOKEN_VAR = "_s"  # noqa: S105 - a parameter name, not a secret
SESSION_KEY = "search_terms"
KEPT_TERMS = 20  # a session remembers its last few searches, no more
MAX_TERM_LENGTH = 200
# Where admin searches were kept before terms had a lifetime: dropped whole.
_FORMER_SESSION_KEYS = ("admin_searches",)


@dataclass(frozen=True)
class Search:
    """A search as the address names it: its token and the term it stands for ("" for none)."""

    token: str = ""
    term: str = ""

    @property
    def query(self) -> str:
        """Return the query string that brings this search back, or "" for none."""
        return urlencode({TOKEN_VAR: self.token}) if self.term else ""


def search_of(request: HttpRequest) -> Search:
    """Return the search the address's token names in this session; none once it has expired."""
    token = request.GET.get(TOKEN_VAR, "")
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if entry is None or not _fresh(entry, _oldest()):
        return Search()
    return Search(token=token, term=entry[0])


def search_redirect(
    request: HttpRequest, term: str, *, drop: Collection[str] = ()
) -> HttpResponseRedirect:
    """Keep a posted term and redirect to this address with its token instead.

    The address's other parameters stay (filters, say), but for `drop` and any
    earlier token; an empty term just clears the search.
    """
    kept = [
        (name, value)
        for name, value in request.GET.items()
        if name != TOKEN_VAR and name not in drop
    ]
    term = term.strip()[:MAX_TERM_LENGTH]
    if term:
        kept.append((TOKEN_VAR, _keep(request, term)))
    query = urlencode(kept)
    return HttpResponseRedirect(f"{request.path}?{query}" if query else request.path)


def drop_expired(data: dict[str, Any]) -> bool:
    """Drop the search terms past their lifetime from a session's data; say whether any went."""
    changed = False
    for key in _FORMER_SESSION_KEYS:
        changed = data.pop(key, None) is not None or changed
    terms = data.get(SESSION_KEY)
    if terms is None:
        return changed
    oldest = _oldest()
    fresh = {token: entry for token, entry in terms.items() if _fresh(entry, oldest)}
    if len(fresh) == len(terms):
        return changed
    if fresh:
        data[SESSION_KEY] = fresh
    else:
        del data[SESSION_KEY]
    return True


def _keep(request: HttpRequest, term: str) -> str:
    oldest = _oldest()
    terms = {
        token: entry
        for token, entry in request.session.get(SESSION_KEY, {}).items()
        if _fresh(entry, oldest)
    }
    token = secrets.token_urlsafe(6)
    terms[token] = [term, time.time()]
    request.session[SESSION_KEY] = dict(list(terms.items())[-KEPT_TERMS:])
    return token


def _oldest() -> float:
    return time.time() - settings.SEARCH_TERM_MINUTES * 60


def _fresh(entry: list[Any], oldest: float) -> bool:
    return bool(entry[1] >= oldest)
