"""Reads a planner's schedule file and finds every problem Talkdesk's
Schedule Event Import would trip on, each with its spreadsheet row, before
anything is sent; and writes the file that is sent.

Talkdesk checks the file only after accepting it, and then reports rows of
its own numbering in a report that expires in ten minutes, so everything it
is known to refuse is checked here, against the rows as the planner's
spreadsheet numbers them (the header is row 1; blank rows count, as a
spreadsheet shows them; a quoted cell with line breaks is still one row).

Plain module, standard library only: no Django.

Over 600 lines on purpose: the checks are one pass over the file's columns
in one class, each column cleaned and each time read once and shared by the
checks of the cells, the account, the times, the events and the writing of
the parts; cut into modules, that shared state would have to be passed
between them at every step of a 60,000-row check. The readers, the findings,
the header, the date formats and the time zones are modules of their own.
"""

from __future__ import annotations

import calendar
import csv
import difflib
import gc
import io
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property, partial
from itertools import islice
from operator import add, lt, sub
from typing import Any, NamedTuple, TextIO, TypeVar

from imports.schedule.columns import column_samples
from imports.schedule.csv_text import CONTROL_CHARACTER, UnreadableFile
from imports.schedule.findings import FIRST_OF_EACH_KIND, Findings, Severity
from imports.schedule.formulas import FORMULA_STARTS, neutralise_cell
from imports.schedule.header import HEADER, map_header
from imports.schedule.java_date_format import DATE_FORMATS, DEFAULT_DATE_FORMAT, EXAMPLES, parse_time, read_time
from imports.schedule.local_times import ZoneClock, zone_names
from imports.schedule.readers import ReadOptions, read_schedule_table
from imports.schedule.table import Table, pick_columns
from imports.schedule.workbook import UNREAD_MARK, WorkbookLimits

__all__ = [
    "DATE_FORMATS",
    "DEFAULT_DATE_FORMAT",
    "FIRST_OF_EACH_KIND",
    "FORMULA_STARTS",
    "HEADER",
    "LONG_EVENT_HOURS",
    "MAX_FILE_BYTES",
    "PART_LIMIT_BYTES",
    "AccountFacts",
    "EventColumns",
    "Fix",
    "Problem",
    "ScheduleCheck",
    "ScheduleRow",
    "Summary",
    "check_schedule",
    "check_table",
    "download_csv",
    "download_rows_csv",
    "neutralise_cell",
    "rows_csv",
]

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Talkdesk's limit for one uploaded file."""
PART_LIMIT_BYTES = 5_000_000
"""Every file sent stays below this: under Talkdesk's limit however it
counts a megabyte."""
LONG_EVENT_HOURS = 16
"""Events longer than this are reported: most likely a wrong end date."""

# RFC 4180's line ending, which Excel writes too; Talkdesk's spec does not
# name one, and a CSV reader that takes either takes this.
LINE_END = "\r\n"

_NAME, _EMAIL, _START, _END, _TYPE = HEADER
_ONE_DIGIT_HOUR = re.compile(r"[0-9]:[0-5][0-9] ")


def _two_digit_hour(value: str) -> str:
    return "0" + value if _ONE_DIGIT_HOUR.match(value) else value


_COLUMN_ORDER = {column: index for index, column in enumerate(HEADER)}
_EMAIL_SYNTAX = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]"
)
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
_LONG_EVENT_MINUTES = LONG_EVENT_HOURS * 60
_DAY_MINUTES = 24 * 60
# A wrong-account file can have hundreds of unknown e-mails; comparing each
# with thousands of agents for a suggestion would take seconds, so
# suggestions stop after this many distinct unknown ones.
_SUGGESTIONS_LIMIT = 200
_UTC_FALLBACK = "UTC"
# The header's problems that a person's mapping of the columns can settle.
_HEADER_CODES = {"missing_header", "missing_column", "duplicate_column"}


@dataclass(frozen=True, slots=True)
class Problem:
    row: int | None
    column: str | None
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Fix:
    row: int | None
    column: str | None
    code: str
    message: str


@dataclass(frozen=True)
class AccountFacts:
    """What is known of the WFM the file is for; None means not known, and
    the check it would allow is skipped."""

    active_agents: dict[str, str] | None
    """Lower-cased e-mail -> agent name."""
    event_types: frozenset[str] | None
    where: str = "Talkdesk account"
    """The WFM in words, as in "not an active agent of this Talkdesk account"."""
    wfm: str = "Talkdesk"
    event_type_called: str = "event type"
    """What the WFM calls an event type (Genesys Cloud: an activity code)."""


@dataclass
class Summary:
    rows: int = 0
    agents: int = 0
    first_start: datetime | None = None
    last_end: datetime | None = None
    events_by_type: dict[str, int] = field(default_factory=dict)


class ScheduleRow(NamedTuple):
    row: int
    """The row number a spreadsheet shows."""
    agent_name: str
    agent_email: str
    start_text: str
    end_text: str
    event_type: str
    start: datetime | None
    end: datetime | None


class EventColumns(NamedTuple):
    """The file's events column by column, for comparing them with other
    events without building a row object each: the spreadsheet row, the
    e-mail and event type as sent, and the start and end as minutes since
    the epoch (None where the time was not read as an instant)."""

    rows: list[int]
    emails: list[str]
    starts: list[int | None]
    ends: list[int | None]
    types: list[str]


