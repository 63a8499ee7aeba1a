import re
from datetime import datetime
from zoneinfo import ZoneInfo

from imports.schedule.timeline import Event, draw_timeline

NY = ZoneInfo("America/New_York")


def event(agent, day, start, end, kind="Available for all channels", row=2, problem=None):
    return Event(
        agent=agent,
        label=agent.split("@")[0].replace(".", " ").title(),
        start=datetime(2026, 6, day, start, tzinfo=NY),
        end=datetime(2026, 6, day, end, tzinfo=NY),
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
    assert drawn.svg.count("<rect x=") - drawn.svg.count('<rect x="0"') == 3
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
    assert abs(xs[1] - (200 + 900 / 2)) < 1


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


def test_a_page_of_agents_is_drawn_from_a_stream_of_every_agents_events():
    events = (event(f"agent{n % 100}@example.com", 1 + n // 100 % 28, 9, 17, row=n + 2) for n in range(2_000))
    drawn = draw_timeline(events, zone=NY, first_agent=0, max_agents=10)
    assert drawn.agents_total == 100 and drawn.agents_shown == 10
    assert drawn.svg.count("data-row=") == 10 * 20
