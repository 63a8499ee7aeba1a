"""Finds Talkdesk's five columns in the header a planner's spreadsheet has.

Talkdesk refuses the whole file unless the header is exactly
Agent Name,Agent Email,Start Time,End Time,Event Type Name (in that order,
case-sensitive), so names that plainly mean one of them are mapped, and
every change is said out loud.

Plain module: no Django.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

HEADER: tuple[str, ...] = ("Agent Name", "Agent Email", "Start Time", "End Time", "Event Type Name")

# Header names as a spreadsheet or an HRIS export commonly has them, compared
# lower-case with everything but letters and digits removed ("E-mail",
# "e_mail" and "EMAIL" are all "email").
_ALIASES: dict[str, tuple[str, ...]] = {
    "Agent Name": (
        "agentname",
        "name",
        "agent",
        "fullname",
        "agentfullname",
        "employee",
        "employeename",
        "displayname",
    ),
    "Agent Email": (
        "agentemail",
        "email",
        "emailaddress",
        "agentemailaddress",
        "mail",
        "employeeemail",
        "useremail",
        "workemail",
        "workemailaddress",
    ),
    "Start Time": (
        "starttime",
        "start",
        "startdate",
        "startdatetime",
        "from",
        "begin",
        "begintime",
        "eventstart",
        "shiftstart",
    ),
    "End Time": (
        "endtime",
        "end",
        "enddate",
        "enddatetime",
        "finish",
        "finishtime",
        "to",
        "until",
        "stop",
        "eventend",
        "shiftend",
    ),
    "Event Type Name": (
        "eventtypename",
        "eventtype",
        "event",
        "type",
        "activity",
        "activityname",
        "activitytype",
        "eventname",
    ),
}
_COLUMN_BY_ALIAS = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class HeaderFinding:
    code: str
    column: str | None
    message: str


@dataclass(frozen=True)
class HeaderMap:
    positions: tuple[int, ...] | None
    """Where each of the five columns is in a row, in HEADER order; None when
    the header cannot be used."""
    fixes: list[HeaderFinding]
    errors: list[HeaderFinding]


def column_meant(cell: str) -> str | None:
    return _COLUMN_BY_ALIAS.get(squash(cell))


def column_letter(index: int) -> str:
    """The spreadsheet's name for the column at a zero-based index: A, B, … Z, AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def map_header(cells: list[str], row: int, *, letter: Callable[[int], str] = column_letter) -> HeaderMap:
    """letter: the column's name as the planner sees it, by index in cells
    (a sheet's table may start in column B; columns may have been joined)."""
    found: dict[str, list[int]] = {}
    unknown: list[int] = []
    for index, cell in enumerate(cells):
        column = column_meant(cell)
        if column is None:
            unknown.append(index)
        else:
            found.setdefault(column, []).append(index)

    if not found:
        expected = ",".join(HEADER)
        return HeaderMap(
            None,
            [],
            [
                HeaderFinding(
                    "missing_header",
                    None,
                    f"Row {row} is not the header Talkdesk needs: the first row must be {expected}.",
                )
            ],
        )

    errors = [_duplicate(column, indexes, cells, letter) for column, indexes in found.items() if len(indexes) > 1]
    errors += [_missing(column, row, cells, unknown, letter) for column in HEADER if column not in found]
    if errors:
        errors.sort(key=lambda finding: HEADER.index(finding.column))
        return HeaderMap(None, [], errors)

    positions = tuple(found[column][0] for column in HEADER)
    fixes = []
    ranked = sorted(positions)
    for column, index in zip(HEADER, positions, strict=True):
        cell = cells[index]
        moved = ranked.index(index) != HEADER.index(column)
        where = f"column {letter(index)}"
        sent_as = f"column {column_letter(HEADER.index(column))}"
        if cell != column:
            also_moved = f", and sent as {sent_as}" if moved else ""
            fixes.append(
                HeaderFinding(
                    "column_renamed", column, f"The header '{cell}' ({where}) is read as '{column}'{also_moved}."
                )
            )
        elif moved:
            fixes.append(
                HeaderFinding(
                    "column_moved",
                    column,
                    f"'{column}' was {where}; it is sent as {sent_as}, where Talkdesk expects it.",
                )
            )
    for index in unknown:
        name = cells[index].strip()
        what = f"Column {letter(index)} '{name}'" if name else f"Column {letter(index)}, which has no header,"
        fixes.append(
            HeaderFinding(
                "column_dropped", None, f"{what} is not one of Talkdesk's columns; it is left out of the file sent."
            )
        )
    return HeaderMap(positions, fixes, [])


def squash(cell: str) -> str:
    return _NOT_LETTER_OR_DIGIT.sub("", cell.casefold())


def _duplicate(column: str, indexes: list[int], cells: list[str], letter: Callable[[int], str]) -> HeaderFinding:
    places = " and ".join(f"column {letter(index)} '{cells[index].strip()}'" for index in indexes)
    return HeaderFinding(
        "duplicate_column", column, f"'{column}' appears more than once in the header: {places}. Keep one."
    )


def _missing(
    column: str, row: int, cells: list[str], unknown: list[int], letter: Callable[[int], str]
) -> HeaderFinding:
    message = f"The header (row {row}) has no '{column}' column."
    squashed = {squash(cells[index]): index for index in unknown if cells[index].strip()}
    near = difflib.get_close_matches(squash(column), list(squashed), n=1, cutoff=0.7)
    if near:
        index = squashed[near[0]]
        message += f" Is column {letter(index)} '{cells[index].strip()}' meant to be it? Rename it to '{column}'."
    return HeaderFinding("missing_column", column, message)
