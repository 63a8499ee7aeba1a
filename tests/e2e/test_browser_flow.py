"""A planner in a real browser, against the whole portal started as in
production: gunicorn, a Celery worker and beat, and the simulator as its own
process. Once on PostgreSQL + Redis, once on the embedded default."""

import re
from pathlib import Path

import pytest

from tests.fixtures.examples import unsent_copy

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def sign_in(page, stack, user="planner"):
    page.goto(stack.url + "/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", stack.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/imports/")


def upload(page, stack, name):
    page.goto(stack.url + "/imports/new/")
    page.set_input_files("input[type=file]", {"name": name, "mimeType": "text/csv", "buffer": unsent_copy(name)})
    page.click("text=Check the file")
    page.wait_for_selector("h2:has-text('Summary')")


def wait_for_state(page, state, seconds=60):
    page.wait_for_selector(f"#status [data-state='{state}']", timeout=seconds * 1000)


def test_a_planner_imports_the_specs_example(page, stack_postgres):
    sign_in(page, stack_postgres)
    upload(page, stack_postgres, "schedule-example.csv")
    assert page.inner_text("[data-summary=rows]") == "3"
    assert "No problems found" in page.inner_text(".checks")
    page.click("text=Confirm and send 3 rows")
    wait_for_state(page, "imported")
    assert "Every row is in Talkdesk WFM." in page.inner_text("#status")
    ledger = stack_postgres.simulator.ledger(account="acme")
    assert len(ledger["uploads"]) == 1


def test_a_planner_reads_which_rows_failed_after_talkdesks_link_expired(page, stack_postgres, tmp_path):
    stack_postgres.simulator.set_faults(report_link_ttl_seconds=1)
    sign_in(page, stack_postgres)
    upload(page, stack_postgres, "schedule-unknown-agents.csv")
    page.click("text=Confirm and send 5 rows")
    wait_for_state(page, "imported_with_errors")
    page.wait_for_timeout(1500)  # Talkdesk's link is dead by now; the portal's copy is not.
    page.reload()
    failed = page.inner_text("#failed-rows")
    assert "carla.mendes@example.com" in failed and "dan.okafor@example.com" in failed
    assert "john.smith@example.com" not in failed
    rows = [cell.inner_text() for cell in page.query_selector_all("#failed-rows tbody tr td:first-child")]
    assert rows == ["4", "6"]
    with page.expect_download() as download:
        page.click("[data-report-link]")
    report = Path(download.value.path()).read_text()
    assert "carla.mendes@example.com" in report
    page.screenshot(path=str(tmp_path / "imported-with-errors.png"), full_page=True)


def test_the_same_flow_runs_on_the_embedded_default(page, stack_embedded):
    sign_in(page, stack_embedded)
    upload(page, stack_embedded, "schedule-unknown-agents.csv")
    page.click("text=Confirm and send 5 rows")
    wait_for_state(page, "imported_with_errors")
    assert "carla.mendes@example.com" in page.inner_text("#failed-rows")
    page.goto(stack_embedded.url + "/imports/")
    assert "Imported with errors" in page.inner_text("#history")


def test_the_browser_revalidates_an_unchanged_live_status_instead_of_fetching_it(page, stack_postgres):
    stack_postgres.simulator.set_faults(processing_forever=True)
    try:
        sign_in(page, stack_postgres)
        upload(page, stack_postgres, "schedule-example.csv")
        page.click("text=Confirm and send 3 rows")
        wait_for_state(page, "processing")
        polls = []
        page.on("request", lambda request: "fragment=status" in request.url and polls.append(request))
        page.wait_for_timeout(7000)
        assert len(polls) >= 3
        assert all("if-none-match" in poll.all_headers() for poll in polls)
        # Playwright reports the copy the browser kept; the server's log says
        # what was sent: nothing but "not modified".
        answers = re.findall(r'"GET /imports/[^ ]+fragment=status HTTP/1.1" (\d{3})', stack_postgres.log("web"))
        assert answers[-3:] == ["304"] * 3
        wait_for_state(page, "processing")
    finally:
        stack_postgres.simulator.set_faults(processing_forever=False)
