"""Each fault knob, set through the control plane, does what it says and
nothing else."""

import time

import pytest
import requests

from tests.simulator.conftest import EXAMPLE_CSV, csv_of


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_latency_slows_api_and_token_answers_but_not_the_control_plane(talkdesk, simulator):
    talkdesk.token()
    simulator.control.set_faults(latency_ms=400)
    response, seconds = timed(lambda: talkdesk.users())
    assert response.status_code == 200 and seconds >= 0.4
    _, seconds = timed(lambda: talkdesk.token_response())
    assert seconds >= 0.4
    _, seconds = timed(simulator.control.health)
    assert seconds < 0.3


def test_an_error_rate_of_one_fails_every_api_and_token_request_before_doing_anything(talkdesk, simulator):
    token = talkdesk.token()
    simulator.control.set_faults(error_rate=1)
    for response in (talkdesk.upload(token=token), talkdesk.users(token=token), talkdesk.token_response()):
        assert response.status_code in (500, 503)
        assert set(response.json()) == {"message"}
    assert simulator.control.ledger()["uploads"] == []
    assert simulator.control.health() == {"ok": True}


def test_an_error_rate_of_a_half_fails_some_requests_and_not_others(talkdesk, simulator):
    token = talkdesk.token()
    simulator.control.set_faults(error_rate=0.5)
    statuses = {talkdesk.users(token=token).status_code for _ in range(60)}
    assert statuses >= {200} and statuses & {500, 503}


def test_a_rate_limit_burst_answers_429_with_retry_after_then_lets_requests_through(talkdesk, simulator):
    token = talkdesk.token()
    simulator.control.set_faults(rate_limit_burst=2, retry_after_seconds=7)
    for _ in range(2):
        response = talkdesk.users(token=token)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert response.json() == {"message": "Rate limit exceeded. Please retry later."}
    assert talkdesk.users(token=token).status_code == 200


def test_a_rate_limit_burst_leaves_the_token_service_alone(talkdesk, simulator):
    simulator.control.set_faults(rate_limit_burst=1)
    assert talkdesk.token_response().status_code == 200
    assert simulator.control.faults()["rate_limit_burst"] == 1


def test_a_rate_limited_upload_is_not_recorded(talkdesk, simulator):
    simulator.control.set_faults(rate_limit_burst=1)
    assert talkdesk.upload().status_code == 429
    assert simulator.control.ledger()["uploads"] == []


def test_dropped_connections_get_no_answer_and_change_nothing(talkdesk, simulator):
    token = talkdesk.token()
    simulator.control.set_faults(drop_connections=2)
    with pytest.raises(requests.ConnectionError):
        talkdesk.upload(token=token)
    with pytest.raises(requests.ConnectionError):
        talkdesk.token_response()
    assert simulator.control.ledger()["uploads"] == []
    assert simulator.control.faults()["drop_connections"] == 0
    assert talkdesk.upload(token=token).status_code == 202


def test_a_drop_after_accept_records_the_import_but_loses_the_answer(talkdesk, simulator):
    simulator.control.set_faults(drop_after_accept=1)
    with pytest.raises(requests.ConnectionError):
        talkdesk.upload()
    (upload,) = simulator.control.ledger()["uploads"]
    assert simulator.control.remote_import(upload["import_id"])["account"] == "acme"
    # The import exists: it blocks the next upload of the account.
    assert talkdesk.upload().json()["code"] == "1580026"
    talkdesk.final(upload["import_id"])
    assert talkdesk.upload().status_code == 202
    assert len(simulator.control.ledger()["uploads"]) == 2


def test_a_drop_after_accept_is_not_spent_on_a_refused_upload(talkdesk, simulator):
    simulator.control.set_faults(drop_after_accept=1)
    assert talkdesk.upload(file_name="week.txt").status_code == 415
    assert simulator.control.faults()["drop_after_accept"] == 1


def test_latency_after_accept_records_the_upload_before_the_answer_leaves(talkdesk, simulator):
    simulator.control.set_faults(latency_after_accept_ms=3000)
    with pytest.raises(requests.Timeout):
        talkdesk.upload(timeout=1)
    (upload,) = simulator.control.ledger()["uploads"]
    assert upload["file_name"] == "week.csv"


