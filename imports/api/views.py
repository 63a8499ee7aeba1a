"""The API under /api/v1/: thin operations over the same services and
selectors as the pages, so that the two can never disagree.

Each operation names its scope; errors are problems (imports.api.problems);
every POST honours an Idempotency-Key (imports.api.idempotency).
"""

import base64
import binascii
import csv
import io
import itertools
import uuid
from datetime import date, datetime

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import urlencode
from ninja import File, Form, NinjaAPI, Query, Schema
from ninja.files import UploadedFile
from ninja.openapi.docs import Swagger
from pydantic import Field

from imports import audit, selectors, services
from imports.api import problems
from imports.api.auth import ApiKeyAuth, require_scope
from imports.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from imports.api.idempotency import idempotent, link_import
from imports.api.models import SCOPE_READ, SCOPE_WRITE
from imports.api.problems import Problem
from imports.api.schemas import (
    CheckOut,
    FailedRowsOut,
    FindingsOut,
    ImportListOut,
    ImportOut,
    ImportStateName,
    ProblemOut,
    import_document,
)
from imports.csv_download import csv_attachment
from imports.models import DATE_FORMAT_CHOICES, AuditEvent, Import
from imports.schedule.check import check_schedule
from imports.schedule.header import HEADER
from imports.schedule.local_times import zone_names
from imports.states import ImportState
from portal.client_address import client_address

DESCRIPTION = """
The portal's API for jobs that load schedules without a person: the same
checks, queue, retries, error reports, history and audit log as the pages.

Authenticate with `Authorization: Bearer <key>`; an admin makes keys under
**API keys** or with `python manage.py create_api_key`. Every POST takes an
`Idempotency-Key` header: the same key with the same request answers as the
first time, and nothing is done twice. Errors are `application/problem+json`.
"""


class PortalApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        """ninja's document, with every error answer a problem+json."""
        document = super().get_openapi_schema(**kwargs)
        for item in document["paths"].values():
            for operation in item.values():
                for status, answer in operation.get("responses", {}).items():
                    if int(status) >= 400 and "application/json" in answer.get("content", {}):
                        answer["content"] = {problems.MEDIA_TYPE: answer["content"].pop("application/json")}
        return document


api = PortalApi(
    title="Schedule import portal API",
    version="1",
    description=DESCRIPTION.strip(),
    urls_namespace="api-v1",
    auth=ApiKeyAuth(),
    docs=Swagger(settings={"persistAuthorization": False}),
)
problems.install(api)

PROBLEMS = {code: ProblemOut for code in (401, 403, 404, 422, 429)}
WRITE_PROBLEMS = {**PROBLEMS, 400: ProblemOut, 409: ProblemOut}
DATE_FORMATS = [value for value, _ in DATE_FORMAT_CHOICES]
PAGE_MAX = 500
IDEMPOTENCY_DOC = {
    "parameters": [
        {
            "name": IDEMPOTENCY_HEADER,
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": "Any unique string (a UUID): the same key with the same request replays the first "
            "answer; with a different request, 422; while the first is being handled, 409. Kept for "
            f"{settings.API_IDEMPOTENCY_HOURS} hours.",
        }
    ]
}


LOCATION_DOC = {"description": "The import's address in this API.", "schema": {"type": "string", "format": "uri"}}


def _get_import_for_key(request, import_id) -> Import:
    """An import of the key's team; another team's is not there (404)."""
    imports = selectors.imports_for(request.user).filter(team=request.auth.team)
    return get_object_or_404(imports.select_related("team", "connection", "uploaded_by"), pk=import_id)


def _json(document: dict, *, status: int = 200, location: str | None = None) -> JsonResponse:
    answer = JsonResponse(document, status=status)
    if location:
        answer["Location"] = location
    return answer


