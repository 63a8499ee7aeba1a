"""What Talkdesk takes as a connection's account name and base URL, checked
where an admin enters them: a name or address the client cannot use must be
refused on the form, not found out by the worker sending a schedule."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# A Talkdesk account name is the first label of its address
# (acme.mytalkdesk.com): a DNS label, so letters, digits and inner hyphens.
ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
ACCOUNT_NAME_MAX_CHARS = 63


def account_name_problem(account: str) -> str | None:
    """Why `account` cannot be a Talkdesk account name, or None if it can."""
    if not account:
        return (
            "An empty name is not a Talkdesk account name: enter the name in your Talkdesk address, "
            "such as acme for acme.mytalkdesk.com."
        )
    if ACCOUNT_NAME.match(account):
        return None
    if len(account) > ACCOUNT_NAME_MAX_CHARS:
        reason = f"it is {len(account)} characters long, and Talkdesk allows at most {ACCOUNT_NAME_MAX_CHARS}"
    elif account[0] == "-" or account[-1] == "-":
        reason = "it starts or ends with a hyphen"
    else:
        odd = sorted({ch for ch in account if not (ch.isascii() and (ch.isalnum() or ch == "-"))})
        shown = ", ".join("a space" if ch == " " else repr(ch) for ch in odd)
        reason = f"it holds {shown}, and Talkdesk allows only letters, digits and hyphens"
    return (
        f"{account!r} is not a Talkdesk account name: {reason}. Use the name in your Talkdesk address, "
        "such as acme for acme.mytalkdesk.com."
    )


def base_url_problem(base_url: str, *, plain_http_hosts: frozenset[str] = frozenset()) -> str | None:
    """Why `base_url` cannot be the address of a Talkdesk API (a stand-in
    such as the simulator), or None if it can. Plain http only for the hosts
    named, since the client secret and tokens travel over it."""
    try:
        parts = urlsplit(base_url.strip())
        port = parts.port
    except ValueError:
        return f"{base_url!r} is not a web address: check the host and the port."
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return f"{base_url!r} is not a base URL: it must start with https:// and name a host."
    if parts.username is not None or parts.password is not None:
        return "Do not put a user name or password in the base URL: the portal signs in with the OAuth client."
    if parts.query or parts.fragment:
        return f"{base_url!r} has a query or fragment (after ? or #); the base URL is the address alone."
    if parts.scheme == "http" and host not in plain_http_hosts:
        allowed = f" (allowed only for {', '.join(sorted(plain_http_hosts))})" if plain_http_hosts else ""
        return (
            f"{base_url!r} uses plain http{allowed}: the client secret and tokens would travel unencrypted. "
            "Use an https:// address."
        )
    if port == 0:
        return f"{base_url!r} names port 0, which no server listens on."
    return None
