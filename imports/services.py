"""Writes: what a person does to imports and connections."""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone

from imports import audit, enqueue, lifecycle, secret_box
from imports.models import (
    AuditEvent,
    ColumnMapping,
    ConnectionAgent,
    Import,
    ImportPart,
    ImportRevision,
    TalkdeskConnection,
    Team,
)
from imports.schedule import check as schedule_file
from imports.schedule import checked_rows, held_rows
from imports.schedule.columns import MAPPABLE, header_signature
from imports.schedule.readers import ReadOptions
from imports.schedule.workbook import WorkbookLimits
from imports.states import ImportState
from imports.uploads import safe_file_name
from imports.wfm.talkdesk.client import TalkdeskClient, TalkdeskError

Action = AuditEvent.Action


class ActionRefused(Exception):
    """What a person asked for cannot be done; the message says why, plainly."""


def account_facts(connection: TalkdeskConnection) -> schedule_file.AccountFacts:
    agents = None
    # Read from the database: the agents may have been synced since this
    # connection object was loaded.
    if TalkdeskConnection.objects.filter(pk=connection.pk, agents_synced_at__isnull=False).exists():
        agents = {
            email.lower(): name for email, name in connection.agents.filter(active=True).values_list("email", "name")
        }
    event_types = frozenset(connection.event_types) if connection.event_types else None
    return schedule_file.AccountFacts(active_agents=agents, event_types=event_types)


def workbook_limits() -> WorkbookLimits:
    from django.conf import settings

    return WorkbookLimits(memory_bytes=settings.WORKBOOK_MEMORY_MB * 1024 * 1024, seconds=settings.WORKBOOK_SECONDS)


def _saved_mapping_said(name: str) -> str:
    return f"The team's saved mapping '{name}' was applied by itself, since this file's header matches it"


def _check(job: Import, data: bytes) -> schedule_file.ScheduleCheck:
    def check_with(mapping: dict | None, said: str | None) -> schedule_file.ScheduleCheck:
        return schedule_file.check_schedule(
            data,
            time_zone=job.time_zone,
            date_format=job.date_format or None,
            account=account_facts(job.connection),
            sheet=job.sheet or None,
            workbook_limits=workbook_limits(),
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
            check = check_with(job.column_mapping, _saved_mapping_said(saved.name))
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
        "skipped_checks": list(check.skipped_checks),
        "date_format_candidates": list(check.date_format_candidates),
        "kind": check.kind,
        "sheets": list(check.sheets),
        "header": list(check.source_header),
        "columns": list(check.columns),
    }
    job.error_count = len(check.errors)
    job.warning_count = len(check.warnings)
    job.warnings_acknowledged = False
    return check


def _store_parts(job: Import, check: schedule_file.ScheduleCheck) -> None:
    job.parts.all().delete()
    if not check.ok:
        return
    for number, content in enumerate(check.parts, start=1):
        part = ImportPart(
            import_job=job,
            number=number,
            account_key=job.account_key,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            rows=max(content.count(b"\n") - 1, 0),
        )
        part.content.save(f"part-{number}.csv", ContentFile(content), save=False)
        part.save()


def _store_rows(job: Import, check: schedule_file.ScheduleCheck) -> None:
    """The rows as the checks read them, for the pages that show them."""
    name = checked_rows.stored_name(job.id)
    default_storage.delete(name)
    if check.normalised:
        default_storage.save(name, ContentFile(checked_rows.write_rows(check.rows)))


def import_create(
    *,
    team: Team,
    uploaded_by,
    file_name: str,
    data: bytes,
    time_zone: str,
    date_format: str | None,
    sheet: str | None = None,
    client_address: str | None = None,
) -> Import:
    connection = team.connection
    job = Import(
        team=team,
        connection=connection,
        account_key=connection.account_key,
        uploaded_by=uploaded_by,
        file_name=safe_file_name(file_name),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        time_zone=time_zone,
        date_format=date_format or "",
        date_format_chosen=bool(date_format),
        sheet=sheet or "",
    )
    check = _check(job, data)
    with transaction.atomic():
        job.original.save("original", ContentFile(data), save=False)
        job.save()
        _store_parts(job, check)
        _store_rows(job, check)
        audit.record(
            Action.UPLOADED,
            user=uploaded_by,
            client_address=client_address,
            import_job=job,
            detail=f"{job.file_name} for team {team.name}: {job.size} bytes, {job.rows} rows"
            + (f", sheet '{job.sheet}'" if job.sheet else ""),
        )
    return job


