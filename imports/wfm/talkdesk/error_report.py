"""Reads Talkdesk's error report: which rows of a sent file failed, and why.

Plain module. The spec does not fix the report's columns beyond the file's
own, so the row number and the reason are found by name, and rows without a
number are matched to the sent file by their values.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

_ROW_COLUMNS = ("row", "row number", "line", "line number")
_REASON_COLUMNS = ("error", "errors", "reason", "error message", "message", "error_message")


@dataclass(frozen=True)
class FailedRow:
    row: int | None
    values: dict[str, str]
    reason: str


def read_error_report(data: bytes) -> list[FailedRow]:
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        return []
    names = [cell.strip() for cell in header]
    lowered = [name.lower() for name in names]
    row_index = next((i for i, name in enumerate(lowered) if name in _ROW_COLUMNS), None)
    reason_index = next((i for i, name in enumerate(lowered) if name in _REASON_COLUMNS), None)
    failed = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        values = {
            name: cells[i] if i < len(cells) else ""
            for i, name in enumerate(names)
            if i not in (row_index, reason_index)
        }
        row = None
        if row_index is not None and row_index < len(cells) and cells[row_index].strip().isdigit():
            row = int(cells[row_index].strip())
        reason = cells[reason_index] if reason_index is not None and reason_index < len(cells) else ""
        failed.append(FailedRow(row=row, values=values, reason=reason.strip()))
    return failed


def rejected_positions(report: list[FailedRow], sent: list[tuple[str, ...]], header: tuple[str, ...]) -> set[int]:
    """The positions (0 for the first data row) of the sent file's rows the
    report lists: by row number (the header is row 1) where it gives one,
    otherwise the first not yet matched row with the same values."""
    rejected: set[int] = set()
    unnumbered = [failed for failed in report if failed.row is None]
    for failed in report:
        if failed.row is not None and 0 <= failed.row - 2 < len(sent):
            rejected.add(failed.row - 2)
    if unnumbered:
        by_values: dict[tuple[str, ...], list[int]] = {}
        for position, cells in enumerate(sent):
            by_values.setdefault(tuple(cell.strip() for cell in cells), []).append(position)
        for failed in unnumbered:
            key = tuple(failed.values.get(name, "").strip() for name in header)
            free = [position for position in by_values.get(key, []) if position not in rejected]
            if free:
                rejected.add(free[0])
    return rejected
