"""Reads one sheet of an Excel (.xlsx, .xls) or OpenDocument (.ods) workbook
into a Table, each row numbered as the spreadsheet numbers it, each cell as
text the checks read: date-time cells in the date format the file is sent
in, date cells as the date, time cells as HH:mm, numbers as written, formulas
by the value the workbook saved for them, merged cells on every row they
cover.

calamine (Rust, through python-calamine) does the parsing: several times
quicker and leaner than openpyxl, and it reads all three kinds
(docs/performance.md has the figures).

A workbook is a zip archive or an OLE2 container that a hostile upload can
make expensive: a small file that unpacks to gigabytes, a sheet that claims
a million columns (calamine allocates a sheet's whole rectangle at once, and
Rust stops the whole process when an allocation fails), an encrypted package
or a link to other files. So the archive's entries, sizes and ratios are
checked before anything is parsed, and the parsing itself runs in a child
process with a memory limit and a time limit: whatever a workbook does, it
costs that child, never the web process or the worker.

Plain module: no Django.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain
from typing import Any

from imports.schedule.csv_text import UnreadableFile
from imports.schedule.header import column_letter
from imports.schedule.java_date_format import DEFAULT_DATE_FORMAT, format_day
from imports.schedule.table import Table

XLSX, XLS, ODS = "xlsx", "xls", "ods"
KIND_NAMES = {
    XLSX: "Excel workbook (.xlsx)",
    XLS: "Excel 97-2003 workbook (.xls)",
    ODS: "OpenDocument spreadsheet (.ods)",
}

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
# How an encrypted Office file names its content inside the OLE2 container.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="([A-Z]{1,3})?[0-9]*:?([A-Z]{1,3})?([0-9]*)"')
# What a damaged archive raises while it is listed or unpacked.
_UNPACK_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    ValueError,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)
# The folder that holds the imports package, for the child's import path.
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SAVE_AGAIN = "Open it in Excel or LibreOffice, save it again as .xlsx, .ods or CSV, and upload that file."


@dataclass(frozen=True)
class WorkbookLimits:
    """What one workbook may cost to read. The defaults take a workbook of
    several times Talkdesk's 5 MB of rows with room to spare."""

    max_entries: int = 1_000
    """Files inside the archive."""
    max_unpacked_bytes: int = 256 * 1024 * 1024
    """All entries together, unpacked, as the archive declares them."""
    max_ratio: int = 200
    """Unpacked size over packed size of one entry over a megabyte: sheet
    XML packs 5 to 30 times, a decompression bomb thousands of times."""
    max_columns: int = 1_000
    max_cells: int = 20_000_000
    """Columns times rows that a sheet may claim."""
    memory_bytes: int = 1024 * 1024 * 1024
    """Address space of the process that parses the workbook."""
    seconds: float = 30.0
    """Time the parsing may take."""


@dataclass
class _Sheet:
    """What the child process hands back: the sheet's table, ready to check."""

    sheets: list[str]
    name: str
    header_row: int
    header: list[str]
    numbers: list[int]
    """The spreadsheet row of each data row."""
    cells: list[str]
    """Every data cell, row after row, each row as wide as the header."""
    first_column: int
    merged: list[str] = field(default_factory=list)


def workbook_kind(data: bytes) -> str | None:
    """XLSX, XLS or ODS when the bytes look like a workbook, else None."""
    if data.startswith(_ZIP):
        return ODS if data[30:38] == b"mimetype" and _ODS_MIME in data[38:120] else XLSX
    if data.startswith(_OLE2):
        return XLS
    return None


def read_workbook(
    data: bytes,
    *,
    sheet: str | None = None,
    date_format: str = DEFAULT_DATE_FORMAT,
    limits: WorkbookLimits | None = None,
) -> Table:
    """The chosen sheet, or the first visible sheet with data, as a Table;
    UnreadableFile with one plain sentence for anything else."""
    limits = limits or WorkbookLimits()
    kind = workbook_kind(data)
    if kind is None:
        raise UnreadableFile("The file is not a workbook (.xlsx, .xls or .ods).")
    if kind == XLS:
        _inspect_ole2(data)
    else:
        _inspect_zip(data, kind, limits)
    found = _parse_in_child(data, sheet, date_format, limits, kind)
    return _table(found, kind)


