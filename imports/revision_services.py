"""Writes that change what a preview's file says before it is sent: its
columns mapped, a cell fixed, a value replaced in a column, the rows already
in Talkdesk left out. Each change is a revision (the original kept), checked
again at once, and in the audit log."""

from __future__ import annotations

import zoneinfo

from django.core.files.storage import default_storage
from django.db import models, transaction

from imports import audit, selectors, services
from imports.models import AuditEvent, ColumnMapping, Import, ImportRevision
from imports.refusals import ActionRefused
from imports.schedule import check as schedule_file
from imports.schedule import checked_rows
from imports.schedule.columns import MAPPABLE, header_signature
from imports.states import ImportState

Action = AuditEvent.Action


def import_leave_out_imported_rows(*, job: Import, actor, client_address: str | None = None) -> int:
    """Makes a revision of the file without the rows Talkdesk already has,
    as the record says now, checked in place of the file before (a change
    like the portal's other edits, the original kept). Returns how many rows
    were left out."""
    if job.state != ImportState.PREVIEW:
        raise ActionRefused("This import was already confirmed or cancelled; its file cannot change any more.")
    comparison = selectors.compare_with_accepted(
        selectors.file_events(job),
        account_key=job.account_key,
        team_id=job.team_id,
        zone=zoneinfo.ZoneInfo(job.time_zone),
    )
    already = set(comparison.already_rows)
    if not already:
        raise ActionRefused("No row of this file is in Talkdesk already: there is nothing to leave out.")
    if all(row.row in already for row in _checked(job)):
        raise ActionRefused(
            "Every row of this file is in Talkdesk already: there is nothing left to send. Discard this upload instead."
        )
    numbers = sorted(already)
    shown = ", ".join(map(str, numbers[:10])) + (" and more" if len(numbers) > 10 else "")
    detail = (
        f"Left out the {len(numbers)} row{'s' if len(numbers) != 1 else ''} already imported into Talkdesk ({shown})."
    )
    _revise(
        job,
        actor=actor,
        change={"drop_rows": numbers},
        detail=detail,
        action=Action.REVISED,
        client_address=client_address,
    )
    return len(numbers)


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
        services.import_check_again(job=job, why="Columns mapped")
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
        services.import_check_again(job=job, why=f"Revision {number}")
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
