"""A planner in a real browser with the files planners really have: an Excel
export from an HRIS tool with its own columns, mapped once and mapping
itself the next week. Against the whole portal on the embedded default
(gunicorn, a Celery worker, the simulator as a process)."""

import hashlib
from datetime import date, time
from pathlib import Path

import pytest

from tests.e2e.test_browser_flow import sign_in
from tests.imports.workbooks import xlsx

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

HRIS = {
    "Export": [
        ["Employee", "Mail addr", "Day", "Begins", "Ends", "Kind", "Site"],
        [
            "John Smith",
            "john.smith@example.com",
            date(2026, 6, 1),
            time(9),
            time(17),
            "Available for all channels",
            "Lisbon",
        ],
        [
            "Jane Doe",
            "jane.doe@example.com",
            date(2026, 6, 1),
            time(22),
            time(6),
            "Available for all channels",
            "Porto",
        ],
        ["Bob Wilson", "bob.wilson@example", date(2026, 6, 1), time(12), time(12, 30), "Break", "Porto"],
    ],
    "Notes": [["Exported from the HRIS"]],
}

# What Talkdesk gets of the second week's file: Bob's row held back, Jane's
# night shift ending the next day.
TWO_GOOD_ROWS = (
    b"Agent Name,Agent Email,Start Time,End Time,Event Type Name\r\n"
    b"John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels\r\n"
    b"Jane Doe,jane.doe@example.com,22:00 2026-06-01,06:00 2026-06-02,Available for all channels\r\n"
)


def upload_file(page, stack, path):
    page.goto(stack.url + "/imports/new/")
    page.set_input_files("input[type=file]", str(path))
    page.click("text=Check the file")
    page.wait_for_selector("h2:has-text('Summary')")


def test_a_planner_maps_an_hris_workbook_once_and_the_next_one_maps_itself(page, stack_embedded, tmp_path):
    book = tmp_path / "hris-week-23.xlsx"
    book.write_bytes(xlsx(HRIS))
    sign_in(page, stack_embedded)
    upload_file(page, stack_embedded, book)

    assert page.inner_text("[data-summary=sheet]").startswith("Export")
    mapping = page.locator("#mapping")
    assert "Which column is which?" in mapping.inner_text()
    # Employee means Agent Name, so it is chosen already; the rest is the planner's.
    assert mapping.locator("select[data-field='Agent Name'] option:checked").inner_text().startswith("A · Employee")
    assert "(e.g. john.smith@example.com" in mapping.locator("select[data-field='Agent Email']").inner_text()
    for field, column in (
        ("Agent Email", "Mail addr"),
        ("Start Time", "Begins"),
        ("End Time", "Ends"),
        ("Event Type Name", "Kind"),
        ("Date", "Day"),
    ):
        mapping.locator(f"select[data-field='{field}']").select_option(column)
    mapping.locator("input[name=save_as]").fill("HRIS export")
    mapping.locator("button[type=submit]").click()
    page.wait_for_selector("text=The mapping is saved for team Demo team as 'HRIS export'")

    assert page.inner_text("[data-summary=rows]") == "3"
    assert page.locator("#mapping").count() == 0
    checks = page.inner_text(".checks")
    assert "Row 4: 'bob.wilson@example' is not a valid e-mail address." in checks
    page.click(".problems.fixes summary")
    fixes = page.inner_text(".problems.fixes")
    assert (
        "Columns are read as you mapped them: Agent Name from column A 'Employee', Agent Email from column B 'Mail addr'"
        in fixes
    )
    assert "read as ending the next day (row 3)" in fixes

    next_week = tmp_path / "hris-week-24.xlsx"
    next_week.write_bytes(xlsx(HRIS))
    upload_file(page, stack_embedded, next_week)

    assert page.inner_text("[data-summary=rows]") == "3"
    assert page.locator("#mapping").count() == 0
    page.click(".problems.fixes summary")
    assert "The team's saved mapping 'HRIS export' was applied by itself" in page.inner_text(".problems.fixes")

    # Bob's e-mail is wrong: the two good rows go now, his is kept to fix.
    page.click("text=Send the 2 valid rows only, hold back 1")
    page.wait_for_selector("#status [data-state='imported']", timeout=60_000)
    status = page.inner_text("#status")
    assert "2 rows without errors are sent" in status and "1 row with errors was held back" in status
    assert "Every row sent is in Talkdesk WFM." in status
    with page.expect_download() as download:
        page.click("[data-held-link]")
    held = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert held[0] == "Employee,Mail addr,Day,Begins,Ends,Kind,Site,Problem"
    assert held[1].startswith("Bob Wilson,bob.wilson@example,") and "is not a valid e-mail address" in held[1]
    (sent,) = stack_embedded.simulator.ledger(account="acme")["uploads"]
    assert sent["sha256"] == hashlib.sha256(TWO_GOOD_ROWS).hexdigest()


