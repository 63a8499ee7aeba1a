"""Draws a schedule as an SVG timeline: one lane per agent across the file's
days, one bar per event coloured by its type, problem rows outlined.

Plain module: it takes events and returns markup, so the page and the tests
need nothing else. Drawn on the server, so the page needs no script.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from xml.sax.saxutils import escape

# Distinct on white and for the common colour-vision deficiencies.
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#bab0ac", "#ff9da7", "#e15759")
PROBLEM = "#b42318"
LABEL_WIDTH = 200
PLOT_WIDTH = 900
LANE = 20
BAR = 12
HEADER = 34


@dataclass(frozen=True)
class Event:
    agent: str
    label: str
    start: datetime
    end: datetime
    kind: str
    row: int
    problem: str | None = None


@dataclass(frozen=True)
class Timeline:
    svg: str
    agents_total: int
    agents_shown: int
    legend: list[tuple[str, str]]


def _day_start(moment: datetime, zone: tzinfo) -> datetime:
    local = moment.astimezone(zone)
    return datetime(local.year, local.month, local.day, tzinfo=zone)


def draw_timeline(events: Iterable[Event], *, zone: tzinfo, first_agent: int = 0, max_agents: int = 40) -> Timeline:
    # Only the events of the agents drawn are kept: the others are counted,
    # so that a file of 700,000 rows is drawn holding only a page of agents.
    numbers: dict[str, int] = {}
    lanes: OrderedDict[str, list[Event]] = OrderedDict()
    kinds: dict[str, str] = {}
    earliest = latest = None
    for event in events:
        if event.end <= event.start:
            continue
        number = numbers.setdefault(event.agent, len(numbers))
        if first_agent <= number < first_agent + max_agents:
            lanes.setdefault(event.agent, []).append(event)
        kinds.setdefault(event.kind, "")
        earliest = event.start if earliest is None or event.start < earliest else earliest
        latest = event.end if latest is None or event.end > latest else latest
    for index, kind in enumerate(sorted(kinds)):
        kinds[kind] = PALETTE[index % len(PALETTE)]
    legend = list(kinds.items())
    agents = list(lanes)
    if earliest is None or latest is None or not agents:
        return Timeline(svg="", agents_total=len(numbers), agents_shown=0, legend=legend)

    start = _day_start(earliest, zone)
    days = []
    day = start
    while day < latest:
        days.append(day)
        day = _day_start(day + timedelta(hours=26), zone)
    end = day
    span = (end - start).total_seconds()

    def x(moment: datetime) -> float:
        return LABEL_WIDTH + (moment - start).total_seconds() / span * PLOT_WIDTH

    height = HEADER + LANE * len(agents) + 4
    width = LABEL_WIDTH + PLOT_WIDTH + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="Timeline of {len(agents)} agents" class="timeline" font-family="system-ui, sans-serif" font-size="11">'
    ]
    label_every = max(1, len(days) // 14)
    for index, day in enumerate(days):
        left = x(day)
        parts.append(f'<line x1="{left:.1f}" y1="{HEADER - 6}" x2="{left:.1f}" y2="{height}" stroke="#d9e2ec"/>')
        if index % label_every == 0:
            parts.append(f'<text x="{left + 3:.1f}" y="{HEADER - 12}" fill="#616e7c">{day:%a %d %b}</text>')
    for lane, agent in enumerate(agents):
        top = HEADER + lane * LANE
        if lane % 2:
            parts.append(f'<rect x="0" y="{top}" width="{width}" height="{LANE}" fill="#f5f7fa"/>')
        parts.append(f'<text x="4" y="{top + 14}" fill="#1f2933">{escape(lanes[agent][0].label[:32])}</text>')
        for event in sorted(lanes[agent], key=lambda e: e.start):
            left = x(event.start)
            bar_width = max(x(event.end) - left, 1.5)
            outline = f' stroke="{PROBLEM}" stroke-width="2"' if event.problem else ""
            tip = f"Row {event.row}: {event.kind}, {event.start.astimezone(zone):%a %d %b %H:%M}–{event.end.astimezone(zone):%H:%M}"
            if event.problem:
                tip += f" — {event.problem}"
            parts.append(
                f'<rect x="{left:.1f}" y="{top + (LANE - BAR) / 2}" width="{bar_width:.1f}" height="{BAR}" rx="2" '
                f'fill="{kinds[event.kind]}"{outline} data-row="{event.row}"><title>{escape(tip)}</title></rect>'
            )
            if event.problem:
                parts.append(f'<text x="{left:.1f}" y="{top + 4}" fill="{PROBLEM}" font-weight="700">!</text>')
    parts.append("</svg>")
    return Timeline(svg="".join(parts), agents_total=len(numbers), agents_shown=len(agents), legend=legend)
