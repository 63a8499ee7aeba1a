import re
from datetime import datetime
from zoneinfo import ZoneInfo

from imports.schedule.timeline import CHAR_WIDTH, PLOT_WIDTH, EarlierEvent, Event, draw_timeline

NY = ZoneInfo("America/New_York")


def event(agent, day, start, end, kind="Available for all channels", row=2, problem=None, month=6, year=2026):
    return Event(
        agent=agent,
        label=agent.split("@")[0].replace(".", " ").title(),
        start=datetime(year, month, day, start, tzinfo=NY),
        end=datetime(year, month, day, end, tzinfo=NY),
        kind=kind,
        row=row,
        problem=problem,
    )


def test_it_draws_one_lane_per_agent_and_one_bar_per_event():
    drawn = draw_timeline(
        [
            event("john.smith@example.com", 1, 9, 17),
            event("jane.doe@example.com", 1, 8, 16, row=3),
            event("john.smith@example.com", 2, 9, 17, row=4),
        ],
        zone=NY,
    )
    assert drawn.agents_total == drawn.agents_shown == 2
    assert drawn.plot_svg.count("data-row=") == 3
    assert "John Smith" in drawn.svg and "Jane Doe" in drawn.svg


def test_each_event_type_gets_its_own_colour_in_the_legend():
    drawn = draw_timeline(
        [event("a@example.com", 1, 9, 17), event("a@example.com", 1, 12, 13, kind="Break", row=3)], zone=NY
    )
    colours = dict(drawn.legend)
    assert set(colours) == {"Available for all channels", "Break"}
    assert len(set(colours.values())) == 2


def test_a_problem_row_is_outlined_and_says_why():
    drawn = draw_timeline([event("a@example.com", 1, 9, 17, row=7, problem="Overlaps row 8")], zone=NY)
    assert 'data-row="7"' in drawn.svg
    assert 'stroke="#b42318"' in drawn.svg
    assert "Row 7" in drawn.svg and "Overlaps row 8" in drawn.svg


