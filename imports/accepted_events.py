"""Writes the record of what Talkdesk accepted through the portal: the rows
of a part that ended Imported, or Imported with errors without the rows its
error report lists. Called by the lifecycle in the transaction that records
the part's final state, and nowhere else, so that the record and the state
can never tell different stories."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from imports.models import AcceptedEvent, Connection, ImportPart
from imports.schedule import checked_rows
from imports.schedule.check import HEADER, ScheduleRow, check_schedule
from imports.states import PartState
from imports.wfm.talkdesk.error_report import read_error_report, rejected_positions

BATCH = 5000


def accepted_events_record(*, part_id: int) -> int:
    """Records the part's accepted rows once; returns how many."""
    part = ImportPart.objects.select_related("import_job__connection").get(pk=part_id)
    if part.state not in (PartState.IMPORTED, PartState.IMPORTED_WITH_ERRORS) or part.accepted_events.exists():
        return 0
    job = part.import_job
    if job.connection.kind != Connection.Kind.TALKDESK:
        # The record is of what Talkdesk accepted; a Genesys Cloud part is a
        # week of the file, not a run of its rows, and Genesys replaces a
        # week's schedule rather than adding to it.
        return 0
    offset = sum(job.parts.filter(number__lt=part.number).values_list("rows", flat=True))
    report = None
    if part.error_report:
        with part.error_report.open("rb") as stored:
            report = stored.read()
    rows = list(
        accepted_rows(
            rows_of_import(job.id, job.original, job.time_zone, job.date_format)[offset : offset + part.rows],
            state=part.state,
            report=report,
        )
    )
    _insert(part, job.pk, rows, part.finished_at or timezone.now())
    return len(rows)


def _insert(part: ImportPart, import_id, rows: list[ScheduleRow], accepted_at) -> None:
    """Writes the rows in batches of plain tuples: the ORM's bulk_create
    prepares every value of every object in Python, several seconds for a
    5 MB file's 57,000 rows, all of it inside the lifecycle's transaction
    (on SQLite, every other writer waits that long)."""
    field = AcceptedEvent._meta.get_field
    constant = (
        field("import_job").get_db_prep_value(import_id, connection),
        part.pk,
        field("accepted_at").get_db_prep_value(accepted_at, connection),
    )
    minutes: dict = {}
    for moment in {row.start for row in rows} | {row.end for row in rows}:
        minutes[moment] = int(moment.timestamp()) // 60
    lowered = {email: email.lower() for email in {row.agent_email for row in rows}}
    values = [
        (part.account_key, lowered[row.agent_email], minutes[row.start], minutes[row.end], row.event_type, *constant)
        for row in rows
    ]
    table = connection.ops.quote_name(AcceptedEvent._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(field(name).column)
        for name in (
            "account_key",
            "agent_email",
            "start_minute",
            "end_minute",
            "event_type",
            "import_job",
            "part",
            "accepted_at",
        )
    )
    # Only the table's and columns' names are formatted in; every value is a parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 8)})"  # noqa: S608
    with connection.cursor() as cursor:
        for first in range(0, len(values), BATCH):
            cursor.executemany(sql, values[first : first + BATCH])


def accepted_rows(rows: list[ScheduleRow], *, state: str, report: bytes | None) -> Iterable[ScheduleRow]:
    """The part's rows Talkdesk took. A part imported with errors whose
    report could not be kept records none: which of its rows failed is not
    known, and a row wrongly called imported would hide a missing event."""
    if state == PartState.IMPORTED_WITH_ERRORS:
        if report is None:
            return []
        sent = [(row.agent_name, row.agent_email, row.start_text, row.end_text, row.event_type) for row in rows]
        rejected = rejected_positions(read_error_report(report), sent, HEADER)
        rows = [row for position, row in enumerate(rows) if position not in rejected]
    return [row for row in rows if row.start is not None and row.end is not None]


def rows_of_import(import_id, original, time_zone: str, date_format: str) -> list[ScheduleRow]:
    """The rows as checked at upload, read back; an import from before they
    were kept has its file checked again. Takes plain values, not the model,
    so that the migration filling the record for earlier imports uses it."""
    name = checked_rows.stored_name(import_id)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stored:
            return checked_rows.read_rows(stored.read(), time_zone=time_zone)
    with original.open("rb") as stored:
        return check_schedule(stored.read(), time_zone=time_zone, date_format=date_format or None).rows


def normalised_sha256(parts: list[bytes]) -> str:
    """The fingerprint of the file as sent, from its parts: each after the
    first repeats the header, which the whole file has once."""
    digest = hashlib.sha256()
    for number, content in enumerate(parts):
        digest.update(content if number == 0 else content.split(b"\r\n", 1)[1])
    return digest.hexdigest()