def _time_zone(value: str | None, job_default: str) -> str:
    value = (value or "").strip() or job_default
    # Read once per process: walking the zone database took a third of a
    # 1 MB upload's time in its request.
    if value not in zone_names():
        raise Problem(
            422,
            f"{value!r} is not an IANA time zone, such as America/New_York, Europe/Lisbon or UTC.",
            code="invalid_request",
            errors=[{"field": "time_zone", "in": "form", "message": "not an IANA time zone"}],
        )
    return value


def _date_format(value: str | None) -> str | None:
    value = (value or "").strip()
    if value and value not in DATE_FORMATS:
        raise Problem(
            422,
            f"{value!r} is not a date format Talkdesk takes; one of: {', '.join(DATE_FORMATS)}. "
            "Leave it out to detect it from the file.",
            code="invalid_request",
            errors=[{"field": "date_format", "in": "form", "message": "not a supported date format"}],
        )
    return value or None


def _read_upload(file: UploadedFile) -> bytes:
    data = file.read()
    if not data:
        raise Problem(
            422,
            "The file is empty.",
            code="invalid_request",
            errors=[{"field": "file", "in": "form", "message": "empty"}],
        )
    return data


class UploadForm(Schema):
    time_zone: str | None = Field(
        default=None, description="IANA time zone of the file's times; default: the team's connection's."
    )
    date_format: str | None = Field(default=None, description="Java date format; default: detected from the file.")
    confirm: bool = Field(
        default=False,
        description="true: send the file once it passes the checks (joins its account's queue); "
        "false: check only and keep it as a preview.",
    )
    acknowledge_warnings: bool = Field(default=False, description="Needed with confirm=true when there are warnings.")


@api.post(
    "/imports",
    response={201: ImportOut, 202: ImportOut, 413: ProblemOut, **WRITE_PROBLEMS},
    url_name="import_create",
    summary="Upload a schedule file",
    tags=["imports"],
    openapi_extra={
        **IDEMPOTENCY_DOC,
        "responses": {
            201: {
                "description": "Checked in the request (a small file): the import as it now stands.",
                "headers": {"Location": LOCATION_DOC},
            },
            202: {
                "description": "Kept, and being checked by a worker (state `checking`): follow `Location` until the "
                "state is no longer `checking`. With confirm=true it then joins its account's queue by itself, or "
                "stays a `preview` whose `confirmation_refused` says why (and an `import.checked` webhook tells).",
                "headers": {"Location": LOCATION_DOC},
            },
        },
    },
)
@require_scope(SCOPE_WRITE)
@idempotent(atomic=False)
def import_create(request, file: File[UploadedFile], form: Form[UploadForm]):
    """Keeps the file and answers at once: a file over
    API_CHECK_IN_REQUEST_MAX_BYTES is checked by a worker (202, state
    `checking`), a smaller one here (201). With confirm=true and no errors
    (and warnings acknowledged, if any) the import joins its Talkdesk
    account's queue exactly as a confirmation in the browser, once checked;
    otherwise it stays a preview and `confirmation_refused` says why."""
    team = request.auth.team
    held = request.idempotent_request
    job = held.import_job if held is not None and held.import_job_id else None
    if job is None:
        time_zone = _time_zone(form.time_zone, team.connection.default_time_zone)
        date_format = _date_format(form.date_format)
        job = services.import_create(
            team=team,
            uploaded_by=request.user,
            file_name=file.name or "schedule.csv",
            data=_read_upload(file),
            time_zone=time_zone,
            date_format=date_format,
            client_address=client_address(request),
            recorded_with=(lambda made: link_import(held, made)) if held is not None else None,
            check_here_up_to=settings.API_CHECK_IN_REQUEST_MAX_BYTES,
            confirm_when_checked=services.ConfirmWhenChecked(
                warnings_acknowledged=form.acknowledge_warnings, client_address=client_address(request)
            )
            if form.confirm
            else None,
        )
    if form.confirm and job.state == ImportState.PREVIEW and not job.confirmation_refused:
        # Checked in this request: confirmed here, as the worker would.
        try:
            services.import_confirm(
                job=job,
                actor=request.user,
                warnings_acknowledged=form.acknowledge_warnings,
                client_address=client_address(request),
            )
        except services.ActionRefused as refusal:
            services.import_confirmation_refused(job=job, reason=str(refusal))
    if job.state != ImportState.CHECKING:
        # Checked, and perhaps confirmed, here: read back as it now stands. An
        # import handed to the worker was read back by the move that handed it.
        job.refresh_from_db()
    return _json(
        import_document(job),
        status=202 if job.state == ImportState.CHECKING else 201,
        location=request.build_absolute_uri(reverse("api-v1:import_detail", kwargs={"import_id": job.pk})),
    )


