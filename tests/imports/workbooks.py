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


def xls(sheets: Sheets, *, start: tuple[int, int] = (0, 0)) -> bytes:
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
                elif value is not None:
                    sheet.write(*at, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def openpyxl_xlsx(rows: list[list[object]], *, hidden: tuple[int, ...] = ()) -> bytes:
    """A workbook as openpyxl writes it: a cell "#N/A" as an error cell, a
    formula ("=A2+1") without a saved value, as any program but a
    spreadsheet writes one; hidden: spreadsheet rows to hide."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Plan"
    for row in rows:
        sheet.append(row)
    for number in hidden:
        sheet.row_dimensions[number].hidden = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ods(sheets: Sheets, *, hidden: tuple[int, ...] = ()) -> bytes:
    """An OpenDocument spreadsheet written by hand: content.xml, the manifest
    and the mimetype entry first and stored, as the format asks; hidden:
    spreadsheet rows to collapse."""
    tables = []
    for name, rows in sheets.items():
        lines = []
        for number, row in enumerate(rows, start=1):
            cells = "".join(_ods_cell(value) for value in row)
            shown = ' table:visibility="collapse"' if number in hidden else ""
            lines.append(f"<table:table-row{shown}>{cells}</table:table-row>")
        tables.append(f'<table:table table:name="{escape(name)}">{"".join(lines)}</table:table>')
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2">'
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


def _ods_cell(value: object) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
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
