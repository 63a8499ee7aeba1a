"""/_simulator/: health, ledger, the requests being handled, the
simulator's view of an import, the fault knobs and reset."""

import threading
import time

import pytest
import requests

from simulator.control import SimulatorControlError
from tests.simulator.conftest import csv_of


def test_it_answers_health(simulator):
    assert simulator.control.health() == {"ok": True}


def test_the_ledger_can_be_filtered_by_account(talkdesk, simulator):
    acme = talkdesk.accepted(token="acme")
    globex = talkdesk.accepted(
        csv_of("Hank Scorpio,hank.scorpio@example.com,09:00 2026-06-01,17:00 2026-06-01,Break"), token="globex"
    )
    assert [u["import_id"] for u in simulator.control.ledger()["uploads"]] == [acme, globex]
    assert [u["import_id"] for u in simulator.control.ledger(account="globex")["uploads"]] == [globex]
    assert simulator.control.ledger(account="initech")["uploads"] == []


def test_it_shows_its_own_view_of_an_import(talkdesk, simulator):
    content = csv_of(
        "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Break",
        "Nobody,nobody@example.com,09:00 2026-06-01,17:00 2026-06-01,Break",
    )
    import_id = talkdesk.accepted(content, file_name="mix.csv", time_zone="Europe/Lisbon")
    talkdesk.final(import_id)
    view = simulator.control.remote_import(import_id)
    assert view["account"] == "acme"
    assert (view["file_name"], view["time_zone"], view["date_format"]) == (
        "mix.csv",
        "Europe/Lisbon",
        "HH:mm yyyy-MM-dd",
    )
    assert (view["status"], view["rows"], view["failed_rows"]) == ("IMPORTED_WITH_ERRORS", 2, 1)
    assert view["errors"] == [{"row": 3, "error": "Agent email not found or not active: nobody@example.com"}]


def test_an_unknown_import_is_a_control_plane_404(simulator):
    with pytest.raises(SimulatorControlError) as refused:
        simulator.control.remote_import("nope")
    assert refused.value.status == 404


def test_faults_merge_into_the_current_knobs(simulator):
    defaults = simulator.control.faults()
    assert defaults == {
        "latency_ms": 0,
        "error_rate": 0.0,
        "rate_limit_burst": 0,
        "retry_after_seconds": 1,
        "drop_connections": 0,
        "drop_after_accept": 0,
        "latency_after_accept_ms": 0,
        "report_latency_ms": 0,
        "processing_forever": False,
        "processing_seconds": None,
        "report_link_ttl_seconds": None,
        "final_status": None,
        "odd_status_answers": 0,
        "odd_status_kind": "html",
    }
    simulator.control.set_faults(latency_ms=5)
    knobs = simulator.control.set_faults(error_rate=0.25)
    assert knobs == {**defaults, "latency_ms": 5, "error_rate": 0.25}
    assert simulator.control.faults() == knobs


@pytest.mark.parametrize(
    "knobs",
    [
        {"no_such_knob": 1},
        {"latency_ms": -1},
        {"latency_ms": True},
        {"latency_after_accept_ms": -5},
        {"report_latency_ms": 0.5},
        {"error_rate": 1.5},
        {"rate_limit_burst": 1.5},
        {"processing_forever": "yes"},
        {"processing_seconds": -1},
        {"report_link_ttl_seconds": 0},
        {"final_status": "IMPORTED"},
        {"odd_status_answers": -1},
        {"odd_status_kind": "QUEUED"},
    ],
)
def test_it_refuses_a_bad_fault_update_whole(simulator, knobs):
    with pytest.raises(SimulatorControlError) as refused:
        simulator.control.set_faults(**{"retry_after_seconds": 7, **knobs})
    assert refused.value.status == 400
    assert simulator.control.faults()["retry_after_seconds"] == 1


def test_it_refuses_a_fault_body_that_is_not_a_json_object(simulator):
    for body in (b"[1]", b"not json"):
        response = requests.post(f"{simulator.base_url}/_simulator/faults", data=body, timeout=10)
        assert response.status_code == 400 and "message" in response.json()


def test_reset_clears_imports_ledger_faults_and_rate_limits(talkdesk, simulator):
    import_id = talkdesk.accepted()
    simulator.control.set_faults(latency_ms=10, processing_forever=True)
    simulator.control.reset()
    assert simulator.control.ledger()["uploads"] == []
    assert simulator.control.faults()["latency_ms"] == 0
    assert talkdesk.status(import_id).status_code == 404
    assert talkdesk.upload().status_code == 202


def test_unknown_paths_are_404_json(simulator):
    for path in ("/", "/wfm/aion/v1/schedules", "/_simulator/nothing", "/users/1"):
        response = requests.get(simulator.base_url + path, timeout=10)
        assert response.status_code == 404, path
        assert response.json() == {"message": "Not found."}


def test_a_wrong_method_is_405_with_the_allowed_ones(talkdesk, simulator):
    for method, path, allowed in (
        ("GET", "/wfm/aion/v1/schedules/event-imports", "POST"),
        ("DELETE", "/wfm/aion/v1/schedules/event-imports/550e8400-e29b-41d4-a716-446655440000", "GET"),
        ("GET", "/acme/oauth/token", "POST"),
        ("PUT", "/_simulator/faults", "GET, POST"),
        ("GET", "/_simulator/reset", "POST"),
    ):
        response = requests.request(method, simulator.base_url + path, timeout=10)
        assert response.status_code == 405, (method, path)
        assert response.headers["Allow"] == allowed
        assert response.json() == {"message": "Method not allowed."}


def test_it_lists_the_requests_it_is_handling_through_their_latency(talkdesk, simulator):
    talkdesk.token()
    simulator.control.set_faults(latency_ms=1000)
    slow = threading.Thread(target=talkdesk.users)
    slow.start()
    try:
        deadline = time.monotonic() + 5
        while not simulator.control.requests_in_progress() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [(r["method"], r["path"]) for r in simulator.control.requests_in_progress()] == [("GET", "/users")]
    finally:
        slow.join()
    assert simulator.control.requests_in_progress() == []
