"""Refuses to send a webhook to an address inside the portal's own network
(SSRF): loopback, link-local (cloud metadata at 169.254.169.254), private,
shared, reserved and multicast addresses, checked on the addresses the name
resolves to at send time, and the connection then made to the address checked,
so a name that resolves elsewhere a moment later (DNS rebinding) gains nothing.

Plain module: the hosts allowed anyway are passed in.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


class AddressRefused(Exception):
    pass


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str
    path: str


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(url: str, *, allowed_hosts: frozenset[str] = frozenset()) -> Target:
    """The address to connect to for the URL, or AddressRefused saying why."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused(f"Only http and https URLs are delivered to, not {parts.scheme or 'none'}.")
    host = (parts.hostname or "").lower()
    if not host:
        raise AddressRefused("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("The URL's port is not a number from 1 to 65535.") from None
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"{host} could not be resolved: {error}.") from None
    addresses = [info[4][0] for info in found]
    if host not in allowed_hosts:
        refused = sorted({address for address in addresses if not _is_public(address)})
        if refused:
            raise AddressRefused(
                f"{host} resolves to {', '.join(refused)}, an address inside a private network; "
                "webhooks are only sent to public addresses."
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, address=addresses[0], path=path)