def import_recheck(*, job: Import, time_zone: str, date_format: str | None, sheet: str | None = None) -> Import:
    """Checks the kept file again with another time zone, date format or
    sheet (None keeps the sheet read before)."""
    if job.state != ImportState.PREVIEW:
        raise ActionRefused("This import was already confirmed; upload the file again to change how it is read.")
    if sheet is not None and sheet != job.sheet:
        if job.findings.get("sheets") and sheet not in job.findings["sheets"]:
            raise ActionRefused(f"The workbook has no sheet named '{sheet}'.")
        # Another sheet has its own columns and rows: a mapping or a change
        # made for this one may not fit (the audit log keeps the changes).
        job.sheet, job.column_mapping, job.column_mapping_name = sheet, {}, ""
        job.revisions.all().delete()
    job.time_zone = time_zone
    job.date_format = date_format or ""
    job.date_format_chosen = bool(date_format)
    with job.original.open("rb") as stored:
        data = stored.read()
    check = _check(job, data)
    with transaction.atomic():
        job.save()
        _store_parts(job, check)
        _store_rows(job, check)
    return job


def _recheck_stored(job: Import) -> None:
    with job.original.open("rb") as stored:
        data = stored.read()
    check = _check(job, data)
    job.save()
    _store_parts(job, check)
    _store_rows(job, check)


def import_map_columns(
    *, job: Import, actor, columns: dict[str, str], save_as: str = "", client_address: str | None = None
) -> Import:
    """Reads the file's columns as the person says (field -> the file's
    column name), checks the file again at once, and saves the mapping for
    the team under a name when one is given."""
    if job.state != ImportState.PREVIEW:
        raise ActionRefused("This import was already confirmed; upload the file again to map its columns.")
    header = [cell.strip() for cell in job.findings.get("header", [])]
    columns = {field: name.strip() for field, name in columns.items() if field in MAPPABLE and name and name.strip()}
    unknown = sorted({name for name in columns.values() if name not in header})
    if unknown:
        raise ActionRefused(f"The file has no column named {', '.join(repr(name) for name in unknown)}.")
    twice = sorted({name for name in columns.values() if list(columns.values()).count(name) > 1})
    if twice:
        raise ActionRefused(f"Column {', '.join(repr(name) for name in twice)} is chosen for more than one field.")
    needed = [field for field in schedule_file.HEADER if field not in columns]
    if needed:
        raise ActionRefused(f"Choose a column for {', '.join(needed)}.")
    save_as = " ".join(save_as.split())[: ColumnMapping._meta.get_field("name").max_length]
    described = ", ".join(f"{field} <- '{name}'" for field, name in columns.items())
    with transaction.atomic():
        job.column_mapping = columns
        # The name tells of a mapping applied by itself; this one the person chose.
        job.column_mapping_name = ""
        _recheck_stored(job)
        audit.record(Action.COLUMNS_MAPPED, user=actor, client_address=client_address, import_job=job, detail=described)
        if save_as:
            ColumnMapping.objects.update_or_create(
                team=job.team,
                name=save_as,
                defaults={
                    "header_signature": header_signature(job.findings.get("header", [])),
                    "header": job.findings.get("header", []),
                    "columns": columns,
                    "created_by": actor,
                },
            )
            audit.record(
                Action.MAPPING_SAVED,
                user=actor,
                client_address=client_address,
                import_job=job,
                detail=f"'{save_as}' for team {job.team.name}: {described}",
            )
    return job


