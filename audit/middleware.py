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
        # auditlog sets its context for the request and never unsets it, so work
        # done later on this thread (a command, a job) would be put down to the
        # last request's user. Resetting through our own token puts back what
        # was there before the request: on an idle thread, nothing. An empty dict
        # would not do: auditlog's receivers are connected for every thread while
        # any request is served, and one reading {} raises KeyError on the save.
        # Until auditlog sets its own: no actor, no address, no receiver's id.
        token = auditlog_value.set({"signal_duid": None})
        try:
            response: HttpResponse = super().__call__(request)
        finally:
            auditlog_value.reset(token)
        return response

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> Any:
        return None
