"""Issue 11: a web process's memory across ten uploads of a 50 MB schedule,
next to ten uploads of a 3-row schedule in the same run (the baseline: what
serving an upload costs at all), the worker's peak while it checks the 50 MB
file, and how long its pages take next to the 3-row file's.

The 50 MB file is the worst case for what a check finds: four weeks of 600
agents' days, repeated until the file is 50 MB, so that every row after the
first four weeks repeats one of them: about 600,000 warnings.

    .venv/bin/pip install -e ".[bench]" && .venv/bin/python benchmarks/upload_memory.py [--backend embedded|postgres]

The portal runs as in production (tests/fixtures/stack.py): gunicorn with
one worker process (WEB_CONCURRENCY=1, so that every request lands in the
process measured) and a Celery worker with one process, which checks every
file over CHECK_IN_WEB_MAX_BYTES. Each upload is a real multipart POST of a
signed-in planner, followed to the page it leads to; the benchmark waits for
each check to finish before the next upload, as a planner would.

Each page the planner's browser asks for is asked for as a browser does
(the preview, then its timeline fragment when the page loads it by itself),
and the preview and the first page of the rows are timed 20 times each, the
timeline 3 times, for the 3-row import and the last 50 MB one (medians).

Targets: the web process grows by no more than 50 MB over the ten 50 MB
uploads (RSS after minus RSS before); the 50 MB import's preview, with its
half a million problems, within 1.5x of the 3-row import's. The rows pages
(which read the kept rows up to the page shown) and the timeline (which
reads every row to draw a page of agents, and is drawn on request for a
file this large) are printed beside it; the worker's peak is recorded.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

try:
    import psutil
    import requests
except ImportError as missing:
    raise SystemExit(
        f"This benchmark needs {missing.name}, from the bench extras. Install them with:\n"
        '    .venv/bin/pip install -e ".[bench]"'
    ) from None

UPLOADS = 10
LARGE_BYTES = 50_000_000
TARGET_GROWTH_MB = 50
TARGET_PREVIEW_RATIO = 1.5
PAGE_TIMINGS = 20
ZONE = "America/New_York"
SMALL = (ROOT / "examples" / "schedule-example.csv").read_bytes()


def large_schedule(target: int) -> bytes:
    """A schedule just under target bytes: 600 agents, each with a shift, a
    break and a lunch a day, for four weeks, again and again."""
    header = "Agent Name,Agent Email,Start Time,End Time,Event Type Name\r\n"
    lines = [header]
    size = len(header)
    day = 0
    while True:
        date = f"2026-06-{1 + day % 28:02d}"
        for number in range(600):
            for start, end, kind in (
                ("08:00", "16:00", "Available for all channels"),
                ("10:00", "10:15", "Break"),
                ("12:00", "12:30", "Lunch"),
            ):
                line = f"Agent {number:04d} Smith,agent{number:04d}@example.com,{start} {date},{end} {date},{kind}\r\n"
                if size + len(line) > target:
                    return "".join(lines).encode()
                lines.append(line)
                size += len(line)
        day += 1


def rss_mb(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


def peak_mb(process: psutil.Process) -> float:
    """The process's peak resident memory since it started (VmHWM)."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return rss_mb(process)


def only_child(role: str, parent) -> psutil.Process:
    children = psutil.Process(parent.pid).children(recursive=True)
    if len(children) != 1:
        raise SystemExit(f"Expected one {role} process, found {len(children)}.")
    return children[0]


