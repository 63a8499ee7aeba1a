"""The whole portal as processes (gunicorn, a Celery worker and beat, the
simulator), every one of them logging at DEBUG: a planner's import from
upload to Talkdesk's answer and an admin's connection work leave the client
secret and the bearer tokens in no log file and no page; an oversized upload
gets its answer over a real connection; and a real browser runs every page
without breaking the Content Security Policy."""

import json
import re
import time
from importlib import resources
from pathlib import Path

import pytest

from tests.fixtures.stack import start_stack, stop_stack
from tests.security.portal_session import CSRF_FIELD, PortalSession

pytestmark = [pytest.mark.e2e]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
UPLOAD_CAP = 1024 * 1024
TOKEN_SHAPE = re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}")
FINAL_STATE = re.compile(r'data-state="(imported|imported_with_errors|failed|error|cancelled)"')


def _demo_secret() -> str:
    config = json.loads(resources.files("simulator").joinpath("demo_config.json").read_text())
    return next(c for c in config["accounts"]["acme"]["clients"] if c["client_id"] == "demo-portal")["client_secret"]


@pytest.fixture(scope="module")
def watched_stack(tmp_path_factory):
    stack = start_stack(
        tmp_path_factory.mktemp("stack-watched"),
        backend="embedded",
        env_overrides={"LOG_LEVEL": "DEBUG", "UPLOAD_MAX_BYTES": str(UPLOAD_CAP)},
    )
    yield stack
    stop_stack(stack)


def _upload(session, path: Path | None = None, *, content: bytes | None = None):
    content = content if content is not None else path.read_bytes()
    form = session.get("/imports/new/").text
    token = CSRF_FIELD.search(form).group(1)
    team = re.search(r'<select name="team".*?<option value="(\d+)"', form, re.S).group(1)
    return session.post(
        "/imports/new/",
        data={"csrfmiddlewaretoken": token, "team": team, "time_zone": "UTC", "date_format": ""},
        files={"file": ((path.name if path else "big.csv"), content, "text/csv")},
    )


def test_the_secret_and_the_tokens_stay_out_of_every_log_file_and_page_across_the_whole_flow(watched_stack):
    secret = _demo_secret()
    admin = PortalSession(watched_stack.url)
    assert admin.sign_in("admin", watched_stack.password).status_code == 302
    connection = re.search(r"/connections/(\d+)/test/", admin.get("/connections/").text).group(1)
    saved = admin.post_form(
        f"/connections/{connection}/",
        {
            "name": "Demo (simulator)",
            "account": "acme",
            "region": "custom",
            "base_url": watched_stack.simulator_url,
            "client_id": "demo-portal",
            "client_secret": secret,
            "default_time_zone": "America/New_York",
            "default_date_format": "HH:mm yyyy-MM-dd",
            "event_types_text": "",
        },
    )
    assert saved.status_code == 302
    tested = admin.post_form(
        f"/connections/{connection}/test/", form_page="/connections/", headers={"HX-Request": "true"}
    )
    assert "wfm-public:write" in tested.text

    planner = PortalSession(watched_stack.url)
    planner.sign_in("planner", watched_stack.password)
    detail = _upload(planner, EXAMPLES / "schedule-unknown-agents.csv").headers["Location"]
    planner.post_form(detail + "confirm/", {"acknowledge_warnings": "on"}, form_page=detail)
    deadline = time.monotonic() + 60
    while not FINAL_STATE.search(page := planner.get(detail).text) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert 'data-state="imported_with_errors"' in page
    assert planner.get(detail + "parts/1/errors.csv").status_code == 200
    admin.get("/audit/")
    admin.get(detail)

    time.sleep(1)  # the worker's last lines reach its log file
    logs = {role: watched_stack.log(role) for role in ("web", "worker", "beat", "simulator")}
    assert " DEBUG " in logs["worker"] and "oauth/token" in logs["worker"], "the worker logged the flow at DEBUG"
    pages = "\n".join(admin.pages + planner.pages)
    for where, text in [*logs.items(), ("the pages", pages)]:
        assert secret not in text, f"the client secret is in {where}"
        assert not TOKEN_SHAPE.search(text), f"a bearer token is in {where}"
        assert "Bearer " not in text, f"an Authorization header is in {where}"


def test_an_oversized_upload_over_a_real_connection_gets_the_upload_page_with_the_reason(watched_stack):
    planner = PortalSession(watched_stack.url)
    planner.sign_in("planner", watched_stack.password)
    response = _upload(planner, content=b"x" * (3 * UPLOAD_CAP))
    assert response.status_code == 413
    assert "the portal takes files up to 1.0 MB" in response.text
    assert "Upload a schedule" in response.text
    assert "Internal Server Error" not in watched_stack.log("web")


def _peak_memory_mb(pid: int) -> dict[int, int]:
    """The most memory gunicorn's master and each of its workers has held (VmHWM)."""
    pids = [pid] + [int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat") if _parent_of(stat) == pid]
    peaks = {}
    for each in pids:
        status = Path(f"/proc/{each}/status").read_text()
        peaks[each] = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) // 1024
    return peaks


def _parent_of(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def test_a_body_far_over_the_cap_without_a_line_break_is_dropped_without_being_held_in_memory(watched_stack):
    planner = PortalSession(watched_stack.url)
    planner.sign_in("planner", watched_stack.password)
    web = watched_stack.processes["web"].pid
    before = _peak_memory_mb(web)
    response = _upload(planner, content=b"x" * (100 * 1024 * 1024))
    after = _peak_memory_mb(web)
    assert response.status_code == 413
    growth = max(after[pid] - before.get(pid, 0) for pid in after)
    assert growth < 20, f"a gunicorn process grew by {growth} MB while dropping a 100 MB body"


@pytest.mark.browser
def test_a_browser_runs_every_page_of_the_flow_without_breaking_the_content_security_policy(watched_stack, page):
    complaints = []
    page.on(
        "console", lambda message: complaints.append(message.text) if message.type in ("error", "warning") else None
    )
    page.goto(watched_stack.url + "/")
    page.fill("input[name=username]", "planner")
    page.fill("input[name=password]", watched_stack.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/imports/")
    page.goto(watched_stack.url + "/imports/new/")
    page.set_input_files("input[type=file]", str(EXAMPLES / "schedule-example.csv"))
    page.click("text=Check the file")
    page.wait_for_selector("#timeline svg")  # loaded by htmx, so its script ran
    page.click("text=Confirm and send 3 rows")
    page.wait_for_selector("#status [data-state='imported']", timeout=60_000)
    page.goto(watched_stack.url + "/imports/")
    assert not [c for c in complaints if "Content Security Policy" in c or "Refused to" in c], complaints


@pytest.mark.browser
def test_a_browser_uploading_a_file_over_the_cap_sees_why_on_the_upload_page(watched_stack, page):
    page.goto(watched_stack.url + "/")
    page.fill("input[name=username]", "planner")
    page.fill("input[name=password]", watched_stack.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/imports/")
    page.goto(watched_stack.url + "/imports/new/")
    page.set_input_files(
        "input[type=file]", {"name": "huge.csv", "mimeType": "text/csv", "buffer": b"x" * (2 * UPLOAD_CAP)}
    )
    page.click("text=Check the file")
    assert "the portal takes files up to 1.0 MB" in page.inner_text("[data-refusal]")