def _inspect_zip(data: bytes, kind: str, limits: WorkbookLimits) -> None:
    what = KIND_NAMES[kind]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except _UNPACK_ERRORS:
        raise UnreadableFile(
            f"The file starts like an {what} but is damaged: its zip archive cannot be read. {_SAVE_AGAIN}"
        ) from None
    if len(entries) > limits.max_entries:
        raise UnreadableFile(
            f"The workbook holds {len(entries):,} files inside it, more than the {limits.max_entries:,} "
            "a schedule workbook needs; it is not read."
        )
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise UnreadableFile("The workbook is encrypted. Remove its password, save it, and upload it again.")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limits.max_unpacked_bytes:
        raise UnreadableFile(
            f"The workbook would unpack to {unpacked / 1024 / 1024:,.0f} MB, more than the "
            f"{limits.max_unpacked_bytes // 1024 // 1024:,} MB the portal reads; it is not read. "
            "Delete the sheets and pictures the schedule does not need, or save the schedule as CSV."
        )
    for entry in entries:
        if entry.file_size > 1024 * 1024 and entry.file_size > limits.max_ratio * max(entry.compress_size, 1):
            raise UnreadableFile(
                f"The workbook's part {entry.filename} packs {entry.file_size // max(entry.compress_size, 1):,} times "
                "smaller than it unpacks, as only a decompression bomb does; it is not read."
            )
    names = {entry.filename for entry in entries}
    if kind == XLSX:
        if any(name.startswith("xl/externalLinks/") for name in names):
            raise UnreadableFile(
                "The workbook links to other workbooks (external links), so some of its values may come from files "
                "the portal cannot see. In Excel use Data > Edit Links > Break Link (or copy the sheet and paste "
                "values only), save it, and upload it again."
            )
        for entry in entries:
            if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml"):
                _check_dimension(archive, entry, limits)
    else:
        manifest = _read_entry(archive, "META-INF/manifest.xml", 1024 * 1024)
        if b"encryption-data" in manifest:
            raise UnreadableFile("The spreadsheet is encrypted. Remove its password, save it, and upload it again.")
        if _contains(archive, "content.xml", (b"<table:table-source", b"<table:dde-source")):
            raise UnreadableFile(
                "The spreadsheet links to other files (external links), so some of its values may come from files "
                "the portal cannot see. Copy the sheet and paste values only, save it, and upload it again."
            )


def _read_entry(archive: zipfile.ZipFile, name: str, most: int) -> bytes:
    try:
        with archive.open(name) as stream:
            return stream.read(most)
    except KeyError:
        return b""
    except _UNPACK_ERRORS:
        raise UnreadableFile(f"The spreadsheet is damaged: its part {name} cannot be unpacked. {_SAVE_AGAIN}") from None


def _contains(archive: zipfile.ZipFile, name: str, needles: tuple[bytes, ...]) -> bool:
    """Whether the entry holds any of the needles, read a megabyte at a time
    so that a large sheet is never whole in this process's memory."""
    overlap = max(map(len, needles))
    tail = b""
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(1024 * 1024):
                window = tail + chunk
                if any(needle in window for needle in needles):
                    return True
                tail = window[-overlap:]
    except KeyError:
        return False
    except _UNPACK_ERRORS:
        raise UnreadableFile(f"The spreadsheet is damaged: its part {name} cannot be unpacked. {_SAVE_AGAIN}") from None
    return False