def _revise(job: Import, *, actor, change: dict, detail: str, action, client_address: str | None) -> Import:
    with transaction.atomic():
        locked = Import.objects.select_for_update().get(pk=job.pk)
        if locked.state != ImportState.PREVIEW:
            raise ActionRefused("This import was already confirmed; its file can no longer be changed.")
        number = (job.revisions.aggregate(models.Max("number"))["number__max"] or 1) + 1
        ImportRevision.objects.create(import_job=job, number=number, change=change, detail=detail, made_by=actor)
        _recheck_stored(job)
        audit.record(
            action, user=actor, client_address=client_address, import_job=job, detail=f"revision {number}: {detail}"
        )
    return job


def _checked(job: Import) -> list:
    if not default_storage.exists(checked_rows.stored_name(job.id)):
        raise ActionRefused("The file's rows could not be read: map its columns or choose its sheet first.")
    with default_storage.open(checked_rows.stored_name(job.id), "rb") as stored:
        return checked_rows.read_rows(stored.read(), time_zone=job.time_zone)


def _cell_of(row, column: str) -> str:
    return (row.agent_name, row.agent_email, row.start_text, row.end_text, row.event_type)[
        schedule_file.HEADER.index(column)
    ]


def import_edit_cell(
    *, job: Import, actor, row: int, column: str, value: str, client_address: str | None = None
) -> Import:
    """Changes one cell in a new revision of the file, and checks it again."""
    if column not in schedule_file.HEADER:
        raise ActionRefused(f"'{column}' is not one of Talkdesk's columns.")
    value = value.strip()
    found = next((checked for checked in _checked(job) if checked.row == row), None)
    if found is None:
        raise ActionRefused(f"The file has no row {row}.")
    old = _cell_of(found, column)
    if old == value:
        raise ActionRefused(f"Row {row}'s {column} is already '{value}'.")
    change = {"row": row, "column": column, "value": value}
    detail = f"row {row}, {column}: '{old}' -> '{value}'"
    return _revise(
        job, actor=actor, change=change, detail=detail, action=Action.CELL_EDITED, client_address=client_address
    )


def import_replace_all(
    *, job: Import, actor, column: str, find: str, replace: str, client_address: str | None = None
) -> Import:
    """Replaces every cell of a column equal to find, in a new revision."""
    if column not in schedule_file.HEADER:
        raise ActionRefused(f"'{column}' is not one of Talkdesk's columns.")
    find, replace = find.strip(), replace.strip()
    if not find:
        raise ActionRefused("Say which value to replace.")
    count = sum(_cell_of(checked, column) == find for checked in _checked(job))
    if not count:
        raise ActionRefused(f"No cell of {column} is '{find}'.")
    change = {"column": column, "find": find, "replace": replace}
    detail = f"every '{find}' in {column} -> '{replace}' ({count} cells)"
    return _revise(
        job, actor=actor, change=change, detail=detail, action=Action.REPLACED_ALL, client_address=client_address
    )


def column_mapping_delete(*, mapping: ColumnMapping, actor, client_address: str | None = None) -> None:
    with transaction.atomic():
        audit.record(
            Action.MAPPING_DELETED,
            user=actor,
            client_address=client_address,
            detail=f"'{mapping.name}' of team {mapping.team.name}",
        )
        mapping.delete()


def held_name(import_id) -> str:
    """Where the rows held back from an import are kept, beside its original."""
    return f"imports/{import_id}/held.csv"


