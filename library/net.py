"""The client's address, as far as this server can trust it."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """Return the client address: the connection's, or X-Forwarded-For's behind trusted proxies.

    With N trusted proxies in front (TRUSTED_PROXY_COUNT), the client is the
    Nth address from the right of X-Forwarded-For: each proxy appends the
    address it received the request from, so anything further left was written
    by the client and may be forged. With no trusted proxy the header is ignored.
    """
    address = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return ipaddress.ip_address(address or "").compressed
    except ValueError:
        return None
