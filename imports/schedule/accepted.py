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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from functools import partial
from itertools import accumulate, compress, repeat
from operator import add, and_, mul
from typing import NamedTuple, cast, overload

from imports.schedule.check import EventColumns

FILE_ALREADY_IMPORTED = "file_already_imported"
ROW_ALREADY_IMPORTED = "row_already_imported"
OVERLAPS_IMPORTED_EVENT = "overlaps_imported_event"

_START_COLUMN = "Start Time"
# An event as one text, the same from the database's events and from the
# file: agent in lower case, start and end minutes, type, joined by the unit
# separator, which no e-mail or event type holds. Compared as text, tens of
# thousands of events are matched in C, without a tuple for each. The
# database joins each column's values into one text (selectors), texts by
# line breaks, which the check takes out of every cell, numbers by commas.
KEY_SEPARATOR = "\x1f"
TEXTS_SEPARATOR = "\n"
NUMBERS_SEPARATOR = ","


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


def event_keys(accepted: list[Accepted]) -> tuple[list[str], list[str]]:
    """The events as the selectors give them to already_imported: their
    keys, and their parts' ids as text."""
    return (
        [KEY_SEPARATOR.join(map(str, event[:4])) for event in accepted],
        [str(event.source) for event in accepted],
    )


def compare(events: EventColumns, accepted: list[Accepted], sources: dict[int, Source], *, zone: tzinfo) -> Comparison:
    """Each row equal to an accepted event (same agent in any case, start,
    end and type) and each other row that overlaps an accepted event of the
    same agent and type."""
    result = already_imported(events, event_keys(accepted), sources, zone=zone)
    add_overlaps(result, events, accepted, sources, zone=zone)
    return result


def already_imported(
    events: EventColumns, keyed: tuple[list[str], list[str]], sources: dict[int, Source], *, zone: tzinfo
) -> Comparison:
    """Each row equal to an accepted event: same agent in any case, start,
    end and type. keyed is the events' keys and their parts' ids as text
    (event_keys); an event imported more than once is told of by
    one of the imports that sent it."""
    result = Comparison()
    keys, parts = keyed
    if not keys:
        return result
    # The parts' ids stay text: only the few distinct ones are made numbers.
    exact = dict(zip(keys, parts, strict=True))
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
    # A file sent again has a finding per row. Each earlier import is
    # described once, in a finding each row's is copied from (a dict copied
    # in C, its row then set), rather than made key by key for each row.
    hits = list(compress(range(len(matches)), matches))
    hit_sources = list(filter(None, matches))
    told = {}
    for part in set(hit_sources):
        described = sources[int(part)]
        told[part] = finding(
            None, None, ROW_ALREADY_IMPORTED, f"Already imported {described.describe(zone)}.", described.link
        )
    result.already_rows = list(map(events.rows.__getitem__, hits))
    result.already = list(map(dict.copy, map(told.__getitem__, hit_sources)))
    for found, row in zip(result.already, result.already_rows, strict=True):
        found["row"] = row
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
_make_accepted = partial(tuple.__new__, Accepted)


class AcceptedColumns(NamedTuple):
    """Accepted events column by column, as the database gives them
    (selectors.accepted_columns_near): tens of thousands of them are
    grouped by day without a tuple made for each."""

    agents: list[str]
    starts: list[int]
    ends: list[int]
    kinds: list[str]
    sources: list[int]


class _Sides(NamedTuple):
    file: EventColumns
    record: AcceptedColumns
    file_order: list[int]
    record_order: list[int]


class DayChange:
    """One agent's day the file or an earlier import covers. Its events are
    kept as runs of positions in the two sides, ordered, and made into
    tuples when asked for: a page shows 50 of tens of thousands of days, and
    a tuple or list for each of the others only fed the garbage collector,
    which then walked the whole heap again and again."""

    __slots__ = ("_file", "_left", "_record", "_sides", "agent", "day", "status")

    def __init__(
        self,
        agent: str,
        day: date,
        status: str,
        file: tuple[int, int],
        record: tuple[int, int],
        sides: _Sides,
        left: list[int] | None = None,
    ):
        self.agent = agent
        self.day = day
        self.status = status
        """new, identical, differs or left_empty."""
        self._file = file
        self._record = record
        self._sides = sides
        self._left = left

    @property
    def file_events(self) -> list[FileEvent]:
        rows, _, starts, ends, types = self._sides.file
        return [
            _make_file_event((rows[index], starts[index], ends[index], types[index]))
            for index in self._sides.file_order[slice(*self._file)]
        ]

    @property
    def earlier(self) -> list[Accepted]:
        """The earlier events that day the file does not repeat: still in
        Talkdesk after the import."""
        if self.status in ("new", "identical"):
            return []
        agents, starts, ends, kinds, sources = self._sides.record
        found = self._left if self._left is not None else self._sides.record_order[slice(*self._record)]
        return [
            _make_accepted((agents[index], starts[index], ends[index], kinds[index], sources[index])) for index in found
        ]


