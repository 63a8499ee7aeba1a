"""Standard Webhooks signatures (https://www.standardwebhooks.com/): the
secret is `whsec_` and base64 bytes; each message is signed as
`{webhook-id}.{webhook-timestamp}.{body}` with HMAC-SHA256, and the
`webhook-signature` header carries `v1,` and the base64 digest.

Plain module: no Django, so receivers and the examples can use it as it is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

PREFIX = "whsec_"
SECRET_BYTES = 24
# How far a timestamp may be from the receiver's clock, as the spec advises.
TOLERANCE_SECONDS = 5 * 60


class InvalidSignature(Exception):
    pass


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, *, message_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id=message_id, timestamp=timestamp, body=body),
    }


def verify(secret: str, *, headers: dict[str, str], body: bytes, now: float | None = None) -> None:
    """Raises InvalidSignature unless one of the header's signatures is the
    message's and its timestamp is recent."""
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        message_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        offered = lowered["webhook-signature"].split()
    except (KeyError, ValueError):
        raise InvalidSignature("The webhook-id, webhook-timestamp or webhook-signature header is missing.") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise InvalidSignature("The webhook-timestamp is too far from now.")
    expected = sign(secret, message_id=message_id, timestamp=timestamp, body=body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise InvalidSignature("No signature matches.")
