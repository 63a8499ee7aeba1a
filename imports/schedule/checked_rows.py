"""The rows of a schedule file as the checks read them, kept beside the
upload so that the pages that show them (every row, the timeline, the fixed
file, the rows Talkdesk rejected) read them back instead of checking the
file again on every view.

A CSV file: the spreadsheet row, the five cells as sent, and the start and
end as seconds since the epoch (empty when the time was not read).

Plain module: no Django.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Generator
from datetime import datetime
from functools import partial
from typing import BinaryIO
from zoneinfo import ZoneInfo

from imports.schedule.check import EventColumns, ScheduleRow

_make_row = partial(tuple.__new__, ScheduleRow)
# A schedule repeats its times on row after row, so each is read once; but a
# file of all-different times must not grow the memo without end.
_MOMENTS_KEPT = 10_000


def stored_name(import_id: object) -> str:
    """Where an import's checked rows are kept, beside its original."""
    return f"imports/{import_id}/rows.csv"


def events_name(import_id: object) -> str:
    """Where the same rows are kept as the events the record is compared
    with (read_events), beside them."""
    return f"imports/{import_id}/events.json"


def write_events(events: EventColumns) -> bytes:
    """The events as five JSON lists: read back in C, where the rows' CSV
    took a Python step for each of tens of thousands of rows on every view
    of what a file changes."""
    return json.dumps(events, separators=(",", ":")).encode("utf-8")


def load_events(data: bytes) -> EventColumns:
    return EventColumns(*json.loads(data))


def write_rows(rows: list[ScheduleRow]) -> bytes:
    moments: dict[datetime | None, str] = {None: ""}
    for row in rows:
        for moment in (row.start, row.end):
            if moment is not None and moment not in moments:
                moments[moment] = str(int(moment.timestamp()))
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(
        (
            row.row,
            row.agent_name,
            row.agent_email,
            row.start_text,
            row.end_text,
            row.event_type,
            moments[row.start],
            moments[row.end],
        )
        for row in rows
    )
    return out.getvalue().encode("utf-8")


def read_rows(data: bytes, *, time_zone: str) -> list[ScheduleRow]:
    return list(iter_rows(io.BytesIO(data), time_zone=time_zone))


def iter_rows(stored: BinaryIO, *, time_zone: str) -> Generator[ScheduleRow, None, None]:
    """The rows one at a time, as they are read from the open file: a page
    that shows a few of 700,000 rows holds only those."""
    zone = ZoneInfo(time_zone)
    moments: dict[str, datetime | None] = {"": None}
    text = io.TextIOWrapper(stored, encoding="utf-8", newline="")
    try:
        for row, name, email, start_text, end_text, kind, start, end in csv.reader(text):
            for seconds in (start, end):
                if seconds not in moments:
                    if len(moments) > _MOMENTS_KEPT:
                        moments = {"": None}
                    moments[seconds] = datetime.fromtimestamp(int(seconds), zone)
            yield _make_row((int(row), name, email, start_text, end_text, kind, moments[start], moments[end]))
    finally:
        # The file is the caller's to close, not the reader's: a wrapper
        # dropped with the rows would close it.
        if not stored.closed:
            text.detach()


def read_events(data: bytes) -> EventColumns:
    """The rows kept as the events to compare with others, without building
    a datetime for each: each distinct time is made a minute once. Each
    row's list is dropped as the next is read, so the garbage collector,
    which counts the containers alive, is not set off by tens of thousands
    of them."""
    rows, emails, starts, ends, types = [], [], [], [], []
    for row, _name, email, _start_text, _end_text, kind, start, end in csv.reader(
        io.StringIO(data.decode("utf-8"), newline="")
    ):
        rows.append(row)
        emails.append(email)
        starts.append(start)
        ends.append(end)
        types.append(kind)
    minutes: dict[str, int | None] = {seconds: int(seconds) // 60 for seconds in {*starts, *ends} - {""}}
    minutes[""] = None
    return EventColumns(
        list(map(int, rows)),
        emails,
        list(map(minutes.__getitem__, starts)),
        list(map(minutes.__getitem__, ends)),
        types,
    )
