"""Workbooks made in the tests, each from rows of cells: a str, int or float,
a datetime, date or time (written as the date-time, date or time cell a
spreadsheet keeps), or Formula(text, saved value)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Formula:
    text: str
    value: str | float


Sheets = dict[str, list[list[object]]]
# Excel's error texts by their BIFF codes: xlwt's own table has no "#N/A"
# and gives "#VALUE!" the code of "#NUM!".
XLS_ERROR_CODES = {
    "#NULL!": 0x00,
    "#DIV/0!": 0x07,
    "#VALUE!": 0x0F,
    "#REF!": 0x17,
    "#NAME?": 0x1D,
    "#NUM!": 0x24,
    "#N/A": 0x2A,
}


def xlsx(sheets: Sheets, *, start: tuple[int, int] = (0, 0), merge: str | None = None) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    formats = {
        datetime: book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        date: book.add_format({"num_format": "dd/mm/yyyy"}),
        time: book.add_format({"num_format": "hh:mm"}),
    }
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                at = (start[0] + r, start[1] + c)
                if isinstance(value, Formula):
                    sheet.write_formula(*at, value.text, None, value.value)
                elif isinstance(value, datetime | date | time):
                    sheet.write_datetime(*at, value, formats[type(value)])
                elif value is not None:
                    sheet.write(*at, value)
        if merge:
            first, value = merge.split("=", 1)
            sheet.merge_range(first, value)
    book.close()
    return out.getvalue()


def xls(sheets: Sheets, *, start: tuple[int, int] = (0, 0), hidden: tuple[int, ...] = ()) -> bytes:
    """An .xls workbook as xlwt writes it: a cell "#N/A" (or another of
    Excel's error texts) as an error cell; hidden: spreadsheet rows to hide."""
    import xlwt

    book = xlwt.Workbook()
    styles = {
        datetime: xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm"),
        date: xlwt.easyxf(num_format_str="dd/mm/yyyy"),
        time: xlwt.easyxf(num_format_str="hh:mm"),
    }
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                at = (start[0] + r, start[1] + c)
                if isinstance(value, Formula):
                    # xlwt cannot save a formula's value; the value is written instead.
                    sheet.write(*at, value.value)
                elif isinstance(value, datetime | date | time):
                    sheet.write(*at, value, styles[type(value)])
                elif isinstance(value, str) and value in XLS_ERROR_CODES:
                    sheet.row(at[0]).set_cell_error(at[1], XLS_ERROR_CODES[value])
                elif value is not None:
                    sheet.write(*at, value)
        for number in hidden:
            sheet.row(start[0] + number - 1).hidden = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def openpyxl_xlsx(rows: list[list[object]], *, hidden: tuple[int, ...] = (), title: str = "Plan") -> bytes:
    """A workbook as openpyxl writes it: a cell "#N/A" as an error cell, a
    formula ("=A2+1") without a saved value, as any program but a
    spreadsheet writes one; hidden: spreadsheet rows to hide."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for number in hidden:
        sheet.row_dimensions[number].hidden = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ods(sheets: Sheets, *, hidden: tuple[int, ...] = (), errors_as_zero: bool = False) -> bytes:
    """An OpenDocument spreadsheet written by hand: content.xml, the manifest
    and the mimetype entry first and stored, as the format asks; hidden:
    spreadsheet rows to collapse. A cell "#N/A" (or another of Excel's error
    texts) is a formula's error as LibreOffice 7.4 writes it, an empty text,
    or a 0 with errors_as_zero, as other versions write it."""
    tables = []
    for name, rows in sheets.items():
        lines = []
        for number, row in enumerate(rows, start=1):
            cells = "".join(_ods_cell(value, errors_as_zero) for value in row)
            shown = ' table:visibility="collapse"' if number in hidden else ""
            lines.append(f"<table:table-row{shown}>{cells}</table:table-row>")
        named = escape(name, {'"': "&quot;"})
        tables.append(f'<table:table table:name="{named}">{"".join(lines)}</table:table>')
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" '
        'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _ods_cell(value: object, errors_as_zero: bool) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, str) and value in XLS_ERROR_CODES:
        saved = (
            'office:value-type="float" office:value="0"'
            if errors_as_zero
            else 'office:value-type="string" office:string-value=""'
        )
        return (
            f'<table:table-cell table:formula="of:=NA()" {saved} calcext:value-type="error">'
            f"<text:p>{escape(value)}</text:p></table:table-cell>"
        )
    if isinstance(value, Formula):
        return (
            f'<table:table-cell table:formula="of:{escape(value.text)}" office:value-type="string" '
            f'office:string-value="{escape(str(value.value))}"><text:p>{escape(str(value.value))}</text:p></table:table-cell>'
        )
    if isinstance(value, datetime):
        return f'<table:table-cell office:value-type="date" office:date-value="{value:%Y-%m-%dT%H:%M:%S}"/>'
    if isinstance(value, date):
        return f'<table:table-cell office:value-type="date" office:date-value="{value:%Y-%m-%d}"/>'
    if isinstance(value, time):
        return f'<table:table-cell office:value-type="time" office:time-value="PT{value.hour}H{value.minute}M0S"/>'
    if isinstance(value, int | float):
        return f'<table:table-cell office:value-type="float" office:value="{value}"/>'
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def in_mini_stream(book: bytes) -> bytes:
    """A small .xls workbook rewritten with its Workbook stream under 4,096
    bytes, where a compound file keeps it in the mini stream (xlwt and
    Excel pad the stream to 4,096 bytes; other writers need not)."""
    import struct

    directory = struct.unpack_from("<I", book, 0x30)[0]
    stream_start = struct.unpack_from("<I", book, (directory + 1) * 512 + 128 + 116)[0]
    stream = book[(stream_start + 1) * 512 :]
    stream = stream[: stream.rindex(b"\x0a\x00\x00\x00") + 4]
    assert len(stream) < 4096
    free, end = 0xFFFFFFFF, 0xFFFFFFFE
    minis = -(-len(stream) // 64)
    mini_data = stream.ljust(minis * 64, b"\0").ljust(-(-minis * 64 // 512) * 512, b"\0")
    big = len(mini_data) // 512
    # Sectors: 0 the allocation table, 1 the directory, 2 the mini table, 3 on the mini stream.
    fat = [0xFFFFFFFD, end, end, *range(4, 3 + big), end]
    minifat = [*range(1, minis), end]
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("d0cf11e0a1b11ae1"),
        b"",
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"",
        0,
        1,
        1,
        0,
        4096,
        2,
        1,
        end,
        0,
    )
    header += struct.pack("<109I", 0, *[free] * 108)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return struct.pack(
            "<64sHBBIII16sI8s8sIII", encoded, len(encoded), kind, 1, free, free, child, b"", 0, b"", b"", start, size, 0
        )

    entries = entry("Root Entry", 5, 1, 3, len(mini_data)) + entry("Workbook", 2, free, 0, len(stream))
    entries += entry("", 0, free, free, 0) * 2
    return (
        header
        + struct.pack("<128I", *fat, *[free] * (128 - len(fat)))
        + entries
        + struct.pack("<128I", *minifat, *[free] * (128 - len(minifat)))
        + mini_data
    )