def _no_events() -> EventColumns:
    return EventColumns([], [], [], [], [])


# Tens of thousands of rows are built at once: tuple.__new__ through partial
# runs in C, where ScheduleRow(...) and ScheduleRow._make run Python code.
_make_row = partial(tuple.__new__, ScheduleRow)


@dataclass
class ScheduleCheck:
    readable: bool
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    """The findings kept, in row order: the first of each kind, or every one
    when the check was asked to keep them all (counts says how many there
    are)."""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """{"error"|"warning"|"fix": {code: how many were found}}."""
    date_format: str | None = None
    date_format_candidates: list[str] = field(default_factory=list)
    skipped_checks: list[str] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    read_rows: Callable[[], list[ScheduleRow]] = field(default=list, repr=False, compare=False)
    """Builds rows on first use: the findings and the file to send do not
    need them, and building tens of thousands of rows adds a sixth to the
    check's time."""
    read_events: Callable[[], EventColumns] = field(default=_no_events, repr=False, compare=False)
    normalised: bytes = b""
    """The file sent: UTF-8 without a byte-order mark, commas, CRLF, the exact
    header, values trimmed, quoted only where they must be."""
    parts: list[bytes] = field(default_factory=list)
    """The normalised file cut at row boundaries into files under
    PART_LIMIT_BYTES, each with the header; empty when there is no row."""
    kind: str = "csv"
    """What was read: csv, xlsx, xls or ods."""
    sheet: str | None = None
    """The workbook's sheet whose rows these are (rows are numbered as in it)."""
    sheets: list[str] = field(default_factory=list)
    """The workbook's sheets, to choose from."""
    source_header: list[str] = field(default_factory=list)
    """The file's own header, before any column was mapped or joined."""
    columns: list[dict[str, Any]] = field(default_factory=list)
    """When the header cannot be mapped: each of the file's columns (name,
    letter, a few values), for a person to say which is which."""

    @cached_property
    def rows(self) -> list[ScheduleRow]:
        return self.read_rows()

    @property
    def error_count(self) -> int:
        return sum(self.counts.get(Severity.ERROR, {}).values())

    @property
    def warning_count(self) -> int:
        return sum(self.counts.get(Severity.WARNING, {}).values())

    @property
    def fix_count(self) -> int:
        return sum(self.counts.get(Severity.FIX, {}).values())

    @property
    def ok(self) -> bool:
        return self.readable and not self.error_count

    def to_dict(self) -> dict[str, object]:
        return {
            "rows": self.summary.rows,
            "date_format": self.date_format,
            "parts": len(self.parts),
            "errors": [_finding_dict(problem) for problem in self.errors],
            "warnings": [_finding_dict(problem) for problem in self.warnings],
            "fixes": [_finding_dict(fix) for fix in self.fixes],
        }


def check_schedule(
    data: bytes,
    *,
    time_zone: str,
    date_format: str | None = None,
    account: AccountFacts | None = None,
    keep: int | None = FIRST_OF_EACH_KIND,
    every_finding: TextIO | None = None,
    sheet: str | None = None,
    workbook_limits: WorkbookLimits | None = None,
    mapping: dict[str, str] | None = None,
    mapping_said: str | None = None,
    edits: list[dict[str, Any]] | None = None,
) -> ScheduleCheck:
    """Everything known to be wrong with the file (a CSV file or a sheet of
    a workbook), in row order, and the file to send. keep: how many findings
    of each kind to keep (None: all); every_finding: a text stream that gets
    every finding as a CSV row; mapping: which of the file's columns is which
    field, as a person chose (columns.MAPPABLE); edits: changes made in the
    portal (columns.apply_edits)."""
    options = ReadOptions(
        sheet=sheet, date_format=date_format, workbook_limits=workbook_limits, mapping=mapping, edits=tuple(edits or ())
    )
    if mapping_said:
        options = replace(options, mapping_said=mapping_said)
    with _collector_paused():
        try:
            table = read_schedule_table(data, options)
        except UnreadableFile as unreadable:
            findings = Findings(keep=keep, every=every_finding)
            findings.add(Severity.ERROR, Problem(None, None, "unreadable_file", str(unreadable)))
            return ScheduleCheck(
                readable=False, errors=_kept(findings, Severity.ERROR, Problem), counts=findings.counts()
            )
        return check_table(
            table, time_zone=time_zone, date_format=date_format, account=account, keep=keep, every_finding=every_finding
        )


def check_table(
    table: Table,
    *,
    time_zone: str,
    date_format: str | None = None,
    account: AccountFacts | None = None,
    keep: int | None = FIRST_OF_EACH_KIND,
    every_finding: TextIO | None = None,
) -> ScheduleCheck:
    """check_schedule of a file already read."""
    findings = Findings(keep=keep, every=every_finding)
    with _collector_paused():
        check = _Check(time_zone, date_format, account, findings).run(table)
    check.kind, check.sheet, check.sheets = table.kind, table.sheet, list(table.sheets)
    check.source_header = list(table.source_header or table.header)
    if any(problem.code in _HEADER_CODES for problem in check.errors):
        check.columns = column_samples(table)
    return check


