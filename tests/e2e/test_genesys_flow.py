"""Genesys Cloud in a real browser, against the whole portal started as in
production (gunicorn, a Celery worker and beat, the simulator as its own
process; the embedded default, so that no shared Redis database is used):
an admin tests and syncs the demo Genesys connection, a planner uploads the
same example file, sees its agents and activity codes checked, sends it and
watches it imported, one simulator import per week."""

from pathlib import Path

import pytest

from tests.e2e.test_browser_flow import EXAMPLES, sign_in, wait_for_state

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

GENESYS_TEAM = "Demo team (Genesys Cloud)"


@pytest.fixture
def synced(stack_embedded):
    """The demo connections' agents and activity codes read, as an admin's
    "Sync agents now" does (seeding again is safe)."""
    stack_embedded.manage(
        "seed_demo",
        "--simulator-url",
        stack_embedded.simulator_url,
        "--password",
        stack_embedded.password,
        "--sync-agents",
    )
    return stack_embedded


def test_an_admin_tests_and_syncs_the_genesys_connection(page, stack_embedded):
    sign_in(page, stack_embedded, user="admin")
    page.goto(stack_embedded.url + "/connections/")
    card = page.locator("section.connection", has_text="Demo Genesys Cloud (simulator)")
    card.locator("button", has_text="Test connection").click()
    result = card.locator(".test-result")
    result.locator("text=Signed in to Genesys Cloud business unit").wait_for()
    assert "every permission the portal needs" in result.inner_text()
    assert "/api/v2/wfm/schedules/import" in result.inner_text()
    card.locator("button", has_text="Sync agents now").click()
    page.locator(".flash", has_text="active agents synced from Genesys Cloud").wait_for()
    card = page.locator("section.connection", has_text="Demo Genesys Cloud (simulator)")
    assert "Acme Support" in card.inner_text()
    assert "start on Monday, America/New_York" in card.inner_text()


def _upload_for_genesys(page, stack, path: Path):
    page.goto(stack.url + "/imports/new/")
    page.select_option("select[name=team]", label=f"{GENESYS_TEAM} → Genesys Cloud business unit Acme Support")
    page.locator("input[name=published]").wait_for()
    page.set_input_files("input[type=file]", str(path))
    page.click("text=Check the file")
    page.wait_for_selector("h2:has-text('Summary')")


def test_a_planner_sends_the_example_to_genesys_and_sees_it_imported(page, synced, stack_embedded):
    sign_in(page, stack_embedded)
    _upload_for_genesys(page, stack_embedded, EXAMPLES / "schedule-example.csv")
    assert page.inner_text("[data-summary=rows]") == "3"
    assert "No problems found" in page.inner_text(".checks")
    assert "one import per business unit week" in page.inner_text("body")
    page.click("text=Confirm and send 3 rows")
    wait_for_state(page, "imported")
    assert "Every row is in Genesys Cloud." in page.inner_text("#status")
    ledger = stack_embedded.simulator.genesys_ledger()["imports"]
    assert [(entry["week_id"], entry["published"], entry["agents"]) for entry in ledger] == [("2026-06-01", True, 3)]


def test_a_planner_sees_unknown_agents_and_activity_codes_with_suggestions(page, synced, stack_embedded, tmp_path):
    path = tmp_path / "mistakes.csv"
    path.write_text(
        "Agent Name,Agent Email,Start Time,End Time,Event Type Name\r\n"
        "John Smith,john.smith@example.com,09:00 2026-06-08,17:00 2026-06-08,Available for all channels\r\n"
        "John Smith,john.smith@example.com,12:00 2026-06-08,12:30 2026-06-08,Brake\r\n"
        "Jane Doe,jane.doe@exmple.com,08:00 2026-06-08,16:00 2026-06-08,Available for all channels\r\n"
    )
    sign_in(page, stack_embedded)
    _upload_for_genesys(page, stack_embedded, path)
    checks = page.inner_text(".checks")
    assert "'Brake' is not an activity code of this Genesys Cloud business unit. Did you mean 'Break'?" in checks
    assert "jane.doe@exmple.com is not an active agent of this Genesys Cloud business unit" in checks
    assert "Did you mean jane.doe@example.com" in checks
    assert page.locator("text=Confirm and send").count() == 0