class HistoryQuery(Schema):
    state: ImportStateName | None = None
    since: date | None = Field(default=None, description="Uploaded on or after this day (the portal's time zone).")
    until: date | None = Field(default=None, description="Uploaded on or before this day.")
    uploader: str | None = Field(default=None, description="The user name of who uploaded (an API key's user too).")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, description="From a previous page's `next`.")


def _cursor(job: Import) -> str:
    return base64.urlsafe_b64encode(f"{job.created_at.isoformat()}|{job.pk}".encode()).decode()


def _after_cursor(imports, cursor: str):
    try:
        created, _, pk = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        created_at, pk = datetime.fromisoformat(created), uuid.UUID(pk)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Problem(
            422,
            "The cursor is not one this API gave; start again without it.",
            code="invalid_request",
            errors=[{"field": "cursor", "in": "query", "message": "not a cursor of this API"}],
        ) from None
    from django.db.models import Q

    return imports.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk))


@api.get(
    "/imports",
    response={200: ImportListOut, **PROBLEMS},
    url_name="import_list",
    summary="The history",
    tags=["imports"],
)
@require_scope(SCOPE_READ)
def import_list(request, query: Query[HistoryQuery]):
    """The team's imports, newest first, with the history page's filters."""
    uploader = None
    if query.uploader:
        uploader = next((pk for pk, name in selectors.uploaders_for(request.user) if name == query.uploader), -1)
    filters = selectors.HistoryFilters(
        team=request.auth.team.pk, state=query.state, uploader=uploader, since=query.since, until=query.until
    )
    imports = selectors.history(request.user, filters).order_by("-created_at", "-pk")
    if query.cursor:
        imports = _after_cursor(imports, query.cursor)
    page = list(imports.values_list("pk", flat=True)[: query.limit + 1])
    jobs = {
        job.pk: job for job in Import.objects.select_related("team", "uploaded_by").filter(pk__in=page[: query.limit])
    }
    shown = [jobs[pk] for pk in page[: query.limit]]
    following = None
    if len(page) > query.limit:
        params = {k: v for k, v in request.GET.items() if k != "cursor"}
        params["cursor"] = _cursor(shown[-1])
        following = f"{reverse('api-v1:import_list')}?{urlencode(params)}"
    return {"items": [import_document(job) for job in shown], "next": following}


@api.get(
    "/imports/{import_id}",
    response={200: ImportOut, **PROBLEMS},
    url_name="import_detail",
    summary="An import and where it stands",
    tags=["imports"],
)
@require_scope(SCOPE_READ)
def import_detail(request, import_id: uuid.UUID):
    return import_document(_get_import_for_key(request, import_id))


class PageQuery(Schema):
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=100, ge=1, le=PAGE_MAX)


class FindingsQuery(PageQuery):
    severity: list[str] | None = Field(default=None, description="error, warning or fix; default: all three.")


def _next_page(request, name: str, job: Import, offset: int, limit: int, count: int) -> str | None:
    if offset + limit >= count:
        return None
    params = request.GET.copy()
    params["offset"] = str(offset + limit)
    params["limit"] = str(limit)
    return f"{reverse(f'api-v1:{name}', kwargs={'import_id': job.pk})}?{params.urlencode()}"


