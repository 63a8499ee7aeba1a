"""The child process that reads a workbook's sheet (imports.schedule.workbook
starts it, under a memory and time limit): calamine parses the workbook, each
cell is made the text the checks read, the sheet's XML (an .xls sheet's
records) is scanned for what calamine does not tell (hidden rows, error
cells, formulas without a saved value), and the table is laid out and
written to stdout as one line of JSON and then every cell's text.

A module of its own, importing only what reading takes: the child is a fresh
interpreter for every workbook, and the portal's modules (dataclasses, the
header's matching) would cost it more time to import than the reading of a
small sheet.

Plain module: no Django.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import resource
import sys
import zipfile
from array import array
from bisect import bisect_right
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain

from imports.schedule.java_date_format import format_day
from imports.schedule.xls_marks import xls_marks

# Neither typing nor html is imported: each would add milliseconds to the
# start of a child that starts for every workbook, Any is for the type
# checker only, and XML has five named entities besides numbered ones.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

XLSX, XLS, ODS = "xlsx", "xls", "ods"
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
# Between two cells in the child's answer: NUL, which no cell of a
# workbook's XML can hold; a sheet where one does anyway goes as JSON.
CELL_END = "\x00"
SAVE_AGAIN = "Open it in Excel or LibreOffice, save it again as .xlsx, .ods or CSV, and upload that file."

UNREAD_MARK = "\u2063"
"""Begins the text of a cell whose value the workbook does not hold: an
error such as #N/A, or a formula whose value was never saved (calamine reads
both as an empty cell, which would pass for a cell left empty). The mark is
followed by what the sheet shows there (#N/A) or the formula (=A2+1), so
that the check can say which; it is invisible on a page, where the cell then
reads as the sheet shows it."""

# A worksheet's XML, scanned for what calamine does not tell: rows hidden,
# cells holding an error, formulas without a saved value. Regular
# expressions over the bytes, in C, where an XML parser would call Python
# for each of a large sheet's million elements. A cell without its own
# reference (r="C7" is optional) cannot be placed cheaply and is not marked.
_PREFIX = rb"(?:\w+:)?"
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b")
_ROW_START = re.compile(rb"<" + _PREFIX + rb"row\b([^>]*)>")
_HIDDEN = re.compile(rb'\shidden="(?:1|true)"')
_REFERENCE = re.compile(rb'\sr="([A-Z]{1,3})?([0-9]+)"')
_FORMULA = rb"<" + _PREFIX + rb"f\b[^>]*?(?:/>|>([^<]*)</" + _PREFIX + rb"f>)"
_ERROR_CELL = re.compile(
    rb"<" + _PREFIX + rb'c\b([^>]*\st="e"[^>]*)>\s*(?:' + _FORMULA + rb"\s*)?<" + _PREFIX + rb"v>([^<]*)<"
)
_FORMULA_CELL = re.compile(
    rb"<"
    + _PREFIX
    + rb"c\b([^>]*)>\s*"
    + _FORMULA
    + rb"\s*(<"
    + _PREFIX
    + rb"v\s*/>|<"
    + _PREFIX
    + rb"v>\s*</"
    + _PREFIX
    + rb"v>)?\s*</"
    + _PREFIX
    + rb"c>"
)
_BOOK_SHEET = re.compile(rb"<" + _PREFIX + rb"sheet\b([^>]*)>")
_NAME = re.compile(rb'\sname="([^"]*)"')
_LINK_ID = re.compile(rb'\s\w+:id="([^"]*)"')
_RELATIONSHIP = re.compile(rb"<" + _PREFIX + rb"Relationship\b([^>]*)>")
_ID = re.compile(rb'\sId="([^"]*)"')
_TARGET = re.compile(rb'\sTarget="([^"]*)"')
_ODS_TABLE = re.compile(rb'<table:table\b[^>]*\stable:name="([^"]*)"')
_ODS_ROW = re.compile(rb"<table:table-row\b([^>]*)>")
_ODS_REPEATED = re.compile(rb'\stable:number-rows-repeated="([0-9]+)"')
_ODS_HIDDEN = re.compile(rb'\stable:visibility="(?:collapse|filter)"')
# LibreOffice keeps a formula's error as an empty text or a 0 (calamine
# reads either), saying in its own attribute that the value is an error and
# in the cell's paragraph which (#N/A).
_ODS_ERROR = b'calcext:value-type="error"'
_ODS_ERROR_CELL = re.compile(rb"<table:table-cell\b[^>]*\scalcext:value-type=\"error\"[^>]*>\s*(?:<text:p>([^<]*)<)?")
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*)>")
_ODS_COLUMNS_REPEATED = re.compile(rb'\stable:number-columns-repeated="([0-9]+)"')


_ENTITY = re.compile(r"&(?:#(x[0-9a-fA-F]{1,6}|[0-9]{1,7})|(lt|gt|amp|quot|apos));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _unescaped(text: str) -> str:
    """XML's text with its character references made the characters."""
    return _ENTITY.sub(_character, text) if "&" in text else text


def _character(reference: re.Match[str]) -> str:
    if reference[2]:
        return _NAMED_ENTITIES[reference[2]]
    number = int(reference[1][1:], 16) if reference[1][0] == "x" else int(reference[1])
    return chr(number) if 0 < number <= 0x10FFFF else "\ufffd"


class Refused(Exception):
    """The workbook cannot be read; the message says why, to the planner."""


class _Marks:
    """What the sheet's XML says that calamine's values do not."""

    def __init__(self) -> None:
        self.hidden: list[tuple[int, int]] = []
        """Hidden rows, as ranges of spreadsheet row numbers, both ends in."""
        self.unread: dict[tuple[int, int], str] = {}
        """(spreadsheet row, column from 0): what the cell shows instead of a
        value, an error (#N/A) or a formula whose value was not saved (=A2+1)."""


def workbook_kind(data: bytes) -> str | None:
    """XLSX, XLS or ODS when the bytes look like a workbook, else None."""
    if data.startswith(_ZIP):
        return ODS if data[30:38] == b"mimetype" and _ODS_MIME in data[38:120] else XLSX
    if data.startswith(_OLE2):
        return XLS
    return None


def column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def main() -> None:
    request = json.loads(sys.stdin.buffer.readline())
    resource.setrlimit(resource.RLIMIT_AS, (request["memory_bytes"], request["memory_bytes"]))
    data = sys.stdin.buffer.read()
    numbers, body = b"", ""
    try:
        outcome = _parse(data, request["sheet"], request["date_format"])
        cells = outcome.pop("cells")
        # A schedule's cells are a few thousand texts repeated: each is sent
        # once, and each cell as the number of its text.
        texts = list(dict.fromkeys(cells))
        number = {text: at for at, text in enumerate(texts)}
        numbers = array("I", map(number.__getitem__, cells)).tobytes()
        outcome["count"], outcome["distinct"] = len(cells), len(texts)
        body = CELL_END.join(texts)
        if body.count(CELL_END) != max(len(texts) - 1, 0):
            # A cell holds the separator itself: this sheet's texts go as JSON.
            outcome["texts"], body = texts, ""
    except MemoryError:
        outcome = {"error": "The workbook needs more memory than the portal gives one file, so it was not read."}
    except Refused as unreadable:
        outcome = {"error": str(unreadable)}
    except Exception as error:  # noqa: BLE001 - whatever calamine raises, the planner gets one sentence
        outcome = {
            "error": f"The workbook cannot be read: it is damaged or not a workbook ({_short(error)}). {SAVE_AGAIN}"
        }
    out = sys.stdout.buffer
    out.write(json.dumps(outcome).encode("ascii") + b"\n")
    out.write(numbers)
    out.write(body.encode("utf-8", "surrogatepass"))


def _short(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]


def _parse(data: bytes, wanted: str | None, date_format: str) -> dict[str, Any]:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise Refused("The workbook is protected with a password. Remove it, save it, and upload it again.") from None
    worksheets = [meta for meta in book.sheets_metadata if meta.typ == python_calamine.SheetTypeEnum.WorkSheet]
    visible = [meta.name for meta in worksheets if meta.visible == python_calamine.SheetVisibleEnum.Visible]
    if wanted is not None:
        if wanted not in {meta.name for meta in worksheets}:
            raise Refused(f"The workbook has no sheet named '{wanted}'. Its sheets: {', '.join(visible) or 'none'}.")
        found = _sheet(book, wanted, visible, date_format, data)
        if not found["header"]:
            raise Refused(f"The sheet '{wanted}' is empty.")
        return found
    for name in visible:
        found = _sheet(book, name, visible, date_format, data)
        if found["header"]:
            return found
    raise Refused("Every sheet of the workbook is empty.")


def _sheet(book: Any, name: str, sheets: list[str], date_format: str, data: bytes) -> dict[str, Any]:
    sheet = book.get_sheet_by_name(name)
    if sheet.start is None:
        return _sheet_read(sheets, name, 0, [], [], [], 0, [])
    first_row, first_column = sheet.start
    values = sheet.to_python(skip_empty_area=True)
    # calamine's range is a rectangle: its rows are one flat list of cells,
    # width at a time, which the steps below read with slices in C.
    width = max(map(len, values), default=0)
    if any(len(row) != width for row in values):
        values = [row + [""] * (width - len(row)) for row in values]
    cells = _as_text(list(chain.from_iterable(values)), date_format)
    count = len(values)
    del values
    marks = _marks(data, name)
    for (number, column), shown in marks.unread.items():
        at, left = number - 1 - first_row, column - first_column
        if 0 <= at < count and 0 <= left < width:
            cells[at * width + left] = UNREAD_MARK + shown
    merged: list[list[int]] = []
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or []:
        top, left = top - first_row, left - first_column
        bottom, right = min(bottom - first_row, count - 1), min(right - first_column, width - 1)
        if top < 0 or left < 0 or top > bottom or left > right:
            continue
        value = cells[top * width + left]
        if not value:
            continue
        for at in range(top, bottom + 1):
            cells[at * width + left : at * width + right + 1] = [value] * (right - left + 1)
        if bottom > top:
            merged.append([top + first_row, left + first_column, bottom + first_row, right + first_column])
    return _laid_out(sheets, name, cells, width, first_row + 1, first_column, merged, marks.hidden)


def _as_text(values: list[Any], date_format: str) -> list[str]:
    """Every cell as text. A schedule repeats its days and times on row
    after row, so each distinct value is made text once and the cells are
    looked up in C; but True, 1 and 1.0 are one key of a dict, so a sheet
    with a TRUE or FALSE cell is made text a cell at a time (a typed cache
    keeps them apart)."""
    text = _Texts(date_format)
    distinct = set(values)
    if any(value.__class__ is bool for value in distinct):
        typed = lru_cache(maxsize=None, typed=True)(text)
        return [value if value.__class__ is str else typed(value) for value in values]
    made = {value: value if value.__class__ is str else text(value) for value in distinct}
    return list(map(made.__getitem__, values))


def _marks(data: bytes, name: str) -> _Marks:
    """The chosen sheet's hidden rows and unread cells, from its XML, or
    from an .xls workbook's binary records."""
    kind = workbook_kind(data)
    if kind == XLS:
        marks = _Marks()
        marks.hidden, marks.unread = xls_marks(data, name)
        return marks
    archive = zipfile.ZipFile(io.BytesIO(data))
    if kind == ODS:
        return _ods_marks(archive, name)
    part = _xlsx_sheet_part(archive, name)
    return _xlsx_marks(archive, part) if part else _Marks()


def _xlsx_sheet_part(archive: zipfile.ZipFile, name: str) -> str | None:
    """The archive's part that holds the sheet: the workbook names each
    sheet's relationship, and its relationships say which part that is."""
    book = _read_part(archive, "xl/workbook.xml", 16 * 1024 * 1024)
    links = _read_part(archive, "xl/_rels/workbook.xml.rels", 16 * 1024 * 1024)
    wanted = next(
        (
            link[1]
            for sheet in _BOOK_SHEET.finditer(book)
            if (named := _NAME.search(sheet[1])) and _unescaped(named[1].decode("utf-8", "replace")) == name
            if (link := _LINK_ID.search(sheet[1]))
        ),
        None,
    )
    for relationship in _RELATIONSHIP.finditer(links):
        found, target = _ID.search(relationship[1]), _TARGET.search(relationship[1])
        if wanted and found and target and found[1] == wanted:
            path = _unescaped(target[1].decode("utf-8", "replace"))
            return path.lstrip("/") if path.startswith("/") else posixpath.normpath(f"xl/{path}")
    return None


def _xlsx_marks(archive: zipfile.ZipFile, part: str) -> _Marks:
    marks = _Marks()
    with archive.open(part) as stream:
        # Whole rows at a time, a few megabytes each, cut after a row's end
        # tag: a cell never spans two pieces.
        rest, formula = b"", b""
        while True:
            chunk = stream.read(4 * 1024 * 1024)
            block = rest + chunk
            if not formula:
                # How this sheet writes a formula's tag (<f or <x:f), to
                # look for it with one quick search of each piece.
                data = _SHEET_DATA.search(block)
                formula = b"<" + (data[1] or b"") + b"f" if data else b""
            end = _after_last_row(block) if chunk else len(block)
            _scan_rows(block[:end], marks, formula or b"<f")
            rest = block[end:]
            if not chunk:
                return marks


def _after_last_row(block: bytes) -> int:
    at = len(block)
    while (at := block.rfind(b"row>", 0, at)) > 0:
        if block[at - 1 : at] in (b"/", b":"):
            return at + 4
    return 0


def _scan_rows(piece: bytes, marks: _Marks, formula: bytes) -> None:
    if b'hidden="' in piece:
        for row in _ROW_START.finditer(piece):
            if _HIDDEN.search(row[1]) and (number := _REFERENCE.search(row[1])):
                marks.hidden.append((int(number[2]), int(number[2])))
    if b't="e"' in piece:
        for cell in _ERROR_CELL.finditer(piece):
            if place := _place(cell[1]):
                marks.unread[place] = cell[3].decode("utf-8", "replace").strip() or "#N/A"
    if formula in piece:
        for cell in _FORMULA_CELL.finditer(piece):
            # <v></v> is a saved empty text (Excel adds t="str", other
            # writers may not); <v/> or no <v> at all is no value saved.
            saved = cell[3] is not None and not cell[3].endswith(b"/>")
            if not saved and (place := _place(cell[1])):
                written = _unescaped((cell[2] or b"").decode("utf-8", "replace"))
                marks.unread[place] = f"={written}"


def _place(attributes: bytes) -> tuple[int, int] | None:
    reference = _REFERENCE.search(attributes)
    if reference is None or reference[1] is None:
        return None
    return int(reference[2]), column_number(reference[1]) - 1


def _ods_marks(archive: zipfile.ZipFile, name: str) -> _Marks:
    """OpenDocument keeps every sheet in content.xml; rows are counted from
    the sheet's start, a row repeated n times counting n, and an error
    cell's column by the cells before it in its row, each repeated cell
    counting its repeats."""
    marks = _Marks()
    content = _read_part(archive, "content.xml", 1 << 62)
    tables = list(_ODS_TABLE.finditer(content))
    for at, table in enumerate(tables):
        if _unescaped(table[1].decode("utf-8", "replace")) != name:
            continue
        end = tables[at + 1].start() if at + 1 < len(tables) else len(content)
        errors = content.find(_ODS_ERROR, table.end(), end) >= 0
        starts: list[int] = []
        numbers: list[int] = []
        number = 1
        for row in _ODS_ROW.finditer(content, table.end(), end):
            repeated = _ODS_REPEATED.search(row[1])
            count = int(repeated[1]) if repeated else 1
            if _ODS_HIDDEN.search(row[1]):
                marks.hidden.append((number, number + count - 1))
            if errors:
                starts.append(row.end())
                numbers.append(number)
            number += count
        if errors:
            _ods_errors(content, table.end(), end, starts, numbers, marks)
    return marks


def _ods_errors(content: bytes, start: int, end: int, starts: list[int], numbers: list[int], marks: _Marks) -> None:
    for cell in _ODS_ERROR_CELL.finditer(content, start, end):
        at = bisect_right(starts, cell.start()) - 1
        if at < 0:
            continue
        column = 0
        for before in _ODS_CELL.finditer(content, starts[at], cell.start()):
            repeated = _ODS_COLUMNS_REPEATED.search(before[1])
            column += int(repeated[1]) if repeated else 1
        shown = _unescaped((cell[1] or b"").decode("utf-8", "replace")).strip()
        marks.unread[numbers[at], column] = shown or "#N/A"


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


def _laid_out(
    sheets: list[str],
    name: str,
    cells: list[str],
    width: int,
    first_row: int,
    first_column: int,
    merged: list[list[int]],
    hidden: list[tuple[int, int]],
) -> dict[str, Any]:
    """The header (the first row with a value), the rows after it that have
    one and show, each numbered, and no column after the last that has a
    value. A hidden row is left out as a person looking at the sheet does
    not see it: planners hide last week's rows or a draft, not rows to send."""
    count = len(cells) // width if width else 0
    filled = _filled_rows(cells, width, count)
    if not filled:
        return _sheet_read(sheets, name, 0, [], [], [], first_column, merged)
    header_at, kept = filled[0], width
    body = filled[1:]
    left_out = []
    if hidden:
        hides = _hidden_indexes(hidden, first_row, count)
        left_out = [first_row + at for at in body if at in hides]
        body = [at for at in body if at not in hides]
    while kept and not any(cells[at * width + kept - 1].strip() for at in (header_at, *body)):
        kept -= 1
    header = cells[header_at * width : header_at * width + kept]
    if kept == width and body == list(range(header_at + 1, count)):
        # Every row after the header has a value: the cells are one slice.
        table = cells[(header_at + 1) * width :]
    else:
        table = list(chain.from_iterable(cells[at * width : at * width + kept] for at in body))
    numbers = [first_row + at for at in body]
    return _sheet_read(sheets, name, first_row + header_at, header, numbers, table, first_column, merged, left_out)


def _filled_rows(cells: list[str], width: int, count: int) -> list[int]:
    """The indexes of the rows with a value. When a column has no blank
    cell (a schedule's names, among its first columns), every row has one,
    which a set of the column's texts tells at once; else "".join(...).strip()
    tests each row in C, where a generator over its cells would run Python
    code per cell."""
    for column in range(min(width, 8)):
        if all(text.strip() for text in set(cells[column::width])):
            return list(range(count))
    return [at for at in range(count) if "".join(cells[at * width : (at + 1) * width]).strip()]


def _hidden_indexes(hidden: list[tuple[int, int]], first_row: int, count: int) -> set[int]:
    """Indexes into the sheet's rows of the hidden ones, within the rows
    read (a hidden range may claim a million rows past the last value)."""
    indexes: set[int] = set()
    for first, last in hidden:
        indexes.update(range(max(first - first_row, 0), min(last - first_row, count - 1) + 1))
    return indexes


def _sheet_read(
    sheets: list[str],
    name: str,
    header_row: int,
    header: list[str],
    numbers: list[int],
    cells: list[str],
    first_column: int,
    merged: list[list[int]],
    hidden: list[int] | None = None,
) -> dict[str, Any]:
    """The answer the parent makes its _Sheet of: cells, every data cell
    row after row; merged, each merged range over several rows as (top row,
    left column, bottom row, right column) from 0; hidden, the rows with a
    value left out because the workbook hides them."""
    return {
        "sheets": sheets,
        "name": name,
        "header_row": header_row,
        "header": header,
        "numbers": numbers,
        "cells": cells,
        "first_column": first_column,
        "merged": merged,
        "hidden": hidden or [],
    }


def _read_part(archive: zipfile.ZipFile, name: str, most: int) -> bytes:
    try:
        with archive.open(name) as stream:
            return stream.read(most)
    except KeyError:
        return b""


if __name__ == "__main__":
    main()
