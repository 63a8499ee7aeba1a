"""Writes: an import's file from upload to its account's queue: creating
it, checking it (in the request or by the worker), keeping what the check
found (findings, checked rows, parts), and confirming, approving, rejecting,
cancelling it; an admin's answers for a part that needs attention.

Over 600 lines on purpose: creating, checking again and confirming (which
stores the valid rows' parts) share the private helpers that store a check's
results in one transaction with the state's move, and splitting them would
make those helpers public to every module. What does not share them lives
beside it: connection_services (connections), revision_services (changes to
a preview's file)."""

from __future__ import annotations

import hashlib
import logging
import tempfile
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TextIO

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from imports import access, audit, enqueue, lifecycle, secret_box, selectors, storage_errors
from imports.connection_services import directory_of, wfm_for
from imports.models import (
    AuditEvent,
    ColumnMapping,
    Connection,
    Import,
    ImportPart,
    PersonSettings,
    Team,
)
from imports.refusals import ActionRefused, ChangesWouldBeDiscarded
from imports.schedule import accepted, checked_rows, findings, held_rows
from imports.schedule import check as schedule_file
from imports.schedule.columns import header_signature
from imports.schedule.local_times import zone_names
from imports.schedule.readers import ReadOptions
from imports.states import ImportState
from imports.uploads import safe_file_name
from imports.wfm import registry
from imports.wfm.base import Refused, WfmError

Action = AuditEvent.Action
log = logging.getLogger(__name__)


def _saved_mapping_said(name: str) -> str:
    return f"The team's saved mapping '{name}' was applied by itself, since this file's header matches it"


@dataclass
class RecordFindings:
    """What the record of what Talkdesk accepted says of a file."""

    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    already_imported_rows: list[int] = field(default_factory=list)


def record_findings(
    check: schedule_file.ScheduleCheck,
    *,
    account_key: str,
    time_zone: str,
    team: Team | None,
    exclude=None,
) -> RecordFindings:
    """The file against the events Talkdesk accepted for the account: the
    same file imported before, rows already imported and rows that collide
    with an earlier event. The preview, the command line and any other way
    in ask this same question. Imports of a team other than `team` are told
    of without their names (team None: an operator, who sees them all)."""
    found = RecordFindings()
    # The zone names are read from the disk once: available_timezones walks
    # the zone database on every call, longer than the look-ups that follow.
    if not check.normalised or time_zone not in zone_names():
        return found
    zone = zoneinfo.ZoneInfo(time_zone)
    team_id = team.pk if team else None
    before = selectors.file_imported_before(
        account_key=account_key,
        normalised_sha256=hashlib.sha256(check.normalised).hexdigest(),
        team_id=team_id,
        exclude=exclude,
    )
    if before is not None:
        found.warnings.append(accepted.file_already_imported(before, zone=zone))
    comparison = selectors.compare_with_accepted(
        check.read_events(), account_key=account_key, team_id=team_id, zone=zone
    )
    found.warnings += comparison.already
    overlaps = comparison.overlapping
    if team is not None and team.imported_overlaps_are_errors:
        found.errors += overlaps
    else:
        found.warnings += overlaps
    found.already_imported_rows = comparison.already_rows
    return found


def _note_record(job: Import, record: RecordFindings, every_finding: TextIO) -> None:
    """The record's findings kept, counted and listed like the check's own:
    the first of each kind on the import (with their links), every one in
    the complete list."""
    listed = findings.Findings(keep=0, every=every_finding, header=False)
    counts = job.findings.setdefault("counts", {})
    for severity, key, found in (
        (findings.Severity.ERROR, "errors", record.errors),
        (findings.Severity.WARNING, "warnings", record.warnings),
    ):
        if not found:
            continue
        by_code = counts.setdefault(severity.value, {})
        kept = []
        for finding in found:
            by_code[finding["code"]] = by_code.get(finding["code"], 0) + 1
            if by_code[finding["code"]] <= findings.FIRST_OF_EACH_KIND:
                kept.append(finding)
            listed.add(
                severity,
                findings.Found(
                    row=finding["row"], column=finding["column"], code=finding["code"], message=finding["message"]
                ),
            )
        job.findings[key] = sorted(job.findings[key] + kept, key=lambda finding: finding["row"] or 0)
        if severity == findings.Severity.ERROR:
            job.error_count += len(found)
        else:
            job.warning_count += len(found)