def download_csv(check: ScheduleCheck) -> bytes:
    """The fixed file for a planner to open in a spreadsheet: as sent, but
    with formula cells neutralised and a UTF-8 byte-order mark, without which
    Excel shows accented names garbled. Empty when the file could not be read
    as a schedule."""
    if not check.normalised:
        return b""
    return download_rows_csv(check.rows)


def download_rows_csv(rows: list[ScheduleRow]) -> bytes:
    """download_csv of rows a check read."""
    return "\ufeff".encode() + _rows_csv(rows, neutralise_cell)


def rows_csv(rows: list[ScheduleRow]) -> bytes:
    """Rows a check read as a schedule file to check and send again: the
    cells as read, nothing neutralised, no byte-order mark."""
    return _rows_csv(rows, str)


def _rows_csv(rows: list[ScheduleRow], shown: Callable[[str], str]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=LINE_END)
    writer.writerow(HEADER)
    writer.writerows(
        [shown(value) for value in (row.agent_name, row.agent_email, row.start_text, row.end_text, row.event_type)]
        for row in rows
    )
    return out.getvalue().encode("utf-8")


def _finding_dict(finding: Problem | Fix) -> dict[str, object]:
    return {"row": finding.row, "column": finding.column, "code": finding.code, "message": finding.message}


_collector_lock = threading.Lock()
_collector_pauses = 0
_collector_was_enabled = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A 60,000-row file makes hundreds of thousands of objects that all
    live to the end; the cyclic collector's repeated scans of them would
    double the time taken, and they hold no cycles to collect."""
    global _collector_pauses, _collector_was_enabled
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0 and _collector_was_enabled:
                gc.enable()


class _Cells(NamedTuple):
    """One column's values, a value per data row, and the distinct values:
    most checks look at each distinct value once, since a schedule repeats
    its agents, times and event types on row after row."""

    values: list[str]
    distinct: set[str]
    cleaned: bool
    """Whether any value differs from the file's."""


class _Times(NamedTuple):
    """What each distinct time text means."""

    aware: dict[str, datetime]
    """In the zone, for the texts that name a real instant in a valid zone."""
    minutes: dict[str, int]
    """Minutes since the epoch of the instant meant, for order and durations
    (the formats have no seconds, and smaller numbers are quicker to add and
    compare), for the texts that name one."""


