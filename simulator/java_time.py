"""Parsing of times written with the Java DateTimeFormatter patterns the
Schedule Event Import API accepts, as strictly as Talkdesk's Java backend
reads them (ResolverStyle.STRICT): fixed widths where the pattern letter is
doubled, real calendar dates, no 24:00, no surrounding spaces."""

from __future__ import annotations

import re
from datetime import datetime

DEFAULT_DATE_FORMAT = "HH:mm yyyy-MM-dd"
SUPPORTED_DATE_FORMATS = (
    "HH:mm yyyy-MM-dd",
    "HH:mm yyyyMMdd",
    "HH:mm MM/dd/yyyy",
    "HH:mm M/d/yyyy",
    "HH:mm MM/dd/yy",
    "HH:mm dd/MM/yyyy",
)

# [0-9] rather than \d: Python's \d also matches Arabic-Indic and other digits.
_FIELDS = {
    "HH": ("hour", "[0-9]{2}"),
    "mm": ("minute", "[0-9]{2}"),
    "yyyy": ("year", "[0-9]{4}"),
    "yy": ("short_year", "[0-9]{2}"),
    "MM": ("month", "[0-9]{2}"),
    "M": ("month", "[0-9]{1,2}"),
    "dd": ("day", "[0-9]{2}"),
    "d": ("day", "[0-9]{1,2}"),
}
_LETTER_RUN = re.compile(r"([A-Za-z])\1*")


class JavaPattern:
    def __init__(self, pattern: str):
        self.pattern = pattern
        self._regex = re.compile(self._to_regex(pattern))

    @staticmethod
    def _to_regex(pattern: str) -> str:
        parts, seen, position = [], set(), 0
        for run in _LETTER_RUN.finditer(pattern):
            parts.append(re.escape(pattern[position : run.start()]))
            field = _FIELDS.get(run.group())
            if field is None:
                raise ValueError(f"Unsupported pattern letters {run.group()!r} in {pattern!r}")
            name, digits = field
            if name in seen:
                raise ValueError(f"Pattern {pattern!r} sets the {name} twice")
            seen.add(name)
            parts.append(f"(?P<{name}>{digits})")
            position = run.end()
        parts.append(re.escape(pattern[position:]))
        if not {"hour", "minute", "day", "month"} <= seen or not seen & {"year", "short_year"}:
            raise ValueError(f"Pattern {pattern!r} does not give a full date and time")
        return "".join(parts)

    def parse(self, text: str) -> datetime:
        """A naive local datetime; ValueError when the text does not match or is no real time."""
        match = self._regex.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} does not match {self.pattern}")
        values = match.groupdict()
        # Java's reduced two-digit year `yy` has base year 2000: 26 is 2026.
        year = int(values["year"]) if "year" in values else 2000 + int(values["short_year"])
        return datetime(year, int(values["month"]), int(values["day"]), int(values["hour"]), int(values["minute"]))
