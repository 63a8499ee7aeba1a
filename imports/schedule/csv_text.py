"""Turns the bytes a planner uploaded into CSV text, or says plainly why they
are not a CSV file.

Spreadsheets save CSV as UTF-8 with or without a byte-order mark, as UTF-16
with one (Excel's "Unicode text", tab-separated) or in the old Windows
code page; with commas, semicolons (where the comma is the decimal mark) or
tabs between the columns.

Plain module: no Django.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass

from imports.schedule.header import column_meant

DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}

# What other files people pick by mistake begin with.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel workbook (.xls)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
)
_SAVE_AS_CSV = "In Excel, use File > Save As > CSV UTF-8 (Comma delimited) and upload that file."
# C0 controls other than tab, line feed and carriage return, and DEL: no
# spreadsheet writes them into a CSV file.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# More control characters than this share of the text means a binary file,
# not a text file with a stray character in a cell.
_BINARY_SHARE = 0.01
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class UnreadableFile(Exception):
    """The bytes are not a CSV text file; the message says what they are."""


@dataclass(frozen=True)
class CsvText:
    text: str
    encoding_fix: str | None
    """A sentence for the planner when the text was converted to UTF-8."""
    has_control_characters: bool


def decode(data: bytes) -> CsvText:
    if not data:
        raise UnreadableFile("The file is empty.")
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise UnreadableFile(
                f"This file is {kind}, not a schedule. Upload a CSV file or a workbook (.xlsx, .xls or .ods)."
            )

    if data.startswith(codecs.BOM_UTF8):
        text = _strict(data[len(codecs.BOM_UTF8) :], "utf-8", "The file starts as UTF-8 but is not valid UTF-8.")
        fix = "The file's UTF-8 byte-order mark is left out of the file sent."
        controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _strict(data, "utf-16", "The file starts as UTF-16 but is not valid UTF-16.")
        fix = 'The file was UTF-16 (Excel\'s "Unicode text"); it is sent as UTF-8.'
        controls = len(CONTROL_CHARACTER.findall(text))
    else:
        if b"\x00" in data:
            raise UnreadableFile(
                "The file contains binary data (NUL bytes), so it is not a CSV text file. "
                f'If it was saved as "Unicode text" without a byte-order mark, save it again. {_SAVE_AS_CSV}'
            )
        controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
        try:
            text, fix = data.decode("utf-8"), None
        except UnicodeDecodeError:
            text = _strict(data, "cp1252", "The file is neither UTF-8 nor Windows-1252 text.")
            fix = (
                "The file is not UTF-8; it was read as Windows-1252 (Western European) and is sent as UTF-8. "
                "Check that accented names look right."
            )
    if controls > len(text) * _BINARY_SHARE:
        raise UnreadableFile(f"The file is full of control characters, so it is not a CSV text file. {_SAVE_AS_CSV}")
    # isspace stops at the first visible character, where strip would copy
    # the whole text.
    if not text or text.isspace():
        raise UnreadableFile("The file is empty.")
    return CsvText(text, fix, controls > 0)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first non-blank line into the most of
    Talkdesk's columns; commas when none does."""
    header_line = next((line for line in _LINE_BREAK.split(text[:65536]) if line.strip()), "")

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(column_meant(cell) is not None for cell in cells), len(cells)

    # max() keeps the first of equals, so commas win a tie.
    return max(DELIMITER_NAMES, key=score)


def _strict(data: bytes, encoding: str, message: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise UnreadableFile(f"{message} {_SAVE_AS_CSV}") from None