class _Check:
    """One check of one file; run() once."""

    def __init__(self, time_zone: str, date_format: str | None, account: AccountFacts | None, findings: Findings):
        self.time_zone = time_zone
        self.date_format = date_format
        self.account = account
        self.findings = findings
        self._where = account.where if account else "Talkdesk account"
        self._wfm = account.wfm if account else "Talkdesk"
        self._event_type = account.event_type_called if account else "event type"
        self.skipped: list[str] = []
        self.candidates: list[str] = []
        self.numbers: list[int] = []
        # Rows (by index) whose cells do not line up with the header, or that
        # swallow the rest of the file: only that is reported for them, since
        # every other finding about them would be noise.
        self.misshapen: set[int] = set()
        if account is None or account.active_agents is None:
            self.skipped.append(
                f"Agent e-mails were not checked against the {self._where}: its active agents are not known. "
                "Sync the agents to have them checked."
            )
        if account is None or account.event_types is None:
            self.skipped.append(
                f"Event type names were not checked against the {self._where}: its event types are not known."
            )
        self.clock = self._zone_clock()

    def _error(self, problem: Problem) -> None:
        self.findings.add(Severity.ERROR, problem)

    def _warn(self, problem: Problem) -> None:
        self.findings.add(Severity.WARNING, problem)

    def _fix(self, fix: Fix) -> None:
        self.findings.add(Severity.FIX, fix)

    def run(self, table: Table) -> ScheduleCheck:
        for row, code, message in table.fixes:
            self._fix(Fix(row, None, code, message))
        header = map_header(table.header, table.header_row, letter=table.letter)
        for found in header.fixes:
            self._fix(Fix(table.header_row, found.column, found.code, found.message))
        for found in header.errors:
            self._error(Problem(table.header_row, found.column, found.code, found.message))
        unclosed = table.unclosed_quote_row
        if unclosed is not None:
            self._error(
                Problem(
                    unclosed,
                    None,
                    "unclosed_quote",
                    f'A quote (") opened in row {unclosed} is never closed, so everything after it reads as one cell. '
                    "Close the quote or remove it.",
                )
            )
        if header.positions is None:
            return self._result()
        if not table.numbers:
            self._error(Problem(None, None, "no_rows", "The file has a header but no schedule rows."))
            return self._result(normalised=(",".join(HEADER) + LINE_END).encode())

        picked = pick_columns(table, header.positions)
        self.numbers = table.numbers
        for index, message in picked.misshapen.items():
            self._error(Problem(self.numbers[index], None, "wrong_cell_count", message))
        self.misshapen = set(picked.misshapen)
        if unclosed is not None and self.numbers[-1] == unclosed:
            self.misshapen.add(len(self.numbers) - 1)
        columns = [self._clean(column, values) for column, values in zip(HEADER, picked.values, strict=True)]
        if table.kind != "csv":
            for column, cells in zip(HEADER, columns, strict=True):
                self._check_unread(column, cells)
        # A plain file already in Talkdesk's shape is sent line for line.
        unchanged = table.lines is not None and table.header == list(HEADER) and table.delimiter == ","
        unchanged = unchanged and not any(cells.cleaned for cells in columns)
        names, emails, starts, ends, types = columns

        for column, cells in zip(HEADER, columns, strict=True):
            if table.has_control_characters:
                self._check_control_characters(column, cells)
            self._check_filled(column, cells)
            self._check_formulas(column, cells)
        self._check_email_syntax(emails)
        self._check_agents(emails)
        self._check_event_types(types)
        times = self._read_times(starts, ends)
        lines = table.lines if unchanged and table.lines is not None else _lines(columns)
        duplicates = self._check_duplicates(lines)
        self._check_events(times.minutes, starts, ends, emails, types, duplicates)

        numbers = self.numbers

        def read_rows() -> list[ScheduleRow]:
            with _collector_paused():
                return list(
                    map(
                        _make_row,
                        zip(
                            numbers,
                            names.values,
                            emails.values,
                            starts.values,
                            ends.values,
                            types.values,
                            map(times.aware.get, starts.values),
                            map(times.aware.get, ends.values),
                            strict=True,
                        ),
                    )
                )

        instants = {text: times.minutes[text] for text in times.aware}

        def read_events() -> EventColumns:
            return EventColumns(
                numbers,
                emails.values,
                list(map(instants.get, starts.values)),
                list(map(instants.get, ends.values)),
                types.values,
            )

        normalised, parts = self._write(lines)
        return self._result(
            _summary(times, starts, ends, emails, types, len(numbers)), read_rows, normalised, parts, read_events
        )

    def _clean(self, column: str, values: list[str]) -> _Cells:
        """Trims each value and puts a cell's line breaks on one line:
        Talkdesk would take the spaces as part of an e-mail address or an
        event type name, and no one means a cell over several lines in a
        schedule."""
        # One string object per distinct value: every later look-up of a
        # row's value then matches its key by identity, in the few objects
        # already in the cache, rather than comparing text in tens of
        # thousands of strings scattered over memory; the checks after this
        # take a third of the time.
        canonical: dict[str, str] = {}
        values = list(map(canonical.setdefault, values, values))
        distinct = set(canonical)
        trimmed = {value for value in distinct if value.strip() != value}
        broken = {value for value in distinct if "\n" in value or "\r" in value}
        # Every format Talkdesk takes starts "HH:mm ": "9:00 2026-06-01" can
        # only mean 09:00, so it is written so rather than refused.
        is_time = column in (_START, _END)
        short_hours = {value for value in distinct if _ONE_DIGIT_HOUR.match(value.strip())} if is_time else set()
        if not trimmed and not broken and not short_hours:
            return _Cells(values, distinct, cleaned=False)
        cleaned_texts: dict[str, str] = {}
        cleaned = {}
        for value in distinct:
            text = _LINE_BREAKS.sub(" ", value.strip())
            cleaned[value] = _canonical(cleaned_texts, _two_digit_hour(text) if is_time else text)
        rows = self._rows_with(values, trimmed)
        if rows:
            self._fix(
                Fix(
                    rows[0],
                    column,
                    "value_trimmed",
                    f"Spaces around {_count(len(rows), 'value')} in '{column}' were removed{_first_rows(rows)}.",
                )
            )
        rows = self._rows_with(values, broken)
        if rows:
            self._fix(
                Fix(
                    rows[0],
                    column,
                    "line_break_replaced",
                    f"Line breaks inside {_count(len(rows), 'cell')} of '{column}' were replaced by spaces{_first_rows(rows)}.",
                )
            )
        rows = self._rows_with(values, short_hours)
        if rows:
            self._fix(
                Fix(
                    rows[0],
                    column,
                    "hour_two_digits",
                    f"Hours written with one digit in {_count(len(rows), 'value')} of '{column}' now have two, "
                    f"as Talkdesk's format needs: 9:00 became 09:00{_first_rows(rows)}.",
                )
            )
        return _Cells(list(map(cleaned.__getitem__, values)), set(cleaned.values()), cleaned=True)

    def _rows_with(self, values: list[str], wanted: set[str]) -> list[int]:
        if not wanted:
            return []
        return [
            self.numbers[index] for index, value in enumerate(values) if value in wanted and index not in self.misshapen
        ]

    def _flag(
        self, column: str | None, values: list[str], found: dict[str, tuple[str, str]], *, warning: bool = False
    ) -> None:
        """Reports each row whose value has a finding; found maps a value to
        (code, message)."""
        if not found:
            return
        add = self._warn if warning else self._error
        for index, value in enumerate(values):
            if value in found and index not in self.misshapen:
                code, message = found[value]
                add(Problem(self.numbers[index], column, code, message))

    # Cells

    def _check_unread(self, column: str, cells: _Cells) -> None:
        """A workbook cell whose value the workbook does not hold is that
        row's one error: its other findings would follow from the cell read
        as empty."""
        found = {value: _unread_said(column, value) for value in cells.distinct if UNREAD_MARK in value}
        if not found:
            return
        self._flag(column, cells.values, found)
        self.misshapen.update(index for index, value in enumerate(cells.values) if value in found)

    def _check_control_characters(self, column: str, cells: _Cells) -> None:
        found = {}
        for value in cells.distinct:
            control = CONTROL_CHARACTER.search(value)
            if control:
                found[value] = (
                    "control_character",
                    f"{column} contains an invisible control character (U+{ord(control.group()):04X}); retype the value.",
                )
        self._flag(column, cells.values, found)

    def _check_filled(self, column: str, cells: _Cells) -> None:
        if "" in cells.distinct:
            self._flag(column, cells.values, {"": ("empty_cell", f"{column} is empty.")})

    def _check_formulas(self, column: str, cells: _Cells) -> None:
        found = {
            value: (
                "formula_cell",
                f"{column} starts with '{value[0]}', so a spreadsheet would run it as a formula. It is sent to Talkdesk "
                "as it is; in files you download from the portal it starts with ' so that it shows as text.",
            )
            for value in cells.distinct
            if value.startswith(FORMULA_STARTS)
        }
        self._flag(column, cells.values, found, warning=True)

    def _check_email_syntax(self, emails: _Cells) -> None:
        found = {
            email: ("invalid_email", f"'{email}' is not a valid e-mail address.")
            for email in emails.distinct
            if email and not _EMAIL_SYNTAX.fullmatch(email)
        }
        self._flag(_EMAIL, emails.values, found)

    # The account

    def _check_agents(self, emails: _Cells) -> None:
        agents = self.account.active_agents if self.account else None
        if agents is None:
            return
        unknown = sorted(
            email
            for email in emails.distinct
            if email and email.lower() not in agents and _EMAIL_SYNTAX.fullmatch(email)
        )
        known = list(agents)
        found = {}
        for number, email in enumerate(unknown):
            message = f"{email} is not an active agent of this {self._where}."
            near = (
                difflib.get_close_matches(email.lower(), known, n=1, cutoff=0.8) if number < _SUGGESTIONS_LIMIT else []
            )
            if near:
                message += f" Did you mean {near[0]} ({agents[near[0]]})?"
            found[email] = ("unknown_agent", message)
        self._flag(_EMAIL, emails.values, found)

    def _check_event_types(self, types: _Cells) -> None:
        known = self.account.event_types if self.account else None
        if known is None:
            return
        by_folded = {name.casefold(): name for name in sorted(known)}
        found = {}
        for name in types.distinct - known - {""}:
            same_letters = by_folded.get(name.casefold())
            if same_letters:
                found[name] = (
                    "event_type_case",
                    f"'{name}' differs from the {self._event_type} '{same_letters}' only in capitals, and {self._wfm} "
                    f"matches names exactly: change it to '{same_letters}'.",
                )
                continue
            message = f"'{name}' is not an {self._event_type} of this {self._where}."
            near = difflib.get_close_matches(name.casefold(), list(by_folded), n=1, cutoff=0.6)
            if near:
                message += f" Did you mean '{by_folded[near[0]]}'?"
            elif known:
                message += " Its event types are " + ", ".join(f"'{known_name}'" for known_name in sorted(known)) + "."
            found[name] = ("unknown_event_type", message)
        self._flag(_TYPE, types.values, found)

    # Times

    def _zone_clock(self) -> ZoneClock | None:
        if self.time_zone in zone_names():
            return ZoneClock(self.time_zone)
        message = f"'{self.time_zone}' is not an IANA time zone, such as America/New_York or UTC."
        wanted = self.time_zone.strip().casefold()
        near = [name for name in zone_names() if name.casefold() == wanted] or difflib.get_close_matches(
            self.time_zone, sorted(zone_names()), n=1, cutoff=0.8
        )
        if near:
            message += f" Did you mean {near[0]}?"
        self._error(Problem(None, None, "invalid_time_zone", message))
        self.skipped.append("Daylight-saving checks were skipped: the time zone is not valid.")
        return None

    def _read_times(self, starts: _Cells, ends: _Cells) -> _Times:
        """How each distinct time text reads, its problems reported."""
        texts = self._time_texts(starts, ends)
        self.date_format, moments = self._choose_date_format(texts)
        times = _Times({}, {})
        if self.date_format is None:
            return times
        # Without a valid zone the times are still read, for durations and
        # overlaps, as if in UTC; none of them is given to anyone as aware.
        clock = self.clock or ZoneClock(_UTC_FALLBACK)
        troubled = {}
        for text in texts:
            naive = moments.get(text) or parse_time(text, self.date_format)
            if isinstance(naive, str):
                troubled[text] = ("error", "invalid_time", naive)
                continue
            aware, utc_seconds, issue = clock.read(naive)
            if aware is not None and utc_seconds is not None:
                times.minutes[text] = utc_seconds // 60
                if self.clock:
                    times.aware[text] = aware
            if issue and self.clock:
                troubled[text] = ("error" if aware is None else "warning", *issue)
        for column, cells in ((_START, starts), (_END, ends)):
            for severity in ("error", "warning"):
                found = {
                    text: (code, f"{column}: {message}")
                    for text, (kind, code, message) in troubled.items()
                    if kind == severity and text in cells.distinct
                }
                self._flag(column, cells.values, found, warning=severity == "warning")
        return times

    def _time_texts(self, starts: _Cells, ends: _Cells) -> set[str]:
        if self.misshapen:
            shaped = [index for index in range(len(starts.values)) if index not in self.misshapen]
            texts = {starts.values[index] for index in shaped} | {ends.values[index] for index in shaped}
        else:
            texts = starts.distinct | ends.distinct
        texts.discard("")
        return texts

    def _choose_date_format(self, texts: set[str]) -> tuple[str | None, dict[str, datetime]]:
        """The format to read the times with, and what it reads them as when
        it reads every one of them."""
        chosen = self.date_format
        if chosen is not None and chosen not in DATE_FORMATS:
            self._error(
                Problem(
                    None,
                    None,
                    "unsupported_date_format",
                    f"'{chosen}' is not one of Talkdesk's date formats ({', '.join(DATE_FORMATS)}); "
                    "the format is worked out from the file instead.",
                )
            )
            chosen = None
        if not texts:
            return chosen or DEFAULT_DATE_FORMAT, {}
        if chosen is not None:
            moments = _read_every(chosen, texts)
            if moments is None:
                self._note_better_format(chosen, texts)
            return chosen, moments or {}
        return self._detect_date_format(texts)

    def _detect_date_format(self, texts: set[str]) -> tuple[str | None, dict[str, datetime]]:
        meanings = _distinct_meanings(texts)
        if len(meanings) == 1:
            [(date_format, moments)] = meanings.items()
            if date_format != DEFAULT_DATE_FORMAT:
                self._fix(
                    Fix(
                        None,
                        None,
                        "date_format_detected",
                        f"The times read as {date_format} (for example {EXAMPLES[date_format]}); Talkdesk is told so.",
                    )
                )
            return date_format, moments
        if meanings:
            self.candidates = list(meanings)
            example = min(text for text in texts if len({moments[text] for moments in meanings.values()}) > 1)
            days = " or ".join(_day(moments[example]) for moments in meanings.values())
            self._error(
                Problem(
                    None,
                    None,
                    "ambiguous_date_format",
                    f"The times fit more than one date format ({' or '.join(meanings)}), with different dates: "
                    f"'{example}' could be {days}. Choose the date format.",
                )
            )
            self.skipped.append("Times were not checked: the date format has to be chosen first.")
            return None, {}
        read = {name: sum(isinstance(read_time(text, name), datetime) for text in texts) for name in DATE_FORMATS}
        best = max(DATE_FORMATS, key=read.__getitem__)
        if read[best]:
            message = (
                f"No date format reads every time; {best} reads the most ({read[best]:,} of {len(texts):,} different "
                "values) and is used. The times it cannot read are listed as errors."
            )
        else:
            message = f"No date format reads any of the times; they are checked against the default, {best}."
        self._fix(Fix(None, None, "date_format_detected", message))
        return best, {}

    def _note_better_format(self, chosen: str, texts: set[str]) -> None:
        better = list(_distinct_meanings(texts))
        if better:
            self._error(
                Problem(
                    None,
                    None,
                    "date_format_mismatch",
                    f"Not every time reads as the chosen date format {chosen}, but every time reads as "
                    f"{' or as '.join(better)}: choose that format, or correct the times.",
                )
            )

    # Events

    def _check_duplicates(self, lines: list[str]) -> set[int]:
        if len(set(lines)) == len(lines):
            return set()
        first: dict[str, int] = {}
        duplicates = set()
        for index, line in enumerate(lines):
            earlier = first.setdefault(line, index)
            if earlier != index:
                duplicates.add(index)
                self._warn(
                    Problem(
                        self.numbers[index],
                        None,
                        "duplicate_row",
                        f"Row {self.numbers[index]} repeats row {self.numbers[earlier]} exactly: Talkdesk would get the event twice.",
                    )
                )
        return duplicates

    def _check_events(
        self,
        minutes: dict[str, int],
        starts: _Cells,
        ends: _Cells,
        emails: _Cells,
        types: _Cells,
        duplicates: set[int],
    ) -> None:
        """Lengths, and overlaps of one agent's events of one type.

        Each event becomes two integers, its start and end offset by its
        agent-and-type group, so that sorting the starts puts each group's
        events together in time order: whole lists handled in C, where a
        Python loop over tuples would take longer than reading the file."""
        if not minutes:
            return
        earliest = min(minutes.values())
        offsets = {text: value - earliest for text, value in minutes.items()}
        span = max(offsets.values()) + 1
        timed: list[int] | range = range(len(self.numbers))
        start_texts, end_texts, email_texts, type_texts = starts.values, ends.values, emails.values, types.values
        if self.misshapen or not (starts.distinct | ends.distinct) <= offsets.keys():
            timed = [
                index
                for index, (start, end) in enumerate(zip(start_texts, end_texts, strict=True))
                if start in offsets and end in offsets and index not in self.misshapen
            ]
            start_texts, end_texts, email_texts, type_texts = (
                list(map(values.__getitem__, timed)) for values in (start_texts, end_texts, email_texts, type_texts)
            )
        if not timed:
            return
        bases = _group_bases(email_texts, type_texts, emails.distinct, types.distinct, span)
        begins = list(map(add, bases, map(offsets.__getitem__, start_texts)))
        finishes = list(map(add, bases, map(offsets.__getitem__, end_texts)))
        lengths = list(map(sub, finishes, begins))
        shortest = min(lengths)
        if shortest <= 0 or max(lengths) > _LONG_EVENT_MINUTES:
            self._check_lengths(timed, lengths, starts, ends, types)
        if duplicates or shortest <= 0:
            kept = [at for at, length in enumerate(lengths) if length > 0 and timed[at] not in duplicates]
            timed = [timed[at] for at in kept]
            begins = [begins[at] for at in kept]
            finishes = [finishes[at] for at in kept]
        for later, earlier in _overlaps(begins, finishes):
            later, earlier = timed[later], timed[earlier]
            self._warn(
                Problem(
                    self.numbers[later],
                    _START,
                    "overlapping_events",
                    f"This {types.values[later]} for {emails.values[later]} ({starts.values[later]} to {ends.values[later]}) "
                    f"overlaps the one in row {self.numbers[earlier]} ({starts.values[earlier]} to {ends.values[earlier]}). "
                    "Check that both are meant.",
                )
            )

    def _check_lengths(
        self, timed: list[int] | range, lengths: list[int], starts: _Cells, ends: _Cells, types: _Cells
    ) -> None:
        for index, length in zip(timed, lengths, strict=True):
            if length <= 0:
                when = "when" if length == 0 else "before"
                hint = " If it ends the next day, write the next day's date." if length > -_DAY_MINUTES else ""
                self._error(
                    Problem(
                        self.numbers[index],
                        _END,
                        "end_not_after_start",
                        f"The event ends ({ends.values[index]}) {when} it starts ({starts.values[index]}).{hint}",
                    )
                )
            elif length > _LONG_EVENT_MINUTES:
                self._warn(
                    Problem(
                        self.numbers[index],
                        _END,
                        "long_event",
                        f"This {types.values[index] or 'event'} lasts {_duration(length)}, more than {LONG_EVENT_HOURS} hours: "
                        "check the end time.",
                    )
                )

    # Writing

    def _write(self, lines: list[str]) -> tuple[bytes, list[bytes]]:
        header = ",".join(HEADER)
        # The empty last item ends the file with a line end without copying
        # five megabytes again to append one.
        normalised = LINE_END.join([header, *lines, ""]).encode("utf-8")
        if len(normalised) < PART_LIMIT_BYTES:
            return normalised, [normalised]
        parts = _split(header, lines)
        self._fix(
            Fix(
                None,
                None,
                "file_split",
                f"The file to send is {len(normalised):,} bytes, over Talkdesk's {MAX_FILE_BYTES // (1024 * 1024)} MB limit, "
                f"so it is sent as {len(parts)} files of whole rows, one after the other, each starting with the header.",
            )
        )
        return normalised, parts

    def _result(
        self,
        summary: Summary | None = None,
        read_rows: Callable[[], list[ScheduleRow]] = list,
        normalised: bytes = b"",
        parts: list[bytes] | None = None,
        read_events: Callable[[], EventColumns] = _no_events,
    ) -> ScheduleCheck:
        return ScheduleCheck(
            readable=True,
            errors=_kept(self.findings, Severity.ERROR, Problem),
            warnings=_kept(self.findings, Severity.WARNING, Problem),
            fixes=_kept(self.findings, Severity.FIX, Fix),
            counts=self.findings.counts(),
            date_format=self.date_format,
            date_format_candidates=list(self.candidates),
            skipped_checks=self.skipped,
            summary=summary or Summary(),
            read_rows=read_rows,
            read_events=read_events,
            normalised=normalised,
            parts=parts or [],
        )


