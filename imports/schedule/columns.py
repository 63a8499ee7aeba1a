"""Columns that are not Talkdesk's, made into Talkdesk's before the header
is mapped: a planner's mapping of their own columns, a date column with
separate start and end time columns, and first and last name columns. Each
change is said.

Plain module: no Django.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from imports.schedule.header import HEADER, column_meant, map_header, squash
from imports.schedule.java_date_format import DATE_FORMATS, format_day, read_time
from imports.schedule.table import Table

DATE = "Date"
"""The extra field a mapping may name: the day of separate time columns."""
MAPPABLE = (*HEADER, DATE)
_NAME, _EMAIL, _START, _END, _TYPE = HEADER
_DATE_NAMES = {"date", "day", "shiftdate", "workdate", "scheduledate", "eventdate", "workday"}
_FIRST_NAMES = {"firstname", "givenname", "first", "forename", "agentfirstname", "employeefirstname"}
_LAST_NAMES = {"lastname", "surname", "familyname", "last", "agentlastname", "employeelastname"}
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\s*(?:([AaPp])\.?[Mm]\.?)?")
_FRACTION = re.compile(r"0?\.[0-9]+|0")
_SAMPLES = 3
_NOT_USED = " (not used)"


def header_signature(cells: list[str]) -> str:
    """The same for two headers that name the same columns in the same order,
    whatever their case, spacing or punctuation."""
    squashed = "|".join(squash(cell) for cell in cells if cell.strip())
    return hashlib.sha256(squashed.encode()).hexdigest()[:32]


def column_samples(table: Table) -> list[dict[str, Any]]:
    """Each of the file's columns with a few of its values, for a person
    choosing which column is which."""
    rows = _rows(table)
    columns = []
    for index, name in enumerate(table.header):
        samples: list[str] = []
        for row in rows:
            value = row[index].strip() if index < len(row) else ""
            if value and value not in samples:
                samples.append(value)
                if len(samples) == _SAMPLES:
                    break
        if name.strip() or samples:
            columns.append({"name": name, "letter": table.letter(index), "samples": samples})
    return columns


def apply_mapping(table: Table, mapping: dict[str, str], *, said: str) -> Table:
    """The header with each mapped column named as the field it is; columns
    that would otherwise be read as a mapped field are left out. said begins
    the sentence that tells the planner."""
    header = list(table.header)
    used: dict[str, int] = {}
    for field in MAPPABLE:
        name = mapping.get(field)
        if not name:
            continue
        index = next((i for i, cell in enumerate(header) if cell.strip() == name and i not in used.values()), None)
        if index is None:
            continue
        used[field] = index
    for index, cell in enumerate(header):
        if index not in used.values() and (column_meant(cell) in used or squash(cell) in _DATE_NAMES and DATE in used):
            header[index] = cell + _NOT_USED
    for field, index in used.items():
        header[index] = field
    if not used:
        return table
    described = ", ".join(
        f"{field} from column {table.letter(index)} '{table.header[index]}'" for field, index in used.items()
    )
    fixes = [*table.fixes, (table.header_row, "columns_mapped", f"{said}: {described}.")]
    return replace(table, header=header, fixes=fixes, letters=_letters(table))


def recognise_columns(table: Table, *, date_format: str | None) -> Table:
    table = _join_names(table)
    return _join_date_and_times(table, date_format)


def _letters(table: Table) -> list[str]:
    return [table.letter(index) for index in range(len(table.header))]


def _rows(table: Table) -> list[list[str]]:
    if table.rows is not None:
        return table.rows
    width = len(table.header)
    cells = table.cells or []
    return [cells[start : start + width] for start in range(0, len(cells), width)]


def _find(header: list[str], names: set[str]) -> int | None:
    return next((index for index, cell in enumerate(header) if squash(cell) in names), None)


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _without(
    table: Table, drop: int, header: list[str], rows: list[list[str]], fix: tuple[int | None, str, str]
) -> Table:
    letters = _letters(table)
    del letters[drop]
    del header[drop]
    for row in rows:
        if drop < len(row):
            del row[drop]
    return replace(table, header=header, rows=rows, cells=None, lines=None, letters=letters, fixes=[*table.fixes, fix])


def _join_names(table: Table) -> Table:
    if any(column_meant(cell) == _NAME for cell in table.header):
        return table
    first, last = _find(table.header, _FIRST_NAMES), _find(table.header, _LAST_NAMES)
    if first is None or last is None:
        return table
    rows = [list(row) for row in _rows(table)]
    for row in rows:
        if first < len(row):
            row[first] = " ".join(part for part in (_cell(row, first), _cell(row, last)) if part)
    header = list(table.header)
    header[first] = _NAME
    message = (
        f"Agent Name is made of column {table.letter(first)} '{table.header[first].strip()}' and column "
        f"{table.letter(last)} '{table.header[last].strip()}', joined by a space."
    )
    return _without(table, last, header, rows, (table.header_row, "names_joined", message))


def _join_date_and_times(table: Table, date_format: str | None) -> Table:
    header = table.header
    day_at = _find(header, {*_DATE_NAMES, squash(DATE)})
    start_at = next((i for i, cell in enumerate(header) if column_meant(cell) == _START or cell == _START), None)
    end_at = next((i for i, cell in enumerate(header) if column_meant(cell) == _END or cell == _END), None)
    if day_at is None or start_at is None or end_at is None:
        return table
    rows = [list(row) for row in _rows(table)]
    starts = {_cell(row, start_at) for row in rows} - {""}
    ends = {_cell(row, end_at) for row in rows} - {""}
    if not starts or any(_clock(text) is None for text in starts | ends):
        return table
    days = {_cell(row, day_at) for row in rows} - {""}
    day_format = _day_format(days, date_format)
    next_day_rows = []
    for number, row in zip(table.numbers, rows, strict=True):
        day = _cell(row, day_at)
        start, end = _cell(row, start_at), _cell(row, end_at)
        start_clock, end_clock = _clock(start) or start, _clock(end) or end
        end_day = day
        if day and day_format and start_clock and end_clock and end_clock < start_clock:
            moment = read_time(f"00:00 {day}", day_format)
            if isinstance(moment, datetime):
                end_day = format_day((moment + timedelta(days=1)).date(), day_format.removeprefix("HH:mm "))
                next_day_rows.append(number)
        while len(row) <= max(start_at, end_at):
            row.append("")
        row[start_at] = f"{start_clock} {day}" if start_clock else ""
        row[end_at] = f"{end_clock} {end_day}" if end_clock else ""
    header = list(header)
    header[start_at], header[end_at] = _START, _END
    message = (
        f"Start Time and End Time are made of the date in column {table.letter(day_at)} '{table.header[day_at].strip()}' "
        f"and the times in columns {table.letter(start_at)} '{table.header[start_at].strip()}' and "
        f"{table.letter(end_at)} '{table.header[end_at].strip()}'."
    )
    joined = _without(table, day_at, header, rows, (table.header_row, "date_and_times_joined", message))
    if next_day_rows:
        shown = ", ".join(map(str, next_day_rows[:5])) + (" and more" if len(next_day_rows) > 5 else "")
        count = len(next_day_rows)
        joined.fixes.append(
            (
                next_day_rows[0],
                "end_next_day",
                f"{count:,} event{'s end' if count != 1 else ' ends'} earlier in the day than {'they start' if count != 1 else 'it starts'}, "
                f"so {'each is' if count != 1 else 'it is'} read as ending the next day (row{'s' if count != 1 else ''} {shown}).",
            )
        )
    return joined


def _clock(text: str) -> str | None:
    """HH:mm for a time of day as spreadsheets write it: 9:00, 09:00:00,
    9:00 PM, or a fraction of a day (0.375) as a workbook keeps one."""
    if _FRACTION.fullmatch(text):
        minutes = round(float(text) * 24 * 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}" if minutes < 24 * 60 else None
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    hour, minute, second, half = int(match[1]), int(match[2]), match[3], match[4]
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half in "Pp" else 0)
    if hour > 23 or minute > 59 or (second and second != "00"):
        return None
    return f"{hour:02d}:{minute:02d}"


def _day_format(days: set[str], chosen: str | None) -> str | None:
    """The date format whose day part reads every date, when that is not in
    doubt: the chosen one, or the only meaning the dates have."""
    fitting = [
        name for name in DATE_FORMATS if all(isinstance(read_time(f"00:00 {day}", name), datetime) for day in days)
    ]
    if chosen in fitting:
        return chosen
    meanings = {tuple(sorted((day, read_time(f"00:00 {day}", name)) for day in days)) for name in fitting}
    return fitting[0] if len(meanings) == 1 else None


def apply_edits(table: Table, edits: list[dict[str, Any]]) -> Table:
    """The changes a person made in the portal, in order, each said: a cell
    ({"row", "column", "value"}) or every cell of a column equal to one value
    ({"column", "find", "replace"}). Columns are Talkdesk's, found as the
    checks will find them; with a header that cannot be mapped there is
    nothing to change."""
    if not edits:
        return table
    positions = map_header(table.header, table.header_row).positions
    if positions is None:
        return table
    rows = [list(row) for row in _rows(table)]
    index_of = {number: index for index, number in enumerate(table.numbers)}
    fixes = list(table.fixes)
    for edit in edits:
        if edit.get("column") not in HEADER:
            continue
        at = positions[HEADER.index(edit["column"])]
        if "find" in edit:
            changed = []
            for number, row in zip(table.numbers, rows, strict=True):
                if at < len(row) and row[at].strip() == edit["find"]:
                    row[at] = edit["replace"]
                    changed.append(number)
            if changed:
                fixes.append(
                    (
                        changed[0],
                        "replaced_in_portal",
                        f"Every '{edit['find']}' in {edit['column']} was replaced by '{edit['replace']}' in the portal "
                        f"({len(changed):,} cell{'s' if len(changed) != 1 else ''}).",
                    )
                )
            continue
        index = index_of.get(int(edit.get("row") or 0))
        if index is None:
            continue
        row = rows[index]
        while len(row) <= at:
            row.append("")
        old, row[at] = row[at], edit["value"]
        fixes.append(
            (
                edit["row"],
                "edited_in_portal",
                f"{edit['column']} was changed in the portal from '{old}' to '{edit['value']}'.",
            )
        )
    return replace(table, rows=rows, cells=None, lines=None, fixes=fixes)
