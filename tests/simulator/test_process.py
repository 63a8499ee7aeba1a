"""The simulator as a process: how it starts, what it refuses to start
with, its request log, and the rate limit of its configuration."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.simulator.conftest import CONFIG, Talkdesk, csv_of, secret_of

ROOT = Path(__file__).resolve().parents[2]


def run_simulator(*args, timeout=15):
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_it_prints_one_listening_line_and_binds_to_loopback(simulator):
    assert simulator.base_url.startswith("http://127.0.0.1:")
    assert requests.get(simulator.base_url + "/_simulator/health", timeout=10).json() == {"ok": True}


def test_it_starts_with_the_packaged_demo_config_when_given_none():
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("Talkdesk simulator listening on http://127.0.0.1:")
        base_url = line.rsplit(" ", 1)[1]
        response = requests.post(
            f"{base_url}/acme/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-portal", "demo-secret-not-a-real-credential"),
            timeout=10,
        )
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_it_refuses_a_config_that_is_not_json(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run_simulator("--port", "0", "--config", str(bad))
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr
    assert result.stdout == ""


def test_it_refuses_a_config_with_an_unknown_scope_and_says_where(tmp_path):
    config = json.loads(json.dumps(CONFIG))
    config["accounts"]["acme"]["clients"][0]["scopes"] = ["wfm-public:wrte"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(config))
    result = run_simulator("--port", "0", "--config", str(bad))
    assert result.returncode == 2
    assert "accounts.acme.clients[0].scopes" in result.stderr and "wfm-public:wrte" in result.stderr


def test_it_refuses_a_missing_config_file(tmp_path):
    result = run_simulator("--port", "0", "--config", str(tmp_path / "absent.json"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_it_refuses_a_bad_fault_in_the_config(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**CONFIG, "faults": {"error_rate": 2}}))
    result = run_simulator("--port", "0", "--config", str(bad))
    assert result.returncode == 2
    assert "error_rate" in result.stderr


def test_the_rate_limit_of_the_config_answers_429_per_account(strict_simulator):
    strict_simulator.control.reset()
    acme, globex = Talkdesk(strict_simulator.base_url), Talkdesk(strict_simulator.base_url)
    acme_token, globex_token = acme.token(), globex.token("globex")
    assert [acme.users(token=acme_token).status_code for _ in range(3)] == [200, 200, 200]
    refused = acme.users(token=acme_token)
    assert refused.status_code == 429
    assert refused.json() == {"message": "Rate limit exceeded. Please retry later."}
    assert 1 <= int(refused.headers["Retry-After"]) <= 2
    assert globex.users(token=globex_token).status_code == 200
    time.sleep(int(refused.headers["Retry-After"]))
    assert acme.users(token=acme.token_response().json()["access_token"]).status_code == 200


def test_faults_in_the_config_are_the_resting_knobs(strict_simulator):
    strict_simulator.control.set_faults(retry_after_seconds=9)
    strict_simulator.control.reset()
    assert strict_simulator.control.faults()["retry_after_seconds"] == 3


def test_the_request_log_has_one_line_per_request_and_no_secret(strict_simulator):
    strict_simulator.control.reset()
    client = Talkdesk(strict_simulator.base_url)
    token = client.token()
    import_id = client.accepted(
        csv_of("Nobody,nobody@example.com,09:00 2026-06-01,17:00 2026-06-01,Break"), token=token
    )
    time.sleep(0.4)
    status = client.status(import_id, token=client.token_response().json()["access_token"]).json()
    assert requests.get(status["error_report_url"], timeout=10).status_code == 200
    log = strict_simulator.log_path.read_text()
    assert "POST /acme/oauth/token 200" in log
    assert "POST /wfm/aion/v1/schedules/event-imports 202" in log
    line = next(
        line
        for line in log.splitlines()
        if line.startswith(f"GET /wfm/aion/v1/schedules/event-imports/{import_id} 200")
    )
    assert line.endswith("account=acme") and "ms " in line
    assert f"GET /reports/{import_id}/schedule_event_import_errors.csv 200" in log
    signature = status["error_report_url"].split("signature=")[1]
    for secret in (token, secret_of("acme", "demo-portal"), signature, "signature=", "Bearer"):
        assert secret not in log


def test_a_client_that_hung_up_before_the_answer_is_logged_as_gone_without_a_traceback(strict_simulator):
    strict_simulator.control.reset()
    strict_simulator.control.set_faults(latency_ms=1500)
    try:
        with pytest.raises(requests.Timeout):
            requests.get(f"{strict_simulator.base_url}/users", timeout=0.5)
        deadline = time.monotonic() + 5
        while "client-gone" not in strict_simulator.log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        strict_simulator.control.reset()
    log = strict_simulator.log_path.read_text()
    assert any(line.startswith("GET /users 401 ") and line.endswith("client-gone") for line in log.splitlines())
    assert "Traceback" not in log