def _read_every(date_format: str, texts: set[str]) -> dict[str, datetime] | None:
    """What each text reads as in the format; None as soon as one does not."""
    moments = {}
    for text in texts:
        moment = read_time(text, date_format)
        if not isinstance(moment, datetime):
            return None
        moments[text] = moment
    return moments


def _distinct_meanings(texts: set[str]) -> dict[str, dict[str, datetime]]:
    """The formats that read every text, with what they read, the first of
    each meaning only: MM/dd/yyyy and M/d/yyyy read 06/01/2026 alike."""
    meanings: dict[str, dict[str, datetime]] = {}
    for date_format in DATE_FORMATS:
        moments = _read_every(date_format, texts)
        if moments is not None and moments not in meanings.values():
            meanings[date_format] = moments
    return meanings


_EXPECTED = {_NAME: "a name", _EMAIL: "an e-mail address", _START: "a time", _END: "a time", _TYPE: "an event type"}


def _unread_said(column: str, value: str) -> tuple[str, str]:
    shown = value.split(UNREAD_MARK, 1)[1]
    if shown.startswith("="):
        formula = f" {shown}" if len(shown) > 1 else ""
        return (
            "formula_not_saved",
            f"{column}: the cell holds a formula{formula} whose value the workbook did not save (the program that "
            "wrote it does not work formulas out). Open the workbook in Excel or LibreOffice, save it, and upload it "
            "again, or type the value in the rows view.",
        )
    return (
        "workbook_error_cell",
        f"{column}: the workbook holds {shown} (a formula error), not {_EXPECTED[column]}. Correct the formula in the "
        "workbook and upload it again, or type the value in the rows view.",
    )


