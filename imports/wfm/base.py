"""What every WFM client offers the portal, in words that belong to no vendor:
where a sent schedule stands (RemoteStatus) and what went wrong (four errors
that say what the caller may do next). Each vendor's package speaks its own
API and answers in these terms; the delivery code asks nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class RemoteStatus(StrEnum):
    PROCESSING = "processing"
    IMPORTED = "imported"
    IMPORTED_WITH_ERRORS = "imported_with_errors"
    FAILED = "failed"
    # An answer the portal cannot read: shown as such, never guessed.
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        return self is not RemoteStatus.PROCESSING


@dataclass(frozen=True)
class Agent:
    id: str
    email: str
    name: str
    active: bool


@dataclass(frozen=True)
class Problem:
    """One thing the connection's credentials may not do, said plainly."""

    permission: str
    needed_for: str
    optional: bool
    message: str


@dataclass(frozen=True)
class Diagnosis:
    granted: frozenset[str]
    missing: tuple[Problem, ...]
    # Things worth knowing that are not missing permissions.
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not any(not problem.optional for problem in self.missing)


class WfmError(Exception):
    """A failure to talk to a WFM; `.message` says what to do about it and
    `.details` keeps everything the WFM answered, for the import's page."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code
        self.details = details or {}


class NothingSent(WfmError):
    """The request provably never reached the WFM (no connection); sending
    again is safe."""


class Retryable(WfmError):
    """The WFM answered and took nothing, and asks to be asked again: rate
    limits, a busy business unit or account, a failure on its side."""

    def __init__(self, message: str, *, after: float | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.after = after


class Refused(WfmError):
    """The WFM answered and took nothing, and asking again the same way will
    not change its mind: credentials, permissions, an invalid schedule."""


class MaybeSent(WfmError):
    """The schedule was sent and no answer came: the WFM may have it.
    Sending it again blindly could import it twice."""
