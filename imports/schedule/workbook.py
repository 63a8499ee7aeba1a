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

import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import zipfile
import zlib
from array import array
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from imports.schedule.csv_text import UnreadableFile
from imports.schedule.header import column_letter
from imports.schedule.java_date_format import DEFAULT_DATE_FORMAT
from imports.schedule.table import Table
from imports.schedule.workbook_child import (
    CELL_END,
    ODS,
    SAVE_AGAIN,
    UNREAD_MARK,
    XLS,
    XLSX,
    column_number,
    workbook_kind,
)

__all__ = ["KIND_NAMES", "ODS", "UNREAD_MARK", "XLS", "XLSX", "WorkbookLimits", "read_workbook", "workbook_kind"]

KIND_NAMES = {
    XLSX: "Excel workbook (.xlsx)",
    XLS: "Excel 97-2003 workbook (.xls)",
    ODS: "OpenDocument spreadsheet (.ods)",
}

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
    merged: list[list[int]] = field(default_factory=list)
    """Each merged range over several rows: top row, left column, bottom
    row, right column, from 0."""
    hidden: list[int] = field(default_factory=list)
    """Rows with a value left out because the workbook hides them."""


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
            f"The file starts like an {what} but is damaged: its zip archive cannot be read. {SAVE_AGAIN}"
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
        raise UnreadableFile(f"The spreadsheet is damaged: its part {name} cannot be unpacked. {SAVE_AGAIN}") from None


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
        raise UnreadableFile(f"The spreadsheet is damaged: its part {name} cannot be unpacked. {SAVE_AGAIN}") from None
    return False


def _check_dimension(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limits: WorkbookLimits) -> None:
    """A sheet says its extent near its start: refuse a claim too large to
    read before anything allocates it."""
    try:
        with archive.open(entry) as stream:
            start = stream.read(4096)
    except _UNPACK_ERRORS:
        raise UnreadableFile(
            f"The workbook is damaged: its part {entry.filename} cannot be unpacked. {SAVE_AGAIN}"
        ) from None
    match = _DIMENSION.search(start)
    if match is None or match[2] is None:
        return
    columns = column_number(match[2]) - (column_number(match[1]) - 1 if match[1] else 0)
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


def _inspect_ole2(data: bytes) -> None:
    if _ENCRYPTED_PACKAGE in data[: 1024 * 1024] or _ENCRYPTED_PACKAGE in data[-1024 * 1024 :]:
        raise UnreadableFile(
            "The workbook is protected with a password. Remove it, save it, and upload it again."
        ) from None


def _parse_in_child(data: bytes, sheet: str | None, date_format: str, limits: WorkbookLimits, kind: str) -> _Sheet:
    """A fresh interpreter (not a fork: a fork of a threaded web process or
    worker can inherit a lock another thread holds) reads the workbook under
    the limits and answers with a line of JSON and then every cell's text,
    each ended by NUL: neither can run code in this process whatever the
    workbook made the child write, and splitting the cells' text at NUL
    takes a fraction of what decoding them as JSON did."""
    request = json.dumps({"sheet": sheet, "date_format": date_format, "memory_bytes": limits.memory_bytes})
    # Only what an interpreter needs: the portal's secrets stay out of a
    # process that parses hostile input.
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join([_ROOT, _calamine_folder(), os.environ.get("PYTHONPATH", "")]),
    }
    try:
        # -S: without the site module, whose start-up (the packages' .pth
        # files) took longer than the child's own imports; the child is
        # given calamine's folder instead.
        finished = subprocess.run(
            [sys.executable, "-S", "-m", "imports.schedule.workbook_child"],
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
    answer = memoryview(finished.stdout)
    line_end = finished.stdout.find(b"\n")
    try:
        outcome = json.loads(answer[:line_end].tobytes()) if line_end >= 0 else None
    except ValueError:
        outcome = None
    if not isinstance(outcome, dict) or not ("error" in outcome or _cells_read(outcome, answer[line_end + 1 :])):
        raise UnreadableFile(
            f"The workbook needs more than the {limits.memory_bytes // 1024 // 1024:,} MB of memory the portal "
            "gives one file, or is damaged, so it was not read. Delete the empty rows and columns after the "
            "schedule (or save it as CSV) and upload it again."
        )
    if "error" in outcome:
        raise UnreadableFile(outcome["error"])
    return _Sheet(**outcome)


def _cells_read(outcome: dict[str, Any], answer: memoryview) -> bool:
    """Puts the answer's cells in outcome: each cell the number of its
    text, then the distinct texts; False when they are not all there (the
    child stopped while writing them)."""
    count, distinct = outcome.pop("count", None), outcome.pop("distinct", None)
    if not isinstance(count, int) or not isinstance(distinct, int):
        return False
    numbers = array("I")
    size = count * numbers.itemsize
    if len(answer) < size:
        return False
    numbers.frombytes(answer[:size])
    texts = outcome.pop("texts", None)
    if texts is None:
        try:
            texts = str(answer[size:], "utf-8", "surrogatepass").split(CELL_END) if distinct else []
        except UnicodeDecodeError:
            return False
    if not isinstance(texts, list) or len(texts) != distinct:
        return False
    # Every cell of one text is the same string object: the checks match
    # values by identity first, and the table takes a pointer a cell. A
    # number past the texts stops the lookup (a check of each number first
    # took as long as the lookup).
    try:
        outcome["cells"] = list(map(texts.__getitem__, numbers))
    except IndexError:
        return False
    return True


@cache
def _calamine_folder() -> str:
    """The folder python_calamine is installed in."""
    spec = importlib.util.find_spec("python_calamine")
    origin = spec.origin if spec is not None else None
    return os.path.dirname(os.path.dirname(origin)) if origin else ""


def _table(found: _Sheet, kind: str) -> Table:
    fixes: list[tuple[int | None, str, str]] = []
    if found.merged:
        ranges = [
            f"{column_letter(left)}{top + 1}:{column_letter(right)}{bottom + 1}"
            for top, left, bottom, right in found.merged[:5]
        ]
        shown = ", ".join(ranges) + (" and more" if len(found.merged) > 5 else "")
        fixes.append(
            (None, "merged_cells_filled", f"Merged cells ({shown}) are read with their value on every row they cover.")
        )
    if found.hidden:
        fixes.append((found.hidden[0], "hidden_rows_left_out", _hidden_said(found.hidden)))
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


def _hidden_said(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:10])) + (f" and {len(numbers) - 10:,} more" if len(numbers) > 10 else "")
    if len(numbers) == 1:
        return (
            f"Row {shown} is hidden in the workbook and was left out, as the sheet does not show it. "
            "To send it, unhide it in the workbook and upload it again."
        )
    return (
        f"Rows {shown} are hidden in the workbook and were left out, as the sheet does not show them. "
        "To send them, unhide them in the workbook and upload it again."
    )
