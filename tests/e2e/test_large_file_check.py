"""A file too large to check in a web request, in a real browser against the
whole portal (gunicorn, a Celery worker, beat, PostgreSQL and Redis): the
preview says "Checking…" while the worker checks it and then shows the
result; a worker killed in the middle of the check leaves the import to be
checked again, never "Checking…" for good."""

import os
from datetime import date, timedelta

import psycopg
import pytest

from tests.fixtures.stack import start_stack, stop_stack
from tests.reliability.running_portal import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

HEADER = "Agent Name,Agent Email,Start Time,End Time,Event Type Name"
AGENTS = (("John Smith", "john.smith@example.com"), ("Jane Doe", "jane.doe@example.com"))
# Files over this are the worker's here, so that small files show it quickly.
CHECK_IN_WEB_MAX_BYTES = 100_000


def schedule(rows: int, *, days: int) -> bytes:
    """rows events of the demo account's agents, over days days: a row
    repeats an earlier one exactly once the days run out."""
    lines = [HEADER]
    for number in range(rows):
        name, email = AGENTS[number % 2]
        when = (date(2026, 6, 1) + timedelta(days=number // 2 % days)).isoformat()
        lines.append(f"{name},{email},09:00 {when},17:00 {when},Available for all channels")
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    redis_db = int(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13").rsplit("/", 1)[1] or 13)
    stack = start_stack(
        tmp_path_factory.mktemp("large-file-check"),
        backend="postgres",
        redis_db=redis_db,
        env_overrides={
            "CHECK_IN_WEB_MAX_BYTES": str(CHECK_IN_WEB_MAX_BYTES),
            "IMPORT_HEARTBEAT_SECONDS": "1",
            "RECONCILE_EVERY_SECONDS": "1",
        },
    )
    yield stack
    stop_stack(stack)


def database(stack):
    return psycopg.connect(stack.env["DATABASE_URL"], autocommit=True)


def check_attempts(stack, file_name: str) -> int:
    with database(stack) as db:
        found = db.execute("SELECT check_attempts FROM imports_import WHERE file_name = %s", [file_name]).fetchone()
    return found[0] if found else 0


def sign_in(page, stack):
    page.goto(stack.url + "/")
    page.fill("input[name=username]", "planner")
    page.fill("input[name=password]", stack.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/imports/")


def upload(page, stack, path):
    page.goto(stack.url + "/imports/new/")
    page.set_input_files("input[type=file]", str(path))
    page.click("text=Check the file")
    # Tens of MB through a loaded machine's loopback, then written and hashed.
    page.wait_for_url("**/imports/*-*/", timeout=120_000)


def test_a_planner_sees_checking_then_the_result_and_sends_the_file(page, stack, tmp_path):
    path = tmp_path / "june-large.csv"
    path.write_bytes(schedule(4_000, days=2_000))
    assert path.stat().st_size > CHECK_IN_WEB_MAX_BYTES
    worker = stack.processes["worker"]
    worker.terminate()
    worker.wait(timeout=30)
    try:
        sign_in(page, stack)
        upload(page, stack, path)
        assert "Checking…" in page.inner_text("#checking")
        assert page.query_selector("[data-summary=rows]") is None
        page.wait_for_timeout(2500)  # two polls of the page: still checking, and saying so
        assert "Checking…" in page.inner_text("#checking")
    finally:
        stack.start("worker")
    page.wait_for_selector("h2:has-text('Summary')", timeout=60_000)
    assert page.inner_text("[data-summary=rows]") == "4,000"
    assert "No problems found" in page.inner_text(".checks")
    page.click("text=Confirm and send 4,000 rows")
    page.wait_for_selector("#status [data-state='imported']", timeout=60_000)


def test_a_worker_killed_mid_check_leaves_the_file_checked_again(page, stack, tmp_path):
    path = tmp_path / "year-large.csv"
    # 37 MB, the first 1,000 days once and then again and again: 398,000
    # duplicate rows, of which the preview shows the first and counts all.
    path.write_bytes(schedule(400_000, days=1_000))
    sign_in(page, stack)
    upload(page, stack, path)
    assert "Checking…" in page.inner_text("#checking")
    wait_until(lambda: check_attempts(stack, path.name) == 1, seconds=60, what="a worker takes the check")
    stack.kill("worker")
    stack.start("worker")
    page.wait_for_selector("h2:has-text('Summary')", timeout=120_000)
    assert check_attempts(stack, path.name) >= 2
    assert page.inner_text("[data-summary=rows]") == "400,000"
    assert "398,000 warnings" in page.inner_text("[data-problem=duplicate_row] summary")
    assert page.query_selector("[data-findings-link]") is not None