def test_bars_sit_where_their_times_are():
    drawn = draw_timeline([event("a@example.com", 1, 0, 12), event("a@example.com", 1, 12, 23, row=3)], zone=NY)
    xs = [float(x) for x in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="[\d.]+" height="12"', drawn.svg)]
    assert xs[0] < xs[1]
    assert abs(xs[1] - PLOT_WIDTH / 2) < 1


def test_names_are_escaped():
    drawn = draw_timeline(
        [
            Event(
                "x@example.com",
                "<script>",
                datetime(2026, 6, 1, 9, tzinfo=NY),
                datetime(2026, 6, 1, 10, tzinfo=NY),
                "A&B",
                2,
            )
        ],
        zone=NY,
    )
    assert "<script>" not in drawn.svg
    assert "&lt;script&gt;" in drawn.svg and "A&amp;B" in drawn.svg


def test_it_draws_a_page_of_agents_at_a_time():
    events = [event(f"agent{n}@example.com", 1, 9, 17, row=n + 2) for n in range(95)]
    drawn = draw_timeline(events, zone=NY, first_agent=80, max_agents=40)
    assert drawn.agents_total == 95 and drawn.agents_shown == 15


def test_nothing_readable_draws_nothing():
    assert draw_timeline([], zone=NY).svg == ""


def bars(drawn):
    found = re.findall(
        r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="12"[^>]*data-row="(\d+)"', drawn.plot_svg
    )
    return {int(row): (float(x), float(y), float(width)) for x, y, width, row in found}


def labels(drawn):
    """(x, y, text) of every tick label of the plot."""
    found = re.findall(r'<text x="([\d.]+)" y="(\d+)" fill="#3e4c59"[^>]*>([^<]+)</text>', drawn.plot_svg)
    return [(float(x), int(y), text) for x, y, text in found]


def assert_no_label_touches_the_next(drawn):
    by_row = {}
    for x, y, text in labels(drawn):
        by_row.setdefault(y, []).append((x, text))
    for row in by_row.values():
        for (x, text), (next_x, _) in zip(row, row[1:], strict=False):
            assert x + len(text) * CHAR_WIDTH < next_x, (text, row)
        assert all(x + len(text) * CHAR_WIDTH <= PLOT_WIDTH for x, text in row)


def test_the_last_days_events_are_inside_the_picture():
    drawn = draw_timeline([event("a@example.com", 3, 9, 17), event("a@example.com", 16, 9, 17, row=3)], zone=NY)
    x, _, width = bars(drawn)[3]
    assert x > 0 and x + width <= PLOT_WIDTH


def test_a_short_file_is_drawn_from_the_hour_before_to_the_hour_after_with_hour_ticks_and_the_year():
    drawn = draw_timeline([event("a@example.com", 3, 9, 17)], zone=NY)
    texts = [text for _, _, text in labels(drawn)]
    assert "Wed 03 Jun 2026" in texts
    assert {"08:00", "09:00", "12:00", "17:00"} <= set(texts) and "07:00" not in texts
    assert_no_label_touches_the_next(drawn)


def test_a_week_has_dates_and_hours_that_never_collide():
    drawn = draw_timeline([event("a@example.com", d, 9, 17, row=d) for d in range(1, 8)], zone=NY)
    texts = [text for _, _, text in labels(drawn)]
    assert "Mon 01 Jun 2026" in texts and "Tue 02 Jun" in texts and "Sun 07 Jun" in texts
    assert "12:00" in texts
    assert_no_label_touches_the_next(drawn)


def test_a_file_over_two_weeks_opens_on_its_first_week_and_moves():
    events = [event("a@example.com", d, 9, 17, row=d) for d in range(3, 31)]
    drawn = draw_timeline(events, zone=NY)
    assert drawn.window.movable and drawn.window.view == "week"
    assert drawn.window.first.isoformat() == "2026-06-03" and drawn.window.earlier is None
    assert sorted(bars(drawn)) == list(range(3, 10))
    later = draw_timeline(events, zone=NY, start=drawn.window.later)
    assert sorted(bars(later)) == list(range(10, 17)) and later.window.earlier == drawn.window.first
    day = draw_timeline(events, zone=NY, view="day", start=drawn.window.later)
    assert sorted(bars(day)) == [10]
    whole = draw_timeline(events, zone=NY, view="all")
    assert sorted(bars(whole)) == list(range(3, 31))
    assert_no_label_touches_the_next(whole)


def test_a_file_over_years_names_each_year_once_and_its_months():
    events = [
        event("a@example.com", 1, 9, 17, month=m, year=y, row=y * 100 + m) for y in (2026, 2027) for m in range(1, 13)
    ]
    drawn = draw_timeline(events, zone=NY, view="all")
    texts = [text for _, _, text in labels(drawn)]
    assert texts.count("2026") == 1 and texts.count("2027") == 1
    assert "Jun" in texts
    assert_no_label_touches_the_next(drawn)


def test_overlapping_events_get_lanes_of_their_own_and_the_overlap_is_marked():
    drawn = draw_timeline([event("a@example.com", 1, 9, 17, row=2), event("a@example.com", 1, 12, 13, row=3)], zone=NY)
    drawn_bars = bars(drawn)
    assert drawn_bars[2][1] != drawn_bars[3][1]
    assert 'data-overlap="2-3"' in drawn.plot_svg
    assert "Rows 2 and 3 overlap from Mon 01 Jun 2026 12:00 to 13:00" in drawn.plot_svg
    assert drawn.overlaps == 1 and [item.lane for item in drawn.listed] == [1, 2]


def test_a_bars_tooltip_says_agent_type_local_times_with_the_zone_and_row():
    drawn = draw_timeline([event("john.smith@example.com", 1, 9, 17, row=4)], zone=NY)
    assert (
        "<title>John Smith — Available for all channels\nMon 01 Jun 2026 09:00 – Mon 01 Jun 2026 17:00 "
        "(America/New_York)\nRow 4</title>" in drawn.plot_svg
    )


def test_a_row_that_cannot_be_placed_is_listed_under_its_agent_with_the_reason():
    unreadable = Event("b@example.com", "Bea", None, None, "Break", 9, "02:30 on 2026-03-08 does not exist")
    drawn = draw_timeline([event("a@example.com", 1, 9, 17), unreadable], zone=NY)
    assert drawn.agents_total == drawn.agents_shown == 2
    assert [(u.agent, u.row, u.reason) for u in drawn.unplaced] == [("Bea", 9, "02:30 on 2026-03-08 does not exist")]
    assert "1 row not drawn" in drawn.names_svg


def test_the_table_says_what_the_picture_shows():
    drawn = draw_timeline([event("a@example.com", 1, 22, 23, row=5, problem="Too short")], zone=NY)
    (item,) = drawn.listed
    assert (item.agent, item.kind, item.start, item.end, item.row, item.problem) == (
        "A",
        "Available for all channels",
        "Mon 01 Jun 2026 22:00",
        "23:00",
        5,
        "Too short",
    )


def test_a_break_inside_a_shift_gets_its_own_lane_but_is_not_marked_as_an_overlap():
    drawn = draw_timeline(
        [event("a@example.com", 1, 9, 17, kind="Shift", row=2), event("a@example.com", 1, 12, 13, kind="Lunch", row=3)],
        zone=NY,
    )
    drawn_bars = bars(drawn)
    assert drawn_bars[2][1] != drawn_bars[3][1]
    assert "data-overlap" not in drawn.plot_svg and drawn.overlaps == 0


def test_a_page_of_agents_is_drawn_from_a_stream_of_every_agents_events():
    events = (event(f"agent{n % 100}@example.com", 1 + n // 100 % 28, 9, 17, row=n + 2) for n in range(2_000))
    drawn = draw_timeline(events, zone=NY, first_agent=0, max_agents=10, view="all")
    assert drawn.agents_total == 100 and drawn.agents_shown == 10
    assert drawn.svg.count("data-row=") == 10 * 20


def earlier(agent, day, start, end, kind="Available for all channels", imported="imported on 1 Jun 2026 at 08:00"):
    return EarlierEvent(
        agent, datetime(2026, 6, day, start, tzinfo=NY), datetime(2026, 6, day, end, tzinfo=NY), kind, imported
    )


def test_earlier_events_are_drawn_faintly_behind_the_files_in_their_agents_row_and_say_where_they_came_from():
    told = "imported on 1 Jun 2026 at 08:00 in import week-22.csv by sam"
    drawn = draw_timeline(
        [event("john.smith@example.com", 1, 9, 17, row=4)],
        zone=NY,
        earlier=lambda agents, begin, finish: [earlier("john.smith@example.com", 1, 8, 16, imported=told)],
    )
    assert drawn.plot_svg.count('data-earlier="1"') == 1
    assert drawn.plot_svg.index('data-earlier="1"') < drawn.plot_svg.index('data-row="4"')
    assert 'fill-opacity=".18"' in drawn.plot_svg
    assert (
        "John Smith — Available for all channels\nMon 01 Jun 2026 08:00 – Mon 01 Jun 2026 16:00 (America/New_York)\n"
        f"Earlier, {told}</title>" in drawn.plot_svg
    )
    (item,) = drawn.earlier
    assert (item.agent, item.kind, item.start, item.end, item.imported) == (
        "John Smith",
        "Available for all channels",
        "Mon 01 Jun 2026 08:00",
        "16:00",
        told,
    )


def test_earlier_events_are_asked_for_the_shown_agents_and_days_only_and_others_are_not_drawn():
    asked = []

    def lookup(agents, begin, finish):
        asked.append((agents, begin, finish))
        return [earlier("agent1@example.com", 1, 8, 9), earlier("agent0@example.com", 20, 8, 9)]

    events = [event(f"agent{n}@example.com", day, 9, 17, row=n * 40 + day) for n in range(3) for day in range(1, 29)]
    drawn = draw_timeline(events, zone=NY, first_agent=0, max_agents=2, view="week", earlier=lookup)
    ((agents, begin, finish),) = asked
    assert agents == ["agent0@example.com", "agent1@example.com"]
    assert (begin, finish) == (datetime(2026, 6, 1, tzinfo=NY), datetime(2026, 6, 8, tzinfo=NY))
    assert [(item.agent, item.start) for item in drawn.earlier] == [("Agent1", "Mon 01 Jun 2026 08:00")]


def test_an_earlier_event_of_a_type_the_file_lacks_is_grey_and_without_earlier_events_nothing_faint_is_drawn():
    drawn = draw_timeline(
        [event("a@example.com", 1, 9, 17)],
        zone=NY,
        earlier=lambda agents, begin, finish: [earlier("a@example.com", 1, 9, 10, kind="Meeting")],
    )
    assert 'fill="#7b8794" fill-opacity=".18"' in drawn.plot_svg
    assert "data-earlier" not in draw_timeline([event("a@example.com", 1, 9, 17)], zone=NY).plot_svg
