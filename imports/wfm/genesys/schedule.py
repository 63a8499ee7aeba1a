"""A schedule file's events as Genesys Cloud imports them: cut into the
business unit's weeks (starting on its start day of week, in its time zone),
each week one ImportScheduleUploadSchema document of agent schedules, whose
shifts hold activities that never overlap and whose full days of time off
are full-day time-off markers.

An event file may put a break on top of a longer event ("Available" 9-17,
"Break" 12:00-12:15); Genesys wants activities side by side, so within a
shift the shorter event wins where two overlap and the longer one is cut
around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIME_OFF = "TimeOff"
# Events of one agent less than this far apart belong to one shift.
SHIFT_GAP = timedelta(hours=2)


@dataclass(frozen=True)
class Event:
    row: int
    email: str
    start: datetime
    end: datetime
    event_type: str


@dataclass(frozen=True)
class Code:
    id: str
    name: str
    category: str
    length_in_minutes: int | None = None


@dataclass
class Week:
    start: date
    document: dict[str, Any]
    rows: list[int] = field(default_factory=list)


def week_start(moment: datetime, *, start_day_of_week: str, time_zone: str) -> date:
    local = moment.astimezone(ZoneInfo(time_zone)).date()
    return local - timedelta(days=(local.weekday() - DAYS.index(start_day_of_week)) % 7)


def weeks(
    events: list[Event],
    *,
    user_ids: dict[str, str],
    codes: list[Code],
    start_day_of_week: str,
    time_zone: str,
    description: str,
    published: bool,
) -> list[Week]:
    """One document per business-unit week, in order. Every event's agent
    (e-mail) and event type (activity code name) must be known: check with
    unmatched() first."""
    by_name = {code.name.lower(): code for code in codes}
    zone = ZoneInfo(time_zone)
    per_week: dict[date, dict[str, list[Event]]] = {}
    for event in sorted(events, key=lambda e: (e.start, e.end, e.row)):
        start = week_start(event.start, start_day_of_week=start_day_of_week, time_zone=time_zone)
        per_week.setdefault(start, {}).setdefault(event.email.lower(), []).append(event)
    result = []
    for start in sorted(per_week):
        agents = []
        rows: list[int] = []
        for email, agent_events in sorted(per_week[start].items()):
            shifts, markers = [], []
            on_shift = []
            for event in agent_events:
                rows.append(event.row)
                code = by_name[event.event_type.lower()]
                if code.category == TIME_OFF and _is_full_days(event, zone):
                    markers.extend(_markers(event, code, zone))
                else:
                    on_shift.append((event, code))
            for group in _shifts(on_shift):
                shifts.append(_shift(group))
            schedule: dict[str, Any] = {"userId": user_ids[email]}
            if shifts:
                schedule["shifts"] = shifts
            if markers:
                schedule["fullDayTimeOffMarkers"] = markers
            agents.append(schedule)
        document = {
            "description": f"{description} (week of {start.isoformat()})",
            "weekCount": 1,
            "published": published,
            "agentSchedules": agents,
        }
        result.append(Week(start=start, document=document, rows=sorted(rows)))
    return result


def _is_full_days(event: Event, zone: ZoneInfo) -> bool:
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    return start.time() == end.time() == datetime.min.time() and end.date() > start.date()


def _markers(event: Event, code: Code, zone: ZoneInfo) -> list[dict[str, Any]]:
    day, last = event.start.astimezone(zone).date(), event.end.astimezone(zone).date()
    markers = []
    while day < last:
        markers.append(
            {
                "businessUnitDate": day.isoformat(),
                "lengthMinutes": code.length_in_minutes or 480,
                "activityCodeId": code.id,
                "description": event.event_type,
            }
        )
        day += timedelta(days=1)
    return markers


def _shifts(events: list[tuple[Event, Code]]) -> list[list[tuple[Event, Code]]]:
    groups: list[list[tuple[Event, Code]]] = []
    end = None
    for event, code in sorted(events, key=lambda pair: (pair[0].start, pair[0].end)):
        if groups and end is not None and event.start - end < SHIFT_GAP:
            groups[-1].append((event, code))
            end = max(end, event.end)
        else:
            groups.append([(event, code)])
            end = event.end
    return groups


def _shift(group: list[tuple[Event, Code]]) -> dict[str, Any]:
    start = min(event.start for event, _ in group)
    end = max(event.end for event, _ in group)
    # Cut at every edge; each piece goes to the shortest event covering it.
    edges = sorted({moment for event, _ in group for moment in (event.start, event.end)})
    pieces: list[list[Any]] = []
    for left, right in zip(edges, edges[1:], strict=False):
        covering = [(e, c) for e, c in group if e.start <= left and e.end >= right]
        if not covering:
            continue
        event, code = min(covering, key=lambda pair: (pair[0].end - pair[0].start, -pair[0].row))
        if pieces and pieces[-1][2] is event and pieces[-1][1] == left:
            pieces[-1][1] = right
        else:
            pieces.append([left, right, event, code])
    activities = [
        {
            "startDate": _instant(left),
            "lengthMinutes": _minutes(right - left),
            "activityCodeId": code.id,
            "description": event.event_type,
        }
        for left, right, event, code in pieces
    ]
    return {"startDate": _instant(start), "lengthMinutes": _minutes(end - start), "activities": activities}


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes(length: timedelta) -> int:
    return max(1, round(length.total_seconds() / 60))
