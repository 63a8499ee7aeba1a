"""How long drawing a big file's timeline takes, against the floor of one bare
pass over its events in the same run.

    .venv/bin/python benchmarks/timeline.py [--quick]

80,000 events (400 agents, 100 days, a shift and a lunch inside it each
day) in New York: the page's first 40 agents, a week at a time (the default
for a file over two weeks) and the whole file.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imports.schedule.timeline import Event, draw_timeline  # noqa: E402

NEW_YORK = ZoneInfo("America/New_York")


def events(agents: int, days: int) -> list[Event]:
    made, row = [], 2
    first = datetime(2026, 1, 5, 8, tzinfo=NEW_YORK)
    for agent in range(agents):
        email, name = f"agent{agent}@example.com", f"Agent {agent}"
        for day in range(days):
            start = first + timedelta(days=day)
            made.append(Event(email, name, start, start + timedelta(hours=8), "Shift", row))
            lunch = start + timedelta(hours=4)
            made.append(Event(email, name, lunch, lunch + timedelta(hours=1), "Lunch", row + 1))
            row += 2
    return made


def best_of(runs: int, step) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return min(times)


def floor(made: list[Event]) -> None:
    earliest = latest = made[0].start
    for event in made:
        if event.start is not None and event.start < earliest:
            earliest = event.start
        if event.end is not None and event.end > latest:
            latest = event.end


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 9")
    runs = 3 if parser.parse_args().quick else 9
    made = events(400, 100)
    base = best_of(runs, lambda: floor(made))
    print(f"{len(made):,} events; best of {runs} runs")
    print(f"{'bare pass over the events (the floor)':<44} {base * 1000:8.1f} ms   1.0×")
    for label, view in (("a week (the default), first 40 agents", None), ("the whole file, first 40 agents", "all")):
        drawn = draw_timeline(made, zone=NEW_YORK, view=view)
        took = best_of(runs, lambda view=view: draw_timeline(made, zone=NEW_YORK, view=view))
        print(f"{label:<44} {took * 1000:8.1f} ms {took / base:5.1f}×   {len(drawn.plot_svg):,} bytes of SVG")


if __name__ == "__main__":
    main()
