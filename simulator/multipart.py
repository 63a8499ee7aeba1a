"""A multipart/form-data reader. The parts are split by hand so a file's bytes
come back exactly as sent; each part's headers go through the email package,
which knows the quoting and RFC 2231 rules of Content-Disposition."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import HTTP


class MalformedMultipart(ValueError):
    pass


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content: bytes


def boundary_of(content_type: str | None) -> str | None:
    """The boundary of a multipart/form-data Content-Type, or None for any other type."""
    if not content_type:
        return None
    header = Message()
    header["Content-Type"] = content_type
    if header.get_content_type() != "multipart/form-data":
        return None
    return header.get_param("boundary") or None


def parse(body: bytes, boundary: str) -> dict[str, Part]:
    """The parts by field name; when a name repeats, the first part wins."""
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    # The first delimiter may open the body without a CRLF before it.
    pieces = (b"\r\n" + body).split(delimiter)
    parts: dict[str, Part] = {}
    for piece in pieces[1:]:
        if piece.startswith(b"--"):
            return parts
        line_end = piece.find(b"\r\n")
        # Only transport padding (spaces and tabs) may follow a delimiter on its line.
        if line_end < 0 or piece[:line_end].strip(b" \t"):
            raise MalformedMultipart("a boundary line is followed by text")
        part = _part(piece[line_end + 2 :])
        parts.setdefault(part.name, part)
    raise MalformedMultipart("the closing boundary is missing")


def _part(raw: bytes) -> Part:
    if raw.startswith(b"\r\n"):
        raise MalformedMultipart("a part has no headers")
    head, separator, content = raw.partition(b"\r\n\r\n")
    if not separator:
        raise MalformedMultipart("a part's headers do not end")
    headers = BytesHeaderParser(policy=HTTP).parsebytes(head + b"\r\n\r\n")
    disposition = headers.get("Content-Disposition")
    if disposition is None or disposition.content_disposition != "form-data":
        raise MalformedMultipart("a part is not form-data")
    name = disposition.params.get("name")
    if not name:
        raise MalformedMultipart("a part has no name")
    return Part(name=name, filename=disposition.params.get("filename"), content=content)
