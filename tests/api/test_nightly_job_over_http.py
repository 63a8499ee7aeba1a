"""A nightly job's whole use of the API, over real HTTP against the running
portal (gunicorn, a Celery worker, beat, the Talkdesk simulator), with a
webhook receiver of its own that verifies every signature."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api.conftest import RATE_PER_MINUTE, UPLOAD_CAP_BYTES, Api, admin_session, make_key
from tests.fixtures.examples import EXAMPLES, unsent_copy

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


def _ledger_uploads(stack) -> int:
    return len(stack.simulator.ledger(account="acme")["uploads"])


def test_an_upload_with_confirm_is_answered_before_its_check_and_then_imported_by_itself(
    api, api_stack, receiver, endpoint
):
    before = _ledger_uploads(api_stack)
    answer = api.upload("schedule-example.csv", confirm=True, idempotency_key=str(uuid.uuid4()))
    assert answer.status_code == 202, answer.text
    created = answer.json()
    assert answer.headers["Location"] == f"{api_stack.url}/api/v1/imports/{created['id']}"
    assert created["state"] == "checking" and created["links"]["self"] == f"/api/v1/imports/{created['id']}"
    assert created["confirmation_refused"] is None
    checked = api.wait_while_checking(created["id"])
    assert checked["state"] in ("queued", "sending", "processing", "imported")
    assert checked["summary"]["rows"] == 3 and checked["errors"] == 0
    assert checked["confirmation_refused"] is None

    heard = receiver.wait_for(
        lambda m: m["body"]["type"] == "import.finished" and m["body"]["data"]["id"] == created["id"]
    )
    assert heard["body"]["data"]["state"] == "imported"
    assert heard["body"]["data"]["state_label"] == "Imported"
    document = api.get(f"/api/v1/imports/{created['id']}").json()
    assert document["state"] == "imported" and document["final"]
    assert document["parts"][0]["remote_id"]
    assert document["parts"][0]["remote_status"] == "imported"
    assert _ledger_uploads(api_stack) == before + 1


def test_fifty_parallel_posts_with_one_idempotency_key_make_one_import_and_one_arrival(api, api_stack):
    before = _ledger_uploads(api_stack)
    key = str(uuid.uuid4())
    content = (EXAMPLES / "schedule-example.csv").read_bytes()

    def post(_):
        return api.upload("idempotent.csv", data=content, confirm=True, idempotency_key=key)

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(post, range(50)))
    statuses = sorted({answer.status_code for answer in answers})
    assert set(statuses) <= {202, 409}, [a.text for a in answers if a.status_code not in (202, 409)]
    made = {answer.json()["id"] for answer in answers if answer.status_code == 202}
    assert len(made) == 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.headers["Content-Type"] == PROBLEM
            assert answer.json()["code"] == "idempotency_key_in_flight"
            assert answer.headers["Retry-After"] == "1"
    (import_id,) = made
    replayed = api.upload("idempotent.csv", data=content, confirm=True, idempotency_key=key)
    assert replayed.status_code == 202 and replayed.json()["id"] == import_id
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert api.wait_until_final(import_id)["state"] == "imported"
    named = [
        job
        for job in api.get("/api/v1/imports", params={"limit": 200}).json()["items"]
        if job["file_name"] == "idempotent.csv"
    ]
    assert [job["id"] for job in named] == [import_id]
    time.sleep(1)
    assert _ledger_uploads(api_stack) == before + 1


def test_the_same_idempotency_key_with_another_file_is_refused(api):
    key = str(uuid.uuid4())
    assert api.upload("schedule-example.csv", idempotency_key=key).status_code == 202
    other = api.upload("schedule-unknown-agents.csv", idempotency_key=key)
    assert other.status_code == 422
    assert other.headers["Content-Type"] == PROBLEM
    assert other.json()["code"] == "idempotency_key_reused"


def test_rows_talkdesk_rejected_are_read_back_with_their_rows_and_the_report(api, receiver, endpoint):
    answer = api.upload("schedule-unknown-agents.csv", confirm=True)
    assert answer.status_code == 202, answer.text
    import_id = answer.json()["id"]
    final = api.wait_until_final(import_id)
    assert final["state"] == "imported_with_errors"
    assert final["links"]["error_report"]
    failed = api.get(f"/api/v1/imports/{import_id}/failed-rows").json()
    assert [(row["row"], row["cells"]["Agent Email"]) for row in failed["items"]] == [
        (4, "carla.mendes@example.com"),
        (6, "dan.okafor@example.com"),
    ]
    assert all(row["reason"] for row in failed["items"])
    report = api.get(final["links"]["error_report"])
    assert report.status_code == 200 and report.headers["Content-Type"].startswith("text/csv")
    emails = {row.get("Agent Email") for row in csv.DictReader(io.StringIO(report.text))}
    assert {"carla.mendes@example.com", "dan.okafor@example.com"} <= emails
    heard = receiver.wait_for(lambda m: m["body"]["data"].get("id") == import_id)
    assert heard["body"]["type"] == "import.finished"
    assert heard["body"]["data"]["state"] == "imported_with_errors"


def test_a_preview_is_confirmed_later_and_another_is_cancelled(api):
    preview = api.wait_while_checking(api.upload("schedule-example.csv").json()["id"])
    assert preview["state"] == "preview" and preview["can_confirm"] and preview["confirmation_refused"] is None
    confirmed = api.post(preview["links"]["confirm"], headers={"Idempotency-Key": str(uuid.uuid4())})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] in ("queued", "sending", "processing", "imported")

    other = api.wait_while_checking(api.upload("schedule-example.csv").json()["id"])
    cancelled = api.post(other["links"]["cancel"])
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = api.post(other["links"]["cancel"])
    assert again.status_code == 409
    assert again.json()["detail"] == "Only an import that has not been sent yet can be cancelled."
    api.wait_until_final(preview["id"])


def test_a_small_file_with_errors_is_checked_in_its_request_and_stays_a_preview_saying_why(api, api_stack):
    from tests.conftest import DATA

    data = (DATA / "schedules" / "invalid-emails.csv").read_bytes()
    answer = api.upload("invalid-emails.csv", data=data, confirm=True, time_zone="UTC")
    assert answer.status_code == 201, answer.text
    document = answer.json()
    assert document["state"] == "preview"
    assert document["errors"] > 0
    assert document["confirmation_refused"].startswith("Fix the errors in the file")
    findings = api.get(document["links"]["findings"], params={"severity": "error", "limit": 1}).json()
    assert findings["count"] == document["errors"]
    assert len(findings["items"]) == 1
    first = findings["items"][0]
    assert set(first) == {"severity", "row", "column", "code", "message"}
    assert first["row"] >= 2 and first["message"]
    if findings["count"] > 1:
        following = api.get(findings["next"]).json()
        assert following["items"][0] != first


def test_a_file_with_errors_checked_by_the_worker_stays_a_preview_and_the_job_hears_why(api, receiver, endpoint):
    data = unsent_copy("schedule-example.csv").replace(b"@example.com", b"@", 1)
    answer = api.upload("broken-email.csv", data=data, confirm=True, idempotency_key=str(uuid.uuid4()))
    assert answer.status_code == 202 and answer.json()["state"] == "checking"
    import_id = answer.json()["id"]
    document = api.wait_while_checking(import_id)
    assert document["state"] == "preview" and not document["final"]
    assert document["errors"] == 1
    assert document["confirmation_refused"].startswith("Fix the errors in the file")
    findings = api.get(document["links"]["findings"], params={"severity": "error"}).json()
    assert [(f["row"], f["column"]) for f in findings["items"]] == [(2, "Agent Email")]
    heard = receiver.wait_for(lambda m: m["body"]["type"] == "import.checked" and m["body"]["data"]["id"] == import_id)
    assert heard["body"]["data"]["state"] == "preview"
    assert heard["body"]["data"]["confirmation_refused"] == document["confirmation_refused"]


def test_checks_answer_every_problem_and_keep_nothing(api):
    from tests.conftest import DATA

    before = len(api.get("/api/v1/imports", params={"limit": 200}).json()["items"])
    data = (DATA / "schedules" / "invalid-emails.csv").read_bytes()
    answer = api.post("/api/v1/checks", files={"file": ("x.csv", data, "text/csv")}, data={"time_zone": "UTC"})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["errors"] and all(e["code"] and e["row"] for e in result["errors"])
    assert len(api.get("/api/v1/imports", params={"limit": 200}).json()["items"]) == before


def test_the_history_pages_with_a_cursor_and_filters(api):
    ids = [api.upload("schedule-example.csv").json()["id"] for _ in range(3)]
    for import_id in ids:
        api.wait_while_checking(import_id)
    first = api.get("/api/v1/imports", params={"limit": 2, "state": "preview"}).json()
    assert [job["id"] for job in first["items"]] == ids[::-1][:2]
    second = api.get(first["next"]).json()
    assert second["items"][0]["id"] == ids[0]
    assert all(job["state"] == "preview" for job in first["items"] + second["items"])
    bad = api.get("/api/v1/imports", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


def test_every_refusal_is_a_problem_that_says_what_and_where(api_stack, api):
    anonymous = Api(api_stack.url, None).get("/api/v1/imports")
    assert anonymous.status_code == 401 and anonymous.headers["Content-Type"] == PROBLEM
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = Api(api_stack.url, "sip_00000000_" + "x" * 43).get("/api/v1/imports")
    assert wrong.status_code == 401

    reader = Api(api_stack.url, make_key(api_stack, "imports:read"))
    refused = reader.upload("schedule-example.csv")
    assert refused.status_code == 403 and "imports:write" in refused.json()["detail"]

    too_big = api.upload("big.csv", data=b"x" * (UPLOAD_CAP_BYTES + 200_000))
    assert too_big.status_code == 413 and too_big.headers["Content-Type"] == PROBLEM
    assert "MB" in too_big.json()["detail"]

    bad_zone = api.upload("schedule-example.csv", time_zone="Mars/Olympus")
    assert bad_zone.status_code == 422
    assert bad_zone.json()["errors"] == [{"field": "time_zone", "in": "form", "message": "not an IANA time zone"}]
    missing_file = api.post("/api/v1/imports", data={"confirm": "true"})
    assert missing_file.status_code == 422 and missing_file.json()["errors"][0]["field"] == "file"

    unknown = api.get(f"/api/v1/imports/{uuid.uuid4()}")
    assert unknown.status_code == 404 and unknown.headers["Content-Type"] == PROBLEM
    nowhere = api.get("/api/v1/nowhere")
    assert nowhere.status_code == 404 and nowhere.headers["Content-Type"] == PROBLEM
    for answer in (anonymous, refused, too_big, bad_zone, unknown, nowhere):
        assert "Traceback" not in answer.text and "<html" not in answer.text.lower()


def test_another_teams_import_is_not_there(api_stack, api):
    api_stack.manage(
        "shell",
        "-c",
        "from imports.models import Team, Connection; "
        "Team.objects.get_or_create(name='Other team', defaults={'connection': Connection.objects.first()})",
    )
    other = Api(api_stack.url, make_key(api_stack, team="Other team"))
    theirs = other.upload("schedule-example.csv").json()["id"]
    assert api.get(f"/api/v1/imports/{theirs}").status_code == 404
    assert api.post(f"/api/v1/imports/{theirs}/cancel").status_code == 404
    assert theirs not in {job["id"] for job in api.get("/api/v1/imports", params={"limit": 200}).json()["items"]}


def test_a_key_past_its_rate_is_told_when_to_come_back(api_stack):
    api = Api(api_stack.url, make_key(api_stack, "imports:read"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: api.get("/api/v1/imports", params={"limit": 1}), range(RATE_PER_MINUTE + 5)))
    limited = [answer for answer in answers if answer.status_code == 429]
    assert limited and all(answer.status_code in (200, 429) for answer in answers)
    assert 1 <= int(limited[0].headers["Retry-After"]) <= 60
    assert limited[0].headers["Content-Type"] == PROBLEM


def test_a_revoked_key_is_refused_and_its_use_is_in_the_audit_log(api_stack):
    session = admin_session(api_stack)
    page = session.get("/api-keys/").text
    team = re.search(r'<option value="(\d+)"[^>]*>Demo team</option>', page).group(1)
    made = session.post_form(
        "/api-keys/", {"team": team, "name": "audited", "scopes": ["imports:read", "imports:write"]}
    )
    key = re.search(r"<code data-new-key>([^<]+)</code>", made.text).group(1)
    api = Api(api_stack.url, key)
    job = api.upload("schedule-example.csv").json()
    assert api.get(f"/api/v1/imports/{job['id']}").status_code == 200
    listed = session.get("/api-keys/").text
    prefix = key[: len("sip_12345678")]
    assert key not in listed and f"{prefix}…" in listed
    audit = session.get("/audit/").text
    assert "audited (API key" in audit and "Uploaded a file" in audit and "Read through the API" in audit
    pk = re.search(rf'data-key="{prefix}">.*?/api-keys/(\d+)/revoke/', listed, re.S).group(1)
    assert session.post_form(f"/api-keys/{pk}/revoke/", form_page="/api-keys/").status_code == 302
    assert api.get("/api/v1/imports").status_code == 401


def test_a_failing_receiver_gets_the_event_again_until_it_takes_it(api_stack, receiver, endpoint):
    session = endpoint["session"]
    receiver.fail_next(2, "webhook.test")
    assert (
        session.post_form(f"/webhooks/{endpoint['pk']}/test/", form_page=f"/webhooks/{endpoint['pk']}/").status_code
        == 302
    )
    heard = receiver.wait_for(lambda m: m["body"]["type"] == "webhook.test", seconds=30)
    assert receiver.received()["failed"].count(heard["id"]) == 2
    page = session.get(f"/webhooks/{endpoint['pk']}/").text
    row = page[page.index(f'data-message="{heard["id"]}"') :].split("</tr>", 1)[0]
    assert row.count("HTTP 503") == 2 and row.count("HTTP 200") == 1


def test_send_again_repeats_the_webhook_id_so_the_receiver_drops_it(api_stack, receiver, endpoint):
    session = endpoint["session"]
    earlier = {m["id"] for m in receiver.received()["accepted"]}
    session.post_form(f"/webhooks/{endpoint['pk']}/test/", form_page=f"/webhooks/{endpoint['pk']}/")
    heard = receiver.wait_for(lambda m: m["body"]["type"] == "webhook.test" and m["id"] not in earlier, seconds=30)
    duplicates = receiver.received()["duplicates"]
    answer = session.post_form(
        f"/webhooks/{endpoint['pk']}/messages/{heard['id']}/resend/", form_page=f"/webhooks/{endpoint['pk']}/"
    )
    assert answer.status_code == 302
    deadline = time.monotonic() + 30
    while receiver.received()["duplicates"] == duplicates and time.monotonic() < deadline:
        time.sleep(0.2)
    assert receiver.received()["duplicates"] == duplicates + 1
    assert [m["id"] for m in receiver.received()["accepted"]].count(heard["id"]) == 1
    assert receiver.received()["rejected"] == []
