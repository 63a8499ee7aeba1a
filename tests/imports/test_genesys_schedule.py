"""A schedule file's events become one Genesys import document per business
unit week, with shifts of side-by-side activities and full days off as
time-off markers."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from imports.wfm.genesys.schedule import Code, Event, week_start, weeks

NEW_YORK = ZoneInfo("America/New_York")
CODES = [
    Code(id="c-avail", name="Available for all channels", category="OnQueueWork"),
    Code(id="c-break", name="Break", category="Break"),
    Code(id="c-off", name="Time Off", category="TimeOff", length_in_minutes=450),
]
USERS = {"john.smith@example.com": "u-john", "jane.doe@example.com": "u-jane"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def event(row, start, end, kind="Available for all channels", email="john.smith@example.com") -> Event:
    return Event(row=row, email=email, start=at(start), end=at(end), event_type=kind)


def cut(events, *, start_day="Monday"):
    return weeks(
        events,
        user_ids=USERS,
        codes=CODES,
        start_day_of_week=start_day,
        time_zone="America/New_York",
        description="june.csv, import 12",
        published=False,
    )


def test_a_week_starts_on_the_business_units_day_in_its_time_zone():
    # 23:30 on Sunday in New York is already Monday in UTC; the unit's zone decides.
    sunday_night = at("2026-05-31T23:30")
    assert week_start(sunday_night, start_day_of_week="Monday", time_zone="America/New_York") == date(2026, 5, 25)
    assert week_start(sunday_night, start_day_of_week="Sunday", time_zone="America/New_York") == date(2026, 5, 31)


def test_a_file_over_two_weeks_becomes_two_documents():
    result = cut([event(2, "2026-06-01T09:00", "2026-06-01T17:00"), event(3, "2026-06-08T09:00", "2026-06-08T17:00")])
    assert [w.start for w in result] == [date(2026, 6, 1), date(2026, 6, 8)]
    assert [w.rows for w in result] == [[2], [3]]
    assert result[0].document["description"] == "june.csv, import 12 (week of 2026-06-01)"
    assert result[0].document["weekCount"] == 1
    assert result[0].document["published"] is False


def test_a_break_on_top_of_a_working_day_cuts_it_into_side_by_side_activities():
    [week] = cut(
        [event(2, "2026-06-01T09:00", "2026-06-01T17:00"), event(3, "2026-06-01T12:00", "2026-06-01T12:30", "Break")]
    )
    [schedule] = week.document["agentSchedules"]
    [shift] = schedule["shifts"]
    assert (shift["startDate"], shift["lengthMinutes"]) == ("2026-06-01T13:00:00Z", 480)
    assert [(a["startDate"], a["lengthMinutes"], a["activityCodeId"]) for a in shift["activities"]] == [
        ("2026-06-01T13:00:00Z", 180, "c-avail"),
        ("2026-06-01T16:00:00Z", 30, "c-break"),
        ("2026-06-01T16:30:00Z", 270, "c-avail"),
    ]


def test_a_full_day_off_is_a_time_off_marker_per_day():
    [week] = cut([event(2, "2026-06-02T00:00", "2026-06-04T00:00", "Time Off")])
    [schedule] = week.document["agentSchedules"]
    assert "shifts" not in schedule
    assert [(m["businessUnitDate"], m["lengthMinutes"]) for m in schedule["fullDayTimeOffMarkers"]] == [
        ("2026-06-02", 450),
        ("2026-06-03", 450),
    ]


def test_two_days_are_two_shifts_and_each_agent_has_one_schedule():
    [week] = cut(
        [
            event(2, "2026-06-01T09:00", "2026-06-01T17:00"),
            event(3, "2026-06-02T09:00", "2026-06-02T17:00"),
            event(4, "2026-06-01T08:00", "2026-06-01T16:00", email="jane.doe@example.com"),
        ]
    )
    schedules = {s["userId"]: s for s in week.document["agentSchedules"]}
    assert len(schedules["u-john"]["shifts"]) == 2
    assert len(schedules["u-jane"]["shifts"]) == 1
