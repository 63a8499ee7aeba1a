"""A quick look at how long checking a 5 MB schedule takes next to a bare
csv.reader pass over the same bytes, and how much memory it needs.

    .venv/bin/python benchmarks/validate_quick.py [--quoted]

--quoted writes every cell in quotes, which takes the CSV reader's path
instead of the quicker one for plain files.
"""

import csv
import io
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imports.schedule_file import HEADER, PART_LIMIT_BYTES, check_schedule  # noqa: E402

ZONE = "America/New_York"


def schedule_bytes(target: int, quoting: int) -> bytes:
    """600 agents, each with a shift, a break and a lunch a day, until the
    file is just under target bytes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=quoting)
    writer.writerow(HEADER)
    agents = [(f"Agent {number:04d} Smith", f"agent{number:04d}@example.com") for number in range(600)]
    for day in range(366):
        date = f"2026-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}"
        for name, email in agents:
            for start, end, kind in (("08:00", "16:00", "Available for all channels"), ("10:00", "10:15", "Break"), ("12:00", "12:30", "Lunch")):
                if out.tell() > target - 200:
                    return out.getvalue().encode()
                writer.writerow([name, email, f"{start} {date}", f"{end} {date}", kind])
    return out.getvalue().encode()


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    data = schedule_bytes(PART_LIMIT_BYTES, csv.QUOTE_ALL if "--quoted" in sys.argv else csv.QUOTE_MINIMAL)

    def bare() -> None:
        for _ in csv.reader(io.StringIO(data.decode("utf-8"), newline="")):
            pass

    reader = best_of(7, bare)
    checking = best_of(7, lambda: check_schedule(data, time_zone=ZONE))
    tracemalloc.start()
    check = check_schedule(data, time_zone=ZONE)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{len(data):,} bytes, {check.summary.rows:,} rows, {len(check.errors)} errors, {len(check.warnings)} warnings")
    print(f"bare csv.reader pass {reader * 1000:.0f} ms; check_schedule {checking * 1000:.0f} ms ({checking / reader:.1f}x)")
    print(f"peak memory allocated by the check {peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
