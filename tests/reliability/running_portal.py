"""The running portal as the reliability tests see it: people using its pages
over HTTP, its database read directly, and the means to break its processes,
its broker and its database."""

from __future__ import annotations

import html
import re
import subprocess
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import psycopg
import requests
from django.db import connections

from tests.fixtures.stack import Stack

FINAL_STATES = {"imported", "imported_with_errors", "error", "failed", "stalled", "cancelled"}
SETTLED_STATES = FINAL_STATES | {"needs_attention"}
HEADER = "Agent Name,Agent Email,Start Time,End Time,Event Type Name"
# Talkdesk's paths, as the simulator logs and lists them.
TOKEN_PATH = "/acme/oauth/token"
IMPORTS_PATH = "/wfm/aion/v1/schedules/event-imports"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DEMO_TEAM = "Demo team"
GENESYS_TEAM = "Demo team (Genesys Cloud)"
_STATE = re.compile(r'<span class="badge state-[\w-]+" data-state="([\w-]+)">')
_MESSAGE = re.compile(r'<p class="message state-[\w-]+">(.*?)</p>', re.S)


def schedule(day: int, *, unknown_agents: bool = False) -> bytes:
    """A small valid week for the demo account, on its own day so that each
    file's bytes differ; with unknown agents, Talkdesk rejects two rows."""
    when = (date(2026, 6, 1) + timedelta(days=day)).isoformat()
    rows = [
        HEADER,
        f"John Smith,john.smith@example.com,09:00 {when},17:00 {when},Available for all channels",
        f"Jane Doe,jane.doe@example.com,08:00 {when},16:00 {when},Available for all channels",
        f"Bob Wilson,bob.wilson@example.com,12:00 {when},12:30 {when},Break",
    ]
    if unknown_agents:
        rows += [
            f"Carla Mendes,carla.mendes@example.com,09:00 {when},17:00 {when},Break",
            f"Dan Okafor,dan.okafor@example.com,09:00 {when},17:00 {when},Break",
        ]
    return ("\n".join(rows) + "\n").encode()


def wait_until(condition, *, seconds: float, what: str, every: float = 0.1):
    """The condition's first true value, or a failure that names what never happened."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"within {seconds:g} s: {what}")
        time.sleep(every)


@dataclass(frozen=True)
class DetailPage:
    state: str
    message: str
    text: str


class Person:
    """Someone signed in to the portal, using its pages as a browser would."""

    def __init__(self, stack: Stack, username: str, password: str):
        self.stack = stack
        self.http = requests.Session()
        form = self.http.get(f"{stack.url}/login/", timeout=10)
        response = self.http.post(
            f"{stack.url}/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": _token_in(form.text)},
            timeout=10,
        )
        assert response.url.endswith("/imports/"), f"{username} could not sign in"

    def upload(self, file_name: str, content: bytes, *, team: str = DEMO_TEAM) -> str:
        form = self.http.get(f"{self.stack.url}/imports/new/", timeout=10)
        team_option = re.compile(rf'<option value="(\d+)"[^>]*>{re.escape(team)} →')
        response = self.http.post(
            f"{self.stack.url}/imports/new/",
            data={
                "csrfmiddlewaretoken": _token_in(form.text),
                "team": team_option.search(form.text).group(1),
                "time_zone": "America/New_York",
                "date_format": "",
            },
            files={"file": (file_name, content, "text/csv")},
            timeout=30,
        )
        found = re.search(r"/imports/([0-9a-f-]{36})/$", response.url)
        assert found, f"the upload of {file_name} did not lead to its page"
        return found.group(1)

    def confirm(self, import_id: str) -> None:
        self.confirm_with(import_id, self.page_token(import_id))

    def page_token(self, import_id: str) -> str:
        """The CSRF token of the import's page, as its forms carry it."""
        return _token_in(self.http.get(self.detail_url(import_id), timeout=10).text)

    def confirm_with(self, import_id: str, token: str) -> None:
        response = self.http.post(
            f"{self.stack.url}/imports/{import_id}/confirm/",
            data={"csrfmiddlewaretoken": token, "acknowledge_warnings": "on"},
            timeout=30,
        )
        assert response.status_code == 200
        refused = re.search(r'<p class="flash error"[^>]*>([^<]*)</p>', response.text)
        assert not refused, f"confirming {import_id} was refused: {html.unescape(refused.group(1))}"

    def sync_agents(self, connection_name: str) -> None:
        """An admin's "Sync agents now" on one connection."""
        page = self.http.get(f"{self.stack.url}/connections/", timeout=10).text
        connection = re.search(rf'href="/connections/(\d+)/">{re.escape(html.escape(connection_name))}</a>', page)
        assert connection, f"no connection named {connection_name} on the connections page"
        response = self.http.post(
            f"{self.stack.url}/connections/{connection.group(1)}/sync-agents/",
            data={"csrfmiddlewaretoken": _token_in(page)},
            timeout=60,
        )
        assert response.status_code == 200
        refused = re.search(r'<p class="flash error"[^>]*>([^<]*)</p>', response.text)
        assert not refused, f"syncing {connection_name} was refused: {html.unescape(refused.group(1))}"

    def press(self, import_id: str, button: str, number: int = 1) -> None:
        """An admin's choice for a part that needs attention: resend or mark-imported."""
        response = self.http.post(
            f"{self.stack.url}/imports/{import_id}/parts/{number}/{button}/",
            data={"csrfmiddlewaretoken": self.page_token(import_id)},
            timeout=10,
        )
        assert response.status_code == 200

    def page(self, import_id: str) -> DetailPage:
        response = self.http.get(self.detail_url(import_id), timeout=10)
        response.raise_for_status()
        state = _STATE.search(response.text)
        message = _MESSAGE.search(response.text)
        return DetailPage(
            state=state.group(1) if state else "",
            message=html.unescape(message.group(1)).strip() if message else "",
            text=html.unescape(response.text),
        )

    def wait_for(self, import_id: str, states=SETTLED_STATES, *, seconds: float = 60) -> DetailPage:
        """The import's page once it shows one of `states`."""
        return wait_until(
            lambda: (page := self.page(import_id)).state in states and page,
            seconds=seconds,
            what=f"the page of import {import_id} shows one of {sorted(states)} (it shows {self.page(import_id).state})",
            every=0.25,
        )

    def detail_url(self, import_id: str) -> str:
        return f"{self.stack.url}/imports/{import_id}/"


