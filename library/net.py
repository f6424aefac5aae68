"""Client addresses: the one parser for every address the server is handed, and trusting it.

The audit trail (through its middleware and its hash chain), sign-in lockouts
(AXES_CLIENT_IP_CALLABLE) and the footage network limit all read addresses
here, so one client is one address to all three.
"""

import ipaddress
import re

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A port after an address, as proxies write it: "198.51.100.7:50123", "[2001:db8::7]:443".
_PORT = re.compile(r"[0-9]{1,5}")
_BRACKETED = re.compile(r"\[([^\[\]]+)\](?::([^:]*))?")
_MAPPED_IPV4 = ipaddress.IPv6Network("::ffff:0:0/96")


def parse_address(text: str) -> IPAddress | None:
    """Return the address in `text` without port or zone, IPv4-mapped as IPv4; None if not one.

    Takes what REMOTE_ADDR and one hop of X-Forwarded-For hold: a bare address,
    IPv4 with a port, IPv6 in brackets with or without a port, IPv6 with a
    zone. Anything else ("unknown", an obfuscated name, a port on a bare IPv6
    address, a bad port) is not an address.
    """
    text = text.strip()
    port = None
    if bracketed := _BRACKETED.fullmatch(text):
        text, port = bracketed[1], bracketed[2]
        if ":" not in text:  # only IPv6 goes in brackets
            return None
    elif text.count(":") == 1:
        text, port = text.split(":")
    if port is not None and not (_PORT.fullmatch(port) and int(port) <= 65535):
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        # A zone names an interface of the machine that saw the address; it
        # means nothing anywhere else, and neither database can store it.
        address = ipaddress.IPv6Address(int(address))
        # A server listening on [::] sees an IPv4 client as ::ffff:a.b.c.d: the
        # same client as a.b.c.d, for lockouts, the footage limit and the trail.
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
    return address


def parse_network(text: str) -> IPNetwork:
    """Return an address range written in settings, a range of IPv4-mapped addresses as IPv4.

    ValueError if it is not one.
    """
    network = ipaddress.ip_network(text.strip(), strict=False)
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_MAPPED_IPV4):
        mapped = network.network_address.ipv4_mapped
        assert mapped is not None
        return ipaddress.IPv4Network((mapped, network.prefixlen - 96))
    return network


def client_address(request: HttpRequest) -> IPAddress | None:
    """Return the client address: the connection's, or X-Forwarded-For's behind trusted proxies.

    With N trusted proxies in front (TRUSTED_PROXY_COUNT), the client is the
    Nth address from the right of X-Forwarded-For: each proxy appends the
    address it received the request from, so anything further left was written
    by the client and may be forged. With no trusted proxy the header is ignored.
    """
    address = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    return parse_address(address)


def client_ip(request: HttpRequest) -> str | None:
    """Return the client address as text (what the audit trail and axes store), or None."""
    address = client_address(request)
    return str(address) if address is not None else None
