"""Draws a schedule as a timeline a planner reads like a WFM's schedule grid:
one row per agent across a window of days, one bar per event coloured by its
type, overlapping events in lanes of their own (an overlap of two events of
one type, which the checks warn about, marked),
every problem row either drawn where it falls or listed with why it cannot be,
and faintly behind the file's bars the events Talkdesk already has for the
same agents and days from earlier imports (importing adds beside them, so
the planner sees what the day will hold).

Plain module: it takes events and returns markup and plain rows (for the
table that says the same to a screen reader), so the page and the tests need
nothing else. Drawn on the server as SVG, so the page needs no script and the
strict CSP allows it (positions are attributes, not styles).

The names are a separate picture from the plot so the page can pin them
while the plot scrolls sideways in a narrow window; both are drawn at one
pixel per unit, so their rows line up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import NamedTuple
from xml.sax.saxutils import escape

# Distinct on white and for the common colour-vision deficiencies.
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#bab0ac", "#ff9da7", "#e15759")
PROBLEM = "#b42318"
EARLIER = "#7b8794"
NAMES_WIDTH = 170
PLOT_WIDTH = 880
LANE = 18
BAR = 12
ROW_GAP = 6
HEADER = 40
# An 11 px system font averages under 6.5 px a character; labels are spaced
# by this estimate, with a gap, so they never run into each other.
CHAR_WIDTH = 6.5
LABEL_GAP = 8
# Past this span a file is shown a window at a time.
WINDOW_AFTER_DAYS = 14
VIEWS = {"day": 1, "week": 7}
SHORT_FILE_DAYS = 2


@dataclass(frozen=True)
class Event:
    """One row of the file. start and end are None when the row's times
    cannot be read (the problem then says why)."""

    agent: str
    label: str
    start: datetime | None
    end: datetime | None
    kind: str
    row: int
    problem: str | None = None


@dataclass(frozen=True)
class EarlierEvent:
    """An event Talkdesk accepted from an earlier import of the account:
    agent in lower case, and how the import may be told of ("imported on …
    in import …", or only that another team sharing the account sent it)."""

    agent: str
    start: datetime
    end: datetime
    kind: str
    imported: str


# Asked once the page's agents and days are known, so that only their
# earlier events are read: (agents, first instant, last instant).
EarlierLookup = Callable[[list[str], datetime, datetime], Iterable[EarlierEvent]]


class _Bar(NamedTuple):
    """An event that can be placed: both times read, the end after the start."""

    start: datetime
    end: datetime
    kind: str
    row: int
    problem: str | None


@dataclass(frozen=True)
class ListedEvent:
    """One event as the table beside the picture says it."""

    agent: str
    kind: str
    start: str
    end: str
    row: int
    problem: str | None
    lane: int


@dataclass(frozen=True)
class ListedEarlier:
    """One earlier event as the table beside the picture says it."""

    agent: str
    kind: str
    start: str
    end: str
    imported: str


@dataclass(frozen=True)
class Unplaced:
    agent: str
    row: int
    reason: str


@dataclass(frozen=True)
class Window:
    """The days shown: view is "day", "week" or "all"; first is the first
    local day shown; earlier/later are the first days of the neighbouring
    windows, None at the file's ends."""

    view: str
    first: date
    days: int
    earlier: date | None = None
    later: date | None = None
    movable: bool = False


@dataclass(frozen=True)
class Timeline:
    names_svg: str
    plot_svg: str
    agents_total: int
    agents_shown: int
    legend: list[tuple[str, str]]
    window: Window | None = None
    listed: list[ListedEvent] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    overlaps: int = 0
    zone_name: str = ""
    earlier: list[ListedEarlier] = field(default_factory=list)
    """The earlier events drawn faintly behind the file's."""

    @property
    def svg(self) -> str:
        return self.names_svg + self.plot_svg


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), zone)


def _whole_hour(moment: datetime) -> datetime:
    """The start of the moment's hour, in real time (an hour is whole in
    every zone's offset that matters here)."""
    return moment - timedelta(minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond)


