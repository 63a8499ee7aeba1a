"""The rows held back when only a file's valid rows are sent: the file to
send of the others, and the held ones in the file's own columns with a
Problem column, to fix and upload later.

Plain module: no Django.
"""

from __future__ import annotations

import csv
import io

from imports.schedule.check import HEADER, LINE_END, ScheduleRow
from imports.schedule.findings import Severity
from imports.schedule.readers import ReadOptions, read_source_rows

PROBLEM = "Problem"


def rows_file(rows: list[ScheduleRow]) -> bytes:
    """The rows as a schedule file in Talkdesk's columns, cells exactly as the
    check read them, to be checked and sent."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=LINE_END)
    writer.writerow(HEADER)
    writer.writerows((row.agent_name, row.agent_email, row.start_text, row.end_text, row.event_type) for row in rows)
    return out.getvalue().encode("utf-8")


def every_error(findings_csv: bytes) -> list[tuple[int | None, str]]:
    """(row, message) of each error in the complete list of a check's
    findings (imports/schedule/findings.py writes it)."""
    text = findings_csv.decode("utf-8")
    return [
        (int(row) if row else None, message)
        for severity, row, _column, _code, message in csv.reader(io.StringIO(text, newline=""))
        if severity == Severity.ERROR.value
    ]


def held_file(data: bytes, options: ReadOptions, problems: dict[int, list[str]]) -> bytes:
    """The held rows of the uploaded file (problems: spreadsheet row ->
    messages) in its own columns, in its order, each with its problems."""
    header, rows = read_source_rows(data, options)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=LINE_END)
    writer.writerow([*header, PROBLEM])
    width = len(header)
    for number in sorted(problems):
        cells = rows.get(number, [])
        cells = (list(cells) + [""] * width)[:width]
        writer.writerow([*cells, f"Row {number}: " + " ".join(problems[number])])
    return out.getvalue().encode("utf-8")
