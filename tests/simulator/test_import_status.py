"""GET /wfm/aion/v1/schedules/event-imports/{id} and the pre-signed error
report behind it."""

import csv
import io
import re
import time
import uuid
from datetime import UTC, datetime

import requests

from tests.simulator.conftest import EXAMPLE_CSV, csv_of, secret_of

UNKNOWN_AGENTS = csv_of(
    "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels",
    "Tom Baker,tom.baker@example.com,09:00 2026-06-01,17:00 2026-06-01,Break",
    "Jane Doe,JANE.DOE@example.com,08:00 2026-06-01,16:00 2026-06-01,Lunch",
    "Nobody,nobody@example.com,08:00 2026-06-01,16:00 2026-06-01,Lunchh",
    "",
    "Bob Wilson,bob.wilson@example.com,9:00 2026-06-01,17:00 2026-06-01,Break",
)


def report_rows(url: str) -> list[dict]:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_a_new_import_is_processing_then_imported(talkdesk):
    import_id = talkdesk.accepted(EXAMPLE_CSV)
    assert talkdesk.status(import_id).json() == {"id": import_id, "status": "PROCESSING"}
    time.sleep(0.6)
    assert talkdesk.status(import_id).json() == {"id": import_id, "status": "IMPORTED"}


def test_an_import_with_failed_rows_ends_imported_with_errors_and_a_report_link(talkdesk, simulator):
    import_id = talkdesk.accepted(UNKNOWN_AGENTS)
    body = talkdesk.final(import_id)
    assert body["status"] == "IMPORTED_WITH_ERRORS"
    assert set(body) == {"id", "status", "error_report_url", "error_report_expires_at"}
    assert re.fullmatch(
        rf"{re.escape(simulator.base_url)}/reports/{import_id}/schedule_event_import_errors\.csv\?expires=\d+&signature=[0-9a-f]{{64}}",
        body["error_report_url"],
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["error_report_expires_at"])
    lifetime = datetime.fromisoformat(body["error_report_expires_at"].replace("Z", "+00:00")) - datetime.now(UTC)
    assert 595 <= lifetime.total_seconds() <= 601


def test_the_report_lists_the_failed_rows_with_their_row_number_and_reason(talkdesk):
    body = talkdesk.final(talkdesk.accepted(UNKNOWN_AGENTS))
    rows = report_rows(body["error_report_url"])
    assert list(rows[0]) == ["Agent Name", "Agent Email", "Start Time", "End Time", "Event Type Name", "Row", "Error"]
    assert [(r["Row"], r["Agent Email"], r["Error"]) for r in rows] == [
        ("3", "tom.baker@example.com", "Agent email not found or not active: tom.baker@example.com"),
        (
            "5",
            "nobody@example.com",
            "Agent email not found or not active: nobody@example.com; Event type not found: Lunchh",
        ),
        ("7", "bob.wilson@example.com", "Invalid Start Time for format HH:mm yyyy-MM-dd: 9:00 2026-06-01"),
    ]


def test_every_row_failing_is_still_imported_with_errors(talkdesk):
    content = csv_of("Nobody,nobody@example.com,09:00 2026-06-01,17:00 2026-06-01,Break")
    assert talkdesk.final(talkdesk.accepted(content))["status"] == "IMPORTED_WITH_ERRORS"


def test_a_file_without_data_rows_ends_in_error(talkdesk):
    body = talkdesk.final(talkdesk.accepted(csv_of()))
    assert body == {"id": body["id"], "status": "ERROR"}


def test_an_event_ending_before_it_starts_fails(talkdesk, simulator):
    content = csv_of("John Smith,john.smith@example.com,17:00 2026-06-01,09:00 2026-06-01,Meeting")
    import_id = talkdesk.accepted(content)
    talkdesk.final(import_id)
    assert simulator.control.remote_import(import_id)["errors"] == [
        {"row": 2, "error": "End Time must be after Start Time: 17:00 2026-06-01 to 09:00 2026-06-01"}
    ]


