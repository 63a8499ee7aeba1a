"""A planner in a real browser sends the spec's example, then uploads it a
second time and a corrected version of it: the portal says what Talkdesk
already has and what the corrected file changes, before anything is sent."""

import os

import pytest

from tests.e2e.test_browser_flow import EXAMPLES, sign_in, wait_for_state
from tests.fixtures.stack import start_stack, stop_stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CORRECTED = (
    (EXAMPLES / "schedule-example.csv")
    .read_bytes()
    .replace(b"08:00 2026-06-01,16:00 2026-06-01", b"09:00 2026-06-01,17:00 2026-06-01")
    .replace(b"12:00 2026-06-01,12:30 2026-06-01", b"12:00 2026-06-02,12:30 2026-06-02")
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # A Redis database of this test's own, as the machine is shared.
    redis_db = int(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13").rsplit("/", 1)[1] or 13)
    stack = start_stack(tmp_path_factory.mktemp("stack-record"), backend="postgres", redis_db=redis_db)
    yield stack
    stop_stack(stack)


def upload(page, stack, path):
    page.goto(stack.url + "/imports/new/")
    page.set_input_files("input[type=file]", str(path))
    page.click("text=Check the file")
    page.wait_for_selector("h2:has-text('Summary')")


def warning_summary(page, code):
    return page.inner_text(f"details.warnings[data-problem='{code}'] summary")


def test_the_example_uploaded_again_shows_the_file_and_its_three_rows_as_already_imported(page, stack, tmp_path):
    sign_in(page, stack)
    upload(page, stack, EXAMPLES / "schedule-example.csv")
    first = page.url
    page.click("text=Confirm and send 3 rows")
    wait_for_state(page, "imported")

    upload(page, stack, EXAMPLES / "schedule-example.csv")
    assert "No problems found" not in page.inner_text(".checks")
    assert warning_summary(page, "file_already_imported") == "1 warning: File already imported"
    assert warning_summary(page, "row_already_imported") == "3 warnings: Row already imported"
    page.click("details[data-problem='file_already_imported'] summary")
    said = page.inner_text("details[data-problem='file_already_imported'] li")
    assert "already imported into Talkdesk in import schedule-example.csv" in said and "by planner" in said
    page.click("details[data-problem='file_already_imported'] a:has-text('See that import')")
    assert page.url == first
    page.go_back()
    page.screenshot(path=str(tmp_path / "already-imported.png"), full_page=True)
    page.click("text=Leave out the rows already imported")
    assert "Every row of this file is in Talkdesk already" in page.inner_text("body")

    corrected = tmp_path / "schedule-corrected.csv"
    corrected.write_bytes(CORRECTED)
    upload(page, stack, corrected)
    assert warning_summary(page, "row_already_imported") == "1 warning: Row already imported"
    assert warning_summary(page, "overlaps_imported_event") == "1 warning: Overlaps imported event"
    preview = page.url
    # The preview's timeline draws the three events of the first import
    # faintly behind the corrected file's, each saying where it came from.
    page.wait_for_selector("#timeline rect[data-earlier]")
    tips = page.locator("#timeline rect[data-earlier] title").all_text_contents()
    assert len(tips) == 3
    assert all("Earlier, imported on " in tip and "in import schedule-example.csv by planner" in tip for tip in tips)
    assert "earlier events already in Talkdesk" in page.inner_text("[data-legend=earlier]")
    page.click("text=What this file changes in Talkdesk")
    changes = {
        name: page.inner_text(f"[data-changes={name}]") for name in ("new", "identical", "differing", "left_empty")
    }
    assert changes == {"new": "1", "identical": "1", "differing": "1", "left_empty": "1"}
    assert "Importing does not remove earlier events from Talkdesk" in page.inner_text("body")
    page.select_option("select[name=show]", "all")
    page.wait_for_selector("tr[data-status=identical]")
    statuses = [row.get_attribute("data-status") for row in page.query_selector_all("#days tbody tr")]
    assert sorted(statuses) == ["differs", "identical", "left_empty", "new"]
    page.goto(preview)
    page.click("text=Leave out the rows already imported")
    assert "1 row already in Talkdesk left out" in page.inner_text("body")
    assert page.inner_text("[data-summary=rows]") == "2"
    ledger = stack.simulator.ledger(account="acme")
    assert len(ledger["uploads"]) == 1
