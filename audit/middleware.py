"""django-auditlog's request context, with an address that cannot be forged."""

from typing import Any

from auditlog.context import auditlog_value
from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest, HttpResponse

from library.net import client_ip


class AuditContextMiddleware(AuditlogMiddleware):
    """Set the actor and client address on audit entries made while serving a request.

    auditlog's own middleware takes the address from X-Forwarded-For whatever
    sent it; this one trusts the header only behind TRUSTED_PROXY_COUNT proxies,
    and never records a client-supplied port.
    """

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response: HttpResponse = super().__call__(request)
        finally:
            # auditlog leaves its context set once the request is over; clear it,
            # or work done later on this thread (a command, a job) would be put
            # down to the last request's user.
            auditlog_value.set({})
        return response

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> Any:
        return None
