"""The request as the endpoints see it and the answer they give back, kept
apart from http.server so each endpoint is a plain function."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    # Set when the body was bigger than the simulator keeps; it was read and thrown away.
    body_too_large: bool
    # Where the caller reached the simulator, for the absolute links it hands out.
    base_url: str
    params: dict[str, str] = field(default_factory=dict)
    # Whose request this was, for the request log; set once it is known.
    account: str = "-"


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    # Close the connection without writing anything back.
    drop: bool = False


def json_response(status: int, payload: object, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, json.dumps(payload).encode(), [("Content-Type", "application/json"), *(headers or [])])


def vendor_error(status: int, code: str, message: str) -> Response:
    """An error as the spec's tables give it: the code as a string beside its message."""
    return json_response(status, {"code": code, "message": message})


def message(status: int, text: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response(status, {"message": text}, headers)


DROP = Response(0, drop=True)
