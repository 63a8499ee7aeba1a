"""Access tokens and pre-signed report links, both HMAC-signed with keys
drawn at every start, so nothing issued by an earlier run is ever accepted."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class AccessToken:
    account: str
    client_id: str
    scopes: frozenset[str]
    expires_at: int


class InvalidToken(Exception):
    pass


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def expiry(now: float, ttl_seconds: float) -> int:
    """Whole seconds, rounded up, so a token or link lives at least its TTL."""
    return math.ceil(now + ttl_seconds)


class TokenSigner:
    """JWT-shaped (`header.payload.signature`, HS256) access tokens."""

    _HEADER = _b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())

    def __init__(self):
        self._key = secrets.token_bytes(32)

    def issue(self, *, account: str, client_id: str, scopes: frozenset[str], now: float, ttl_seconds: float) -> str:
        claims = {
            "account": account,
            "client_id": client_id,
            "scope": " ".join(sorted(scopes)),
            "iat": int(now),
            "exp": expiry(now, ttl_seconds),
            # Two tokens issued in the same second must still differ.
            "jti": str(uuid.uuid4()),
        }
        signing_input = f"{self._HEADER}.{_b64encode(json.dumps(claims, separators=(',', ':')).encode())}"
        return f"{signing_input}.{self._sign(signing_input)}"

    def verify(self, token: str, *, now: float) -> AccessToken:
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidToken("not three dot-separated parts")
        header, payload, signature = parts
        # compare_digest refuses non-ASCII text instead of answering False.
        if not token.isascii() or not hmac.compare_digest(signature, self._sign(f"{header}.{payload}")):
            raise InvalidToken("bad signature")
        try:
            claims = json.loads(_b64decode(payload))
            access = AccessToken(
                account=str(claims["account"]),
                client_id=str(claims["client_id"]),
                scopes=frozenset(str(claims["scope"]).split()),
                expires_at=int(claims["exp"]),
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            raise InvalidToken(f"unreadable claims: {error}") from None
        if now >= access.expires_at:
            raise InvalidToken("expired")
        return access

    def _sign(self, signing_input: str) -> str:
        return _b64encode(hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest())


class LinkSigner:
    """Signatures for the error report links, like an S3 pre-signed URL."""

    def __init__(self):
        self._key = secrets.token_bytes(32)

    def sign(self, import_id: str, expires: int) -> str:
        return hmac.new(self._key, f"{import_id}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def is_valid(self, import_id: str, expires: str, signature: str) -> bool:
        if not (expires.isascii() and expires.isdigit() and signature.isascii()):
            return False
        return hmac.compare_digest(signature, self.sign(import_id, int(expires)))