class Planner:
    def __init__(self, base_url: str, password: str):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.get(f"{base_url}/login/", timeout=30).raise_for_status()
        self.session.post(
            f"{base_url}/login/",
            data={
                "username": "planner",
                "password": password,
                "csrfmiddlewaretoken": self.session.cookies["csrftoken"],
            },
            timeout=30,
        )
        if "sessionid" not in self.session.cookies:
            raise SystemExit("The planner could not sign in.")
        page = self.session.get(f"{base_url}/imports/new/", timeout=30).text
        self.team = re.search(r'<option value="(\d+)"[^>]*selected', page).group(1)

    def upload(self, data: bytes) -> tuple[str, float]:
        """Sends the file and reads the page it leads to: (that page's address, seconds)."""
        started = time.perf_counter()
        answer = self.session.post(
            f"{self.base_url}/imports/new/",
            data={
                "team": self.team,
                "time_zone": ZONE,
                "date_format": "",
                "csrfmiddlewaretoken": self.session.cookies["csrftoken"],
            },
            files={"file": ("schedule.csv", data, "text/csv")},
            timeout=300,
        )
        took = time.perf_counter() - started
        if answer.status_code != 200 or not re.search(r"/imports/[0-9a-f-]{36}/$", answer.url):
            raise SystemExit(f"The upload did not lead to its import ({answer.status_code}, {answer.url}).")
        return answer.url, took

    def time_pages(self, url: str) -> dict[str, float]:
        """Median milliseconds of each page of the import."""
        pages = {
            "preview": (url, {}),
            "timeline": (f"{url}timeline/", {"HX-Request": "true"}),
            "rows, first page": (f"{url}rows/", {}),
            "rows with a problem, first page": (f"{url}rows/?problem=any", {}),
        }
        medians = {}
        for label, (address, headers) in pages.items():
            took = []
            # The timeline reads every row: a few times tell its time.
            for _ in range(3 if label == "timeline" else PAGE_TIMINGS):
                started = time.perf_counter()
                self.session.get(address, headers=headers, timeout=60).raise_for_status()
                took.append((time.perf_counter() - started) * 1000)
            medians[label] = sorted(took)[len(took) // 2]
        return medians

    def wait_for_preview(self, url: str, seconds: float = 600) -> float:
        """Polls as the page does until the check is done: seconds waited."""
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            answer = self.session.get(url, params={"fragment": "check"}, headers={"HX-Request": "true"}, timeout=60)
            if answer.headers.get("HX-Refresh") == "true":
                page = self.session.get(url, timeout=60).text
                if "Confirm and send" not in page:
                    raise SystemExit(f"The checked file cannot be sent: {url}")
                if re.search(r'hx-get="[^"]*/timeline/" hx-trigger="load"', page):
                    # As the page does once loaded.
                    self.session.get(f"{url}timeline/", headers={"HX-Request": "true"}, timeout=60).raise_for_status()
                return time.perf_counter() - started
            time.sleep(1)
        raise SystemExit(f"The check of {url} did not finish within {seconds:.0f} s.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("embedded", "postgres"), default="embedded")
    options = parser.parse_args()

    from cryptography.fernet import Fernet

    from tests.fixtures.stack import start_stack, stop_stack

    redis_db = int(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11").rsplit("/", 1)[1] or 11)
    folder = Path(tempfile.mkdtemp(prefix="bench-upload-memory-"))
    overrides = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "WEB_CONCURRENCY": "1",
        "WORKER_CONCURRENCY": "1",
    }
    large = large_schedule(LARGE_BYTES)
    print(f"Starting the portal on {options.backend} in {folder} ...", flush=True)
    stack = start_stack(folder, backend=options.backend, env_overrides=overrides, redis_db=redis_db)
    try:
        web = only_child("web worker", stack.processes["web"])
        planner = Planner(stack.url, stack.password)
        # Warm-up: the first request of each kind loads code and templates.
        small_url, _ = planner.upload(SMALL)
        planner.time_pages(small_url)

        before_small = rss_mb(web)
        for _ in range(UPLOADS):
            url, _ = planner.upload(SMALL)
        after_small = rss_mb(web)

        before_large = rss_mb(web)
        uploads, checks = [], []
        for number in range(1, UPLOADS + 1):
            url, took = planner.upload(large)
            uploads.append(took)
            checks.append(planner.wait_for_preview(url))
            print(
                f"  upload {number:2d}: {len(large) / 1e6:.1f} MB sent in {took:.1f} s, checked by the worker "
                f"{checks[-1]:.1f} s later; web RSS {rss_mb(web):.0f} MB",
                flush=True,
            )
        after_large = rss_mb(web)
        upload_peak = peak_mb(web)
        small_pages = planner.time_pages(small_url)
        large_pages = planner.time_pages(url)
        after_pages = rss_mb(web)
        with_problems = re.search(r"<strong>(\d+) warnings</strong>: Duplicate row", planner.session.get(url).text)
        worker = only_child("worker", stack.processes["worker"])
        worker_peak = peak_mb(worker)
        worker_now = rss_mb(worker)
        web_peak = peak_mb(web)
    finally:
        stop_stack(stack)
        shutil.rmtree(folder, ignore_errors=True)

    growth_small = after_small - before_small
    growth_large = after_large - before_large
    rows = large.count(b"\n") - 1
    print()
    print(f"Web worker RSS (gunicorn, one process), {options.backend}:")
    print(
        f"  baseline, {UPLOADS} uploads of the 3-row example: {before_small:.0f} -> {after_small:.0f} MB ({growth_small:+.1f} MB)"
    )
    print(
        f"  {UPLOADS} uploads of a {len(large) / 1e6:.1f} MB file ({rows:,} rows): "
        f"{before_large:.0f} -> {after_large:.0f} MB ({growth_large:+.1f} MB); peak so far {upload_peak:.0f} MB"
    )
    print(f"  growth against the baseline's: {growth_large - growth_small:+.1f} MB")
    print(
        f"  upload and page: median {sorted(uploads)[len(uploads) // 2]:.1f} s; check done after median {sorted(checks)[len(checks) // 2]:.1f} s"
    )
    print(f"  after timing both imports' pages: {after_pages:.0f} MB; peak {web_peak:.0f} MB")
    found = with_problems.group(1) if with_problems else "?"
    print(f"Pages, median of {PAGE_TIMINGS} (timeline: of 3; the 50 MB import has {found} duplicate-row warnings):")
    preview_ratio = 0.0
    for label, small_ms in small_pages.items():
        ratio = large_pages[label] / small_ms
        if label == "preview":
            preview_ratio = ratio
        print(f"  {label:32s} 3-row {small_ms:7.1f} ms   50 MB {large_pages[label]:7.1f} ms   {ratio:5.1f}x")
    print(
        f"Celery worker process checking the {len(large) / 1e6:.1f} MB file: peak {worker_peak:.0f} MB, {worker_now:.0f} MB after"
    )
    verdict = "met" if growth_large <= TARGET_GROWTH_MB else "MISSED"
    print(f"Target: web growth over the {UPLOADS} large uploads at most {TARGET_GROWTH_MB} MB: {verdict}")
    print(
        f"Target: the 50 MB import's preview within {TARGET_PREVIEW_RATIO}x of the 3-row import's: "
        f"{'met' if preview_ratio <= TARGET_PREVIEW_RATIO else 'MISSED'} ({preview_ratio:.1f}x)"
    )
    if growth_large > TARGET_GROWTH_MB:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