def _hold_rows_with_errors(job: Import) -> tuple[schedule_file.ScheduleCheck, bytes, int]:
    """The file to send of the rows without errors, checked again, and the
    held rows' file."""
    if any(not problem.get("row") for problem in job.errors):
        raise ActionRefused(
            "The file has a problem that is not in one row, so it cannot be sent in part: "
            + " ".join(problem["message"] for problem in job.errors if not problem.get("row"))
        )
    problems: dict[int, list[str]] = {}
    for problem in job.errors:
        problems.setdefault(problem["row"], []).append(problem["message"])
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
        account=account_facts(job.connection),
    )
    if not check.ok:
        raise ActionRefused(
            "The valid rows alone do not make a file that can be sent: "
            + " ".join(problem.message for problem in check.errors[:3])
        )
    with job.original.open("rb") as stored:
        original = stored.read()
    options = ReadOptions(sheet=job.sheet or None, workbook_limits=workbook_limits())
    return check, held_rows.held_file(original, options, problems), len(problems)


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
    if job.state != ImportState.PREVIEW:
        raise ActionRefused("This import was already confirmed or cancelled.")
    if job.error_count and not valid_rows_only:
        raise ActionRefused(
            "Fix the errors in the file and upload it again, or send the valid rows only: "
            "a file with errors cannot be sent whole."
        )
    if not job.rows:
        raise ActionRefused("The file has no schedule rows to send.")
    if job.warning_count and not warnings_acknowledged:
        raise ActionRefused("Read the warnings and tick the box to confirm you want to send the file as it is.")
    held = None
    if job.error_count:
        held = _hold_rows_with_errors(job)
    with transaction.atomic():
        # Parts are replaced below: only while the import is still a preview,
        # which a second confirm racing this one finds it no longer is.
        if not Import.objects.select_for_update().filter(pk=job.pk, state=ImportState.PREVIEW).exists():
            raise ActionRefused("This import was already confirmed or cancelled.")
        if held is not None:
            check, held_data, held_count = held
            _store_parts(job, check)
            default_storage.delete(held_name(job.id))
            default_storage.save(held_name(job.id), ContentFile(held_data))
            Import.objects.filter(pk=job.pk).update(held_rows=held_count)
            job.held_rows = held_count
        Import.objects.filter(pk=job.pk).update(warnings_acknowledged=bool(job.warning_count))
        if not lifecycle.import_queue(job=job, actor=actor):
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
            + (", warnings acknowledged" if job.warning_count else ""),
        )
        account_key = job.account_key
        # Once committed the import is queued, broker or not; if the message
        # cannot be sent, the reconciler wakes the account instead.
        enqueue.account_advance_on_commit(account_key)
    return job


def import_cancel(*, job: Import, actor, client_address: str | None = None) -> Import:
    with transaction.atomic():
        if not lifecycle.import_cancel(job=job, actor=actor):
            raise ActionRefused("Only an import that has not been sent yet can be cancelled.")
        audit.record(Action.CANCELLED, user=actor, client_address=client_address, import_job=job, detail=job.file_name)
    return job


def client_for(connection: TalkdeskConnection) -> TalkdeskClient:
    from django.conf import settings

    from imports.wfm.talkdesk.client import Scopes

    custom = connection.region == TalkdeskConnection.Region.CUSTOM
    return TalkdeskClient(
        account=connection.account,
        client_id=connection.client_id,
        client_secret=connection.client_secret(),
        region="us" if custom else connection.region,
        base_url=connection.base_url if custom else None,
        scopes=Scopes(
            write=settings.TALKDESK_SCOPE_WRITE,
            read=settings.TALKDESK_SCOPE_READ,
            users=settings.TALKDESK_SCOPE_USERS,
        ),
        timeout=(settings.TALKDESK_CONNECT_TIMEOUT_SECONDS, settings.TALKDESK_READ_TIMEOUT_SECONDS),
    )


# What an admin edits on a connection, named in the audit log when it changes.
CONNECTION_FIELDS = (
    "name",
    "account",
    "region",
    "base_url",
    "client_id",
    "default_time_zone",
    "default_date_format",
    "event_types",
)


