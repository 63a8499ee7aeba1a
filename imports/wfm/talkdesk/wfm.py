"""Talkdesk behind the portal's WFM seam: the client's answers and errors in
the neutral terms of imports.wfm.base, and a checked file cut into parts
under Talkdesk's 5 MB limit."""

from __future__ import annotations

from typing import Any

from imports.schedule.check import ScheduleCheck
from imports.wfm.base import (
    Agent,
    Answer,
    Catalogue,
    ConnectionSettings,
    Diagnosis,
    Directory,
    MaybeSent,
    NothingSent,
    Outgoing,
    PartContent,
    Problem,
    Refused,
    RemoteStatus,
    Retryable,
    WfmError,
)
from imports.wfm.talkdesk.client import (
    ImportAlreadyInProgress,
    Scopes,
    TalkdeskClient,
    TalkdeskError,
    TalkdeskUnreachable,
    UploadOutcomeUnknown,
)

STATUSES = {
    "PROCESSING": RemoteStatus.PROCESSING,
    "IMPORTED": RemoteStatus.IMPORTED,
    "IMPORTED_WITH_ERRORS": RemoteStatus.IMPORTED_WITH_ERRORS,
    "ERROR": RemoteStatus.FAILED,
}
FAILED = (
    "Talkdesk could not import this file. Check the file and try again, or contact Talkdesk support with the import id."
)


def neutral(error: TalkdeskError) -> WfmError:
    """The Talkdesk error as one of the four the portal acts on."""
    details: dict[str, Any] = {
        "http_status": error.http_status,
        "code": error.code,
        "details": {"message": error.vendor_message} if error.vendor_message else {},
    }
    if error.answer:
        # What Talkdesk answered, in words an admin can compare with Talkdesk WFM.
        details["details"]["answer"] = error.answer
    if isinstance(error, UploadOutcomeUnknown) or (error.http_status is not None and error.http_status < 400):
        # Only an answer of 400 or more, or no connection at all, proves that
        # Talkdesk took nothing; a lost answer or an odd success may hide an import.
        return MaybeSent(error.message, **details)
    if isinstance(error, TalkdeskUnreachable):
        return NothingSent(error.message, **details)
    if error.retryable:
        return Retryable(
            error.message,
            after=error.retry_after,
            busy=isinstance(error, ImportAlreadyInProgress),
            **details,
        )
    return Refused(error.message, **details)


class TalkdeskWfm:
    name = "Talkdesk"

    def __init__(self, settings: ConnectionSettings) -> None:
        custom = settings.region == "custom"
        write, read, users = settings.scopes
        self.client = TalkdeskClient(
            account=settings.account,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            region="us" if custom else settings.region,
            base_url=settings.base_url if custom else None,
            scopes=Scopes(write=write, read=read, users=users),
            timeout=(settings.connect_timeout, settings.read_timeout),
        )

    def sign_in(self) -> None:
        try:
            self.client.sign_in()
        except TalkdeskError as error:
            raise neutral(error) from error

    def upload(self, outgoing: Outgoing) -> str:
        try:
            return self.client.upload(
                content=outgoing.content,
                file_name=outgoing.file_name,
                time_zone=outgoing.time_zone,
                date_format=outgoing.date_format,
            )
        except TalkdeskError as error:
            raise neutral(error) from error

    def status(self, remote_id: str, outgoing: Outgoing) -> Answer:
        try:
            answer = self.client.status(remote_id)
        except TalkdeskError as error:
            raise neutral(error) from error
        status = STATUSES[answer.status]
        return Answer(
            status=status,
            report_url=answer.error_report_url,
            message=FAILED if status is RemoteStatus.FAILED else "",
        )

    def download_report(self, url: str) -> bytes:
        try:
            return self.client.download_report(url)
        except TalkdeskError as error:
            raise neutral(error) from error

    def active_agents(self) -> list[Agent]:
        try:
            return [Agent(id=a.id, email=a.email, name=a.name, active=a.active) for a in self.client.active_agents()]
        except TalkdeskError as error:
            raise neutral(error) from error

    def catalogue(self) -> Catalogue | None:
        # Talkdesk has no API that lists WFM event types.
        return None

    def diagnose(self) -> Diagnosis:
        try:
            found = self.client.diagnose()
        except TalkdeskError as error:
            raise neutral(error) from error
        return Diagnosis(
            granted=found.granted,
            missing=tuple(
                Problem(permission=p.scope, needed_for=p.needed_for, optional=p.optional, message=p.message)
                for p in found.missing
            ),
        )

    def warnings(self, parts: list[PartContent]) -> list[str]:
        return []


def cut(check: ScheduleCheck, directory: Directory, *, description: str, published: bool) -> list[PartContent]:
    """The file as the check wrote it, in slices under 5 MB at row boundaries."""
    return [PartContent(content=content, rows=max(content.count(b"\n") - 1, 0)) for content in check.parts]
