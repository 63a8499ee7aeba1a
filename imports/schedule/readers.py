"""Turns the bytes a planner uploaded into one Table, whatever kind of file
they are: each reader says whether it takes the bytes, and the first that
does reads them. The checks after this see only the Table.

Plain module: no Django.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imports.schedule.columns import apply_edits, apply_mapping, recognise_columns
from imports.schedule.csv_text import DELIMITER_NAMES, UnreadableFile, decode, sniff_delimiter
from imports.schedule.java_date_format import DATE_FORMATS, DEFAULT_DATE_FORMAT
from imports.schedule.table import Table, read_table
from imports.schedule.workbook import UNREAD_MARK, WorkbookLimits, read_workbook, workbook_kind


@dataclass(frozen=True)
class ReadOptions:
    sheet: str | None = None
    """The workbook's sheet to read; None for the first with data."""
    date_format: str | None = None
    """The format that date-time cells are written in; the default when None."""
    workbook_limits: WorkbookLimits | None = None
    mapping: dict[str, str] | None = None
    """Which of the file's columns is which field (columns.MAPPABLE), by
    header name, as a person chose."""
    mapping_said: str = "Columns are read as you mapped them"
    """How the fix that tells of the mapping begins."""
    edits: tuple[dict[str, Any], ...] = ()
    """Changes a person made in the portal (columns.apply_edits), in order."""


@dataclass(frozen=True)
class Reader:
    name: str
    takes: Callable[[bytes], bool]
    read: Callable[[bytes, ReadOptions], Table]


def _read_workbook(data: bytes, options: ReadOptions) -> Table:
    date_format = options.date_format if options.date_format in DATE_FORMATS else DEFAULT_DATE_FORMAT
    return read_workbook(data, sheet=options.sheet, date_format=date_format, limits=options.workbook_limits)


def _read_csv(data: bytes, options: ReadOptions) -> Table:
    if options.sheet:
        raise UnreadableFile(f"A CSV file has no sheets, so it has no sheet '{options.sheet}'.")
    text = decode(data)
    delimiter = sniff_delimiter(text.text)
    table = read_table(text.text, delimiter)
    if text.encoding_fix:
        table.fixes.append((None, "encoding_converted", text.encoding_fix))
    if delimiter != ",":
        table.fixes.append(
            (
                None,
                "delimiter_converted",
                f"The columns were separated by {DELIMITER_NAMES[delimiter]}; the file sent uses commas.",
            )
        )
    table.has_control_characters = text.has_control_characters
    return table


READERS: tuple[Reader, ...] = (
    Reader("workbook", lambda data: workbook_kind(data) is not None, _read_workbook),
    # Last: it takes anything, and says plainly what is not a CSV file.
    Reader("csv", lambda data: True, _read_csv),
)


def read_source_rows(data: bytes, options: ReadOptions | None = None) -> tuple[list[str], dict[int, list[str]]]:
    """The file's own header and each row's own cells by spreadsheet row,
    before any column is mapped or joined: what a planner fixes and uploads
    again."""
    options = options or ReadOptions()
    reader = next(reader for reader in READERS if reader.takes(data))
    table = reader.read(data, options)
    width = len(table.header)
    if table.rows is not None:
        rows = table.rows
    else:
        # A cell the workbook holds no value for is given back as the sheet
        # shows it (#N/A, or its formula), without the reader's mark.
        cells = [cell.replace(UNREAD_MARK, "") for cell in table.cells or []]
        rows = [cells[start : start + width] for start in range(0, len(cells), width)]
    return list(table.header), dict(zip(table.numbers, rows, strict=True))


def read_schedule_table(data: bytes, options: ReadOptions | None = None) -> Table:
    """The file as a Table; UnreadableFile saying why when it cannot be one."""
    options = options or ReadOptions()
    reader = next(reader for reader in READERS if reader.takes(data))
    table = reader.read(data, options)
    table.source_header = list(table.header)
    if options.mapping:
        table = apply_mapping(table, options.mapping, said=options.mapping_said)
    table = recognise_columns(table, date_format=options.date_format)
    return apply_edits(table, list(options.edits))