def _local_day(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


# A schedule repeats the same few start and end times across agents: each is
# written once.
@lru_cache(maxsize=8192)
def _moment(moment: datetime, zone: tzinfo, *, with_date: bool = True) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a %d %b %Y %H:%M}" if with_date else f"{local:%H:%M}"


def choose_window(first_day: date, last_day: date, *, view: str | None = None, start: date | None = None) -> Window:
    """The window to show of a file whose events fall on first_day..last_day
    (local days): the whole file when it is short, else the first week with
    events unless the planner asked for another."""
    span = (last_day - first_day).days + 1
    movable = span > WINDOW_AFTER_DAYS
    if view not in VIEWS and view != "all":
        view = "week" if movable else "all"
    if view == "all":
        return Window(view="all", first=first_day, days=span, movable=movable)
    days = VIEWS[view]
    if start is None or not first_day - timedelta(days=days) < start <= last_day:
        start = first_day
    earlier = start - timedelta(days=days) if start > first_day else None
    later = start + timedelta(days=days) if start + timedelta(days=days) <= last_day else None
    return Window(view=view, first=start, days=days, earlier=earlier, later=later, movable=movable)


def draw_timeline(
    events: Iterable[Event],
    *,
    zone: tzinfo,
    first_agent: int = 0,
    max_agents: int = 40,
    view: str | None = None,
    start: date | None = None,
    earlier: EarlierLookup | None = None,
) -> Timeline:
    lanes: dict[str, list[_Bar]] = {}
    labels: dict[str, str] = {}
    unplaced_by_agent: dict[str, list[Unplaced]] = {}
    kinds: dict[str, str] = {}
    earliest: datetime | None = None
    latest: datetime | None = None
    # Tens of thousands of rows: one pass, comparisons of instants only; the
    # zone is asked once for the first and last day.
    # Only the page's agents keep their bars; the others count for the
    # window and the legend. A list shared by the others takes nothing.
    last_agent = first_agent + max_agents
    elsewhere: list[_Bar] = []
    for event in events:
        agent, begins, ends = event.agent, event.start, event.end
        agent_bars = lanes.get(agent)
        if agent_bars is None:
            agent_bars = lanes[agent] = [] if first_agent <= len(lanes) < last_agent else elsewhere
            labels[agent] = event.label
        if begins is None or ends is None or ends <= begins:
            reason = event.problem or ("It ends before it starts." if begins and ends else "No readable time.")
            unplaced_by_agent.setdefault(agent, []).append(Unplaced(event.label, event.row, reason))
            continue
        if agent_bars is not elsewhere:
            agent_bars.append(_Bar(begins, ends, event.kind, event.row, event.problem))
        if event.kind not in kinds:
            kinds[event.kind] = ""
        if earliest is None or begins < earliest:
            earliest = begins
        if latest is None or ends > latest:
            latest = ends
    first_day = _local_day(earliest, zone) if earliest else None
    last_day = _local_day(latest - timedelta(microseconds=1), zone) if latest else None
    for index, kind in enumerate(sorted(kinds)):
        kinds[kind] = PALETTE[index % len(PALETTE)]
    legend = list(kinds.items())
    agents = list(lanes)[first_agent : first_agent + max_agents]
    unplaced = [item for agent in agents for item in unplaced_by_agent.get(agent, [])]
    zone_name = str(getattr(zone, "key", zone))
    if first_day is None or last_day is None or not agents:
        return Timeline("", "", len(lanes), len(agents), legend, unplaced=unplaced, zone_name=zone_name)

    window = choose_window(first_day, last_day, view=view, start=start)
    begin = _midnight(window.first, zone)
    finish = _midnight(window.first + timedelta(days=window.days), zone)
    if window.view == "all" and window.days <= SHORT_FILE_DAYS and earliest and latest:
        # A file of a day or two is drawn from the hour before its first event
        # to the hour after its last, not from midnight: on a phone the
        # events are then in view without scrolling.
        begin = max(begin, _whole_hour(earliest) - timedelta(hours=1))
        finish = min(finish, _whole_hour(latest + timedelta(minutes=59, seconds=59)) + timedelta(hours=1))
    plot = _Plot(begin, finish, zone)
    behind: dict[str, list[EarlierEvent]] = {}
    if earlier is not None:
        for before in earlier(agents, begin, finish):
            if before.end > begin and before.start < finish and before.agent in lanes:
                behind.setdefault(before.agent, []).append(before)

    names, bars, listed, listed_earlier, overlaps, top = [], [], [], [], 0, HEADER
    for index, agent in enumerate(agents):
        shown = sorted(
            (e for e in lanes[agent] if e.end > begin and e.start < finish), key=lambda e: (e.start, e.end, e.row)
        )
        lane_of = _lanes(shown)
        height = max(1, max(lane_of.values(), default=0) + 1) * LANE + ROW_GAP
        if index % 2:
            names.append(f'<rect x="0" y="{top}" width="{NAMES_WIDTH}" height="{height}" fill="#f5f7fa"/>')
            bars.append(f'<rect x="0" y="{top}" width="{PLOT_WIDTH}" height="{height}" fill="#f5f7fa"/>')
        label = labels[agent]
        cut = label if len(label) <= 24 else label[:23] + "…"
        missing = len(unplaced_by_agent.get(agent, []))
        names.append(f'<text x="4" y="{top + 14}" fill="#1f2933"><title>{escape(label)}</title>{escape(cut)}</text>')
        if missing:
            names.append(
                f'<text x="4" y="{top + 14 + LANE}" fill="{PROBLEM}" font-size="10">'
                f"{missing} row{'s' if missing > 1 else ''} not drawn</text>"
            )
            height = max(height, 2 * LANE + ROW_GAP)
        for before in sorted(behind.get(agent, []), key=lambda e: (e.start, e.end, e.kind)):
            colour = kinds.get(before.kind) or EARLIER
            bars.append(plot.earlier(before, top, height - ROW_GAP, colour, label))
            listed_earlier.append(
                ListedEarlier(
                    agent=label,
                    kind=before.kind,
                    start=_moment(before.start, zone),
                    end=_moment(
                        before.end, zone, with_date=_local_day(before.start, zone) != _local_day(before.end, zone)
                    ),
                    imported=before.imported,
                )
            )
        for placed in shown:
            lane = lane_of[placed.row, placed.start]
            bars.append(plot.bar(placed, top + lane * LANE + (LANE - BAR) / 2, kinds[placed.kind], label))
            listed.append(
                ListedEvent(
                    agent=label,
                    kind=placed.kind,
                    start=_moment(placed.start, zone),
                    end=_moment(
                        placed.end, zone, with_date=_local_day(placed.start, zone) != _local_day(placed.end, zone)
                    ),
                    row=placed.row,
                    problem=placed.problem,
                    lane=lane + 1,
                )
            )
        for first, second in _overlapping(shown):
            overlaps += 1
            bars.append(plot.overlap(first, second, top, height - ROW_GAP))
        top += height

    total = top + 2
    ticks = plot.ticks(total)
    names_svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline-names" width="{NAMES_WIDTH}" height="{total}" '
        f'viewBox="0 0 {NAMES_WIDTH} {total}" aria-hidden="true" font-family="system-ui, sans-serif" font-size="11">'
        f'<rect width="{NAMES_WIDTH}" height="{total}" fill="#fff"/>'
        f'<text x="4" y="{HEADER - 24}" fill="#616e7c" font-size="10">{escape(zone_name)}</text>'
        + "".join(names)
        + "</svg>"
    )
    plot_svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{PLOT_WIDTH}" height="{total}" '
        f'viewBox="0 0 {PLOT_WIDTH} {total}" role="img" font-family="system-ui, sans-serif" font-size="11" '
        f'aria-label="Timeline of {len(agents)} agent{"s" if len(agents) != 1 else ""} from '
        f"{window.first:%d %b %Y} to {window.first + timedelta(days=window.days - 1):%d %b %Y}, in {escape(zone_name)}; "
        f'the table after it lists the same events">'
        '<defs><pattern id="overlap" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="3" height="6" fill="{PROBLEM}" fill-opacity=".55"/></pattern></defs>'
        + ticks
        + "".join(bars)
        + "</svg>"
    )
    return Timeline(
        names_svg=names_svg,
        plot_svg=plot_svg,
        agents_total=len(lanes),
        agents_shown=len(agents),
        legend=legend,
        window=window,
        listed=listed,
        unplaced=unplaced,
        overlaps=overlaps,
        zone_name=zone_name,
        earlier=listed_earlier,
    )


