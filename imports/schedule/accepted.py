"""A new file against the events Talkdesk already accepted through the
portal for the same account: which rows are already there, which collide
with an earlier event, and what the file changes, agent by agent and day by
day.

Talkdesk adds what it is given and removes nothing, so a file sent twice, or
a corrected file sent after the first, leaves doubled or colliding events in
an agent's day; only the portal, which saw everything that went in through
it, can say so before it happens.

Plain module, standard library only: the database's events come in as
tuples, the file's as the check's EventColumns.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from functools import partial
from itertools import accumulate
from operator import itemgetter
from typing import NamedTuple

from imports.schedule.check import EventColumns

FILE_ALREADY_IMPORTED = "file_already_imported"
ROW_ALREADY_IMPORTED = "row_already_imported"
OVERLAPS_IMPORTED_EVENT = "overlaps_imported_event"

_START_COLUMN = "Start Time"
# An accepted event's agent, start, end and type; and its source.
_EVENT_KEY = itemgetter(0, 1, 2, 3)
_SOURCE = itemgetter(4)
_EVENT_KEY_NO_AGENT = itemgetter(1, 2, 3)
_FILE_KEY = itemgetter(1, 2, 3)
_START = itemgetter(1)


class Accepted(NamedTuple):
    """One event Talkdesk accepted: the agent's e-mail in lower case, start
    and end in minutes since the epoch, the event type, and the part it was
    sent in (a key of the sources)."""

    agent: str
    start: int
    end: int
    kind: str
    source: int


@dataclass(frozen=True)
class Source:
    """An earlier import as the planner may hear of it. Another team's
    import sharing the account is told as such, never named: its events
    collide all the same, but its file is not the planner's to see."""

    imported_at: datetime | None
    name: str | None = None
    by: str | None = None
    link: str | None = None

    def describe(self, zone: tzinfo) -> str:
        when = _when(self.imported_at, zone)
        if self.name is None:
            return f"by another team sharing this Talkdesk account, {when}"
        return f"in import {self.name}, {when}" + (f" by {self.by}" if self.by else "")

    def imported(self, zone: tzinfo) -> str:
        """As the timeline's earlier events say it: when first, then which
        import (or only that another team sent it)."""
        when = _when(self.imported_at, zone)
        if self.name is None:
            return f"imported {when} by another team sharing this Talkdesk account"
        return f"imported {when} in import {self.name}" + (f" by {self.by}" if self.by else "")


def finding(row: int | None, column: str | None, code: str, message: str, link: str | None) -> dict[str, object]:
    """A finding in the shape every check gives (docs/finding-codes.md),
    with the link to the import it names, if it may be shown."""
    found: dict[str, object] = {"row": row, "column": column, "code": code, "message": message}
    if link:
        found["link"] = link
    return found


@dataclass
class Comparison:
    already: list[dict[str, object]] = field(default_factory=list)
    overlapping: list[dict[str, object]] = field(default_factory=list)
    already_rows: list[int] = field(default_factory=list)


def file_already_imported(source: Source, *, zone: tzinfo) -> dict[str, object]:
    return finding(
        None,
        None,
        FILE_ALREADY_IMPORTED,
        f"This file, as it would be sent, was already imported into Talkdesk {source.describe(zone)}. "
        "Sending it again adds every event a second time.",
        source.link,
    )


