"""What Talkdesk checks in a schedule CSV: the template line at upload time,
then each row once the import is processed, and the error report of the
rows that failed."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC
from zoneinfo import ZoneInfo

from simulator.config import Account
from simulator.java_time import JavaPattern

TEMPLATE_HEADER = "Agent Name,Agent Email,Start Time,End Time,Event Type Name"
COLUMNS = tuple(TEMPLATE_HEADER.split(","))
REPORT_COLUMNS = (*COLUMNS, "Row", "Error")


@dataclass(frozen=True)
class FailedRow:
    row: int
    values: tuple[str, ...]
    error: str


@dataclass(frozen=True)
class Evaluation:
    rows: int
    failures: tuple[FailedRow, ...]
    unreadable: str | None = None

    @property
    def status(self) -> str:
        if self.unreadable or self.rows == 0:
            return "ERROR"
        return "IMPORTED_WITH_ERRORS" if self.failures else "IMPORTED"


def as_text(content: bytes) -> str | None:
    """The file as text, or None when it is not a text file (not UTF-8, or with NUL bytes)."""
    if b"\x00" in content:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def has_template_header(text: str) -> bool:
    # Exactly the template line: a byte-order mark, quotes or spaces make it another line.
    first_line = text.split("\n", 1)[0]
    return first_line.removesuffix("\r") == TEMPLATE_HEADER


def evaluate(text: str, *, account: Account, date_format: str, time_zone: str) -> Evaluation:
    pattern, zone = JavaPattern(date_format), ZoneInfo(time_zone)
    rows, failures = 0, []
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        return Evaluation(rows=0, failures=(), unreadable=f"The file could not be read as CSV: {error}")
    # Spreadsheet numbering: the header is row 1, and blank lines keep their number.
    for row, record in enumerate(records[1:], start=2):
        if not record:
            continue
        rows += 1
        problems = _problems(record, account=account, pattern=pattern, zone=zone)
        if problems:
            values = tuple(record[: len(COLUMNS)]) + ("",) * (len(COLUMNS) - len(record))
            failures.append(FailedRow(row=row, values=values, error="; ".join(problems)))
    return Evaluation(rows=rows, failures=tuple(failures))


def _problems(record: list[str], *, account: Account, pattern: JavaPattern, zone: ZoneInfo) -> list[str]:
    if len(record) != len(COLUMNS):
        return [f"Expected {len(COLUMNS)} columns but found {len(record)}"]
    name, email, start_text, end_text, event_type = record
    problems = []
    if not name:
        problems.append("Agent Name is required")
    if email.lower() not in account.active_emails:
        problems.append(f"Agent email not found or not active: {email}")
    if event_type not in account.event_types:
        problems.append(f"Event type not found: {event_type}")
    times = []
    for label, text in (("Start Time", start_text), ("End Time", end_text)):
        try:
            # Compared as instants, so an event across a DST change is measured in real time.
            times.append(pattern.parse(text).replace(tzinfo=zone).astimezone(UTC))
        except ValueError:
            problems.append(f"Invalid {label} for format {pattern.pattern}: {text}")
    if len(times) == 2 and times[1] <= times[0]:
        problems.append(f"End Time must be after Start Time: {start_text} to {end_text}")
    return problems


def error_report(failures: tuple[FailedRow, ...]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    for failure in failures:
        writer.writerow((*failure.values, failure.row, failure.error))
    return out.getvalue().encode("utf-8")
