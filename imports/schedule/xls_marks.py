"""What an .xls (BIFF8) workbook's records say that calamine's values do not:
the rows a sheet hides, and the cells that hold an error (#N/A, #DIV/0!)
where calamine reads an empty cell or a number. The reading child
(imports.schedule.workbook_child) asks it for the sheet it reads, after
calamine has read the same file, so the container is already known to be
sound enough to parse.

An .xls file is an OLE2 compound file whose "Workbook" stream holds the
BIFF records; the few lines that follow a stream's sectors are written here
rather than taken from olefile, to keep the child (a fresh interpreter for
every workbook) from importing a module of 2,000 lines for them.

Plain module: no Django.
"""

from __future__ import annotations

from array import array
from struct import unpack_from

_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?", 0x24: "#NUM!", 0x2A: "#N/A"}
_BOF, _EOF, _BOUNDSHEET, _ROW, _BOOLERR, _FORMULA = 0x0809, 0x000A, 0x0085, 0x0208, 0x0205, 0x0006
_ROW_HIDDEN = 0x20
_FREE, _END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE


class Unreadable(Exception):
    """The compound file or its records do not hold together."""


def xls_marks(data: bytes, name: str) -> tuple[list[tuple[int, int]], dict[tuple[int, int], str]]:
    """The sheet's hidden rows, each as (row, row) in spreadsheet numbers,
    and its error cells, (spreadsheet row, column from 0) to what the sheet
    shows there. Nothing for a workbook older than BIFF8 (no Workbook
    stream), which calamine reads without them."""
    stream = _workbook_stream(data)
    if stream is None:
        return [], {}
    start = _sheet_start(stream, name)
    if start is None:
        return [], {}
    return _sheet_marks(stream, start)


def _sheet_start(stream: bytes, name: str) -> int | None:
    """Where the sheet's records begin, as the BOUNDSHEET record naming it says."""
    at, end = 0, len(stream)
    while at + 4 <= end:
        kind, size = unpack_from("<HH", stream, at)
        body = at + 4
        if kind == _EOF:
            return None
        if kind == _BOUNDSHEET and size >= 8:
            position, length, flags = unpack_from("<IxxBB", stream, body)
            text = stream[body + 8 : body + size]
            found = text[: 2 * length].decode("utf-16-le") if flags & 1 else text[:length].decode("latin-1")
            if found == name:
                return int(position)
        at = body + size
    return None


def _sheet_marks(stream: bytes, start: int) -> tuple[list[tuple[int, int]], dict[tuple[int, int], str]]:
    hidden: list[tuple[int, int]] = []
    unread: dict[tuple[int, int], str] = {}
    at, end, depth = start, len(stream), 0
    while at + 4 <= end:
        kind, size = unpack_from("<HH", stream, at)
        body = at + 4
        at = body + size
        if kind == _BOF:
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                break
        elif depth != 1:
            # A chart's records inside the sheet: none of them is a row or cell.
            continue
        elif kind == _ROW and size >= 16:
            if stream[body + 12] & _ROW_HIDDEN:
                number = unpack_from("<H", stream, body)[0] + 1
                hidden.append((number, number))
        elif kind == _BOOLERR and size >= 8:
            row, column, _, value, is_error = unpack_from("<HHHBB", stream, body)
            if is_error:
                unread[row + 1, column] = _ERRORS.get(value, "#N/A")
        elif (
            kind == _FORMULA
            and size >= 14
            and stream[body + 6] == 0x02
            and stream[body + 12 : body + 14] == b"\xff\xff"
        ):
            # A saved result that is an error: 0x02 first, 0xFFFF last, the code third.
            row, column = unpack_from("<HH", stream, body)
            unread[row + 1, column] = _ERRORS.get(stream[body + 8], "#N/A")
    if at > end:
        raise Unreadable("a record of the sheet runs past the end of the workbook")
    return hidden, unread


def _workbook_stream(data: bytes) -> bytes | None:
    """The compound file's "Workbook" stream, or None when it has none."""
    if len(data) < 512:
        raise Unreadable("the compound file is shorter than its header")
    sector_shift, mini_shift = unpack_from("<HH", data, 0x1E)
    if not 7 <= sector_shift <= 16 or mini_shift >= sector_shift:
        raise Unreadable("the compound file's sector size is not one it can have")
    sector = 1 << sector_shift
    fat_count, directory_start = unpack_from("<II", data, 0x2C)
    cutoff, minifat_start, _, difat_start, difat_count = unpack_from("<IIIII", data, 0x38)
    sectors = (len(data) + sector - 1) // sector - 1
    fat_sectors = [at for at in array("I", data[0x4C:0x200]) if at < sectors]
    seen: set[int] = set()
    while difat_start < sectors and difat_start not in seen and len(seen) <= difat_count:
        seen.add(difat_start)
        entries = array("I", _sector(data, difat_start, sector))
        fat_sectors.extend(at for at in entries[:-1] if at < sectors)
        difat_start = entries[-1]
    fat = array("I", b"".join(_sector(data, at, sector) for at in fat_sectors[:fat_count]))
    directory = _chain(data, fat, directory_start, sector)
    root_start = unpack_from("<I", directory, 116)[0] if len(directory) >= 128 else _END_OF_CHAIN
    for at in range(0, len(directory) - 127, 128):
        entry = directory[at : at + 128]
        length = min(unpack_from("<H", entry, 64)[0], 64)
        if entry[66] != 2 or entry[: max(length - 2, 0)].decode("utf-16-le", "replace").lower() != "workbook":
            continue
        first, size = unpack_from("<II", entry, 116)
        if size >= cutoff:
            return _chain(data, fat, first, sector)[:size]
        minifat = array("I", _chain(data, fat, minifat_start, sector))
        mini_stream = _chain(data, fat, root_start, sector)
        return _chain(mini_stream, minifat, first, 1 << mini_shift, after_header=False)[:size]
    return None


def _chain(data: bytes, fat: array[int], first: int, size: int, *, after_header: bool = True) -> bytes:
    """The sectors of a stream, first to last as its allocation table links
    them; a loop in the table, or a sector past the end, is damage."""
    pieces: list[bytes] = []
    at = first
    while at not in (_END_OF_CHAIN, _FREE):
        if len(pieces) >= len(fat) or at >= len(fat):
            raise Unreadable("a stream's sectors do not end")
        pieces.append(_sector(data, at, size, after_header=after_header))
        at = fat[at]
    return b"".join(pieces)


def _sector(data: bytes, at: int, size: int, *, after_header: bool = True) -> bytes:
    """The file's sectors follow its header, which takes the place of one;
    the mini stream's sectors start at its first byte."""
    offset = (at + 1) * size if after_header else at * size
    if offset >= len(data):
        raise Unreadable("a stream's sector lies past the end of the file")
    return data[offset : offset + size]