@api.get(
    "/imports/{import_id}/findings",
    response={200: FindingsOut, **PROBLEMS},
    url_name="import_findings",
    summary="What the checks found, row by row",
    tags=["imports"],
)
@require_scope(SCOPE_READ)
def import_findings(request, import_id: uuid.UUID, query: Query[FindingsQuery]):
    """The same {row, column, code, message} as `manage.py validate_schedule`, in row order."""
    job = _get_import_for_key(request, import_id)
    wanted = query.severity or ["error", "warning", "fix"]
    unknown = sorted(set(wanted) - {"error", "warning", "fix"})
    if unknown:
        raise Problem(
            422,
            f"severity must be error, warning or fix, not {', '.join(unknown)}.",
            code="invalid_request",
            errors=[{"field": "severity", "in": "query", "message": "not error, warning or fix"}],
        )
    count = sum(
        number
        for severity, number in (("error", job.error_count), ("warning", job.warning_count), ("fix", job.fix_count))
        if severity in wanted
    )
    page = []
    if job.state != ImportState.CHECKING:
        # Every finding, from the CSV the pages offer for download: the
        # import itself keeps only the first of each kind.
        with selectors.findings_file(job) as stored:
            text = io.TextIOWrapper(stored, encoding="utf-8-sig", newline="")
            rows = csv.reader(text)
            next(rows, None)
            matching = (row for row in rows if row and row[0] in wanted)
            for severity, row, column, code, message in itertools.islice(
                matching, query.offset, query.offset + query.limit
            ):
                page.append(
                    {
                        "severity": severity,
                        "row": int(row) if row else None,
                        "column": column or None,
                        "code": code,
                        "message": message,
                    }
                )
            text.detach()
    return {
        "count": count,
        "items": page,
        "next": _next_page(request, "import_findings", job, query.offset, query.limit, count),
    }


@api.get(
    "/imports/{import_id}/failed-rows",
    response={200: FailedRowsOut, **PROBLEMS},
    url_name="import_failed_rows",
    summary="The rows Talkdesk rejected",
    tags=["imports"],
)
@require_scope(SCOPE_READ)
def import_failed_rows(request, import_id: uuid.UUID, query: Query[PageQuery]):
    """Numbered as rows of the file that was uploaded, read from the portal's
    copy of Talkdesk's error report (Talkdesk's own link dies in ten minutes)."""
    job = _get_import_for_key(request, import_id)
    rows = selectors.failed_rows(job, limit=query.offset + query.limit + 1)
    page = rows[query.offset : query.offset + query.limit]
    count = len(rows)
    return {
        "count": count,
        "items": [
            {"part": row.part, "row": row.row, "cells": dict(zip(HEADER, row.cells, strict=True)), "reason": row.reason}
            for row in page
        ],
        "next": _next_page(request, "import_failed_rows", job, query.offset, query.limit, count),
    }


@api.get(
    "/imports/{import_id}/error-report",
    response={200: None, **PROBLEMS},
    url_name="error_report",
    summary="Talkdesk's error report (CSV)",
    tags=["imports"],
    openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
@require_scope(SCOPE_READ)
def error_report(request, import_id: uuid.UUID, part: int | None = None):
    """The portal's copy of Talkdesk's error report: every part's rows in one
    CSV, or one part's with `part`. Cells a spreadsheet would run are defused."""
    job = _get_import_for_key(request, import_id)
    parts = job.parts.exclude(error_report="").order_by("number")
    if part is not None:
        parts = parts.filter(number=part)
    parts = list(parts)
    if not parts:
        raise Http404
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    header_written = False
    for each in parts:
        with each.error_report.open("rb") as stored:
            reader = csv.reader(io.StringIO(stored.read().decode("utf-8-sig", errors="replace"), newline=""))
            header = next(reader, None)
            if header and not header_written:
                writer.writerow(header)
                header_written = True
            writer.writerows(reader)
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in job.file_name.rsplit(".", 1)[0])[:100]
    return csv_attachment(out.getvalue().encode(), f"{stem or 'schedule'}-errors.csv", neutralise=True)