def _lanes(events: list[_Bar]) -> dict[tuple[int, datetime], int]:
    """Each event's lane within its agent's row: the first lane free when it
    starts, so events that overlap never share one."""
    ends: list[datetime] = []
    placed: dict[tuple[int, datetime], int] = {}
    for event in events:
        for lane, busy_until in enumerate(ends):
            if busy_until <= event.start:
                ends[lane] = event.end
                break
        else:
            lane = len(ends)
            ends.append(event.end)
        placed[event.row, event.start] = lane
    return placed


def _overlapping(events: list[_Bar]) -> list[tuple[_Bar, _Bar]]:
    """Pairs of events of one type that overlap, as the checks warn about
    them; a break inside a shift is a layer of the day, drawn in its own
    lane but not marked."""
    pairs = []
    for index, first in enumerate(events):
        for second in events[index + 1 :]:
            if second.start >= first.end:
                break
            if second.kind == first.kind:
                pairs.append((first, second))
    return pairs


class _Plot:
    def __init__(self, begin: datetime, finish: datetime, zone: tzinfo):
        self.begin, self.finish, self.zone = begin, finish, zone
        self.seconds = (finish - begin).total_seconds()
        self.per_day = PLOT_WIDTH * 86400 / self.seconds

    def x(self, moment: datetime) -> float:
        seconds = min(max((moment - self.begin).total_seconds(), 0), self.seconds)
        return seconds / self.seconds * PLOT_WIDTH

    def bar(self, event: _Bar, y: float, colour: str, agent: str) -> str:
        left = self.x(event.start)
        width = max(self.x(event.end) - left, 1.5)
        outline = f' stroke="{PROBLEM}" stroke-width="2"' if event.problem else ""
        tip = (
            f"{agent} — {event.kind}\n{_moment(event.start, self.zone)} – {_moment(event.end, self.zone)} "
            f"({getattr(self.zone, 'key', self.zone)})\nRow {event.row}"
        )
        if event.problem:
            tip += f": {event.problem}"
        mark = ""
        if event.problem:
            mark = (
                f'<text x="{left + 1:.1f}" y="{y - 1:.1f}" fill="{PROBLEM}" font-weight="700" font-size="10">!</text>'
            )
        return (
            f'<rect x="{left:.1f}" y="{y:.1f}" width="{width:.1f}" height="{BAR}" rx="2" fill="{colour}"{outline} '
            f'data-row="{event.row}"><title>{escape(tip)}</title></rect>{mark}'
        )

    def earlier(self, event: EarlierEvent, top: float, height: float, colour: str, agent: str) -> str:
        """Faint and dashed across the agent's whole row, under the file's
        bars (drawn after it), so that it reads as what is there already."""
        left = self.x(event.start)
        width = max(self.x(event.end) - left, 1.5)
        tip = (
            f"{agent} — {event.kind}\n{_moment(event.start, self.zone)} – {_moment(event.end, self.zone)} "
            f"({getattr(self.zone, 'key', self.zone)})\nEarlier, {event.imported}"
        )
        return (
            f'<rect x="{left:.1f}" y="{top + 1}" width="{width:.1f}" height="{height - 2}" fill="{colour}" '
            f'fill-opacity=".18" stroke="{EARLIER}" stroke-dasharray="3 2" data-earlier="1">'
            f"<title>{escape(tip)}</title></rect>"
        )

    def overlap(self, first: _Bar, second: _Bar, top: float, height: float) -> str:
        start, end = max(first.start, second.start), min(first.end, second.end)
        left = self.x(start)
        width = max(self.x(end) - left, 2)
        tip = (
            f"Rows {first.row} and {second.row} overlap from {_moment(start, self.zone)} "
            f"to {_moment(end, self.zone, with_date=_local_day(start, self.zone) != _local_day(end, self.zone))}"
        )
        return (
            f'<rect x="{left:.1f}" y="{top}" width="{width:.1f}" height="{height}" fill="url(#overlap)" '
            f'stroke="{PROBLEM}" stroke-width="1" data-overlap="{first.row}-{second.row}"><title>{escape(tip)}</title></rect>'
        )

    def ticks(self, height: int) -> str:
        """Two rows of labels: the larger unit above (dates, months or years),
        the smaller below (hours, days or months), each label drawn only where
        it does not touch the one before; the year is written where it
        changes."""
        parts = [f'<rect width="{PLOT_WIDTH}" height="{height}" fill="#fff"/>']
        major, minor = self._units()
        for row, (marks, y) in enumerate(((major, HEADER - 24), (minor, HEADER - 8))):
            last_end: float = -LABEL_GAP
            for moment, text in marks:
                left = self.x(moment)
                stroke = "#bcccdc" if row == 0 else "#e4e7eb"
                top = HEADER - (30 if row == 0 else 14)
                parts.append(f'<line x1="{left:.1f}" y1="{top}" x2="{left:.1f}" y2="{height}" stroke="{stroke}"/>')
                width = len(text) * CHAR_WIDTH
                if left + 2 < last_end + LABEL_GAP or left + 2 + width > PLOT_WIDTH:
                    continue
                weight = ' font-weight="600"' if row == 0 else ""
                parts.append(f'<text x="{left + 2:.1f}" y="{y}" fill="#3e4c59"{weight}>{escape(text)}</text>')
                last_end = left + 2 + width
        return "".join(parts)

    def _units(self) -> tuple[list[tuple[datetime, str]], list[tuple[datetime, str]]]:
        days = self._days()
        if self.per_day >= 90:
            # Dates above, hours below at the finest step whose labels fit.
            step = next(s for s in (1, 2, 3, 6, 12, 24) if s * self.per_day / 24 >= 5 * CHAR_WIDTH + LABEL_GAP)
            major = self._with_years(days, "%a %d %b", "%a %d %b %Y")
            return major, [(m, f"{m.astimezone(self.zone):%H:%M}") for m in self._hours(step)]
        if self.per_day >= 12:
            months = self._months(days)
            return self._with_years(months, "%B", "%B %Y"), [(d, f"{d:%d}") for d in days]
        years = [d for d in self._months(days) if d.month == 1 or d == days[0]]
        return [(d, f"{d:%Y}") for d in years], [(d, f"{d:%b}") for d in self._months(days)]

    def _days(self) -> list[datetime]:
        day, found = self.begin.date(), []
        while (moment := _midnight(day, self.zone)) < self.finish:
            found.append(moment)
            day += timedelta(days=1)
        return found

    @staticmethod
    def _months(days: list[datetime]) -> list[datetime]:
        return [d for d in days if d.day == 1 or d == days[0]]

    @staticmethod
    def _with_years(moments: list[datetime], plain: str, with_year: str) -> list[tuple[datetime, str]]:
        labelled, year = [], None
        for moment in moments:
            labelled.append((moment, f"{moment:{with_year if moment.year != year else plain}}"))
            year = moment.year
        return labelled

    def _hours(self, step: int) -> list[datetime]:
        """Every step-th local hour, walked in real hours so a daylight-saving
        day shows the hour that repeats or is skipped as it is."""
        hours, moment = [], self.begin
        while moment < self.finish:
            if moment.astimezone(self.zone).hour % step == 0:
                hours.append(moment)
            moment = (moment.astimezone(UTC) + timedelta(hours=1)).astimezone(self.zone)
        return hours
