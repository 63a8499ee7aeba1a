"""One running portal for the API's tests (gunicorn, a Celery worker and
beat, the simulator, on PostgreSQL + Redis), a webhook receiver as its own
process on loopback, and API keys made the way the README says."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.fixtures.examples import unsent_copy
from tests.fixtures.stack import start_stack, stop_stack
from tests.fixtures.webhook_receiver import LISTENING
from tests.security.portal_session import PortalSession

ROOT = Path(__file__).resolve().parents[2]
# Small enough that a test can go over it without sending 50 MB.
UPLOAD_CAP_BYTES = 3_000_000
# Files the API checks in the request, and over it by the worker: the
# README's examples (319 and 513 bytes) go to the worker as a 1 MB nightly
# file does in production, the test data's 241-byte file with errors is
# checked in its request.
CHECK_IN_REQUEST_MAX_BYTES = 300
RATE_PER_MINUTE = 300


def _redis_db() -> int:
    # The database given to this run, so that parallel runs never share one.
    return int(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13").rsplit("/", 1)[1] or 13)


@pytest.fixture(scope="package")
def api_stack(tmp_path_factory):
    stack = start_stack(
        tmp_path_factory.mktemp("api-stack"),
        backend="postgres",
        redis_db=_redis_db(),
        env_overrides={
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "WEBHOOK_RETRY_FIRST_SECONDS": "1",
            "API_RATE_PER_MINUTE": str(RATE_PER_MINUTE),
            "UPLOAD_MAX_BYTES": str(UPLOAD_CAP_BYTES),
            "API_CHECK_IN_REQUEST_MAX_BYTES": str(CHECK_IN_REQUEST_MAX_BYTES),
            "WEB_THREADS": "8",
        },
    )
    yield stack
    stop_stack(stack)


@dataclass
class Receiver:
    url: str
    process: subprocess.Popen

    def set_secret(self, secret: str) -> None:
        requests.post(f"{self.url}/_secret", data=secret.encode(), timeout=5).raise_for_status()

    def fail_next(self, count: int, event_type: str | None = None) -> None:
        params = {"count": count, **({"type": event_type} if event_type else {})}
        requests.post(f"{self.url}/_fail", params=params, timeout=5).raise_for_status()

    def received(self) -> dict:
        return requests.get(f"{self.url}/_received", timeout=5).json()

    def wait_for(self, predicate, seconds: float = 60) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = next((m for m in self.received()["accepted"] if predicate(m)), None)
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"No such webhook within {seconds} s; received: {self.received()}")


@pytest.fixture(scope="package")
def receiver():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtures.webhook_receiver", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    line = lines.get(timeout=15).decode().strip()
    assert line.startswith(LISTENING), line
    yield Receiver(url=line[len(LISTENING) :], process=process)
    process.terminate()
    process.wait(timeout=10)


def make_key(stack, *scopes: str, team: str = "Demo team") -> str:
    args = ["create_api_key", "--team", team, "--name", f"test-{uuid.uuid4().hex[:8]}"]
    for scope in scopes or ("imports:read", "imports:write"):
        args += ["--scope", scope]
    return stack.manage(*args).strip()


class Api(requests.Session):
    """A job's HTTP client: the base URL and its key."""

    def __init__(self, url: str, key: str | None):
        super().__init__()
        self.url = url
        if key:
            self.headers["Authorization"] = f"Bearer {key}"

    def request(self, method, path, *args, **kwargs):
        kwargs.setdefault("timeout", 60)
        return super().request(method, path if path.startswith("http") else self.url + path, *args, **kwargs)

    def upload(self, name: str, *, data: bytes | None = None, idempotency_key: str | None = None, **fields):
        content = data if data is not None else unsent_copy(name)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        form = {key: str(value).lower() if isinstance(value, bool) else value for key, value in fields.items()}
        return self.post("/api/v1/imports", files={"file": (name, content, "text/csv")}, data=form, headers=headers)

    def wait_while_checking(self, import_id: str, seconds: float = 60) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            document = self.get(f"/api/v1/imports/{import_id}").json()
            if document["state"] != "checking":
                return document
            time.sleep(0.2)
        raise AssertionError(f"Import {import_id} still checking after {seconds} s: {document}")

    def wait_until_final(self, import_id: str, seconds: float = 90) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            document = self.get(f"/api/v1/imports/{import_id}").json()
            if document["final"]:
                return document
            time.sleep(0.3)
        raise AssertionError(f"Import {import_id} not final within {seconds} s: {document}")


@pytest.fixture
def api(api_stack) -> Api:
    return Api(api_stack.url, make_key(api_stack))


def admin_session(stack) -> PortalSession:
    session = PortalSession(stack.url)
    assert session.sign_in("admin", stack.password).status_code == 302
    return session


NEW_SECRET = re.compile(r"<code data-new-secret>([^<]+)</code>")
NEW_ENDPOINT = re.compile(r'<a data-new-endpoint href="/webhooks/(\d+)/"')


@pytest.fixture(scope="package")
def endpoint(api_stack, receiver) -> dict:
    """An endpoint for Demo team's every import event, added on the admins'
    page, its secret handed to the receiver."""
    session = admin_session(api_stack)
    page = session.get("/webhooks/").text
    team = re.search(r'<option value="(\d+)"[^>]*>Demo team</option>', page).group(1)
    answer = session.post_form(
        "/webhooks/", {"team": team, "url": f"{receiver.url}/hook", "events": "import.*", "description": "tests"}
    )
    assert answer.status_code == 200, answer.text
    secret = NEW_SECRET.search(answer.text).group(1)
    receiver.set_secret(secret)
    # The endpoint just added, named by the card that shows its secret: the
    # list is sorted by URL, so its first row may be another test's endpoint.
    pk = NEW_ENDPOINT.search(answer.text).group(1)
    return {"pk": pk, "secret": secret, "session": session}