def test_report_latency_slows_the_download_and_counts_it(talkdesk, simulator):
    content = csv_of("Nobody,nobody@example.com,09:00 2026-06-01,17:00 2026-06-01,Break")
    import_id = talkdesk.accepted(content)
    url = talkdesk.final(import_id)["error_report_url"]
    simulator.control.set_faults(report_latency_ms=400)
    response, seconds = timed(lambda: requests.get(url, timeout=10))
    assert response.status_code == 200 and seconds >= 0.4
    assert simulator.control.remote_import(import_id)["report_downloads"] == 1


def test_processing_forever_keeps_new_imports_processing_and_blocks_the_account(talkdesk, simulator):
    simulator.control.set_faults(processing_forever=True)
    import_id = talkdesk.accepted()
    time.sleep(1.0)
    assert talkdesk.status(import_id).json()["status"] == "PROCESSING"
    assert talkdesk.upload().status_code == 409
    simulator.control.set_faults(processing_forever=False)
    # Only new imports are affected by the knob, both ways.
    assert talkdesk.status(import_id).json()["status"] == "PROCESSING"


def test_processing_seconds_overrides_the_configured_time(talkdesk, simulator):
    simulator.control.set_faults(processing_seconds=5)
    import_id = talkdesk.accepted()
    time.sleep(1.0)
    assert talkdesk.status(import_id).json()["status"] == "PROCESSING"
    simulator.control.reset()
    simulator.control.set_faults(processing_seconds=0)
    import_id = talkdesk.accepted()
    _, seconds = timed(lambda: talkdesk.final(import_id))
    assert seconds < 0.4


def test_final_status_error_fails_a_perfect_file(talkdesk, simulator):
    simulator.control.set_faults(final_status="ERROR")
    assert talkdesk.final(talkdesk.accepted(EXAMPLE_CSV))["status"] == "ERROR"
    simulator.control.set_faults(final_status=None)
    content = csv_of("John Smith,john.smith@example.com,09:00 2026-06-02,17:00 2026-06-02,Break")
    assert talkdesk.final(talkdesk.accepted(content))["status"] == "IMPORTED"


def test_report_link_ttl_seconds_shortens_the_links_life(talkdesk, simulator):
    simulator.control.set_faults(report_link_ttl_seconds=30)
    content = csv_of("Nobody,nobody@example.com,09:00 2026-06-01,17:00 2026-06-01,Break")
    body = talkdesk.final(talkdesk.accepted(content))
    expires = int(body["error_report_url"].split("expires=")[1].split("&")[0])
    assert 29 <= expires - time.time() <= 31


def test_faults_do_not_touch_the_report_download(talkdesk, simulator):
    content = csv_of("Nobody,nobody@example.com,09:00 2026-06-01,17:00 2026-06-01,Break")
    url = talkdesk.final(talkdesk.accepted(content))["error_report_url"]
    simulator.control.set_faults(error_rate=1, drop_connections=1, latency_ms=1000)
    response, seconds = timed(lambda: requests.get(url, timeout=10))
    assert response.status_code == 200 and seconds < 0.5


@pytest.mark.parametrize(
    ("kind", "status", "content_type", "body"),
    [
        ("html", 200, "text/html; charset=utf-8", "<title>502 Bad Gateway</title>"),
        ("not_json", 200, "text/plain; charset=utf-8", "OK"),
        ("unknown_status", 200, "application/json", '"status": "QUEUED"'),
        ("not_found", 404, "application/json", '"code": "1580001"'),
    ],
)
def test_odd_status_answers_answer_the_next_status_reads_outside_the_contract_then_stop(
    talkdesk, simulator, kind, status, content_type, body
):
    import_id = talkdesk.accepted()
    simulator.control.set_faults(odd_status_answers=2, odd_status_kind=kind)
    for _ in range(2):
        response = talkdesk.status(import_id)
        assert (response.status_code, response.headers["Content-Type"]) == (status, content_type)
        assert body in response.text
    assert talkdesk.status(import_id).json()["id"] == import_id
    assert simulator.control.faults()["odd_status_answers"] == 0
    assert [u["import_id"] for u in simulator.control.ledger()["uploads"]] == [import_id]
