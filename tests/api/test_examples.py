"""The README's example nightly jobs, run as they are against the running
portal: they exit 0 when every row was imported, and 1 with the rejected
rows printed when Talkdesk refused some."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import pytest

from tests.api.conftest import EXAMPLES, ROOT, admin_session, make_key

pytestmark = pytest.mark.e2e


def _run(command, stack, key, *args):
    env = {"PORTAL_URL": stack.url, "PORTAL_API_KEY": key, "PATH": "/usr/bin:/bin"}
    return subprocess.run([*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def test_the_shell_job_imports_a_clean_file(api_stack):
    done = _run(
        ["bash", "examples/nightly-job.sh"], api_stack, make_key(api_stack), str(EXAMPLES / "schedule-example.csv")
    )
    assert done.returncode == 0, done.stderr
    assert "Finished: Imported" in done.stdout


def test_the_shell_job_fails_with_the_rejected_rows(api_stack):
    done = _run(
        ["bash", "examples/nightly-job.sh"],
        api_stack,
        make_key(api_stack),
        str(EXAMPLES / "schedule-unknown-agents.csv"),
    )
    assert done.returncode == 1
    assert "Finished: Imported with errors" in done.stdout
    assert re.search(r"row 4: carla\.mendes@example\.com .*: \S", done.stderr)
    assert re.search(r"row 6: dan\.okafor@example\.com .*: \S", done.stderr)


def test_the_python_job_fails_with_the_rejected_rows(api_stack):
    done = _run(
        [sys.executable, "examples/nightly_job.py"],
        api_stack,
        make_key(api_stack),
        str(EXAMPLES / "schedule-unknown-agents.csv"),
    )
    assert done.returncode == 1, done.stderr
    assert "row 4: carla.mendes@example.com" in done.stderr and "row 6: dan.okafor@example.com" in done.stderr


def test_the_python_job_hears_the_end_by_webhook(api_stack):
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
            str(EXAMPLES / "schedule-example.csv"),
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