class ConfirmForm(Schema):
    acknowledge_warnings: bool = Field(default=False, description="Needed when the file has warnings.")


@api.post(
    "/imports/{import_id}/confirm",
    response={200: ImportOut, **WRITE_PROBLEMS},
    url_name="import_confirm",
    summary="Send a preview to Talkdesk",
    tags=["imports"],
    openapi_extra=IDEMPOTENCY_DOC,
)
@require_scope(SCOPE_WRITE)
@idempotent()
def import_confirm(request, import_id: uuid.UUID, form: Form[ConfirmForm]):
    """The import joins its Talkdesk account's queue, as when a supervisor confirms it."""
    job = _get_import_for_key(request, import_id)
    services.import_confirm(
        job=job,
        actor=request.user,
        warnings_acknowledged=form.acknowledge_warnings,
        client_address=client_address(request),
    )
    return _json(import_document(_get_import_for_key(request, import_id)))


@api.post(
    "/imports/{import_id}/cancel",
    response={200: ImportOut, **WRITE_PROBLEMS},
    url_name="import_cancel",
    summary="Cancel an import not yet sent",
    tags=["imports"],
    openapi_extra=IDEMPOTENCY_DOC,
)
@require_scope(SCOPE_WRITE)
@idempotent()
def import_cancel(request, import_id: uuid.UUID):
    job = _get_import_for_key(request, import_id)
    services.import_cancel(job=job, actor=request.user, client_address=client_address(request))
    return _json(import_document(_get_import_for_key(request, import_id)))


class CheckForm(Schema):
    time_zone: str | None = Field(default=None, description="Default: the team's connection's time zone.")
    date_format: str | None = Field(default=None, description="Default: detected from the file.")


@api.post(
    "/checks",
    response={200: CheckOut, 413: ProblemOut, **WRITE_PROBLEMS},
    url_name="check",
    summary="Check a file without keeping it",
    tags=["checks"],
    openapi_extra=IDEMPOTENCY_DOC,
)
@require_scope(SCOPE_READ)
@idempotent()
def check(request, file: File[UploadedFile], form: Form[CheckForm]):
    """Every problem the upload would show, against the team's Talkdesk
    account (agents and event types, when known); nothing is kept."""
    connection = request.auth.team.connection
    data = _read_upload(file)
    result = check_schedule(
        data,
        time_zone=_time_zone(form.time_zone, connection.default_time_zone),
        date_format=_date_format(form.date_format),
        account=selectors.account_facts(connection),
    )
    audit.record(
        AuditEvent.Action.CHECKED,
        user=request.user,
        client_address=client_address(request),
        detail=f"{file.name}: {len(data)} bytes, {result.summary.rows} rows, "
        f"{result.error_count} errors, {result.warning_count} warnings",
    )
    as_dict = result.to_dict()
    summary = result.summary
    return _json(
        {
            "readable": result.readable,
            "counts": result.counts,
            "rows": summary.rows,
            "date_format": result.date_format,
            "parts": len(result.parts),
            "summary": {
                "rows": summary.rows,
                "agents": summary.agents,
                "first_start": summary.first_start.isoformat() if summary.first_start else None,
                "last_end": summary.last_end.isoformat() if summary.last_end else None,
                "events_by_type": dict(summary.events_by_type),
            },
            "errors": [{"severity": "error", **f} for f in as_dict["errors"]],
            "warnings": [{"severity": "warning", **f} for f in as_dict["warnings"]],
            "fixes": [{"severity": "fix", **f} for f in as_dict["fixes"]],
            "skipped_checks": list(result.skipped_checks),
        }
    )
