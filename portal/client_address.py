"""The address a request came from, as the portal's reverse proxy reports it.

The proxy (Caddy in docker-compose.yml) sets X-Forwarded-For to the address it
saw. The header is believed only when the request comes from an address in
FORWARDED_ALLOW_IPS, the same list gunicorn trusts for X-Forwarded-Proto, so
that a client reaching gunicorn directly cannot pick the address its failed
sign-ins are counted and audited under.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _trusted_networks(allowed: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] | None:
    if "*" in allowed:
        return None
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in allowed)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _from_proxy(remote: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    networks = _trusted_networks(tuple(settings.FORWARDED_ALLOW_IPS))
    return networks is None or any(remote in network for network in networks)


def client_address(request) -> str | None:
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if remote is not None and forwarded and _from_proxy(remote):
        # The proxy adds the address it saw at the end; whatever comes before
        # it was written by the client and proves nothing.
        proxied = _address(forwarded.split(",")[-1])
        if proxied is not None:
            return str(proxied)
    return str(remote) if remote is not None else None