class RunningPortal:
    def __init__(self, stack: Stack):
        self.stack = stack
        self.talkdesk = stack.simulator

    def sign_in(self, username: str = "planner") -> Person:
        return Person(self.stack, username, self.stack.password)

    # The database, read as it is (the source of truth)

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.stack.env["DATABASE_URL"], connect_timeout=5) as connection:
            return connection.execute(sql, params).fetchall()

    def part(self, import_id: str, number: int = 1) -> dict:
        rows = self.query(
            "SELECT state, polls, remote_id FROM imports_importpart WHERE import_job_id = %s AND number = %s",
            import_id,
            number,
        )
        if not rows:
            return {}
        state, polls, remote_id = rows[0]
        return {"state": state, "polls": polls, "remote_id": remote_id}

    def wait_for_part(self, import_id: str, state: str, *, seconds: float = 30, polls: int = 0) -> dict:
        return wait_until(
            lambda: (part := self.part(import_id))["state"] == state and part["polls"] >= polls and part,
            seconds=seconds,
            what=f"part 1 of import {import_id} is {state} (it is {self.part(import_id)})",
            every=0.05,
        )

    # What Talkdesk received

    def received(self, file_name: str) -> list[dict]:
        """Every upload of this file that reached Talkdesk, in order."""
        return [
            upload for upload in self.talkdesk.ledger(account="acme")["uploads"] if upload["file_name"] == file_name
        ]

    def wait_for_talkdesk_request(self, method: str, path_start: str, *, seconds: float = 30) -> None:
        """Until Talkdesk is handling such a request: its faults are already
        decided, so a fault set now applies to the request after it."""
        wait_until(
            lambda: any(
                r["method"] == method and r["path"].startswith(path_start) for r in self.talkdesk.requests_in_progress()
            ),
            seconds=seconds,
            what=f"Talkdesk is handling a {method} {path_start}",
            every=0.05,
        )

    def talkdesk_log(self, line_start: str) -> list[str]:
        return [line for line in self.stack.log("simulator").splitlines() if line.startswith(line_start)]

    def talkdesk_answers(self, status: int) -> list[str]:
        """The simulator's log lines of uploads it answered with this status."""
        return [line for line in self.talkdesk_log(f"POST {IMPORTS_PATH} ") if f" {status} " in line]

    # Breaking things

    def kill_worker(self) -> None:
        self.stack.kill("worker")

    def stop_worker(self) -> None:
        """A warm shutdown, as in a deploy: Celery hands the messages it was
        holding back to the broker."""
        worker = self.stack.processes["worker"]
        worker.terminate()
        worker.wait(timeout=30)

    def start_worker(self) -> None:
        self.stack.start("worker")

    def flush_broker(self) -> None:
        subprocess.run(["redis-cli", "-n", str(self.stack.redis_db), "FLUSHDB"], check=True, capture_output=True)

    def broker_messages(self) -> int:
        """Messages waiting in the broker's queue or delivered and not yet acknowledged."""
        queued = subprocess.run(
            ["redis-cli", "-n", str(self.stack.redis_db), "LLEN", "celery"], check=True, capture_output=True, text=True
        )
        unacked = subprocess.run(
            ["redis-cli", "-n", str(self.stack.redis_db), "HLEN", "unacked"], check=True, capture_output=True, text=True
        )
        return int(queued.stdout) + int(unacked.stdout)


def restart_postgresql() -> None:
    """This machine's PostgreSQL, stopped and started again: every connection
    of every process is cut."""
    version = next(Path("/etc/postgresql").iterdir()).name
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True, capture_output=True
    )
    # This test process's own connections, from tests that ran before, are
    # cut too: closed, they are opened afresh by the next test that needs one.
    connections.close_all()


def ensure_postgresql_running() -> None:
    version = next(Path("/etc/postgresql").iterdir()).name
    if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode != 0:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False)
    wait_until(
        lambda: subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0,
        seconds=30,
        what="PostgreSQL answers again",
        every=0.5,
    )


def _token_in(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)