def _day(moment: datetime) -> str:
    return f"{moment.day} {calendar.month_name[moment.month]} {moment.year}"


def _group_bases(
    emails: list[str], types: list[str], distinct_emails: set[str], distinct_types: set[str], span: int
) -> list[int]:
    """A number per event for its agent (the e-mail in any case) and type,
    times span, so that no two groups' keys meet."""
    # Numbered in sorted order, the order most files list agents in, so that
    # the keys come in long ascending runs, which sorting them merges fast.
    agent_numbers: dict[str, int] = {}
    agent_span = len(distinct_types) * span
    agent_of = {
        email: agent_numbers.setdefault(email.lower(), len(agent_numbers)) * agent_span
        for email in sorted(distinct_emails)
    }
    type_of = {name: number * span for number, name in enumerate(sorted(distinct_types))}
    return list(map(add, map(agent_of.__getitem__, emails), map(type_of.__getitem__, types)))


def _overlaps(begins: list[int], finishes: list[int]) -> list[tuple[int, int]]:
    """Pairs (later, earlier) of positions of overlapping events, the
    earlier being the one that ends last, given events that all last a
    while and keys where no two groups' ranges meet."""
    # Events of positive length lie apart exactly when, begins and finishes
    # each sorted on their own, every finish comes no later than the next
    # begin (each point is then inside at most one event). Two sorts of
    # plain integers in C are the quick test; the walk in Python that
    # names every pair runs only when it fails.
    sorted_begins = sorted(begins)
    if not any(map(lt, islice(sorted_begins, 1, None), sorted(finishes))):
        return []
    order = sorted(range(len(begins)), key=begins.__getitem__)
    sorted_begins = list(map(begins.__getitem__, order))
    sorted_finishes = list(map(finishes.__getitem__, order))
    pairs = []
    latest_finish, latest = -1, 0
    for position, begin, finish in zip(order, sorted_begins, sorted_finishes, strict=True):
        if begin < latest_finish:
            pairs.append((position, latest))
        if finish > latest_finish:
            latest_finish, latest = finish, position
    return pairs


