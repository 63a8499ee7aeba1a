"""The six date formats Talkdesk's schedule import accepts, read the way its
Java DateTimeFormatter patterns read them.

Where java.time's default SMART resolver would quietly move a value instead
of refusing it (2026-02-30 becomes 2026-02-28, 24:00 becomes the next day's
00:00), the value is refused here: a planner must never send a time that
Talkdesk would shift without saying so.

Plain module: no Django.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from functools import lru_cache

DEFAULT_DATE_FORMAT = "HH:mm yyyy-MM-dd"
DATE_FORMATS: tuple[str, ...] = (
    DEFAULT_DATE_FORMAT,
    "HH:mm yyyyMMdd",
    "HH:mm MM/dd/yyyy",
    "HH:mm M/d/yyyy",
    "HH:mm MM/dd/yy",
    "HH:mm dd/MM/yyyy",
)
# The spec's example for each format, shown in messages.
EXAMPLES: dict[str, str] = {
    "HH:mm yyyy-MM-dd": "09:00 2026-06-01",
    "HH:mm yyyyMMdd": "09:00 20260601",
    "HH:mm MM/dd/yyyy": "09:00 06/01/2026",
    "HH:mm M/d/yyyy": "09:00 6/1/2026",
    "HH:mm MM/dd/yy": "09:00 06/01/26",
    "HH:mm dd/MM/yyyy": "09:00 01/06/2026",
}

# [0-9] rather than \d: java.time's standard DecimalStyle reads ASCII digits
# only, while \d would also take Arabic-Indic and other digits.
_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})")
# Every format is "HH:mm", one space, then the date: the date's pattern, and
# where year, month and day sit among its groups.
_DATES: dict[str, tuple[re.Pattern[str], tuple[int, int, int]]] = {
    "HH:mm yyyy-MM-dd": (re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"), (0, 1, 2)),
    "HH:mm yyyyMMdd": (re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"), (0, 1, 2)),
    "HH:mm MM/dd/yyyy": (re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})"), (2, 0, 1)),
    "HH:mm M/d/yyyy": (re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})"), (2, 0, 1)),
    "HH:mm MM/dd/yy": (re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{2})"), (2, 0, 1)),
    "HH:mm dd/MM/yyyy": (re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})"), (2, 1, 0)),
}
# java.time reads a two-digit "yy" as 2000-2099.
_TWO_DIGIT_YEAR_BASE = 2000


def parse_time(text: str, date_format: str) -> datetime | str:
    """The naive local date-time the text means in the format, or a sentence
    saying why it is not one."""
    read = read_time(text, date_format)
    if read is None:
        return _mismatch(text, date_format)
    return read


def read_time(text: str, date_format: str) -> datetime | str | None:
    """Like parse_time, but None when the text does not have the format's
    shape at all, without working out why: quick enough to try every format
    on every cell. A file has a few dozen days and times of day in endless
    combinations, so each part is read once."""
    if text[5:6] != " ":
        return None
    clock = _clock(text[:5])
    day = _calendar_day(text[6:], date_format)
    if clock is None or day is None:
        return None
    try:
        return datetime(*day, *clock)
    except ValueError:
        return _out_of_range(text, date_format, *day, *clock)


@lru_cache(maxsize=2048)
def _clock(text: str) -> tuple[int, int] | None:
    match = _CLOCK.fullmatch(text)
    return (int(match[1]), int(match[2])) if match else None


@lru_cache(maxsize=8192)
def _calendar_day(text: str, date_format: str) -> tuple[int, int, int] | None:
    pattern, (year_at, month_at, day_at) = _DATES[date_format]
    match = pattern.fullmatch(text)
    if match is None:
        return None
    groups = match.groups()
    year = int(groups[year_at])
    if len(groups[year_at]) == 2:
        year += _TWO_DIGIT_YEAR_BASE
    return year, int(groups[month_at]), int(groups[day_at])


def _out_of_range(text: str, date_format: str, year: int, month: int, day: int, hour: int, minute: int) -> str:
    if hour == 24 and minute == 0:
        return f"24:00 is not a time of day in Talkdesk's formats: write 00:00 of the next day instead of '{text}'."
    if hour > 23 or minute > 59:
        return f"'{text}' has no such time of day: hours go from 00 to 23 and minutes from 00 to 59."
    if not 1 <= month <= 12:
        return f"'{text}' has no month {month}: months go from 1 to 12 (format {date_format})."
    if year == 0:
        return f"'{text}' has no year 0."
    days_in_month = calendar.monthrange(year, month)[1]
    return f"'{text}' is not a real date: {calendar.month_name[month]} {year} has {days_in_month} days."


def _mismatch(text: str, date_format: str) -> str:
    message = f"'{text}' does not match the date format {date_format} (for example {EXAMPLES[date_format]})"
    hint = _hint(text, date_format)
    return f"{message}: {hint}." if hint else f"{message}."


def _hint(text: str, date_format: str) -> str | None:
    if text.count(" ") > 1:
        return "remove the extra spaces: one space goes between the time and the date"
    if " " not in text:
        return "write the time, one space, then the date"
    time_part = text.split(" ", 1)[0]
    if re.fullmatch(r"[0-9]:[0-9]{2}", time_part):
        return "hours need two digits, such as 09:00"
    if re.fullmatch(r"[0-9]{1,2}:[0-9]{2}:[0-9]{2}", time_part):
        return "leave out the seconds"
    others = [name for name in DATE_FORMATS if name != date_format and isinstance(read_time(text, name), datetime)]
    if others:
        return f"it reads as {' or '.join(others)}"
    return None


def format_day(day: date, pattern: str) -> str:
    """The day in the date part of one of Talkdesk's formats."""
    return (
        pattern.replace("yyyy", f"{day.year:04d}")
        .replace("yy", f"{day.year % 100:02d}")
        .replace("MM", f"{day.month:02d}")
        .replace("dd", f"{day.day:02d}")
        .replace("M", str(day.month))
        .replace("d", str(day.day))
    )