def test_a_planner_fixes_a_cell_and_renames_an_event_type_in_the_browser_and_sends_the_file(
    page, stack_embedded, tmp_path
):
    schedule = tmp_path / "week-25.csv"
    schedule.write_text(
        "Agent Name,Agent Email,Start Time,End Time,Event Type Name\r\n"
        "John Smith,john.smith@example,09:00 2026-06-15,17:00 2026-06-15,Available for all channels\r\n"
        "John Smith,john.smith@example.com,12:00 2026-06-15,12:30 2026-06-15,Lunch break\r\n"
        "Jane Doe,jane.doe@example.com,12:30 2026-06-15,13:00 2026-06-15,Lunch break\r\n",
        newline="",
    )
    sign_in(page, stack_embedded)
    upload_file(page, stack_embedded, schedule)
    page.click("text=See every row of the file")
    assert page.inner_text("[data-counts]").startswith("3 errors")
    # The rows view draws the timeline too, each row with a problem outlined.
    page.wait_for_selector("#timeline rect[data-row='2'][stroke]")

    cell = page.locator("tr:has(td:text-is('2')) td[data-column='Agent Email']")
    cell.locator("summary").click()
    cell.locator("input[name=value]").fill("john.smith@example.com")
    with page.expect_response(lambda response: "/cells/" in response.url):
        cell.locator("button").click()
    page.wait_for_selector("[data-counts]:has-text('2 errors')")
    assert "revision 2 of the file" in page.inner_text("[data-counts]")
    # The timeline follows the fix without a reload: row 2 is no longer outlined.
    page.wait_for_selector("#timeline rect[data-row='2']:not([stroke])")
    assert page.locator("#timeline rect[data-row='3'][stroke]").count() == 1

    page.fill("input[name=find]", "Lunch break")
    page.select_option("select[name=column]", "Event Type Name")
    page.fill("input[name=replace]", "Lunch")
    page.click("text=Replace all")
    page.wait_for_selector("[data-counts]:has-text('0 errors')")
    assert "revision 3 of the file" in page.inner_text("[data-counts]")
    page.wait_for_selector("#timeline .legend:has-text('Lunch'):not(:has-text('Lunch break'))")
    assert page.locator("#timeline rect[data-row][stroke]").count() == 0

    page.click("h1 a")
    page.click("text=Confirm and send 3 rows")
    page.wait_for_selector("#status [data-state='imported']", timeout=60_000)
    sent = stack_embedded.simulator.ledger(account="acme")["uploads"][-1]
    assert (
        sent["sha256"]
        == hashlib.sha256(
            b"Agent Name,Agent Email,Start Time,End Time,Event Type Name\r\n"
            b"John Smith,john.smith@example.com,09:00 2026-06-15,17:00 2026-06-15,Available for all channels\r\n"
            b"John Smith,john.smith@example.com,12:00 2026-06-15,12:30 2026-06-15,Lunch\r\n"
            b"Jane Doe,jane.doe@example.com,12:30 2026-06-15,13:00 2026-06-15,Lunch\r\n"
        ).hexdigest()
    )

    page.click("text=Sign out")
    sign_in(page, stack_embedded, "admin")
    page.goto(stack_embedded.url + "/audit/")
    log = page.inner_text("body")
    assert "revision 2: row 2, Agent Email: 'john.smith@example' -> 'john.smith@example.com'" in log
    assert "revision 3: every 'Lunch break' in Event Type Name -> 'Lunch' (2 cells)" in log