def _canonical(seen: dict[str, str], text: str) -> str:
    """The one object for text among those seen."""
    return seen.setdefault(text, text)


def _lines(columns: list[_Cells]) -> list[str]:
    return list(map(",".join, zip(*(_quoted(cells) for cells in columns), strict=True)))


def _quoted(cells: _Cells) -> list[str]:
    """Each value as a CSV cell, in quotes only where it must be."""
    needing = {value for value in cells.distinct if _NEEDS_QUOTES.search(value)}
    if not needing:
        return cells.values
    quoted = {value: '"' + value.replace('"', '""') + '"' for value in needing}
    return [quoted.get(value, value) for value in cells.values]


def _summary(times: _Times, starts: _Cells, ends: _Cells, emails: _Cells, types: _Cells, rows: int) -> Summary:
    first_starts = [text for text in starts.distinct if text in times.aware]
    last_ends = [text for text in ends.distinct if text in times.aware]
    counts = Counter(types.values)
    counts.pop("", None)
    return Summary(
        rows=rows,
        agents=len({email.lower() for email in emails.distinct if email}),
        first_start=times.aware[min(first_starts, key=times.minutes.__getitem__)] if first_starts else None,
        last_end=times.aware[max(last_ends, key=times.minutes.__getitem__)] if last_ends else None,
        events_by_type=dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
    )


