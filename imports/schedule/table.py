"""A schedule file's text as a header and columns of cells, each row with the
number a spreadsheet shows for it.

A spreadsheet numbers records, not lines: a quoted cell with line breaks is
still one row, and a blank line is a row of its own. Blank rows are left out
but keep their numbers.

Built from whole columns at a time with C-level builtins: a per-row Python
loop would cost more than reading the CSV itself.

Plain module: no Django.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from itertools import compress, count, repeat
from operator import itemgetter

from imports.schedule.csv_text import UnreadableFile
from imports.schedule.header import column_letter

_ONE_DELIMITER = {",": "a comma", ";": "a semicolon", "\t": "a tab"}
# str.splitlines ends lines at these as well; the CSV reader does not.
_OTHER_LINE_SEPARATORS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


@dataclass
class Table:
    header_row: int
    header: list[str]
    numbers: list[int]
    """The spreadsheet row of each data row."""
    delimiter: str
    rows: list[list[str]] | None = None
    """Each data row's cells, when read by the CSV reader."""
    cells: list[str] | None = None
    """Every data cell, row after row, when every row has the header's width."""
    lines: list[str] | None = None
    """Each data row's line as it is in the file, when cells are plain."""
    unclosed_quote_row: int | None = None
    """The row where a quote opens that is never closed."""
    fixes: list[tuple[int | None, str, str]] = field(default_factory=list)
    """What reading changed, said to the planner: (row, code, message)."""
    has_control_characters: bool = False
    """Whether any cell may hold a control character worth looking for."""
    kind: str = "csv"
    sheet: str | None = None
    """The workbook's sheet the rows are from; None for a CSV file."""
    sheets: list[str] = field(default_factory=list)
    """Every sheet of the workbook a planner may choose."""
    first_column: int = 0
    """The spreadsheet column (from 0) of header[0], for the letters said."""
    source_header: list[str] = field(default_factory=list)
    """The header as the file has it, before any column was mapped or joined."""
    letters: list[str] | None = None
    """Each column's name as the planner sees it, where columns were joined
    or left out after reading."""

    def letter(self, index: int) -> str:
        if self.letters is not None:
            return self.letters[index]
        return column_letter(index + self.first_column)


@dataclass
class Columns:
    values: list[list[str]]
    """One list per column asked for, a value per data row."""
    misshapen: dict[int, str] = field(default_factory=dict)
    """Data rows (by index) whose cells do not line up with the header, and
    what is wrong with each."""


def read_table(text: str, delimiter: str) -> Table:
    return _read_plain(text, delimiter) or _read_csv(text, delimiter)


def pick_columns(table: Table, positions: tuple[int, ...]) -> Columns:
    width = len(table.header)
    if table.cells is not None:
        return Columns([table.cells[position::width] for position in positions])
    needed = max(positions) + 1
    rows = table.rows or []
    misshapen = {}
    lengths = list(map(len, rows))
    if lengths and (min(lengths) < needed or max(lengths) > width):
        rows = list(rows)
        for index, length in enumerate(lengths):
            if length < needed:
                misshapen[index] = (
                    f"Row {table.numbers[index]} has {length} cells but the header has {width}: a cell is missing."
                )
                rows[index] = rows[index] + [""] * (needed - length)
            elif length > width and has_content(rows[index][width:]):
                misshapen[index] = (
                    f"Row {table.numbers[index]} has {length} cells but the header has {width}: "
                    f"a value with {_ONE_DELIMITER[table.delimiter]} in it must be in double quotes."
                )
    return Columns([list(map(itemgetter(position), rows)) for position in positions], misshapen)


def _read_plain(text: str, delimiter: str) -> Table | None:
    """Most files have no quote character, no blank row and the header's
    width on every row: then a row is a line and a cell is what lies between
    delimiters, exactly as the CSV reader would read them, and str.split
    reads them in a fraction of the time. None for any other file."""
    if '"' in text or any(separator in text for separator in _OTHER_LINE_SEPARATORS):
        return None
    lines = text.splitlines()
    if not lines or "" in lines:
        return None
    header = lines[0].split(delimiter)
    if not has_content(header):
        return None
    width = len(header)
    if set(map(str.count, lines, repeat(delimiter))) != {width - 1} or delimiter * (width - 1) in lines:
        return None
    body = lines[1:]
    cells = delimiter.join(body).split(delimiter) if body else []
    if any(not cell.strip() for cell in set(cells[::width])):
        return None
    return Table(1, header, list(range(2, len(body) + 2)), delimiter, cells=cells, lines=body)


def _read_csv(text: str, delimiter: str) -> Table:
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise UnreadableFile(f"The file could not be read as CSV: {error}.") from None
    header_at = next((index for index, cells in enumerate(records) if has_content(cells)), None)
    if header_at is None:
        raise UnreadableFile("The file has no header and no rows: every cell is empty.")
    body = records[header_at + 1 :]
    # A blank line reads as an empty list, which compress and filter drop.
    numbers = list(compress(count(header_at + 2), body))
    rows = list(filter(None, body))
    if rows and any(not cell.strip() for cell in set(map(itemgetter(0), rows))):
        kept = [index for index, cells in enumerate(rows) if cells[0].strip() or has_content(cells)]
        numbers = [numbers[index] for index in kept]
        rows = [rows[index] for index in kept]
    return Table(
        header_at + 1,
        records[header_at],
        numbers,
        delimiter,
        rows=rows,
        unclosed_quote_row=_unclosed_quote_row(text, records),
    )


def has_content(cells: list[str]) -> bool:
    return any(cell.strip() for cell in cells)


def _unclosed_quote_row(text: str, records: list[list[str]]) -> int | None:
    """A quote never closed makes the CSV reader run the rest of the file into
    the last record's cell, which then holds line breaks. An odd number of
    quote characters is the cheap first sign."""
    if not records or text.count('"') % 2 == 0:
        return None
    if any("\n" in cell or "\r" in cell for cell in records[-1]):
        return len(records)
    return None