def connection_save(
    *, connection: TalkdeskConnection, client_secret: str | None, actor=None, client_address: str | None = None
) -> TalkdeskConnection:
    before = (
        TalkdeskConnection.objects.filter(pk=connection.pk).values(*CONNECTION_FIELDS).first()
        if connection.pk
        else None
    )
    if client_secret:
        connection.set_client_secret(client_secret)
    if not connection.client_secret_encrypted:
        raise ActionRefused("Enter the OAuth client secret.")
    changed = [name for name in CONNECTION_FIELDS if before is not None and before[name] != getattr(connection, name)]
    if client_secret:
        changed.append("client secret")
    with transaction.atomic():
        connection.save()
        if before is None:
            audit.record(
                Action.CONNECTION_ADDED,
                user=actor,
                client_address=client_address,
                connection=connection,
                detail=f"{connection.name}: account {connection.account}, client {connection.client_id}",
            )
        elif changed:
            audit.record(
                Action.CONNECTION_CHANGED,
                user=actor,
                client_address=client_address,
                connection=connection,
                detail=f"{connection.name}: {', '.join(changed)} changed",
            )
    return connection


def connection_test(*, connection: TalkdeskConnection, actor=None, client_address: str | None = None):
    """Fetches a token and reports which scopes the client has and lacks."""
    try:
        diagnosis = client_for(connection).diagnose()
    except (TalkdeskError, secret_box.SecretUnreadable) as error:
        audit.record(
            Action.CONNECTION_TESTED,
            user=actor,
            client_address=client_address,
            connection=connection,
            detail=f"failed: {getattr(error, 'message', None) or error}",
        )
        raise
    with transaction.atomic():
        TalkdeskConnection.objects.filter(pk=connection.pk).update(
            granted_scopes=sorted(diagnosis.granted), last_tested_at=timezone.now()
        )
        audit.record(
            Action.CONNECTION_TESTED,
            user=actor,
            client_address=client_address,
            connection=connection,
            detail=f"scopes granted: {', '.join(sorted(diagnosis.granted)) or 'none'}"
            + (f"; missing: {', '.join(problem.scope for problem in diagnosis.missing)}" if diagnosis.missing else ""),
        )
    return diagnosis


def connection_secrets_reseal() -> tuple[list[str], list[str]]:
    """Seals every stored client secret again under the first configured key.
    Returns the names of the connections resealed and of those no key opens."""
    from django.conf import settings

    resealed, unreadable = [], []
    for connection in TalkdeskConnection.objects.order_by("name"):
        try:
            sealed = secret_box.reseal(connection.client_secret_encrypted, settings.PORTAL_ENCRYPTION_KEYS)
        except secret_box.SecretUnreadable:
            unreadable.append(connection.name)
            continue
        with transaction.atomic():
            TalkdeskConnection.objects.filter(pk=connection.pk).update(client_secret_encrypted=sealed)
            audit.record(Action.SECRETS_RESEALED, connection=connection, detail=connection.name)
        resealed.append(connection.name)
    return resealed, unreadable


def connection_sync_agents(*, connection: TalkdeskConnection) -> str:
    """Replaces the connection's agents with Talkdesk's current list."""
    try:
        agents = client_for(connection).active_agents()
    except TalkdeskError as error:
        TalkdeskConnection.objects.filter(pk=connection.pk).update(agents_sync_message=error.message)
        raise ActionRefused(error.message) from error
    with transaction.atomic():
        connection.agents.all().delete()
        ConnectionAgent.objects.bulk_create(
            ConnectionAgent(
                connection=connection, email=a.email.lower(), name=a.name, talkdesk_id=a.id, active=a.active
            )
            for a in {a.email.lower(): a for a in agents}.values()
        )
        message = f"{len(agents)} active agents synced from Talkdesk."
        TalkdeskConnection.objects.filter(pk=connection.pk).update(
            agents_synced_at=timezone.now(), agents_sync_message=message
        )
    return message


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


def connection_learn_event_types(*, connection: TalkdeskConnection, names: list[str]) -> list[str]:
    """Adds event type names Talkdesk is known to accept to the connection's list."""
    with transaction.atomic():
        locked = TalkdeskConnection.objects.select_for_update().get(pk=connection.pk)
        known = list(locked.event_types or [])
        learned = [name for name in names if name and name not in known]
        if learned:
            locked.event_types = known + learned
            locked.save(update_fields=["event_types", "updated_at"])
    return learned
