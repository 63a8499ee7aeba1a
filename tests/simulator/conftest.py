"""Helpers that speak to the simulator subprocess over real HTTP, the way a
Talkdesk client would."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from tests.fixtures.simulator import start_simulator, stop_simulator

CONFIG = json.loads((Path(__file__).parents[1] / "data" / "simulator.json").read_text())
IMPORTS = "/wfm/aion/v1/schedules/event-imports"
HEADER = "Agent Name,Agent Email,Start Time,End Time,Event Type Name"
# The spec's own example file.
EXAMPLE_CSV = (
    f"{HEADER}\r\n"
    "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels\r\n"
    "Jane Doe,jane.doe@example.com,08:00 2026-06-01,16:00 2026-06-01,Available for all channels\r\n"
    "Bob Wilson,bob.wilson@example.com,12:00 2026-06-01,12:30 2026-06-01,Break\r\n"
).encode()


def secret_of(account: str, client_id: str) -> str:
    return next(c["client_secret"] for c in CONFIG["accounts"][account]["clients"] if c["client_id"] == client_id)


def csv_of(*rows: str, header: str = HEADER) -> bytes:
    return "".join(f"{line}\r\n" for line in (header, *rows)).encode()


class Talkdesk:
    """A minimal Talkdesk client for the tests, with nothing hidden.

    Where a method takes `token`, an account name means "a token of that
    account's all-scopes client"; anything else is sent as the token itself,
    and None sends no Authorization header at all."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self._tokens: dict[tuple[str, str], str] = {}

    def token_response(self, account="acme", client_id="demo-portal", secret=None, **form) -> requests.Response:
        return requests.post(
            f"{self.base_url}/{account}/oauth/token",
            data={"grant_type": "client_credentials", **form},
            auth=(client_id, secret if secret is not None else secret_of(account, client_id)),
            timeout=10,
        )

    def token(self, account="acme", client_id=None) -> str:
        # Each account's first client is the one with every scope.
        client_id = client_id or CONFIG["accounts"][account]["clients"][0]["client_id"]
        key = (account, client_id)
        if key not in self._tokens:
            response = self.token_response(account, client_id)
            assert response.status_code == 200, response.text
            self._tokens[key] = response.json()["access_token"]
        return self._tokens[key]

    def auth(self, token: str | None) -> dict:
        return {"Authorization": f"Bearer {token}"} if token else {}

    def upload(
        self,
        content: bytes = EXAMPLE_CSV,
        *,
        token="acme",
        file_name="week.csv",
        time_zone="UTC",
        date_format=None,
        omit=(),
        timeout=30,
        **kwargs,
    ) -> requests.Response:
        token = self.token(token) if token in CONFIG["accounts"] else token
        fields = {"file_name": file_name, "time_zone": time_zone}
        if date_format is not None:
            fields["date_format"] = date_format
        # Every field as a part of its own, so the body stays multipart whatever is omitted.
        parts = {"csv_file": (file_name, content, "text/csv"), **{k: (None, v) for k, v in fields.items()}}
        return requests.post(
            self.base_url + IMPORTS,
            headers=self.auth(token),
            files={k: v for k, v in parts.items() if k not in omit},
            timeout=timeout,
            **kwargs,
        )

    def accepted(self, content: bytes = EXAMPLE_CSV, **kwargs) -> str:
        response = self.upload(content, **kwargs)
        assert response.status_code == 202, response.text
        return response.headers["Location"].rsplit("/", 1)[1]

    def status(self, import_id: str, *, token="acme") -> requests.Response:
        token = self.token(token) if token in CONFIG["accounts"] else token
        return requests.get(f"{self.base_url}{IMPORTS}/{import_id}", headers=self.auth(token), timeout=10)

    def final(self, import_id: str, *, token="acme", seconds: float = 10) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            body = self.status(import_id, token=token).json()
            if body["status"] != "PROCESSING":
                return body
            time.sleep(0.1)
        raise AssertionError(f"import {import_id} still PROCESSING after {seconds} s")

    def users(self, *, token="acme", **params) -> requests.Response:
        token = self.token(token) if token in CONFIG["accounts"] else token
        return requests.get(f"{self.base_url}/users", headers=self.auth(token), params=params, timeout=10)


@pytest.fixture
def talkdesk(simulator) -> Talkdesk:
    return Talkdesk(simulator.base_url)


@pytest.fixture(scope="module")
def strict_simulator(tmp_path_factory):
    """A second simulator whose tokens live one second, whose rate limit is
    three requests per two seconds, with resting faults in its config, and
    whose request log is kept in a file."""
    folder = tmp_path_factory.mktemp("strict-simulator")
    config = {
        **CONFIG,
        "token_ttl_seconds": 1,
        "processing_seconds": 0.2,
        "rate_limit": {"requests": 3, "per_seconds": 2},
        "faults": {"retry_after_seconds": 3},
    }
    (folder / "config.json").write_text(json.dumps(config))
    running = start_simulator(folder / "config.json", stderr_path=folder / "stderr.log")
    running.log_path = folder / "stderr.log"
    yield running
    stop_simulator(running)
