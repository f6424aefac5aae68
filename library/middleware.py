"""Security headers and staff session rules."""

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_REFRESHED = "staff_idle_refreshed_at"
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
            # time. Refreshing the timer at most once a minute keeps session
            # writes off most requests; the timeout is then exact to a minute.
            now = int(time.time())
            if now - request.session.get(_REFRESHED, 0) >= 60:
                request.session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
                request.session[_REFRESHED] = now
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