def compare(events: EventColumns, accepted: list[Accepted], sources: dict[int, Source], *, zone: tzinfo) -> Comparison:
    """Each row equal to an accepted event (same agent in any case, start,
    end and type) and each other row that overlaps an accepted event of the
    same agent and type. Only events of one type are compared for overlaps,
    as the file's own check does: a break inside a shift is how schedules
    are written, not a collision."""
    result = Comparison()
    if not accepted:
        return result
    # A file sent again meets tens of thousands of its own rows here, so the
    # exact matches are found a column at a time, in C (the reversed order
    # keeps the first import of an event), and Python walks only the rows
    # that need a message.
    exact = dict(zip(map(_EVENT_KEY, reversed(accepted)), map(_SOURCE, reversed(accepted)), strict=True))
    lowered = {email: email.lower() for email in set(events.emails)}
    file_agents = list(map(lowered.__getitem__, events.emails))
    matches = list(map(exact.get, zip(file_agents, events.starts, events.ends, events.types, strict=True)))
    said: dict[int, tuple[str, str | None]] = {}
    rows = events.rows
    for index, source in enumerate(matches):
        if source is None:
            continue
        if source not in said:
            described = sources[source]
            said[source] = (f"Already imported {described.describe(zone)}.", described.link)
        message, link = said[source]
        result.already.append(
            {"row": rows[index], "column": None, "code": ROW_ALREADY_IMPORTED, "message": message, "link": link}
            if link
            else {"row": rows[index], "column": None, "code": ROW_ALREADY_IMPORTED, "message": message}
        )
        result.already_rows.append(rows[index])
    if len(result.already_rows) == len(rows):
        return result
    finder = _OverlapFinder(accepted)
    for index, source in enumerate(matches):
        start, end = events.starts[index], events.ends[index]
        if source is not None or start is None or end is None or end <= start:
            continue
        kind = events.types[index]
        earlier = finder.find(file_agents[index], kind, start, end)
        if earlier is not None:
            described = sources[earlier.source]
            result.overlapping.append(
                finding(
                    rows[index],
                    _START_COLUMN,
                    OVERLAPS_IMPORTED_EVENT,
                    f"This {kind} for {events.emails[index]} overlaps the {kind} "
                    f"{_span(earlier.start, earlier.end, zone)} imported {described.describe(zone)}. "
                    "Talkdesk keeps both: importing does not remove earlier events.",
                    described.link,
                )
            )
    return result


class _OverlapFinder:
    """Per agent and type, the accepted events by start, with the latest end
    so far, so that a look-up walks back only over events that can still
    reach the new one."""

    def __init__(self, accepted: list[Accepted]):
        groups: dict[tuple[str, str], list[Accepted]] = defaultdict(list)
        for event in accepted:
            groups[event.agent, event.kind].append(event)
        self.groups = {}
        for key, found in groups.items():
            found.sort(key=lambda event: event.start)
            self.groups[key] = (
                [event.start for event in found],
                list(accumulate((event.end for event in found), max)),
                found,
            )

    def find(self, agent: str, kind: str, start: int, end: int) -> Accepted | None:
        group = self.groups.get((agent, kind))
        if group is None:
            return None
        starts, latest_ends, found = group
        position = bisect_left(starts, end) - 1
        while position >= 0 and latest_ends[position] > start:
            if found[position].end > start:
                return found[position]
            position -= 1
        return None


# What changes


class FileEvent(NamedTuple):
    row: int
    start: int
    end: int
    kind: str


_make_file_event = partial(tuple.__new__, FileEvent)


@dataclass
class DayChange:
    """One agent's day the file or an earlier import covers."""

    agent: str
    day: date
    status: str
    """new, identical, differs or left_empty."""
    file_events: list[FileEvent]
    earlier: list[Accepted]
    """The earlier events that day the file does not repeat: still in
    Talkdesk after the import."""


@dataclass
class Changes:
    new: int = 0
    identical: int = 0
    differing: int = 0
    left_empty: int = 0
    days: list[DayChange] = field(default_factory=list)
    """Every agent's day, in agent then day order."""

    @property
    def has_earlier_events(self) -> bool:
        return bool(self.identical or self.differing or self.left_empty)