def _check_dimension(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limits: WorkbookLimits) -> None:
    """A sheet says its extent near its start: refuse a claim too large to
    read before anything allocates it."""
    try:
        with archive.open(entry) as stream:
            start = stream.read(4096)
    except _UNPACK_ERRORS:
        raise UnreadableFile(
            f"The workbook is damaged: its part {entry.filename} cannot be unpacked. {_SAVE_AGAIN}"
        ) from None
    match = _DIMENSION.search(start)
    if match is None or match[2] is None:
        return
    columns = _column_number(match[2]) - (_column_number(match[1]) - 1 if match[1] else 0)
    rows = int(match[3] or 1)
    if columns > limits.max_columns:
        raise UnreadableFile(
            f"A sheet of the workbook claims {columns:,} columns (to column {match[2].decode()}); a schedule has "
            f"far fewer and the portal reads up to {limits.max_columns:,}. Delete the empty columns after the "
            "schedule, save it, and upload it again."
        )
    if columns * rows > limits.max_cells:
        raise UnreadableFile(
            f"A sheet of the workbook claims {rows:,} rows of {columns:,} columns, more than the "
            f"{limits.max_cells:,} cells the portal reads. Delete the empty rows and columns after the schedule, "
            "save it, and upload it again."
        )


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _inspect_ole2(data: bytes) -> None:
    if _ENCRYPTED_PACKAGE in data[: 1024 * 1024] or _ENCRYPTED_PACKAGE in data[-1024 * 1024 :]:
        raise UnreadableFile(
            "The workbook is protected with a password. Remove it, save it, and upload it again."
        ) from None


def _parse_in_child(data: bytes, sheet: str | None, date_format: str, limits: WorkbookLimits, kind: str) -> _Sheet:
    """A fresh interpreter (not a fork: a fork of a threaded web process or
    worker can inherit a lock another thread holds) reads the workbook under
    the limits and answers in JSON, which cannot run code in this process
    whatever the workbook made the child write."""
    request = json.dumps({"sheet": sheet, "date_format": date_format, "memory_bytes": limits.memory_bytes})
    # Only what an interpreter needs: the portal's secrets stay out of a
    # process that parses hostile input.
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join([_ROOT, os.environ.get("PYTHONPATH", "")]),
    }
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "imports.schedule.workbook"],
            input=request.encode() + b"\n" + data,
            capture_output=True,
            timeout=limits.seconds,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UnreadableFile(
            f"Reading the workbook took longer than {limits.seconds:g} seconds, so it was stopped. "
            "Save the schedule on a sheet of its own, or as CSV, and upload that file."
        ) from None
    try:
        outcome = json.loads(finished.stdout)
    except ValueError:
        outcome = None
    if not isinstance(outcome, dict):
        raise UnreadableFile(
            f"The workbook needs more than the {limits.memory_bytes // 1024 // 1024:,} MB of memory the portal "
            "gives one file, or is damaged, so it was not read. Delete the empty rows and columns after the "
            "schedule (or save it as CSV) and upload it again."
        )
    if "error" in outcome:
        raise UnreadableFile(outcome["error"])
    return _Sheet(**outcome)


def _child_main() -> None:
    request = json.loads(sys.stdin.buffer.readline())
    resource.setrlimit(resource.RLIMIT_AS, (request["memory_bytes"], request["memory_bytes"]))
    data = sys.stdin.buffer.read()
    try:
        # vars, not asdict, which copies every row and cell once more.
        outcome = vars(_parse(data, request["sheet"], request["date_format"]))
    except MemoryError:
        outcome = {"error": "The workbook needs more memory than the portal gives one file, so it was not read."}
    except UnreadableFile as unreadable:
        outcome = {"error": str(unreadable)}
    except Exception as error:  # noqa: BLE001 - whatever calamine raises, the planner gets one sentence
        outcome = {
            "error": f"The workbook cannot be read: it is damaged or not a workbook ({_short(error)}). {_SAVE_AGAIN}"
        }
    sys.stdout.buffer.write(json.dumps(outcome).encode("ascii"))


def _short(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]


def _parse(data: bytes, wanted: str | None, date_format: str) -> _Sheet:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise UnreadableFile(
            "The workbook is protected with a password. Remove it, save it, and upload it again."
        ) from None
    worksheets = [meta for meta in book.sheets_metadata if meta.typ == python_calamine.SheetTypeEnum.WorkSheet]
    visible = [meta.name for meta in worksheets if meta.visible == python_calamine.SheetVisibleEnum.Visible]
    if wanted is not None:
        if wanted not in {meta.name for meta in worksheets}:
            raise UnreadableFile(
                f"The workbook has no sheet named '{wanted}'. Its sheets: {', '.join(visible) or 'none'}."
            )
        found = _sheet(book, wanted, visible, date_format)
        if not found.header:
            raise UnreadableFile(f"The sheet '{wanted}' is empty.")
        return found
    for name in visible:
        found = _sheet(book, name, visible, date_format)
        if found.header:
            return found
    raise UnreadableFile("Every sheet of the workbook is empty.")