class Days(Sequence[DayChange]):
    """Every agent's day, in agent then day order, kept as texts and
    numbers and told as a DayChange when asked for: a page shows 50 of tens
    of thousands, and an object for each of the others, kept for the whole
    request, made the garbage collector walk the heap again."""

    def __init__(self, sides: _Sides | None = None):
        self._sides = sides
        self._keys: list[str] = []
        self._statuses: list[str] = []
        self._file: list[int] = []
        self._record: list[int] = []
        self._left: dict[int, list[int]] = {}

    def _add(
        self, key: str, status: str, file: tuple[int, int], record: tuple[int, int], left: list[int] | None
    ) -> None:
        if left is not None:
            self._left[len(self._keys)] = left
        self._keys.append(key)
        self._statuses.append(status)
        self._file += file
        self._record += record

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, index: int) -> DayChange: ...

    @overload
    def __getitem__(self, index: slice) -> list[DayChange]: ...

    def __getitem__(self, index: int | slice) -> DayChange | list[DayChange]:
        return _told(self, range(len(self._keys)), index)

    def _day(self, index: int) -> DayChange:
        agent, _, day = self._keys[index].rpartition(KEY_SEPARATOR)
        return DayChange(
            agent,
            date.fromisoformat(day),
            self._statuses[index],
            (self._file[2 * index], self._file[2 * index + 1]),
            (self._record[2 * index], self._record[2 * index + 1]),
            # Days without sides are empty: no day is ever asked for.
            cast("_Sides", self._sides),
            self._left.get(index),
        )

    def with_status(self, statuses: Iterable[str]) -> Sequence[DayChange]:
        """The days of these statuses, told as DayChange when asked for."""
        wanted = set(statuses)
        return _Chosen(self, [index for index, status in enumerate(self._statuses) if status in wanted])


class _Chosen(Sequence[DayChange]):
    def __init__(self, days: Days, indexes: list[int]):
        self._days = days
        self._indexes = indexes

    def __len__(self) -> int:
        return len(self._indexes)

    @overload
    def __getitem__(self, index: int) -> DayChange: ...

    @overload
    def __getitem__(self, index: slice) -> list[DayChange]: ...

    def __getitem__(self, index: int | slice) -> DayChange | list[DayChange]:
        return _told(self._days, self._indexes, index)


def _told(days: Days, indexes: Sequence[int], index: int | slice) -> DayChange | list[DayChange]:
    """The days at these positions of `days`, made DayChange only now."""
    if isinstance(index, slice):
        return list(map(days._day, indexes[index]))
    return days._day(indexes[index])


@dataclass
class Changes:
    new: int = 0
    identical: int = 0
    differing: int = 0
    left_empty: int = 0
    days: Days = field(default_factory=Days)
    """Every agent's day, in agent then day order."""

    @property
    def has_earlier_events(self) -> bool:
        return bool(self.identical or self.differing or self.left_empty)


def _as_columns(accepted: AcceptedColumns | list[Accepted]) -> AcceptedColumns:
    if isinstance(accepted, AcceptedColumns):
        return accepted
    if not accepted:
        return AcceptedColumns([], [], [], [], [])
    return AcceptedColumns(*map(list, zip(*accepted, strict=True)))