def what_changes(events: EventColumns, accepted: list[Accepted], *, zone: tzinfo) -> Changes:
    """For the agents and days the file covers, the file against what was
    accepted before: events new to the day, identical to an earlier one, or
    differing (the agent's day had other events), and the days that had
    events before which the file leaves empty."""
    timed = [
        index
        for index, (start, end) in enumerate(zip(events.starts, events.ends, strict=True))
        if start is not None and end is not None
    ]
    changes = Changes()
    if not timed:
        return changes
    lowered = {email: email.lower() for email in set(events.emails)}
    in_file: dict[tuple[str, date], list[FileEvent]] = defaultdict(list)
    rows, emails, starts, ends, types = events
    # A schedule repeats a few start times on row after row: each is turned
    # into a day once.
    days_of = {
        minute: moment(minute, zone).date()
        for minute in {starts[index] for index in timed} | set(map(_START, accepted))
        if minute is not None
    }
    for index in timed:
        in_file[lowered[emails[index]], days_of[starts[index]]].append(
            _make_file_event((rows[index], starts[index], ends[index], types[index]))
        )
    agents = set(lowered.values())
    first_day = min(day for _, day in in_file)
    last_day = max(day for _, day in in_file)
    before: dict[tuple[str, date], list[Accepted]] = defaultdict(list)
    for event in accepted:
        if event.agent in agents:
            day = days_of[event.start]
            if first_day <= day <= last_day:
                before[event.agent, day].append(event)
    for key in sorted(in_file.keys() | before.keys()):
        changes.days.append(_day_change(key, in_file.get(key, []), before.get(key, []), changes))
    return changes


def _day_change(
    key: tuple[str, date], file_events: list[FileEvent], earlier: list[Accepted], changes: Changes
) -> DayChange:
    agent, day = key
    if not file_events:
        changes.left_empty += 1
        return DayChange(agent, day, "left_empty", [], sorted(earlier))
    if not earlier:
        changes.new += len(file_events)
        return DayChange(agent, day, "new", sorted(file_events, key=_START), [])
    if len(file_events) == len(earlier) and sorted(map(_FILE_KEY, file_events)) == sorted(
        map(_EVENT_KEY_NO_AGENT, earlier)
    ):
        changes.identical += len(file_events)
        return DayChange(agent, day, "identical", sorted(file_events, key=_START), [])
    remaining: dict[tuple[int, int, str], list[Accepted]] = defaultdict(list)
    for before in earlier:
        remaining[before.start, before.end, before.kind].append(before)
    unmatched = []
    for event in file_events:
        same = remaining.get((event.start, event.end, event.kind))
        if same:
            same.pop()
            changes.identical += 1
        else:
            unmatched.append(event)
    left = sorted(before for kept in remaining.values() for before in kept)
    if not unmatched and not left:
        status = "identical"
    elif not left:
        # Everything the day had is repeated: the rest is added beside it.
        status = "new"
        changes.new += len(unmatched)
    else:
        # The day had events the file does not repeat: its events there
        # differ, and the earlier ones stay in Talkdesk beside them.
        status = "differs"
        changes.differing += len(unmatched)
    return DayChange(agent, day, status, sorted(file_events, key=_START), left)


def event_text(event: FileEvent | Accepted, zone: tzinfo) -> str:
    """An event as a line of the "what changes" view: its type and local
    times, the day of the end named when it is not the start's."""
    first, last = moment(event.start, zone), moment(event.end, zone)
    until = f"{last:%H:%M}" if last.date() == first.date() else f"{last:%a} {last:%H:%M}"
    text = f"{event.kind} {first:%H:%M}–{until}"
    return f"row {event.row}: {text}" if isinstance(event, FileEvent) else text


def moment(minute: int, zone: tzinfo) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC).astimezone(zone)


def _when(at: datetime | None, zone: tzinfo) -> str:
    if at is None:
        return "at a time not recorded"
    local = at.astimezone(zone)
    return f"on {local.day} {local:%b %Y} at {local:%H:%M}"


def _span(start: int, end: int, zone: tzinfo) -> str:
    first, last = moment(start, zone), moment(end, zone)
    until = f"{last:%H:%M}" if last.date() == first.date() else f"{last.day} {last:%b %H:%M}"
    return f"of {first:%a} {first.day} {first:%b %Y} {first:%H:%M}–{until}"