def test_every_status_answer_carries_a_fresh_report_link(talkdesk):
    import_id = talkdesk.accepted(UNKNOWN_AGENTS)
    first = talkdesk.final(import_id)
    time.sleep(1.1)
    second = talkdesk.status(import_id).json()
    assert second["error_report_url"] != first["error_report_url"]
    assert second["error_report_expires_at"] > first["error_report_expires_at"]


def test_the_report_link_needs_no_token_but_refuses_a_bad_signature(talkdesk):
    url = talkdesk.final(talkdesk.accepted(UNKNOWN_AGENTS))["error_report_url"]
    assert requests.get(url, timeout=10).status_code == 200
    forged = url[:-1] + ("0" if not url.endswith("0") else "1")
    response = requests.get(forged, timeout=10)
    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    unsigned = requests.get(url.split("?")[0], timeout=10)
    assert unsigned.status_code == 403 and "AccessDenied" in unsigned.text


def test_the_report_link_expires(talkdesk, simulator):
    simulator.control.set_faults(report_link_ttl_seconds=1)
    body = talkdesk.final(talkdesk.accepted(UNKNOWN_AGENTS))
    expires_at = datetime.fromisoformat(body["error_report_expires_at"].replace("Z", "+00:00")).timestamp()
    assert expires_at - time.time() <= 2
    assert requests.get(body["error_report_url"], timeout=10).status_code == 200
    time.sleep(max(0.0, expires_at - time.time()) + 0.2)
    expired = requests.get(body["error_report_url"], timeout=10)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code>" in expired.text and "Request has expired" in expired.text
    assert requests.get(talkdesk.status(body["id"]).json()["error_report_url"], timeout=10).status_code == 200


def test_a_link_outliving_a_reset_finds_no_report(talkdesk, simulator):
    url = talkdesk.final(talkdesk.accepted(UNKNOWN_AGENTS))["error_report_url"]
    simulator.control.reset()
    response = requests.get(url, timeout=10)
    assert response.status_code == 404 and "NoSuchKey" in response.text


def test_an_unknown_import_is_not_found(talkdesk):
    response = talkdesk.status(str(uuid.uuid4()))
    assert response.status_code == 404
    assert response.json() == {"code": "1580001", "message": "Not found."}


def test_an_id_that_is_not_a_uuid_is_not_found(talkdesk):
    for import_id in ("42", "not-a-uuid", "550e8400e29b41d4a716446655440000"):
        assert talkdesk.status(import_id).json()["code"] == "1580001"


def test_an_id_in_upper_case_finds_the_import(talkdesk):
    import_id = talkdesk.accepted()
    assert talkdesk.status(import_id.upper()).json()["id"] == import_id


def test_another_accounts_import_is_not_found(talkdesk):
    import_id = talkdesk.accepted(token="acme")
    assert talkdesk.status(import_id, token="globex").json() == {"code": "1580001", "message": "Not found."}


def test_reading_a_status_needs_a_token(talkdesk):
    import_id = talkdesk.accepted()
    response = talkdesk.status(import_id, token=None)
    assert response.status_code == 401
    assert response.json() == {"code": "1580005", "message": "Invalid authentication."}


def test_reading_a_status_needs_the_read_scope(talkdesk):
    import_id = talkdesk.accepted()
    no_read = requests.post(
        f"{talkdesk.base_url}/acme/oauth/token",
        data={"grant_type": "client_credentials", "scope": "wfm-public:write"},
        auth=("demo-portal", secret_of("acme", "demo-portal")),
        timeout=10,
    ).json()["access_token"]
    response = talkdesk.status(import_id, token=no_read)
    assert response.status_code == 403
    assert response.json() == {"message": "Insufficient permissions to perform this operation."}


def test_the_read_only_client_may_read_a_status(talkdesk):
    import_id = talkdesk.accepted()
    assert talkdesk.status(import_id, token=talkdesk.token("acme", "demo-readonly")).status_code == 200
