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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from functools import partial
from itertools import accumulate, compress
from operator import itemgetter
from typing import NamedTuple, cast

from imports.schedule.check import EventColumns

FILE_ALREADY_IMPORTED = "file_already_imported"
ROW_ALREADY_IMPORTED = "row_already_imported"
OVERLAPS_IMPORTED_EVENT = "overlaps_imported_event"

_START_COLUMN = "Start Time"
# An event as one text, the same from the database (selectors write it in
# SQL) and from the file: agent in lower case, start and end minutes, type,
# joined by the unit separator, which no e-mail or event type holds; the
# events' keys are joined by line breaks, which the check takes out of every
# cell, and their parts' ids, in the same order, by commas. Compared as
# text, tens of thousands of events are read and matched in C, without a
# tuple for each.
KEY_SEPARATOR = "\x1f"
EVENTS_SEPARATOR = "\n"
PARTS_SEPARATOR = ","
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


def event_keys(accepted: list[Accepted]) -> tuple[str, str]:
    """The events as the database gives them to already_imported: their
    keys in one text, their parts' ids in another."""
    return (
        EVENTS_SEPARATOR.join(KEY_SEPARATOR.join(map(str, event[:4])) for event in accepted),
        PARTS_SEPARATOR.join(str(event.source) for event in accepted),
    )


def compare(events: EventColumns, accepted: list[Accepted], sources: dict[int, Source], *, zone: tzinfo) -> Comparison:
    """Each row equal to an accepted event (same agent in any case, start,
    end and type) and each other row that overlaps an accepted event of the
    same agent and type."""
    result = already_imported(events, event_keys(accepted), sources, zone=zone)
    add_overlaps(result, events, accepted, sources, zone=zone)
    return result


def already_imported(
    events: EventColumns, keyed: tuple[str, str], sources: dict[int, Source], *, zone: tzinfo
) -> Comparison:
    """Each row equal to an accepted event: same agent in any case, start,
    end and type. keyed is the events' keys and their parts' ids, each in
    one text (event_keys); an event imported more than once is told of by
    one of the imports that sent it."""
    result = Comparison()
    keys, parts = keyed
    if not keys:
        return result
    exact = dict(zip(keys.split(EVENTS_SEPARATOR), map(int, parts.split(PARTS_SEPARATOR)), strict=True))
    lowered = {email: email.lower() for email in set(events.emails)}
    # Each minute made text once, and each key joined in C.
    text = {minute: str(minute) for minute in {*events.starts, *events.ends}}
    file_keys = map(
        KEY_SEPARATOR.join,
        zip(
            map(lowered.__getitem__, events.emails),
            map(text.__getitem__, events.starts),
            map(text.__getitem__, events.ends),
            events.types,
            strict=True,
        ),
    )
    matches = list(map(exact.get, file_keys))
    rows = events.rows
    # A file sent again has a finding per row: each earlier import is
    # described once, and the rows' findings are made in one comprehension
    # (part ids are never 0, so compress keeps exactly the rows matched).
    hits = list(compress(range(len(matches)), matches))
    hit_sources = [source for source in matches if source is not None]
    told: dict[int, tuple[str, str | None]] = {}
    for source in set(hit_sources):
        described = sources[source]
        told[source] = (f"Already imported {described.describe(zone)}.", described.link)
    result.already_rows = [rows[index] for index in hits]
    result.already = [
        {"row": rows[index], "column": None, "code": ROW_ALREADY_IMPORTED, "message": told[source][0]}
        if told[source][1] is None
        else {
            "row": rows[index],
            "column": None,
            "code": ROW_ALREADY_IMPORTED,
            "message": told[source][0],
            "link": told[source][1],
        }
        for index, source in zip(hits, hit_sources, strict=True)
    ]
    return result


def add_overlaps(
    result: Comparison, events: EventColumns, accepted: list[Accepted], sources: dict[int, Source], *, zone: tzinfo
) -> None:
    """Each row not already imported that overlaps an accepted event of the
    same agent and type. Only events of one type are compared, as the
    file's own check does: a break inside a shift is how schedules are
    written, not a collision."""
    if not accepted:
        return
    already = set(result.already_rows)
    finder = _OverlapFinder(accepted)
    rows = events.rows
    for index, row in enumerate(rows):
        start, end = events.starts[index], events.ends[index]
        if row in already or start is None or end is None or end <= start:
            continue
        kind = events.types[index]
        earlier = finder.find(events.emails[index].lower(), kind, start, end)
        if earlier is not None:
            described = sources[earlier.source]
            result.overlapping.append(
                finding(
                    row,
                    _START_COLUMN,
                    OVERLAPS_IMPORTED_EVENT,
                    f"This {kind} for {events.emails[index]} overlaps the {kind} "
                    f"{_span(earlier.start, earlier.end, zone)} imported {described.describe(zone)}. "
                    "Talkdesk keeps both: importing does not remove earlier events.",
                    described.link,
                )
            )


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
    rows, emails, starts, ends, types = events
    lowered = {email: email.lower() for email in set(emails)}
    # Ordered by agent, start and row once, and the record by agent, start,
    # end and type: each day's events then come out in order, and a day
    # the file repeats is told by comparing two lists, not by sorting each
    # of tens of thousands of days.
    found: Iterable[tuple[str, int | None, int, int | None, str]] = zip(
        map(lowered.__getitem__, emails), starts, rows, ends, types, strict=True
    )
    # A file every row of which has its times is ordered in C alone.
    if None in starts or None in ends:
        found = (event for event in found if event[1] is not None and event[3] is not None)
    placed = cast("list[tuple[str, int, int, int, str]]", sorted(found))
    changes = Changes()
    if not placed:
        return changes
    # A schedule repeats a few start times on row after row: each is turned
    # into a day once.
    days_of = {
        minute: moment(minute, zone).date() for minute in {event[1] for event in placed} | set(map(_START, accepted))
    }
    in_file: dict[tuple[str, date], list[FileEvent]] = {}
    for agent, start, row, end, kind in placed:
        key = (agent, days_of[start])
        group = in_file.get(key)
        if group is None:
            group = in_file[key] = []
        group.append(_make_file_event((row, start, end, kind)))
    agents = set(lowered.values())
    first_day = min(day for _, day in in_file)
    last_day = max(day for _, day in in_file)
    before: dict[tuple[str, date], list[Accepted]] = defaultdict(list)
    for event in sorted(accepted):
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
    """One agent's day; both lists come in order of start."""
    agent, day = key
    if not file_events:
        changes.left_empty += 1
        return DayChange(agent, day, "left_empty", [], earlier)
    if not earlier:
        changes.new += len(file_events)
        return DayChange(agent, day, "new", file_events, [])
    if len(file_events) == len(earlier) and list(map(_FILE_KEY, file_events)) == list(
        map(_EVENT_KEY_NO_AGENT, earlier)
    ):
        changes.identical += len(file_events)
        return DayChange(agent, day, "identical", file_events, [])
    # Events starting together may come in another order on each side: they
    # are matched one by one.
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
    return DayChange(agent, day, status, file_events, left)


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
