"""What every WFM client offers the portal, in words that belong to no vendor:
where a sent schedule stands (RemoteStatus) and what went wrong (four errors
that say what the caller may do next). Each vendor's package speaks its own
API and answers in these terms; the delivery code asks nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol


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

    def __init__(self, message: str, *, after: float | None = None, busy: bool = False, **details: Any) -> None:
        super().__init__(message, **details)
        self.after = after
        # The WFM is busy with another import (perhaps another tool's), which
        # ends: the part waits for it however many tries that takes.
        self.busy = busy


class Refused(WfmError):
    """The WFM answered and took nothing, and asking again the same way will
    not change its mind: credentials, permissions, an invalid schedule."""


class MaybeSent(WfmError):
    """The schedule was sent and no answer came: the WFM may have it.
    Sending it again blindly could import it twice."""


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything a vendor's client needs to reach its WFM, read from a
    connection by the portal: the registry builds the client from it."""

    kind: str
    client_id: str
    client_secret: str
    region: str
    base_url: str | None = None
    account: str = ""
    business_unit_id: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    # Talkdesk's scope names, which settings may rename.
    scopes: tuple[str, str, str] = ("wfm-public:write", "wfm-public:read", "users:read")


@dataclass(frozen=True)
class Directory:
    """What the portal last learned of the WFM, to turn a checked file into
    what the WFM takes: agents' remote ids by lower-cased e-mail, event
    types by name with their remote ids, and the week the WFM plans in."""

    agent_ids: dict[str, str]
    event_types: dict[str, dict[str, Any]]
    week_starts_on: str = ""
    time_zone: str = ""


@dataclass(frozen=True)
class Catalogue:
    """Reference data a WFM lists and the portal keeps: its event types
    (name -> {"id", "category", ...}) and the planning unit's week."""

    event_types: dict[str, dict[str, Any]]
    unit_name: str = ""
    week_starts_on: str = ""
    time_zone: str = ""


@dataclass(frozen=True)
class PartContent:
    """One import's worth of a file, as the WFM takes it."""

    content: bytes
    rows: int
    week_start: date | None = None
    label: str = ""


@dataclass(frozen=True)
class Outgoing:
    """A part as it is sent: its content and what the WFM is told of it."""

    content: bytes
    file_name: str
    time_zone: str
    date_format: str | None
    week_start: date | None = None
    label: str = ""


@dataclass(frozen=True)
class Answer:
    status: RemoteStatus
    # A link to the WFM's report of the rows it rejected, when it has one.
    report_url: str | None = None
    # The WFM's own words about a failure, for the part's page.
    message: str = ""


class Wfm(Protocol):
    """A connection's WFM, as delivery, services and the connection pages use it."""

    name: str

    def sign_in(self) -> None: ...

    def upload(self, outgoing: Outgoing) -> str:
        """Sends one part; returns the WFM's id for its import."""
        ...

    def status(self, remote_id: str, outgoing: Outgoing) -> Answer: ...

    def download_report(self, url: str) -> bytes: ...

    def active_agents(self) -> list[Agent]: ...

    def catalogue(self) -> Catalogue | None:
        """The WFM's event types and planning week, or None when it lists none."""
        ...

    def diagnose(self) -> Diagnosis: ...

    def warnings(self, parts: list[PartContent]) -> list[str]:
        """What is worth saying before the parts are sent (a week that already
        holds a schedule); asks the WFM, and says nothing when it cannot."""
        ...
