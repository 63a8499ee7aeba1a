"""Wall-clock times in an IANA time zone, read as java.time's
ZonedDateTime.ofLocal reads them, with the daylight-saving days named.

A local time in the hour clocks skip does not exist; one in the hour clocks
repeat happens twice, and java.time then takes the earlier occurrence unless
told otherwise. Talkdesk does not say which it takes, so the earlier one is
assumed and the planner is told so.

Plain module: no Django.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)
# Keys the zone database ships that name no place, and that java.time's
# ZoneId.of refuses.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


class LocalTime(NamedTuple):
    """How one wall-clock time reads in the zone.

    aware is None when the time does not exist; utc_seconds are the seconds
    since the epoch of the instant meant (or, for a time that does not
    exist, None); issue is None, or (code, message) for a time on a
    daylight-saving change."""

    aware: datetime | None
    utc_seconds: int | None
    issue: tuple[str, str] | None


class ZoneClock:
    """Reads local times in one zone; days without a change are looked up
    once, so a file with thousands of rows asks the zone a few dozen times."""

    def __init__(self, zone_name: str):
        self.zone_name = zone_name
        self._zone = zoneinfo.ZoneInfo(zone_name)
        self._day_offsets: dict[date, timedelta | None] = {}

    def read(self, naive: datetime) -> LocalTime:
        day = naive.date()
        try:
            offset = self._day_offsets[day]
        except KeyError:
            offset = self._day_offsets[day] = self._steady_offset(day)
        if offset is not None:
            return LocalTime(naive.replace(tzinfo=self._zone), (naive - offset - _EPOCH) // _SECOND, None)
        return self._read_on_change_day(naive)

    def _steady_offset(self, day: date) -> timedelta | None:
        """The day's one UTC offset, or None when it changes during the day
        (a change at either midnight counts)."""
        offsets = set()
        for midnight in (datetime.combine(day, time()), datetime.combine(day + _DAY, time())):
            for fold in (0, 1):
                offsets.add(_utc_offset(midnight.replace(tzinfo=self._zone, fold=fold)))
        return offsets.pop() if len(offsets) == 1 else None

    def _read_on_change_day(self, naive: datetime) -> LocalTime:
        # PEP 495: fold=0 reads with the offset before a change, fold=1 after.
        first = naive.replace(tzinfo=self._zone)
        second = naive.replace(tzinfo=self._zone, fold=1)
        before, after = _utc_offset(first), _utc_offset(second)
        if before == after:
            return LocalTime(first, (naive - before - _EPOCH) // _SECOND, None)
        jump_from, jump_to = self._change_near(naive, before, after)
        when = f"{_clock(naive.time())} on {naive.date().isoformat()}"
        if after > before:
            message = (
                f"{when} does not exist in {self.zone_name}: clocks jump from {jump_from} to {jump_to}. "
                f"Use a time before {jump_from} or from {jump_to} on."
            )
            return LocalTime(None, None, ("nonexistent_local_time", message))
        message = (
            f"{when} happens twice in {self.zone_name}: clocks go back from {jump_from} to {jump_to}. "
            f"Talkdesk does not say which one it takes; the first ({_offset_label(first, before)}) is assumed, "
            "as java.time does by default. If the second "
            f"({_offset_label(second, after)}) is meant, move the event out of the repeated hour."
        )
        return LocalTime(first, (naive - before - _EPOCH) // _SECOND, ("ambiguous_local_time", message))

    def _change_near(self, naive: datetime, before: timedelta, after: timedelta) -> tuple[str, str]:
        """The wall-clock times either side of the change: clocks go from the
        first to the second."""
        # The instant read with the offset after the change lies before it,
        # and the instant read with the offset before lies after it (or the
        # other way round when clocks go back); halve the span to the second.
        low, high = sorted(((naive - after - _EPOCH) // _SECOND, (naive - before - _EPOCH) // _SECOND))
        while high - low > 1:
            middle = (low + high) // 2
            if self._offset_at(middle) == before:
                low = middle
            else:
                high = middle
        change = _EPOCH + high * _SECOND
        return _clock((change + before).time()), _clock((change + after).time())

    def _offset_at(self, utc_seconds: int) -> timedelta:
        instant = (_EPOCH + utc_seconds * _SECOND).replace(tzinfo=UTC)
        return _utc_offset(instant.astimezone(self._zone))


def _clock(moment: time) -> str:
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


def _offset_label(moment: datetime, offset: timedelta) -> str:
    minutes = offset // timedelta(minutes=1)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    utc = f"UTC{sign}{hours:02d}:{minutes:02d}"
    # Zones without a customary abbreviation are named by their offset,
    # "+1030", which would only repeat it.
    name = moment.tzname() or ""
    return f"{name}, {utc}" if name[:1].isalpha() else utc


def _utc_offset(moment: datetime) -> timedelta:
    offset = moment.utcoffset()
    if offset is None:
        # Only a naive time has none, and every time read here carries its zone.
        raise ValueError(f"{moment} has no time zone")
    return offset