def _checked_in_web(size: int, *, up_to: int | None = None) -> bool:
    """A file up to CHECK_IN_WEB_MAX_BYTES is checked in the request that
    uploads it; a larger one by the worker (imports/checking.py): a check
    holds many times the file's size for a moment, and a web process keeps
    what it once held."""
    limit = settings.CHECK_IN_WEB_MAX_BYTES if up_to is None else min(up_to, settings.CHECK_IN_WEB_MAX_BYTES)
    return size <= limit


@dataclass(frozen=True)
class ConfirmWhenChecked:
    """An upload's confirmation asked for before its check is done (the
    API's confirm=true): kept on the import until the worker has checked it."""

    warnings_acknowledged: bool
    client_address: str | None = None

    def as_json(self) -> dict:
        return {"warnings_acknowledged": self.warnings_acknowledged, "client_address": self.client_address}


@contextmanager
def _every_finding_spool() -> Iterator[TextIO]:
    """Where a check writes every finding, on disk rather than in memory."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        yield spool


def _sha256_of(content: File) -> str:
    digest = hashlib.sha256()
    for chunk in content.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def _check(job: Import, data: bytes, every_finding: TextIO) -> schedule_file.ScheduleCheck:
    """Checks the file as the import says to read it, and notes on the import
    what was found (not saved): counts per kind and the first of each kind;
    every finding goes to every_finding."""

    def check_with(mapping: dict[str, str] | None, said: str | None) -> schedule_file.ScheduleCheck:
        return schedule_file.check_schedule(
            data,
            time_zone=job.time_zone,
            date_format=job.date_format or None,
            account=selectors.account_facts(job.connection),
            every_finding=every_finding,
            sheet=job.sheet or None,
            workbook_limits=selectors.workbook_limits(),
            mapping=mapping,
            mapping_said=said,
            edits=[revision.change for revision in job.revisions.order_by("number")] if job.pk else [],
        )

    named = _saved_mapping_said(job.column_mapping_name) if job.column_mapping_name else None
    check = check_with(job.column_mapping or None, named)
    if not job.column_mapping and check.columns:
        saved = (
            ColumnMapping.objects.filter(team=job.team, header_signature=header_signature(check.source_header))
            .order_by("-created_at")
            .first()
        )
        if saved is not None:
            job.column_mapping, job.column_mapping_name = dict(saved.columns), saved.name
            # Every finding of the first reading is dropped with it.
            every_finding.seek(0)
            every_finding.truncate()
            check = check_with(job.column_mapping, _saved_mapping_said(saved.name))
    job.normalised_sha256 = hashlib.sha256(check.normalised).hexdigest() if check.normalised else ""
    record = RecordFindings()
    if job.connection.kind == Connection.Kind.TALKDESK:
        record = record_findings(
            check, account_key=job.account_key, time_zone=job.time_zone, team=job.team, exclude=job.pk
        )
    summary = check.summary
    if check.readable:
        job.sheet = check.sheet or ""
    job.date_format = check.date_format or job.date_format
    job.rows = summary.rows
    job.agents = summary.agents
    job.first_start = summary.first_start
    job.last_end = summary.last_end
    job.events_by_type = dict(summary.events_by_type)
    as_dict = check.to_dict()
    job.findings = {
        "errors": as_dict["errors"],
        "warnings": as_dict["warnings"],
        "fixes": as_dict["fixes"],
        "counts": check.counts,
        "skipped_checks": list(check.skipped_checks),
        "date_format_candidates": list(check.date_format_candidates),
        "already_imported_rows": len(record.already_imported_rows),
        "kind": check.kind,
        "sheets": list(check.sheets),
        "header": list(check.source_header),
        "columns": list(check.columns),
    }
    job.error_count = check.error_count
    job.warning_count = check.warning_count
    _note_record(job, record, every_finding)
    job.warnings_acknowledged = False
    return check


def _store_check(job: Import, check: schedule_file.ScheduleCheck, every_finding: TextIO) -> None:
    """The parts to send, the rows for the pages and every finding, beside
    the upload; inside the transaction that saves the import."""
    _store_parts(job, check, every_finding)
    _store_rows(job, check)
    name = findings.stored_name(job.id)
    default_storage.delete(name)
    every_finding.flush()
    every_finding.seek(0)
    default_storage.save(name, File(every_finding))


def _store_parts(job: Import, check: schedule_file.ScheduleCheck, every_finding: TextIO) -> None:
    """Cuts a clean file into what the connection's WFM takes in one import
    (Talkdesk: slices under 5 MB; Genesys Cloud: the business unit's weeks),
    and says before sending what the WFM already holds."""
    job.parts.all().delete()
    if not check.ok:
        return
    connection = job.connection
    try:
        contents = registry.cut(
            connection.kind,
            check,
            directory_of(connection),
            description=f"{job.file_name}, portal import {str(job.pk)[:8]}",
            published=job.published,
        )
    except Refused as refusal:
        _add_finding(job, findings.Severity.ERROR, "wfm_cannot_take", refusal.message, every_finding)
        return
    for number, content in enumerate(contents, start=1):
        part = ImportPart(
            import_job=job,
            number=number,
            account_key=job.account_key,
            size=len(content.content),
            sha256=hashlib.sha256(content.content).hexdigest(),
            rows=content.rows,
            week_start=content.week_start,
            label=content.label,
        )
        part.content.save(f"part-{number}", ContentFile(content.content), save=False)
        part.save()
    if len(contents) and contents[0].week_start is not None:
        try:
            found = wfm_for(connection).warnings(contents)
        except (WfmError, secret_box.SecretUnreadable, ValueError):
            found = []
        for message in found:
            _add_finding(job, findings.Severity.WARNING, "week_holds_schedule", message, every_finding)


def _add_finding(job: Import, severity: findings.Severity, code: str, message: str, every_finding: TextIO) -> None:
    """A finding about the file as the WFM would take it, learned after the
    check: kept, counted and listed like the check's own."""
    kind = "errors" if severity == findings.Severity.ERROR else "warnings"
    job.findings.setdefault(kind, []).append({"row": None, "column": None, "code": code, "message": message})
    counts = job.findings.setdefault("counts", {}).setdefault(severity.value, {})
    counts[code] = counts.get(code, 0) + 1
    if severity == findings.Severity.ERROR:
        job.error_count += 1
    else:
        job.warning_count += 1
    findings.Findings(keep=0, every=every_finding, header=False).add(
        severity, findings.Found(row=None, column=None, code=code, message=message)
    )
    Import.objects.filter(pk=job.pk).update(
        findings=job.findings, error_count=job.error_count, warning_count=job.warning_count
    )


def _store_rows(job: Import, check: schedule_file.ScheduleCheck) -> None:
    """The rows as the checks read them, for the pages that show them."""
    name, events = checked_rows.stored_name(job.id), checked_rows.events_name(job.id)
    default_storage.delete(name)
    default_storage.delete(events)
    if check.normalised:
        default_storage.save(name, ContentFile(checked_rows.write_rows(check.rows)))
        default_storage.save(events, ContentFile(checked_rows.write_events(check.read_events())))


@contextmanager
def _nothing_half_written(job: Import):
    """Files written for the import by the block are removed again if the disk
    fails it (full, read-only): with the transaction rolled back, nothing of
    a failed upload is left behind, and the person is told plainly."""
    folder = f"imports/{job.id}"
    before = set(_files_in(folder))
    try:
        yield
    except OSError as error:
        if not storage_errors.is_storage_error(error):
            raise
        log.error("Files of import %s could not be stored (%s)", job.id, error)
        for name in set(_files_in(folder)) - before:
            try:
                default_storage.delete(f"{folder}/{name}")
            except OSError as left:
                log.error("Half-written %s/%s could not be removed: %s", folder, name, left)
        raise ActionRefused(storage_errors.could_not_store(error)) from error


def _files_in(folder: str) -> list[str]:
    try:
        return default_storage.listdir(folder)[1]
    except FileNotFoundError:
        return []


def _check_later(job: Import, *, note: str) -> bool:
    """Hands the check to the worker, once the transaction commits."""
    if not lifecycle.import_check_later(job=job, note=note):
        return False
    enqueue.on_commit(enqueue.CHECK_IMPORT, str(job.pk))
    return True


def import_create(
    *,
    team: Team,
    uploaded_by,
    file_name: str,
    data: bytes | File,
    time_zone: str,
    date_format: str | None,
    sheet: str | None = None,
    published: bool | None = None,
    client_address: str | None = None,
    recorded_with: Callable[[Import], None] | None = None,
    check_here_up_to: int | None = None,
    confirm_when_checked: ConfirmWhenChecked | None = None,
) -> Import:
    """Keeps the upload and checks it: here, or by the worker when the file
    is larger than `check_here_up_to` bytes (CHECK_IN_WEB_MAX_BYTES unless
    the caller answers sooner by checking less here, as the API does). data
    may be the uploaded file itself, which is then read in chunks and never
    whole in this process unless it is checked here. `recorded_with` is
    called inside the transaction that keeps the import, for what must commit
    with it or not at all (the API's record of the request that made it).
    `confirm_when_checked`: a file the worker checks confirms itself once
    checked, as asked; one checked here is the caller's to confirm."""
    content = data if isinstance(data, File) else ContentFile(data)
    connection = team.connection
    job = Import(
        team=team,
        connection=connection,
        account_key=connection.account_key,
        uploaded_by=uploaded_by,
        file_name=safe_file_name(file_name),
        size=content.size,
        sha256=_sha256_of(content),
        time_zone=time_zone,
        date_format=date_format or "",
        date_format_chosen=bool(date_format),
        published=team.publish_by_default if published is None else published,
        sheet=sheet or "",
    )
    with _every_finding_spool() as every_finding:
        check = None
        if _checked_in_web(job.size, up_to=check_here_up_to):
            content.seek(0)
            check = _check(job, content.read(), every_finding)
            if _never_sendable(check):
                # Kept to be seen once, with its message, but never a preview
                # that waits for a confirmation it cannot get.
                job.state = ImportState.REFUSED
                job.message = "This file cannot be sent, and no time zone or date format would change that."
                job.finished_at = timezone.now()
        if check is None and confirm_when_checked is not None:
            job.confirm_when_checked = confirm_when_checked.as_json()
        content.seek(0)
        with _nothing_half_written(job), transaction.atomic():
            job.original.save("original", content, save=False)
            job.save()
            if check is None:
                _check_later(job, note=f"{job.size:,} bytes: checked by the worker.")
            else:
                _store_check(job, check, every_finding)
            audit.record(
                Action.UPLOADED,
                user=uploaded_by,
                client_address=client_address,
                import_job=job,
                detail=f"{job.file_name} for team {team.name}: {job.size:,} bytes"
                + (f", {job.rows:,} rows" if check is not None else ", checked by the worker")
                + (f", sheet '{job.sheet}'" if job.sheet else ""),
            )
            if recorded_with is not None:
                recorded_with(job)
    return job


def _never_sendable(check: schedule_file.ScheduleCheck) -> bool:
    """No choice on the preview (time zone, date format, sheet, column
    mapping) can make the file sendable: nothing in it reads as a table."""
    return not check.readable and not check.columns and len(check.sheets) <= 1


def import_recheck(
    *,
    job: Import,
    time_zone: str,
    date_format: str | None,
    published: bool | None = None,
    sheet: str | None = None,
    discard_changes: bool = False,
    actor=None,
    client_address: str | None = None,
) -> Import:
    """Checks the kept file again with another time zone, date format or
    sheet (None keeps the sheet read before). Another sheet discards the
    changes made to this one's rows, so with changes it is refused with
    ChangesWouldBeDiscarded unless discard_changes says the person agreed."""
    if job.state == ImportState.CHECKING:
        raise ActionRefused("The file is still being checked; read it differently once the check is done.")
    if job.state != ImportState.PREVIEW:
        raise ActionRefused("This import was already confirmed; upload the file again to change how it is read.")
    if sheet is not None and sheet != job.sheet:
        if job.findings.get("sheets") and sheet not in job.findings["sheets"]:
            raise ActionRefused(f"The workbook has no sheet named '{sheet}'.")
        # Another sheet has its own columns and rows: a change made to a row
        # of this one names a row and column that may hold something else
        # there, so the changes go, but never without the person's word.
        changes = job.revisions.count()
        if changes and not discard_changes:
            raise ChangesWouldBeDiscarded(
                f"Reading the sheet '{sheet}' discards the {changes} change{'s' if changes != 1 else ''} made to "
                f"the rows of '{job.sheet}'; the original file and the audit log keep "
                f"{'them' if changes != 1 else 'it'}.",
                changes=changes,
            )
        if changes:
            with transaction.atomic():
                audit.record(
                    Action.REVISED,
                    user=actor,
                    client_address=client_address,
                    import_job=job,
                    detail=f"sheet '{job.sheet}' -> '{sheet}': {changes} change{'s' if changes != 1 else ''} to "
                    f"the rows of '{job.sheet}' discarded",
                )
                job.revisions.all().delete()
        # A mapping was made for this sheet's header; a saved one applies
        # itself again to any sheet whose header matches it.
        job.sheet, job.column_mapping, job.column_mapping_name = sheet, {}, ""
    job.time_zone = time_zone
    job.date_format = date_format or ""
    job.date_format_chosen = bool(date_format)
    if published is not None:
        job.published = published
    if not _checked_in_web(job.size):
        with transaction.atomic():
            job.save(
                update_fields=[
                    "time_zone",
                    "date_format",
                    "date_format_chosen",
                    "published",
                    "sheet",
                    "column_mapping",
                    "column_mapping_name",
                ]
            )
            if not _check_later(job, note=f"Read again in {time_zone}, by the worker."):
                raise ActionRefused("This import was already confirmed or is being checked.")
        return job
    with job.original.open("rb") as stored:
        data = stored.read()
    with _every_finding_spool() as every_finding:
        check = _check(job, data, every_finding)
        with _nothing_half_written(job), transaction.atomic():
            job.save()
            _store_check(job, check, every_finding)
    return job


def previews_expire(*, now=None) -> int:
    """Expires the previews left unconfirmed past PORTAL_PREVIEW_EXPIRY_DAYS;
    returns how many."""
    from django.conf import settings

    days = settings.PORTAL_PREVIEW_EXPIRY_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    expired = 0
    for job in Import.objects.filter(state=ImportState.PREVIEW, created_at__lt=cutoff).defer("findings"):
        expired += lifecycle.import_expire(job=job, days=days)
    return expired


# What the import keeps of a check, saved by the worker without touching
# the state, which only the lifecycle writes.
CHECK_FIELDS = (
    "date_format",
    "sheet",
    "column_mapping",
    "column_mapping_name",
    "rows",
    "agents",
    "first_start",
    "last_end",
    "events_by_type",
    "findings",
    "error_count",
    "warning_count",
    "warnings_acknowledged",
    # What tells the next upload of the same file that it was imported before.
    "normalised_sha256",
)


def import_check_finish(*, job: Import, attempt: int) -> bool:
    """The worker's check of a large file (imports/checking.py holds it):
    checked and kept, and the import moved to its preview, only while this
    attempt still holds the check; False when it no longer does (cancelled,
    or given to another worker meanwhile), and then nothing is kept."""
    with job.original.open("rb") as stored:
        data = stored.read()
    with _every_finding_spool() as every_finding:
        check = _check(job, data, every_finding)
        del data
        with transaction.atomic():
            holds = Import.objects.select_for_update().filter(
                pk=job.pk, state=ImportState.CHECKING, check_attempts=attempt
            )
            if not holds.exists():
                return False
            job.save(update_fields=CHECK_FIELDS)
            _store_check(job, check, every_finding)
            _decide_confirmation(job)
            if not lifecycle.import_checked(job=job, attempt=attempt, note=f"{job.rows:,} rows checked."):
                return False
            _confirm_as_asked(job)
            return True


def import_check_give_up(*, job: Import, attempt: int) -> bool:
    """The check stopped its worker every time: the preview says so as an
    error, and the file cannot be sent."""
    message = (
        f"The portal could not finish checking this file: the worker checking it stopped {attempt - 1} times, "
        "most likely for want of memory. Split the file and upload each part, or tell your administrator."
    )
    problem = {"row": None, "column": None, "code": "check_not_finished", "message": message}
    job.findings = {
        "errors": [problem],
        "warnings": [],
        "fixes": [],
        "counts": {"error": {"check_not_finished": 1}, "warning": {}, "fix": {}},
        "skipped_checks": [],
        "date_format_candidates": [],
    }
    job.rows = job.agents = job.warning_count = 0
    job.error_count = 1
    with transaction.atomic():
        if not Import.objects.select_for_update().filter(pk=job.pk, state=ImportState.CHECKING).exists():
            return False
        job.save(update_fields=CHECK_FIELDS)
        # Nothing of an earlier check (before the file was read again) stays
        # to contradict the error.
        job.parts.all().delete()
        default_storage.delete(checked_rows.stored_name(job.id))
        default_storage.delete(checked_rows.events_name(job.id))
        default_storage.delete(findings.stored_name(job.id))
        _decide_confirmation(job)
        if not lifecycle.import_checked(job=job, attempt=attempt, note=message):
            return False
        _confirm_as_asked(job)
        return True


def _decide_confirmation(job: Import) -> None:
    """Before the checked import becomes a preview: whether the confirmation
    its upload asked for can be given, and if not why, kept with it; the
    move to preview tells the import's webhooks which it is."""
    if job.confirm_when_checked is None:
        return
    job.confirmation_refused = (
        confirmation_refusal(job=job, warnings_acknowledged=job.confirm_when_checked["warnings_acknowledged"]) or ""
    )
    job.save(update_fields=["confirmation_refused"])


def _confirm_as_asked(job: Import) -> None:
    """The checked import joins its account's queue, in the transaction
    that made it a preview, as its uploader asked when sending it."""
    asked = job.confirm_when_checked
    if asked is None:
        return
    # Asked once: the file read again later is confirmed by a person.
    Import.objects.filter(pk=job.pk).update(confirm_when_checked=None)
    job.confirm_when_checked = None
    if job.confirmation_refused:
        return
    try:
        import_confirm(
            job=job,
            actor=job.uploaded_by,
            warnings_acknowledged=asked["warnings_acknowledged"],
            client_address=asked.get("client_address"),
        )
    except ActionRefused as refusal:
        import_confirmation_refused(job=job, reason=str(refusal))


def import_confirmation_refused(*, job: Import, reason: str) -> None:
    """An upload asked to be confirmed and could not be: kept with the
    import, so that whoever reads it later (the API's job) reads why."""
    Import.objects.filter(pk=job.pk).update(confirmation_refused=reason)
    job.confirmation_refused = reason


def import_check_again(*, job: Import, why: str) -> None:
    """Checks the kept file again as the import now says to read it (a
    mapping, a revision); inside the caller's transaction. A file over CHECK_IN_WEB_MAX_BYTES goes to the
    worker, as its first check did: a mapping or a fixed cell does not make
    checking it any lighter for a web process."""
    if not _checked_in_web(job.size):
        job.save(update_fields=["column_mapping", "column_mapping_name"])
        if not _check_later(job, note=f"{why}; checked again by the worker."):
            raise ActionRefused("This import was already confirmed or is being checked.")
        return
    with job.original.open("rb") as stored:
        data = stored.read()
    with _every_finding_spool() as every_finding:
        check = _check(job, data, every_finding)
        job.save()
        _store_check(job, check, every_finding)


def held_name(import_id) -> str:
    """Where the rows held back from an import are kept, beside its original."""
    return f"imports/{import_id}/held.csv"


def _hold_rows_with_errors(job: Import) -> tuple[schedule_file.ScheduleCheck, bytes, int]:
    """The file to send of the rows without errors, checked again, and the
    held rows' file."""
    errors = selectors.every_error(job)
    if any(row is None for row, _ in errors):
        raise ActionRefused(
            "The file has a problem that is not in one row, so it cannot be sent in part: "
            + " ".join(message for row, message in errors if row is None)
        )
    problems: dict[int, list[str]] = {}
    for row, message in errors:
        if row is not None:
            problems.setdefault(row, []).append(message)
    name = checked_rows.stored_name(job.id)
    with default_storage.open(name, "rb") as stored:
        rows = checked_rows.read_rows(stored.read(), time_zone=job.time_zone)
    valid = [row for row in rows if row.row not in problems]
    if not valid:
        raise ActionRefused("Every row has an error: there is nothing to send.")
    check = schedule_file.check_schedule(
        held_rows.rows_file(valid),
        time_zone=job.time_zone,
        date_format=job.date_format or None,
        account=selectors.account_facts(job.connection),
    )
    if not check.ok:
        raise ActionRefused(
            "The valid rows alone do not make a file that can be sent: "
            + " ".join(problem.message for problem in check.errors[:3])
        )
    with job.original.open("rb") as stored:
        original = stored.read()
    options = ReadOptions(sheet=job.sheet or None, workbook_limits=selectors.workbook_limits())
    return check, held_rows.held_file(original, options, problems), len(problems)


def confirmation_refusal(*, job: Import, warnings_acknowledged: bool, valid_rows_only: bool = False) -> str | None:
    """Why the checked file cannot be confirmed as asked, or None."""
    if job.error_count and not valid_rows_only:
        return (
            "Fix the errors in the file and upload it again, or send the valid rows only: "
            "a file with errors cannot be sent whole."
        )
    if not job.rows:
        return "The file has no schedule rows to send."
    if job.warning_count and not warnings_acknowledged:
        return (
            f"The file has {job.warning_count} warning{'s' if job.warning_count != 1 else ''}: read "
            f"{'them' if job.warning_count != 1 else 'it'} and acknowledge {'them' if job.warning_count != 1 else 'it'} "
            "to send the file as it is."
        )
    return None


def import_confirm(
    *,
    job: Import,
    actor,
    warnings_acknowledged: bool,
    valid_rows_only: bool = False,
    client_address: str | None = None,
) -> Import:
    """Queues the import. With errors, valid_rows_only sends the rows
    without errors and holds the others back, kept to download."""
    if job.state == ImportState.CHECKING:
        raise ActionRefused("The file is still being checked; confirm it once it is a preview.")
    if job.state != ImportState.PREVIEW:
        raise ActionRefused("This import was already confirmed or cancelled.")
    refusal = confirmation_refusal(
        job=job, warnings_acknowledged=warnings_acknowledged, valid_rows_only=valid_rows_only
    )
    if refusal:
        raise ActionRefused(refusal)
    held = None
    if job.error_count:
        held = _hold_rows_with_errors(job)
    needs_approval = job.team.imports_need_approval
    with transaction.atomic():
        # Parts are replaced below: only while the import is still a preview,
        # which a second confirm racing this one finds it no longer is.
        if not Import.objects.select_for_update().filter(pk=job.pk, state=ImportState.PREVIEW).exists():
            raise ActionRefused("This import was already confirmed or cancelled.")
        if held is not None:
            check, held_data, held_count = held
            with _every_finding_spool() as spool:
                _store_parts(job, check, spool)
            if not job.parts.exists():
                raise ActionRefused(
                    "The valid rows alone cannot be sent: "
                    + " ".join(problem["message"] for problem in job.errors if not problem.get("row"))
                )
            default_storage.delete(held_name(job.id))
            default_storage.save(held_name(job.id), ContentFile(held_data))
            Import.objects.filter(pk=job.pk).update(held_rows=held_count)
            job.held_rows = held_count
        Import.objects.filter(pk=job.pk).update(warnings_acknowledged=bool(job.warning_count))
        moved = (
            lifecycle.import_await_approval(job=job, actor=actor)
            if needs_approval
            else lifecycle.import_queue(job=job, actor=actor)
        )
        if not moved:
            raise ActionRefused("This import was already confirmed or cancelled.")
        audit.record(
            Action.CONFIRMED,
            user=actor,
            client_address=client_address,
            import_job=job,
            detail=f"{job.file_name}: "
            + (
                f"{job.rows - job.held_rows} valid rows sent, {job.held_rows} rows with errors held back"
                if job.held_rows
                else f"{job.rows} rows"
            )
            + (", warnings acknowledged" if job.warning_count else "")
            + ("; waits for approval" if needs_approval else ""),
        )
        if not needs_approval:
            # Once committed the import is queued, broker or not; if the
            # message cannot be sent, the reconciler wakes the account instead.
            enqueue.account_advance_on_commit(job.account_key)
    return job


def import_approve(*, job: Import, actor, client_address: str | None = None) -> Import:
    refusal = access.approval_refusal(job=job, user=actor)
    if refusal:
        raise ActionRefused(refusal)
    with transaction.atomic():
        if not lifecycle.import_approve(job=job, actor=actor):
            raise ActionRefused("This import is no longer waiting for approval.")
        audit.record(Action.APPROVED, user=actor, client_address=client_address, import_job=job, detail=job.file_name)
        enqueue.account_advance_on_commit(job.account_key)
    return job


REJECTION_REASON_MAX = 500


def import_reject(*, job: Import, actor, reason: str, client_address: str | None = None) -> Import:
    refusal = access.approval_refusal(job=job, user=actor)
    if refusal:
        raise ActionRefused(refusal)
    reason = " ".join(reason.split())
    if not reason:
        raise ActionRefused("Say why it is rejected: the uploader reads the reason.")
    if len(reason) > REJECTION_REASON_MAX:
        raise ActionRefused(f"Keep the reason under {REJECTION_REASON_MAX} characters; it has {len(reason)}.")
    with transaction.atomic():
        if not lifecycle.import_reject(job=job, actor=actor, reason=reason):
            raise ActionRefused("This import is no longer waiting for approval.")
        audit.record(
            Action.REJECTED,
            user=actor,
            client_address=client_address,
            import_job=job,
            detail=f"{job.file_name}: {reason}",
        )
    return job


def import_cancel(*, job: Import, actor, client_address: str | None = None) -> Import:
    with transaction.atomic():
        if not lifecycle.import_cancel(job=job, actor=actor):
            raise ActionRefused("Only an import that has not been sent yet can be cancelled.")
        audit.record(Action.CANCELLED, user=actor, client_address=client_address, import_job=job, detail=job.file_name)
    return job


def part_resend(*, part: ImportPart, actor, client_address: str | None = None) -> ImportPart:
    with transaction.atomic():
        if not lifecycle.part_resend(part=part, actor=actor):
            raise ActionRefused("Only a part that needs attention can be sent again.")
        audit.record(
            Action.RESENT,
            user=actor,
            client_address=client_address,
            import_job=part.import_job,
            detail=f"part {part.number}",
        )
        account_key = part.account_key
        # Once committed the import is queued, broker or not; if the message
        # cannot be sent, the reconciler wakes the account instead.
        enqueue.account_advance_on_commit(account_key)
    return part


def part_mark_imported(*, part: ImportPart, actor, client_address: str | None = None) -> ImportPart:
    with transaction.atomic():
        if not lifecycle.part_mark_imported(part=part, actor=actor):
            raise ActionRefused("Only a part that needs attention can be marked as imported.")
        audit.record(
            Action.MARKED_IMPORTED,
            user=actor,
            client_address=client_address,
            import_job=part.import_job,
            detail=f"part {part.number}",
        )
        # The rest of a split file may go now.
        account_key = part.account_key
        enqueue.account_advance_on_commit(account_key)
    return part


def person_settings_save(*, user, time_zone: str) -> PersonSettings:
    """Blank time_zone: the zone of the person's team's connection."""
    chosen, _ = PersonSettings.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
    return chosen
