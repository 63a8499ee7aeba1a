"""What every WFM client needs of HTTP, the same for each vendor: a bearer
token that never shows in a repr or a log, no Authorization at all for a
pre-signed link, Retry-After read either way the RFC allows, and telling a
request that never left this machine from one that may have arrived.

Plain module: requests and the standard library, no Django.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
import urllib3.exceptions
from requests import PreparedRequest
from requests.auth import AuthBase


class Bearer(AuthBase):
    # As an auth object rather than a header, so requests never replaces it
    # with credentials from a ~/.netrc.
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "Bearer(<hidden>)"


class NoAuthorization(AuthBase):
    # A pre-signed link (Talkdesk's S3 report, Genesys's upload URL) refuses
    # any Authorization header; passing this also stops requests from adding
    # one from a ~/.netrc.
    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers.pop("Authorization", None)
        return request


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait, from a Retry-After given as seconds or as an HTTP date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def never_sent(error: requests.RequestException) -> bool:
    """True when the failure happened before a single byte of the request
    could reach the WFM: refused, unresolvable or timed-out connections and
    failed TLS handshakes."""
    if isinstance(error, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    # NewConnectionError covers refused connections and, as its subclass, DNS failures.
    return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))