def _sheet(book: Any, name: str, sheets: list[str], date_format: str) -> _Sheet:
    sheet = book.get_sheet_by_name(name)
    if sheet.start is None:
        return _Sheet(sheets, name, 0, [], [], [], 0)
    first_row, first_column = sheet.start
    values = sheet.to_python(skip_empty_area=True)
    # A schedule repeats its days and times on row after row: each distinct
    # value is made text once (typed, so that True, 1 and 1.0 stay apart).
    text = lru_cache(maxsize=None, typed=True)(_Texts(date_format))
    rows = [[cell if cell.__class__ is str else text(cell) for cell in row] for row in values]
    merged = []
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or []:
        top, left = top - first_row, left - first_column
        bottom, right = min(bottom - first_row, len(rows) - 1), min(right - first_column, len(rows[0]) - 1)
        if top < 0 or left < 0 or top > bottom or left > right:
            continue
        value = rows[top][left]
        if not value:
            continue
        for row in rows[top : bottom + 1]:
            row[left : right + 1] = [value] * (right - left + 1)
        if bottom > top:
            merged.append(
                f"{column_letter(left + first_column)}{top + first_row + 1}:"
                f"{column_letter(right + first_column)}{bottom + first_row + 1}"
            )
    return _laid_out(sheets, name, rows, first_row + 1, first_column, merged)


class _Texts:
    """A non-text cell as the text the checks read."""

    def __init__(self, date_format: str):
        self.clock_first = date_format.startswith("HH:mm ")
        self.day_pattern = date_format.removeprefix("HH:mm ")

    def __call__(self, value: object) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        if isinstance(value, int):
            return str(value)
        if isinstance(value, datetime):
            moment = _to_minute(value)
            return f"{moment:%H:%M} {self.day(moment.date())}"
        if isinstance(value, date):
            return self.day(value)
        if isinstance(value, time):
            moment = _to_minute(datetime.combine(date(2000, 1, 1), value))
            return f"{moment:%H:%M}"
        if isinstance(value, timedelta):
            minutes = round(value.total_seconds() / 60)
            return f"{minutes // 60:02d}:{minutes % 60:02d}"
        return str(value)

    def day(self, day: date) -> str:
        return format_day(day, self.day_pattern)


def _to_minute(moment: datetime) -> datetime:
    """Excel keeps times as fractions of a day, so 09:00 can come back as
    08:59:59.999; the nearest minute is what the sheet shows."""
    return (moment + timedelta(seconds=30)).replace(second=0, microsecond=0)


def _table(found: _Sheet, kind: str) -> Table:
    fixes: list[tuple[int | None, str, str]] = []
    if found.merged:
        shown = ", ".join(found.merged[:5]) + (" and more" if len(found.merged) > 5 else "")
        fixes.append(
            (None, "merged_cells_filled", f"Merged cells ({shown}) are read with their value on every row they cover.")
        )
    return Table(
        found.header_row,
        found.header,
        found.numbers,
        ",",
        cells=found.cells,
        fixes=fixes,
        has_control_characters=True,
        kind=kind,
        sheet=found.name,
        sheets=found.sheets,
        first_column=found.first_column,
    )


def _laid_out(
    sheets: list[str], name: str, rows: list[list[str]], first_row: int, first_column: int, merged: list[str]
) -> _Sheet:
    """The header (the first row with a value), the rows after it that have
    one, each numbered, and no column after the last that has a value."""
    # "".join(row).strip() tests a row in C, where a generator over its cells
    # would run Python code per cell.
    filled = [index for index, row in enumerate(rows) if "".join(row).strip()]
    if not filled:
        return _Sheet(sheets, name, 0, [], [], [], first_column, merged)
    header_at, width = filled[0], len(rows[0])
    while width and not any(rows[index][width - 1].strip() for index in filled):
        width -= 1
    body = filled[1:]
    cells = list(chain.from_iterable(rows[index][:width] for index in body))
    numbers = [first_row + index for index in body]
    return _Sheet(sheets, name, first_row + header_at, rows[header_at][:width], numbers, cells, first_column, merged)


if __name__ == "__main__":
    _child_main()
