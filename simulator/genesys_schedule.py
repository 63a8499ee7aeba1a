"""Reading an uploaded schedule the way Genesys Cloud's import would: a
gzip-compressed ImportScheduleUploadSchema, whose users must belong to the
business unit, whose activity codes must be its own, and whose shifts and
time off must fall inside the weeks it claims to cover."""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from simulator.genesys_config import BusinessUnit

# Longer than any schedule a person would send in one import; the SDK gives no figure.
MAX_WEEK_COUNT = 6


@dataclass
class Reading:
    """What the import found: the schedule's summary, or the problems, each
    as the platform's Detail (errorCode, fieldName, entityId, entityName)."""

    description: str = ""
    week_count: int = 0
    published: bool = False
    agents: int = 0
    shifts: int = 0
    activities: int = 0
    time_off_markers: int = 0
    problems: list[dict] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return not self.problems


def week_start_ok(unit: BusinessUnit, week: date) -> bool:
    return week.strftime("%A") == unit.start_day_of_week


def parse_week(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def read(body: bytes, *, unit: BusinessUnit, week: date, known_users: frozenset[str]) -> Reading:
    reading = Reading()
    try:
        document = json.loads(gzip.decompress(body).decode("utf-8"))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError):
        reading.problems.append(_problem("invalid.upload", "body", message="not gzip-compressed UTF-8 JSON"))
        return reading
    if not isinstance(document, dict):
        reading.problems.append(_problem("invalid.upload", "body", message="not a JSON object"))
        return reading
    description, week_count = document.get("description"), document.get("weekCount")
    if not isinstance(description, str) or not description.strip():
        reading.problems.append(_problem("required.field", "description"))
    if isinstance(week_count, bool) or not isinstance(week_count, int) or not 1 <= week_count <= MAX_WEEK_COUNT:
        reading.problems.append(_problem("invalid.value", "weekCount"))
        week_count = 1
    published = document.get("published", False)
    if not isinstance(published, bool):
        reading.problems.append(_problem("invalid.value", "published"))
    reading.description, reading.week_count, reading.published = description or "", week_count, published is True
    zone = ZoneInfo(unit.time_zone)
    starts = datetime.combine(week, datetime.min.time(), zone)
    ends = starts + timedelta(weeks=week_count)
    codes = {code.id: code for code in unit.activity_codes}
    schedules = document.get("agentSchedules", [])
    if not isinstance(schedules, list):
        reading.problems.append(_problem("invalid.value", "agentSchedules"))
        return reading
    seen_users: set[str] = set()
    for i, schedule in enumerate(schedules):
        where = f"agentSchedules[{i}]"
        if not isinstance(schedule, dict) or not isinstance(schedule.get("userId"), str):
            reading.problems.append(_problem("required.field", f"{where}.userId"))
            continue
        user_id = schedule["userId"]
        if user_id not in known_users:
            reading.problems.append(_problem("user.not.found", f"{where}.userId", entity_id=user_id))
        elif user_id not in unit.user_ids:
            reading.problems.append(_problem("user.not.in.business.unit", f"{where}.userId", entity_id=user_id))
        if user_id in seen_users:
            reading.problems.append(_problem("duplicate.value", f"{where}.userId", entity_id=user_id))
        seen_users.add(user_id)
        reading.agents += 1
        for j, shift in enumerate(schedule.get("shifts") or []):
            reading.shifts += 1
            _read_shift(reading, shift, f"{where}.shifts[{j}]", codes, starts, ends)
        for j, marker in enumerate(schedule.get("fullDayTimeOffMarkers") or []):
            reading.time_off_markers += 1
            _read_marker(reading, marker, f"{where}.fullDayTimeOffMarkers[{j}]", codes, starts.date(), ends.date())
    return reading


def _read_shift(reading: Reading, shift: object, where: str, codes: dict, starts: datetime, ends: datetime) -> None:
    if not isinstance(shift, dict):
        reading.problems.append(_problem("invalid.value", where))
        return
    shift_start, length = _instant(shift.get("startDate")), shift.get("lengthMinutes")
    if shift_start is None:
        reading.problems.append(_problem("invalid.date", f"{where}.startDate"))
        return
    if not _minutes(length):
        reading.problems.append(_problem("invalid.value", f"{where}.lengthMinutes"))
        return
    if not starts <= shift_start < ends:
        reading.problems.append(_problem("shift.outside.schedule.weeks", f"{where}.startDate"))
    shift_end = shift_start + timedelta(minutes=length)
    previous_end = None
    for k, activity in enumerate(shift.get("activities") or []):
        reading.activities += 1
        at = f"{where}.activities[{k}]"
        if not isinstance(activity, dict):
            reading.problems.append(_problem("invalid.value", at))
            continue
        start, minutes, code_id = (
            _instant(activity.get("startDate")),
            activity.get("lengthMinutes"),
            activity.get("activityCodeId"),
        )
        if start is None or not _minutes(minutes):
            reading.problems.append(_problem("invalid.value", f"{at}.startDate"))
            continue
        if code_id not in codes:
            reading.problems.append(_problem("activity.code.not.found", f"{at}.activityCodeId", entity_id=str(code_id)))
        end = start + timedelta(minutes=minutes)
        if start < shift_start or end > shift_end:
            reading.problems.append(_problem("activity.outside.shift", at))
        if previous_end is not None and start < previous_end:
            reading.problems.append(_problem("activities.overlap", at))
        previous_end = end


def _read_marker(reading: Reading, marker: object, where: str, codes: dict, first: date, after: date) -> None:
    if not isinstance(marker, dict):
        reading.problems.append(_problem("invalid.value", where))
        return
    day = parse_week(str(marker.get("businessUnitDate") or ""))
    if day is None or not first <= day < after:
        reading.problems.append(_problem("invalid.date", f"{where}.businessUnitDate"))
    code = codes.get(marker.get("activityCodeId"))
    if code is None or code.category != "TimeOff":
        reading.problems.append(
            _problem(
                "activity.code.not.time.off", f"{where}.activityCodeId", entity_id=str(marker.get("activityCodeId"))
            )
        )
    if not _minutes(marker.get("lengthMinutes")):
        reading.problems.append(_problem("invalid.value", f"{where}.lengthMinutes"))


def _instant(text: object) -> datetime | None:
    if not isinstance(text, str) or not text.endswith("Z"):
        return None
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00")
    except ValueError:
        return None


def _minutes(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _problem(code: str, field_name: str, *, entity_id: str | None = None, message: str | None = None) -> dict:
    problem = {"errorCode": code, "fieldName": field_name}
    if entity_id is not None:
        problem["entityId"] = entity_id
    if message is not None:
        problem["entityName"] = message
    return problem
