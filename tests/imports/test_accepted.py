"""A new file against what Talkdesk accepted before: the comparison alone,
without a database."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from imports.schedule.accepted import (
    OVERLAPS_IMPORTED_EVENT,
    ROW_ALREADY_IMPORTED,
    Accepted,
    AcceptedColumns,
    Source,
    compare,
    event_text,
    file_already_imported,
    what_changes,
)
from imports.schedule.check import EventColumns, check_schedule

ZONE = ZoneInfo("America/New_York")
WEEK = Source(datetime(2026, 5, 20, 14, 3, tzinfo=UTC), "week.csv", "sam", "/imports/1/")
THEIRS = Source(datetime(2026, 5, 21, 9, 0, tzinfo=UTC))
SOURCES = {1: WEEK, 2: THEIRS}


def events_of(text: str) -> EventColumns:
    return check_schedule(text.encode(), time_zone="America/New_York").read_events()


def minute(text: str) -> int:
    """'2026-06-01 09:00' in New York, as minutes since the epoch."""
    return int(datetime.fromisoformat(text).replace(tzinfo=ZONE).timestamp()) // 60


def accepted(agent, start, end, kind, source=1):
    return Accepted(agent, minute(start), minute(end), kind, source)


FILE = """Agent Name,Agent Email,Start Time,End Time,Event Type Name
John Smith,John.Smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels
Jane Doe,jane.doe@example.com,08:00 2026-06-01,16:00 2026-06-01,Available for all channels
Bob Wilson,bob.wilson@example.com,12:00 2026-06-01,12:30 2026-06-01,Break
"""


def test_a_row_equal_to_an_accepted_event_is_already_imported_whatever_the_case_of_the_email():
    earlier = [accepted("john.smith@example.com", "2026-06-01 09:00", "2026-06-01 17:00", "Available for all channels")]
    result = compare(events_of(FILE), earlier, SOURCES, zone=ZONE)
    assert [(f["row"], f["code"], f["link"]) for f in result.already] == [(2, ROW_ALREADY_IMPORTED, "/imports/1/")]
    assert result.already[0]["message"] == "Already imported in import week.csv, on 20 May 2026 at 10:03 by sam."
    assert result.already_rows == [2] and result.overlapping == []


def test_another_teams_import_is_told_of_without_its_name_or_link():
    earlier = [
        accepted("jane.doe@example.com", "2026-06-01 08:00", "2026-06-01 16:00", "Available for all channels", 2)
    ]
    [finding] = compare(events_of(FILE), earlier, SOURCES, zone=ZONE).already
    assert "link" not in finding
    assert (
        finding["message"] == "Already imported by another team sharing this Talkdesk account, on 21 May 2026 at 05:00."
    )


def test_a_row_overlapping_an_earlier_event_of_the_agent_and_type_is_a_collision_naming_it():
    earlier = [accepted("bob.wilson@example.com", "2026-06-01 12:15", "2026-06-01 12:45", "Break")]
    result = compare(events_of(FILE), earlier, SOURCES, zone=ZONE)
    [finding] = result.overlapping
    assert (finding["row"], finding["column"], finding["code"]) == (4, "Start Time", OVERLAPS_IMPORTED_EVENT)
    assert finding["message"] == (
        "This Break for bob.wilson@example.com overlaps the Break of Mon 1 Jun 2026 12:15–12:45 imported in import "
        "week.csv, on 20 May 2026 at 10:03 by sam. Talkdesk keeps both: importing does not remove earlier events."
    )


def test_a_break_inside_an_earlier_shift_is_how_schedules_are_written_not_a_collision():
    earlier = [accepted("bob.wilson@example.com", "2026-06-01 08:00", "2026-06-01 16:00", "Available for all channels")]
    assert compare(events_of(FILE), earlier, SOURCES, zone=ZONE).overlapping == []


def test_events_that_only_touch_do_not_collide():
    earlier = [accepted("bob.wilson@example.com", "2026-06-01 12:30", "2026-06-01 13:00", "Break")]
    assert compare(events_of(FILE), earlier, SOURCES, zone=ZONE).overlapping == []


def test_a_long_earlier_event_that_started_days_before_is_still_found():
    earlier = [
        accepted("john.smith@example.com", "2026-05-25 00:00", "2026-06-03 00:00", "Available for all channels"),
        accepted("john.smith@example.com", "2026-05-30 09:00", "2026-05-30 10:00", "Available for all channels"),
    ]
    [finding] = compare(events_of(FILE), earlier, SOURCES, zone=ZONE).overlapping
    assert finding["row"] == 2 and "Mon 25 May 2026 00:00–3 Jun 00:00" in finding["message"]


def test_the_same_file_again_is_a_warning_naming_the_import_when_and_by_whom():
    finding = file_already_imported(WEEK, zone=ZONE)
    assert (finding["row"], finding["code"], finding["link"]) == (None, "file_already_imported", "/imports/1/")
    assert "already imported into Talkdesk in import week.csv, on 20 May 2026 at 10:03 by sam" in finding["message"]


@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 60)), max_size=30),
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 60)), min_size=1, max_size=30),
)
def test_a_row_is_a_collision_exactly_when_some_earlier_event_overlaps_it(earlier_spans, file_spans):
    base = minute("2026-06-01 00:00")
    earlier = [Accepted("a@example.com", base + s, base + s + length, "Break", 1) for s, length in earlier_spans]
    exact = {(event.start, event.end) for event in earlier}
    events = EventColumns(
        list(range(2, len(file_spans) + 2)),
        ["a@example.com"] * len(file_spans),
        [base + s for s, _ in file_spans],
        [base + s + length for s, length in file_spans],
        ["Break"] * len(file_spans),
    )
    result = compare(events, earlier, SOURCES, zone=ZONE)
    expected = [
        row
        for row, start, end in zip(events.rows, events.starts, events.ends, strict=True)
        if (start, end) not in exact and any(e.start < end and e.end > start for e in earlier)
    ]
    assert [finding["row"] for finding in result.overlapping] == expected


CORRECTED = """Agent Name,Agent Email,Start Time,End Time,Event Type Name
John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels
Jane Doe,jane.doe@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels
Bob Wilson,bob.wilson@example.com,12:00 2026-06-02,12:30 2026-06-02,Break
"""


def test_what_changes_tells_new_identical_differing_events_and_days_left_empty():
    earlier = [
        accepted("john.smith@example.com", "2026-06-01 09:00", "2026-06-01 17:00", "Available for all channels"),
        accepted("jane.doe@example.com", "2026-06-01 08:00", "2026-06-01 16:00", "Available for all channels"),
        accepted("bob.wilson@example.com", "2026-06-01 12:00", "2026-06-01 12:30", "Break"),
        # Another agent, and a day outside the file: not what the file covers.
        accepted("carla@example.com", "2026-06-01 12:00", "2026-06-01 12:30", "Break"),
        accepted("john.smith@example.com", "2026-06-05 09:00", "2026-06-05 17:00", "Available for all channels"),
    ]
    changes = what_changes(events_of(CORRECTED), earlier, zone=ZONE)
    assert (changes.new, changes.identical, changes.differing, changes.left_empty) == (1, 1, 1, 1)
    by_day = {(day.agent, day.day.isoformat()): day for day in changes.days}
    assert sorted((key, day.status) for key, day in by_day.items()) == [
        (("bob.wilson@example.com", "2026-06-01"), "left_empty"),
        (("bob.wilson@example.com", "2026-06-02"), "new"),
        (("jane.doe@example.com", "2026-06-01"), "differs"),
        (("john.smith@example.com", "2026-06-01"), "identical"),
    ]
    jane = by_day["jane.doe@example.com", "2026-06-01"]
    assert [event_text(e, ZONE) for e in jane.file_events] == ["row 3: Available for all channels 09:00–17:00"]
    assert [event_text(e, ZONE) for e in jane.earlier] == ["Available for all channels 08:00–16:00"]


def test_what_changes_with_nothing_before_is_every_event_new():
    changes = what_changes(events_of(FILE), [], zone=ZONE)
    assert (changes.new, changes.identical, changes.differing, changes.left_empty) == (3, 0, 0, 0)
    assert not changes.has_earlier_events


def test_what_changes_leaves_out_a_row_whose_times_cannot_be_read_and_tells_a_day_whose_events_start_together():
    # Two events starting together come from the record in another order
    # than the file's rows: the day is still identical.
    file = FILE + "Bob Wilson,bob.wilson@example.com,12:00 2026-06-01,12:15 2026-06-01,Break\n"
    file += "Jane Doe,jane.doe@example.com,not a time,16:00 2026-06-02,Break\n"
    earlier = [
        accepted("bob.wilson@example.com", "2026-06-01 12:00", "2026-06-01 12:15", "Break"),
        accepted("bob.wilson@example.com", "2026-06-01 12:00", "2026-06-01 12:30", "Break"),
    ]
    changes = what_changes(events_of(file), earlier, zone=ZONE)
    assert (changes.new, changes.identical, changes.differing, changes.left_empty) == (2, 2, 0, 0)
    bob = next(day for day in changes.days if day.agent == "bob.wilson@example.com")
    assert bob.status == "identical" and [event.row for event in bob.file_events] == [4, 5]


def test_what_changes_tells_the_same_from_the_records_columns_as_from_its_events():
    earlier = [
        accepted("jane.doe@example.com", "2026-06-01 08:00", "2026-06-01 16:00", "Available for all channels", 2),
        accepted("jane.doe@example.com", "2026-06-01 08:00", "2026-06-01 16:00", "Available for all channels", 1),
        accepted("john.smith@example.com", "2026-06-01 09:00", "2026-06-01 17:00", "Available for all channels"),
        accepted("bob.wilson@example.com", "2026-06-01 12:00", "2026-06-01 12:30", "Break"),
    ]
    columns = AcceptedColumns(*map(list, zip(*earlier, strict=True)))

    def told(changes):
        return (changes.new, changes.identical, changes.differing, changes.left_empty), [
            (day.agent, day.day, day.status, day.file_events, day.earlier) for day in changes.days
        ]

    assert told(what_changes(events_of(CORRECTED), columns, zone=ZONE)) == told(
        what_changes(events_of(CORRECTED), earlier, zone=ZONE)
    )
    jane = next(
        day
        for day in what_changes(events_of(CORRECTED), columns, zone=ZONE).days
        if day.agent == "jane.doe@example.com"
    )
    # Both earlier events stay, in order of start, end, type and part.
    assert jane.status == "differs" and [event.source for event in jane.earlier] == [1, 2]


def test_a_day_whose_events_are_repeated_and_more_added_is_new_with_nothing_earlier_left():
    file = FILE + "Bob Wilson,bob.wilson@example.com,15:00 2026-06-01,15:15 2026-06-01,Break\n"
    earlier = [
        accepted("bob.wilson@example.com", "2026-06-01 15:00", "2026-06-01 15:15", "Break"),
        accepted("bob.wilson@example.com", "2026-06-01 12:00", "2026-06-01 12:30", "Break"),
    ]
    changes = what_changes(events_of(file), earlier, zone=ZONE)
    bob = next(day for day in changes.days if day.agent == "bob.wilson@example.com")
    assert bob.status == "identical" and bob.earlier == []
    earlier.pop()
    bob = next(
        day for day in what_changes(events_of(file), earlier, zone=ZONE).days if day.agent == "bob.wilson@example.com"
    )
    assert bob.status == "new" and [event.row for event in bob.file_events] == [4, 5] and bob.earlier == []