def _split(header: str, lines: list[str]) -> list[bytes]:
    """The lines in files of whole rows under PART_LIMIT_BYTES, each with the
    header."""
    overhead = len(header.encode("utf-8")) + len(LINE_END)
    parts: list[bytes] = []
    chunk: list[str] = []
    size = overhead
    for line, line_size in zip(lines, map(len, map(str.encode, lines)), strict=True):
        line_size += len(LINE_END)
        if chunk and size + line_size >= PART_LIMIT_BYTES:
            parts.append((LINE_END.join([header, *chunk]) + LINE_END).encode("utf-8"))
            chunk, size = [], overhead
        chunk.append(line)
        size += line_size
    parts.append((LINE_END.join([header, *chunk]) + LINE_END).encode("utf-8"))
    return parts


_Found = TypeVar("_Found", Problem, Fix)


def _kept(findings: Findings, severity: Severity, kind: type[_Found]) -> list[_Found]:
    """The findings of a severity that were kept, in row order."""
    return sorted((found for found in findings.kept(severity) if isinstance(found, kind)), key=_in_row_order)


def _in_row_order(finding: Problem | Fix) -> tuple[int, int]:
    return (
        0 if finding.row is None else finding.row,
        -1 if finding.column is None else _COLUMN_ORDER.get(finding.column, -1),
    )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def _first_rows(rows: list[int]) -> str:
    if len(rows) == 1:
        return f" (row {rows[0]})"
    more = " and more" if len(rows) > 5 else ""
    return f" (rows {', '.join(map(str, rows[:5]))}{more})"


def _duration(minutes: int) -> str:
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
