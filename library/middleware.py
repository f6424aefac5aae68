"""Security headers, staff session rules, and a 400 for input no view can use."""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.views.defaults import bad_request

from library.declarations import Declaration, declaration_of
from library.security import second_factor_satisfied

_LAST_ACTIVE = "staff_last_active_at"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)


class SecurityHeadersMiddleware:
    """Add the headers Django does not set itself, and keep staff sessions short when idle."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            # Desk computers are shared: a staff session ends after a short idle
            # time, and still with the browser (the cookie stays a browser-session
            # cookie, so no set_expiry). The last activity is written at most once
            # a minute, which keeps session writes off most requests.
            now = int(time.time())
            last = request.session.get(_LAST_ACTIVE, now)
            if now - last > settings.STAFF_SESSION_IDLE_SECONDS:
                logout(request)
                return redirect_to_login(request.get_full_path())
            if now - last >= 60 or _LAST_ACTIVE not in request.session:
                request.session[_LAST_ACTIVE] = now
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class SecondFactorMiddleware:
    """Treat a user whose role needs a second factor and who has not given one as signed out.

    Every page but the public ones sends them to the staff sign-in, which asks
    for the code, however they signed in (the portal's form takes a user name
    too) and whatever decorator the page uses.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or second_factor_satisfied(user):
            return None
        if declaration_of(view) is Declaration.PUBLIC:
            return None
        return redirect_to_login(request.get_full_path())


NUL_IN_REQUEST = "A request parameter holds a NUL character."
OUT_OF_RANGE = "A request parameter is out of range."
_security_log = logging.getLogger("django.security.BadInput")


def _carries_nul(request: HttpRequest) -> bool:
    values = [*request.GET.lists(), *request.POST.lists()]
    names = [upload.name or "" for _, uploads in request.FILES.lists() for upload in uploads]
    return any("\x00" in key or any("\x00" in v for v in vals) for key, vals in values) or any(
        "\x00" in name for name in names
    )


class BadInputMiddleware:
    """Answer 400, not 500, to input that no page can use.

    A NUL character cannot be stored or compared in PostgreSQL text, and no
    browser sends one in a form; a number or date beyond what Python's calendar
    or the database holds raises OverflowError wherever it is first used. Both
    are the client's error. Only the method and path are logged, never values.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in {"GET", "HEAD", "POST"} and _carries_nul(request):
            raise SuspiciousOperation(NUL_IN_REQUEST)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OverflowError):
            _security_log.warning("%s: %s %s", OUT_OF_RANGE, request.method, request.path)
            return bad_request(request, SuspiciousOperation(OUT_OF_RANGE))
        return None
