"""What a check finds, held within bounds: every finding counted by its kind,
only the first few of each kind kept for the pages, and, when asked for,
every one of them written as it is found to a CSV stream.

A file with a problem on every row would otherwise keep one finding per row
in memory, in the database and in every page that reads them: 199,999
warnings of a 200,000-row file took a web process from 93 MB to 384 MB. A
kind's count and its first rows say all a page needs ("Overlapping events:
199,999 warnings; rows 3, 4, 5, ..."), and the complete list is a download.

Shared by the web pages, the worker, the command line and the API, which
differ only in how many of each kind they keep.

Plain module: no Django.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TextIO

from imports.schedule.formulas import neutralise_cell

FIRST_OF_EACH_KIND = 100
"""How many findings of one kind the pages keep: several pages of the rows
filtered by that kind, where the first five are shown."""

CSV_HEADER = ("Severity", "Row", "Column", "Kind", "Message")
# RFC 4180's line ending, which Excel writes too.
_LINE_END = "\r\n"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    FIX = "fix"


class Finding(Protocol):
    @property
    def row(self) -> int | None: ...
    @property
    def column(self) -> str | None: ...
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Found:
    """A finding made outside the check, such as the WFM's answer to the file."""

    row: int | None
    column: str | None
    code: str
    message: str


class Findings:
    """Collects one check's findings.

    keep: how many of each kind (severity and code) are kept, the first
    found; None keeps every one (the command line, whose output lists them).
    every: a text stream that receives every finding as a CSV row when it is
    found, formula cells shown as text, for the complete list to download;
    the CSV header first unless header is False (the stream already has it).
    """

    def __init__(self, *, keep: int | None = FIRST_OF_EACH_KIND, every: TextIO | None = None, header: bool = True):
        self._keep = keep
        self._kept: dict[Severity, list[Finding]] = {severity: [] for severity in Severity}
        self._counts: dict[Severity, Counter[str]] = {severity: Counter() for severity in Severity}
        self._writer = None
        if every is not None:
            self._writer = csv.writer(every, lineterminator=_LINE_END)
            if header:
                self._writer.writerow(CSV_HEADER)

    def add(self, severity: Severity, finding: Finding) -> None:
        counts = self._counts[severity]
        counts[finding.code] += 1
        if self._keep is None or counts[finding.code] <= self._keep:
            self._kept[severity].append(finding)
        if self._writer is not None:
            self._writer.writerow(
                (
                    severity.value,
                    "" if finding.row is None else finding.row,
                    neutralise_cell(finding.column or ""),
                    finding.code,
                    neutralise_cell(finding.message),
                )
            )

    def kept(self, severity: Severity) -> list[Finding]:
        """The findings kept, in the order found."""
        return list(self._kept[severity])

    def count(self, severity: Severity) -> int:
        return sum(self._counts[severity].values())

    def counts(self) -> dict[str, dict[str, int]]:
        """{severity: {code: how many}}, for every severity."""
        return {severity.value: dict(self._counts[severity]) for severity in Severity}

    @property
    def complete(self) -> bool:
        """Whether every finding was kept."""
        return all(len(self._kept[severity]) == self.count(severity) for severity in Severity)


def stored_name(import_id: object) -> str:
    """Where an import's complete list of findings is kept, beside its original."""
    return f"imports/{import_id}/findings.csv"
