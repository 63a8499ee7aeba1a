"""The README's example nightly jobs, run as they are against the running
portal: they exit 0 when every row was imported, and 1 with the rejected
rows printed when Talkdesk refused some. Each test sends its own copy of
the example, moved to days the shared stack has not imported yet."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.api.conftest import ROOT, admin_session, make_key
from tests.fixtures.examples import unsent_copy

pytestmark = pytest.mark.e2e


def _run(command, stack, key, *args, **env):
    env = {"PORTAL_URL": stack.url, "PORTAL_API_KEY": key, "PATH": "/usr/bin:/bin", **env}
    return subprocess.run([*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture
def example(tmp_path):
    def copy(name: str) -> str:
        path = tmp_path / name
        path.write_bytes(unsent_copy(name))
        return str(path)

    return copy


def test_the_shell_job_imports_a_clean_file(api_stack, example):
    done = _run(["bash", "examples/nightly-job.sh"], api_stack, make_key(api_stack), example("schedule-example.csv"))
    assert done.returncode == 0, done.stderr
    assert "Finished: Imported" in done.stdout


def test_the_shell_job_fails_with_the_rejected_rows(api_stack, example):
    done = _run(
        ["bash", "examples/nightly-job.sh"],
        api_stack,
        make_key(api_stack),
        example("schedule-unknown-agents.csv"),
    )
    assert done.returncode == 1
    assert "Finished: Imported with errors" in done.stdout
    assert re.search(r"row 4: carla\.mendes@example\.com .*: \S", done.stderr)
    assert re.search(r"row 6: dan\.okafor@example\.com .*: \S", done.stderr)


def test_the_python_job_fails_with_the_rejected_rows(api_stack, example):
    done = _run(
        [sys.executable, "examples/nightly_job.py"],
        api_stack,
        make_key(api_stack),
        example("schedule-unknown-agents.csv"),
    )
    assert done.returncode == 1, done.stderr
    assert "row 4: carla.mendes@example.com" in done.stderr and "row 6: dan.okafor@example.com" in done.stderr


def test_the_python_job_hears_the_end_by_webhook(api_stack, example):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = admin_session(api_stack)
    page = session.get("/webhooks/").text
    team = re.search(r'<option value="(\d+)"[^>]*>Demo team</option>', page).group(1)
    added = session.post_form(
        "/webhooks/", {"team": team, "url": f"http://127.0.0.1:{port}/hook", "events": "import.finished"}
    )
    secret = re.search(r"<code data-new-secret>([^<]+)</code>", added.text).group(1)
    pk = re.search(rf'href="/webhooks/(\d+)/">http://127.0.0.1:{port}/hook', added.text).group(1)
    try:
        done = _run(
            [sys.executable, "examples/nightly_job.py"],
            api_stack,
            make_key(api_stack),
            example("schedule-example.csv"),
            "--listen",
            f"127.0.0.1:{port}",
            "--webhook-secret",
            secret,
        )
        assert done.returncode == 0, done.stderr
        assert "Finished: Imported" in done.stdout
        deadline = time.monotonic() + 10
        while "HTTP 204" not in session.get(f"/webhooks/{pk}/").text and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "HTTP 204" in session.get(f"/webhooks/{pk}/").text
    finally:
        session.post_form(f"/webhooks/{pk}/toggle/", form_page=f"/webhooks/{pk}/")


@pytest.mark.parametrize(
    ("command", "acknowledging"),
    [
        ([sys.executable, "examples/nightly_job.py"], (["--acknowledge-warnings"], {})),
        (["bash", "examples/nightly-job.sh"], ([], {"ACKNOWLEDGE_WARNINGS": "1"})),
    ],
    ids=["python", "shell"],
)
def test_a_job_sending_a_file_already_imported_stops_with_the_warnings_until_told_to_send(
    api_stack, example, command, acknowledging
):
    schedule = example("schedule-example.csv")
    key = make_key(api_stack)
    assert _run(command, api_stack, key, schedule).returncode == 0
    # Exported again by the HRIS: other bytes (so another request to the
    # idempotency key), the same rows.
    exported_again = Path(schedule).with_name("exported-again.csv")
    exported_again.write_bytes(Path(schedule).read_bytes().replace(b"\n", b"\r\n"))
    schedule = str(exported_again)

    again = _run(command, api_stack, key, schedule)

    assert again.returncode == 2
    assert "Not sent: The file has 4 warnings" in again.stderr
    assert "warning file_already_imported row -: file:" in again.stderr
    assert again.stderr.count("warning row_already_imported") == 3
    flags, env = acknowledging
    sent = _run(command, api_stack, key, schedule, *flags, **env)
    assert sent.returncode == 0, sent.stderr
    assert "Finished: Imported" in sent.stdout