def what_changes(events: EventColumns, accepted: AcceptedColumns | list[Accepted], *, zone: tzinfo) -> Changes:
    """For the agents and days the file covers, the file against what was
    accepted before: events new to the day, identical to an earlier one, or
    differing (the agent's day had other events), and the days that had
    events before which the file leaves empty."""
    rows, emails, starts, ends, types = events
    record = _as_columns(accepted)
    changes = Changes()
    # Tens of thousands of events on each side are worked on as positions,
    # numbers and texts, which the garbage collector does not follow, and in
    # C where it can be: a tuple or list for each event made the collector
    # walk the heap again and again, most of the page's time. An agent's day
    # is one text, the agent (lower case) and the day joined by the unit
    # separator, which sorts before any character of an e-mail, so the texts
    # sort as agent then day; each start minute is turned into a day once, a
    # schedule repeating a few.
    if None in starts or None in ends:
        timed = [index for index, (start, end) in enumerate(zip(starts, ends, strict=True)) if None not in (start, end)]
        order = [(start or 0) * _ROWS_BOUND + row for start, row in zip(starts, rows, strict=True)]
    else:
        timed = list(range(len(rows)))
        order = _by_first_then_second(cast("list[int]", starts), rows)
    if not timed:
        return changes
    days: dict[int | None, str] = {
        minute: KEY_SEPARATOR + moment(minute, zone).date().isoformat()
        for minute in {*map(cast("list[int]", starts).__getitem__, timed), *record.starts}
    }
    lowered = {email: email.lower() for email in set(emails)}
    file_day = list(map(str.__add__, map(lowered.__getitem__, emails), map(days.get, starts, repeat(""))))
    # Ordered by agent day, then start, then row.
    file_order = sorted(timed, key=order.__getitem__)
    file_order.sort(key=file_day.__getitem__)
    in_file = _runs(file_order, file_day)
    first_day, last_day = min(day[-10:] for day in in_file[0]), max(day[-10:] for day in in_file[0])
    agents = set(lowered.values())
    in_span = {minute: first_day <= day[-10:] <= last_day for minute, day in days.items()}
    record_day = list(map(str.__add__, record.agents, map(days.__getitem__, record.starts)))
    record_order = list(
        compress(
            range(len(record_day)),
            map(and_, map(agents.__contains__, record.agents), map(in_span.__getitem__, record.starts)),
        )
    )
    # Ordered by agent day, then start, end, type and part: sorted by the
    # last of them first, each sort keeping the order of the one before.
    for column in (record.sources, record.kinds, _by_first_then_second(record.starts, record.ends), record_day):
        record_order.sort(key=column.__getitem__)
    in_record = _runs(record_order, record_day)
    file_said = list(map(KEY_SEPARATOR.join, zip(map(str, starts), map(str, ends), types, strict=True)))
    record_said = list(
        map(KEY_SEPARATOR.join, zip(map(str, record.starts), map(str, record.ends), record.kinds, strict=True))
    )
    changes.days = Days(_Sides(events, record, file_order, record_order))
    (file_begins, file_ends), (record_begins, record_ends) = in_file, in_record
    for key in sorted(file_begins.keys() | record_begins.keys()):
        mine = (file_begins.get(key, 0), file_ends.get(key, 0))
        theirs = (record_begins.get(key, 0), record_ends.get(key, 0))
        left = None
        if mine[0] == mine[1]:
            changes.left_empty += 1
            status = "left_empty"
        elif theirs[0] == theirs[1]:
            changes.new += mine[1] - mine[0]
            status = "new"
        elif mine[1] - mine[0] == theirs[1] - theirs[0] and list(
            map(file_said.__getitem__, file_order[mine[0] : mine[1]])
        ) == list(map(record_said.__getitem__, record_order[theirs[0] : theirs[1]])):
            changes.identical += mine[1] - mine[0]
            status = "identical"
        else:
            status, left = _matched(
                file_order[mine[0] : mine[1]], record_order[theirs[0] : theirs[1]], file_said, record_said, changes
            )
        changes.days._add(key, status, mine, theirs, left)
    return changes


# Above any spreadsheet's row number: start * _ROWS_BOUND + row orders by start, then row.
_ROWS_BOUND = 1 << 32


def _by_first_then_second(first: list[int], second: list[int]) -> list[int]:
    """One number per position that orders by first, then second (both
    under _ROWS_BOUND), made in C."""
    return list(map(add, map(mul, first, repeat(_ROWS_BOUND)), second))


def _runs(order: list[int], keys: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Where each key's run begins and ends in order, which is sorted by
    key: each key's first place found by bisection, in C, and kept as
    numbers, not a pair for each."""
    if not order:
        return {}, {}
    ordered = list(map(keys.__getitem__, order))
    distinct = list(dict.fromkeys(ordered))
    begins = list(map(partial(bisect_left, ordered), distinct))
    return dict(zip(distinct, begins, strict=True)), dict(zip(distinct, [*begins[1:], len(ordered)], strict=True))


def _matched(
    mine: list[int], theirs: list[int], file_said: list[str], record_said: list[str], changes: Changes
) -> tuple[str, list[int] | None]:
    """A day both sides have events on, not the same list: events starting
    together may come in another order on each side, so they are matched
    one by one. Its status and the earlier events the file does not repeat."""
    remaining: dict[str, list[int]] = defaultdict(list)
    for position, index in enumerate(theirs):
        remaining[record_said[index]].append(position)
    unmatched = 0
    for index in mine:
        same = remaining.get(file_said[index])
        if same:
            same.pop()
            changes.identical += 1
        else:
            unmatched += 1
    left = [theirs[position] for position in sorted(position for kept in remaining.values() for position in kept)]
    if not unmatched and not left:
        return "identical", None
    if not left:
        # Everything the day had is repeated: the rest is added beside it.
        changes.new += unmatched
        return "new", None
    # The day had events the file does not repeat: its events there differ,
    # and the earlier ones stay in Talkdesk beside them.
    changes.differing += unmatched
    return "differs", left


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
