"""The API's documents: what requests carry and answers say. The OpenAPI
document is generated from these; `import_document` is also the body of
every webhook about an import."""

from datetime import datetime
from typing import Literal

from django.urls import reverse
from ninja import Schema
from pydantic import Field

from imports import selectors
from imports.models import Import
from imports.states import ImportState, PartState

ImportStateName = Literal[tuple(state.value for state in ImportState)]  # type: ignore[valid-type]
PartStateName = Literal[tuple(state.value for state in PartState)]  # type: ignore[valid-type]


class SummaryOut(Schema):
    rows: int = Field(description="Schedule rows in the file, header excluded.")
    agents: int
    first_start: datetime | None = Field(description="The earliest event start.")
    last_end: datetime | None = Field(description="The latest event end.")
    events_by_type: dict[str, int]


class PartOut(Schema):
    number: int
    state: PartStateName
    state_label: str = Field(description="The state in the words the portal's pages use.")
    rows: int
    remote_id: str | None = Field(description="The WFM's id for the part (Talkdesk's import id) once it accepted it.")
    remote_status: str | None = Field(description="The WFM's own word for the part's status, such as IMPORTED.")
    message: str
    sent_at: datetime | None
    finished_at: datetime | None
    error_report: str | None = Field(description="The kept copy of Talkdesk's error report for this part.")


class LinksOut(Schema):
    self: str
    page: str = Field(description="The import's page in the portal, for people.")
    findings: str
    failed_rows: str
    error_report: str | None
    confirm: str | None
    cancel: str | None


class ImportOut(Schema):
    id: str
    state: ImportStateName
    state_label: str = Field(description="The state in the words the portal's pages use.")
    final: bool = Field(description="True once the import will not change again.")
    message: str = Field(description="Why the import is where it is, in plain words, when there is more to say.")
    file_name: str
    team: str
    uploaded_by: str
    time_zone: str
    date_format: str | None
    created_at: datetime
    confirmed_at: datetime | None
    finished_at: datetime | None
    queue_position: int | None = Field(
        description="While queued: how many confirmed imports of the same Talkdesk account go first."
    )
    summary: SummaryOut
    errors: int = Field(description="Problems that stop the file from being sent.")
    warnings: int = Field(description="Problems that need an acknowledgement before sending.")
    warnings_acknowledged: bool
    can_confirm: bool
    confirmation_refused: str | None = Field(
        default=None,
        description="An upload with confirm=true that was checked and stayed a preview: why it was not sent "
        "(errors, or warnings not acknowledged). None while it is still `checking`, and when it was confirmed.",
    )
    parts: list[PartOut]
    links: LinksOut


class ImportListOut(Schema):
    items: list[ImportOut]
    next: str | None = Field(description="The next page's address; absent on the last page.")


class FindingOut(Schema):
    severity: Literal["error", "warning", "fix"]
    row: int | None = Field(description="The spreadsheet row (the header is row 1); none for the whole file.")
    column: str | None
    code: str
    message: str


class FindingsOut(Schema):
    count: int
    items: list[FindingOut]
    next: str | None


class FailedRowOut(Schema):
    part: int
    row: int | None = Field(description="The row of the uploaded file, when it could be matched.")
    cells: dict[str, str]
    reason: str


class FailedRowsOut(Schema):
    count: int
    items: list[FailedRowOut]
    next: str | None


class CheckOut(Schema):
    readable: bool
    counts: dict[str, dict[str, int]] = Field(
        description="{severity: {code: how many}}: every finding counted, where the lists hold the first of each kind."
    )
    rows: int
    date_format: str | None
    parts: int = Field(description="How many files of under 5 MB the file would be sent as.")
    summary: SummaryOut
    errors: list[FindingOut]
    warnings: list[FindingOut]
    fixes: list[FindingOut]
    skipped_checks: list[str]


class ProblemOut(Schema):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str | None = None
    errors: list[dict] | None = None


def _path(name: str, job: Import, **kwargs) -> str:
    return reverse(f"api-v1:{name}", kwargs={"import_id": str(job.pk), **kwargs})


def import_document(job: Import) -> dict:
    """The import as the API and the webhooks show it, as JSON-ready data."""
    state = ImportState(job.state)
    parts = list(selectors.import_parts(job))
    has_report = any(part.error_report for part in parts)
    document = ImportOut(
        id=str(job.pk),
        state=state.value,
        state_label=state.label,
        final=state.is_final,
        message=job.message,
        file_name=job.file_name,
        team=job.team.name,
        uploaded_by=job.uploaded_by.get_username(),
        time_zone=job.time_zone,
        date_format=job.date_format or None,
        created_at=job.created_at,
        confirmed_at=job.confirmed_at,
        finished_at=job.finished_at,
        queue_position=selectors.imports_ahead(job) if state == ImportState.QUEUED else None,
        summary=SummaryOut(
            rows=job.rows,
            agents=job.agents,
            first_start=job.first_start,
            last_end=job.last_end,
            events_by_type=job.events_by_type or {},
        ),
        errors=job.error_count,
        warnings=job.warning_count,
        warnings_acknowledged=job.warnings_acknowledged,
        can_confirm=job.can_confirm,
        confirmation_refused=job.confirmation_refused or None,
        parts=[
            PartOut(
                number=part.number,
                state=part.state,
                state_label=PartState(part.state).label,
                rows=part.rows,
                remote_id=part.remote_id or None,
                remote_status=part.remote_status or None,
                message=part.message,
                sent_at=part.sent_at,
                finished_at=part.finished_at,
                error_report=_path("error_report", job) + f"?part={part.number}" if part.error_report else None,
            )
            for part in parts
        ],
        links=LinksOut(
            self=_path("import_detail", job),
            page=reverse("imports:detail", kwargs={"pk": job.pk}),
            findings=_path("import_findings", job),
            failed_rows=_path("import_failed_rows", job),
            error_report=_path("error_report", job) if has_report else None,
            confirm=_path("import_confirm", job) if state == ImportState.PREVIEW else None,
            cancel=_path("import_cancel", job) if state in (ImportState.PREVIEW, ImportState.QUEUED) else None,
        ),
    )
    return document.model_dump(mode="json")
