"""The Talkdesk client against the Talkdesk simulator, a real HTTP server in
its own process: every status and error code of the vendor's specification,
provoked for real and met by the right exception and message."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from imports.wfm.talkdesk.client import (
    TEMPLATE_HEADER,
    AuthenticationFailed,
    BadRequest,
    FileTooLarge,
    ImportAlreadyInProgress,
    ImportNotFound,
    InvalidClientCredentials,
    InvalidTemplate,
    MissingScope,
    RateLimited,
    ReportLinkExpired,
    Scopes,
    TalkdeskClient,
    TalkdeskConnectionLost,
    TalkdeskError,
    TalkdeskServerError,
    UnsupportedMediaType,
    UploadOutcomeUnknown,
)
from tests.fixtures.simulator import start_simulator, stop_simulator

CONFIG_PATH = Path(__file__).resolve().parents[1] / "data" / "simulator.json"
CONFIG = json.loads(CONFIG_PATH.read_text())
ALL_SCOPES = {"wfm-public:write", "wfm-public:read", "users:read"}

SCHEDULE = (
    f"{TEMPLATE_HEADER}\r\n"
    "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels\r\n"
    "Jane Doe,jane.doe@example.com,12:00 2026-06-01,12:30 2026-06-01,Break\r\n"
).encode()
SCHEDULE_WITH_UNKNOWN_AGENT = SCHEDULE + b"Ghost Agent,ghost@example.com,09:00 2026-06-02,17:00 2026-06-02,Break\r\n"


def secret_of(account: str, client_id: str) -> str:
    return next(c["client_secret"] for c in CONFIG["accounts"][account]["clients"] if c["client_id"] == client_id)


def every_secret() -> list[str]:
    return [c["client_secret"] for account in CONFIG["accounts"].values() for c in account["clients"]]


class RecordingSession(requests.Session):
    """A real session that remembers what it sent and what came back, to
    count token requests and read the headers that went out."""

    def __init__(self):
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []
        self.tokens: list[str] = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        response = super().send(request, **kwargs)
        if request.url.endswith("/oauth/token") and response.status_code == 200:
            self.tokens.append(response.json()["access_token"])
        return response

    def token_requests(self) -> int:
        return sum(1 for request in self.sent if request.url.endswith("/oauth/token"))


class FrozenClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def talkdesk(base_url: str, client_id: str = "demo-portal", account: str = "acme", **options) -> TalkdeskClient:
    return TalkdeskClient(
        account=account, client_id=client_id, client_secret=secret_of(account, client_id), base_url=base_url, **options
    )


def upload(client: TalkdeskClient, content: bytes = SCHEDULE, **fields) -> str:
    return client.upload(
        content=content,
        file_name=fields.pop("file_name", "week-23.csv"),
        time_zone=fields.pop("time_zone", "America/New_York"),
        **fields,
    )


def final_status(client: TalkdeskClient, import_id: str, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while True:
        answer = client.status(import_id)
        if answer.is_final or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def assert_no_secret_in(error: TalkdeskError, *tokens: str) -> None:
    shown = f"{error} {error!r} {error.message} {error.vendor_message}"
    for secret in (*every_secret(), *tokens):
        assert secret not in shown


@pytest.fixture
def acme(simulator) -> TalkdeskClient:
    return talkdesk(simulator.base_url)


# Signing in


def test_a_token_carries_the_scopes_granted_to_the_client(simulator):
    assert talkdesk(simulator.base_url).granted_scopes() == ALL_SCOPES
    assert talkdesk(simulator.base_url, "demo-readonly").granted_scopes() == {"wfm-public:read"}


def test_a_wrong_secret_is_refused_with_a_message_that_does_not_repeat_it(simulator):
    client = TalkdeskClient(
        account="acme", client_id="demo-portal", client_secret="wrong-secret-1234", base_url=simulator.base_url
    )

    with pytest.raises(InvalidClientCredentials) as raised:
        client.granted_scopes()

    error = raised.value
    assert error.http_status == 401 and not error.retryable
    assert "client ID and secret" in error.message and "acme" in error.message
    assert "wrong-secret-1234" not in f"{error} {error!r} {client!r}"
    assert_no_secret_in(error)


def test_one_token_serves_every_request_until_shortly_before_it_expires(simulator):
    session, clock = RecordingSession(), FrozenClock()
    client = talkdesk(simulator.base_url, session=session, clock=clock)

    import_id = upload(client)
    client.status(import_id)
    client.active_agents()
    client.status(import_id)
    assert session.token_requests() == 1

    clock.now += 600 - 61
    client.status(import_id)
    assert session.token_requests() == 1

    clock.now += 2
    client.status(import_id)
    assert session.token_requests() == 2


def test_the_api_receives_a_bearer_token_and_the_report_link_no_authorization(simulator):
    session = RecordingSession()
    client = talkdesk(simulator.base_url, session=session)
    import_id = upload(client, SCHEDULE_WITH_UNKNOWN_AGENT)
    client.download_report(final_status(client, import_id).error_report_url)

    token_request, upload_request, *status_requests, report_request = session.sent
    assert token_request.headers["Authorization"].startswith("Basic ")
    assert upload_request.headers["Authorization"] == f"Bearer {session.tokens[0]}"
    assert all(request.headers["Authorization"].startswith("Bearer ") for request in status_requests)
    assert "Authorization" not in report_request.headers


# Uploading


def test_an_accepted_upload_returns_the_import_id_from_the_location_header(simulator, acme):
    import_id = upload(acme)

    assert str(uuid.UUID(import_id)) == import_id
    arrived = simulator.control.remote_import(import_id)
    assert (arrived["account"], arrived["file_name"], arrived["time_zone"]) == (
        "acme",
        "week-23.csv",
        "America/New_York",
    )
    assert arrived["date_format"] == "HH:mm yyyy-MM-dd"
    assert [entry["import_id"] for entry in simulator.control.ledger("acme")["uploads"]] == [import_id]


def test_the_chosen_date_format_is_sent_with_the_file(simulator, acme):
    content = SCHEDULE.replace(b"2026-06-01", b"06/01/2026")

    import_id = upload(acme, content, date_format="HH:mm MM/dd/yyyy")

    assert simulator.control.remote_import(import_id)["date_format"] == "HH:mm MM/dd/yyyy"
    assert final_status(acme, import_id).status == "IMPORTED"


def test_a_wrong_header_is_an_invalid_template_that_shows_the_header_talkdesk_expects(acme):
    with pytest.raises(InvalidTemplate) as raised:
        upload(acme, SCHEDULE.replace(b"Agent Email", b"Email"))

    error = raised.value
    assert (error.http_status, error.code, error.vendor_message) == (400, "1580028", "The CSV template is incorrect.")
    assert TEMPLATE_HEADER in error.message and "week-23.csv" in error.message
    assert not error.retryable


def test_an_unsupported_date_format_is_an_invalid_template_that_names_the_format(acme):
    with pytest.raises(InvalidTemplate) as raised:
        upload(acme, date_format="yyyy-MM-dd HH:mm")

    assert (raised.value.http_status, raised.value.code) == (400, "1580028")
    assert "yyyy-MM-dd HH:mm" in raised.value.message


def test_an_unknown_time_zone_is_a_bad_request_that_names_the_time_zone(acme):
    with pytest.raises(BadRequest) as raised:
        upload(acme, time_zone="Mars/Olympus_Mons")

    error = raised.value
    assert (error.http_status, error.code) == (400, None)
    assert "Mars/Olympus_Mons" in error.message and "Invalid time_zone" in error.vendor_message


def test_a_client_without_write_scope_is_told_which_scope_is_missing_and_where_to_grant_it(simulator):
    with pytest.raises(MissingScope) as raised:
        upload(talkdesk(simulator.base_url, "demo-readonly"))

    error = raised.value
    assert error.http_status == 403 and error.code is None and error.scope == "wfm-public:write"
    assert "wfm-public:write" in error.message and "demo-readonly" in error.message
    assert "Talkdesk Builder" in error.message and "few minutes" in error.message
    assert not error.retryable
    assert simulator.control.ledger()["uploads"] == []


def test_a_second_upload_while_the_first_is_processing_waits_its_turn(simulator, acme):
    simulator.control.set_faults(processing_forever=True)
    upload(acme)

    with pytest.raises(ImportAlreadyInProgress) as raised:
        upload(acme, file_name="week-24.csv")

    error = raised.value
    assert (error.http_status, error.code) == (409, "1580026")
    assert error.retryable
    assert error.message == (
        "Talkdesk is already processing another import for account acme. It will be sent again when that one finishes."
    )


def test_a_file_over_five_megabytes_is_too_large(simulator, acme):
    row = b"John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels\r\n"
    big = SCHEDULE + row * (5 * 1024 * 1024 // len(row) + 1)

    with pytest.raises(FileTooLarge) as raised:
        upload(acme, big)

    assert (raised.value.http_status, raised.value.code) == (413, "1580047")
    assert "5 MB" in raised.value.message and not raised.value.retryable
    assert simulator.control.ledger()["uploads"] == []


def test_a_file_not_named_csv_is_an_unsupported_media_type(acme):
    with pytest.raises(UnsupportedMediaType) as raised:
        upload(acme, file_name="week-23.txt")

    assert (raised.value.http_status, raised.value.code) == (415, "1580027")
    assert ".csv" in raised.value.message and "week-23.txt" in raised.value.message


def test_a_rate_limited_request_says_when_to_try_again(simulator, acme):
    simulator.control.set_faults(rate_limit_burst=1, retry_after_seconds=7)

    with pytest.raises(RateLimited) as raised:
        upload(acme)

    error = raised.value
    assert error.http_status == 429 and error.retryable and error.retry_after == 7.0
    assert "7 seconds" in error.message
    upload(acme)


def test_a_server_error_is_worth_trying_again(simulator, acme):
    acme.granted_scopes()
    simulator.control.set_faults(error_rate=1.0)

    with pytest.raises(TalkdeskServerError) as raised:
        upload(acme)

    assert raised.value.http_status in (500, 503) and raised.value.retryable


def test_a_connection_closed_after_the_file_was_accepted_leaves_the_outcome_unknown(simulator, acme):
    acme.granted_scopes()
    simulator.control.set_faults(drop_after_accept=1)

    with pytest.raises(UploadOutcomeUnknown) as raised:
        upload(acme)

    error = raised.value
    assert not error.retryable
    assert "cannot tell whether Talkdesk received it" in error.message and "week-23.csv" in error.message
    assert [entry["file_name"] for entry in simulator.control.ledger("acme")["uploads"]] == ["week-23.csv"]


def test_a_connection_closed_before_any_answer_to_an_upload_is_just_as_unknown(simulator, acme):
    acme.granted_scopes()
    simulator.control.set_faults(drop_connections=1)

    with pytest.raises(UploadOutcomeUnknown):
        upload(acme)

    assert simulator.control.ledger()["uploads"] == []


def test_an_upload_that_times_out_waiting_for_the_answer_leaves_the_outcome_unknown(simulator):
    client = talkdesk(simulator.base_url, timeout=(5, 0.3))
    client.granted_scopes()
    simulator.control.set_faults(latency_ms=1000)

    with pytest.raises(UploadOutcomeUnknown):
        upload(client)


# Following an import


def test_an_import_is_processing_then_imported(acme):
    import_id = upload(acme)

    first = acme.status(import_id)
    assert (first.id, first.status, first.is_final) == (import_id, "PROCESSING", False)
    finished = final_status(acme, import_id)
    assert finished.status == "IMPORTED" and finished.is_final
    assert finished.error_report_url is None and finished.error_report_expires_at is None


def test_rows_with_unknown_agents_give_an_error_report_to_download(acme):
    import_id = upload(acme, SCHEDULE_WITH_UNKNOWN_AGENT)

    finished = final_status(acme, import_id)

    assert finished.status == "IMPORTED_WITH_ERRORS"
    assert finished.error_report_expires_at.tzinfo is not None
    assert 0 < (finished.error_report_expires_at - datetime.now(UTC)).total_seconds() <= 601
    report = acme.download_report(finished.error_report_url).decode()
    assert "ghost@example.com" in report and "john.smith@example.com" not in report


def test_an_expired_report_link_asks_for_a_fresh_one(simulator, acme):
    simulator.control.set_faults(report_link_ttl_seconds=1)
    import_id = upload(acme, SCHEDULE_WITH_UNKNOWN_AGENT)
    stale_link = final_status(acme, import_id).error_report_url
    time.sleep(2.1)

    with pytest.raises(ReportLinkExpired) as raised:
        acme.download_report(stale_link)

    assert raised.value.http_status == 403 and raised.value.retryable
    assert "fresh one" in raised.value.message
    assert b"ghost@example.com" in acme.download_report(acme.status(import_id).error_report_url)


def test_an_import_talkdesk_could_not_process_ends_in_error(simulator, acme):
    simulator.control.set_faults(final_status="ERROR")

    assert final_status(acme, upload(acme)).status == "ERROR"


def test_an_unknown_import_id_is_not_found(acme):
    unknown = str(uuid.uuid4())

    with pytest.raises(ImportNotFound) as raised:
        acme.status(unknown)

    assert (raised.value.http_status, raised.value.code) == (404, "1580001")
    assert unknown in raised.value.message and not raised.value.retryable


def test_another_accounts_import_is_not_found(simulator, acme):
    import_id = upload(acme)

    with pytest.raises(ImportNotFound):
        talkdesk(simulator.base_url, "globex-portal", account="globex").status(import_id)


def test_a_dropped_connection_while_asking_for_a_status_is_safe_to_ask_again(simulator, acme):
    import_id = upload(acme)
    simulator.control.set_faults(drop_connections=1)

    with pytest.raises(TalkdeskConnectionLost) as raised:
        acme.status(import_id)

    assert raised.value.retryable
    assert acme.status(import_id).id == import_id


def test_a_status_that_times_out_is_safe_to_ask_again(simulator):
    client = talkdesk(simulator.base_url, timeout=(5, 0.3))
    import_id = upload(client)
    simulator.control.set_faults(latency_ms=1000)

    with pytest.raises(TalkdeskConnectionLost) as raised:
        client.status(import_id)

    assert raised.value.retryable


def test_a_server_error_while_asking_for_a_status_is_worth_trying_again(simulator, acme):
    import_id = upload(acme)
    simulator.control.set_faults(error_rate=1.0)

    with pytest.raises(TalkdeskServerError):
        acme.status(import_id)


# Agents


def test_active_agents_walks_every_page_and_keeps_only_active_agents(simulator):
    session = RecordingSession()
    client = talkdesk(simulator.base_url, session=session)

    agents = client.active_agents(per_page=5)

    expected = {a["email"] for a in CONFIG["accounts"]["acme"]["agents"] if a["active"]}
    assert {agent.email for agent in agents} == expected
    assert len(agents) == len(expected) == 12
    assert all(agent.active for agent in agents)
    assert "tom.baker@example.com" not in {agent.email for agent in agents}
    assert sum(1 for request in session.sent if "/users?" in request.url) == 3
    john = next(agent for agent in agents if agent.email == "john.smith@example.com")
    assert (john.id, john.name) == ("5f0a1c3e9b2d4a7e8c100001", "John Smith")


def test_a_client_without_users_scope_cannot_list_agents_and_is_told_why(simulator):
    with pytest.raises(MissingScope) as raised:
        talkdesk(simulator.base_url, "demo-no-users").active_agents()

    assert raised.value.scope == "users:read" and raised.value.http_status == 403
    assert "Talkdesk Builder" in raised.value.message


# Diagnosis


def test_a_client_with_every_scope_is_diagnosed_ready(simulator):
    diagnosis = talkdesk(simulator.base_url).diagnose()

    assert diagnosis.granted == ALL_SCOPES
    assert diagnosis.missing == () and diagnosis.ok


def test_a_read_only_client_is_told_it_cannot_send_and_cannot_check_agents(simulator):
    diagnosis = talkdesk(simulator.base_url, "demo-readonly").diagnose()

    assert diagnosis.granted == {"wfm-public:read"} and not diagnosis.ok
    write, users = diagnosis.missing
    assert (write.scope, write.optional) == ("wfm-public:write", False)
    assert (users.scope, users.optional) == ("users:read", True)
    assert "send schedules" in write.message
    for problem in diagnosis.missing:
        assert "demo-readonly" in problem.message and "Talkdesk Builder" in problem.message
        assert "few minutes" in problem.message


def test_a_client_without_users_scope_is_told_agents_cannot_be_checked_before_sending(simulator):
    diagnosis = talkdesk(simulator.base_url, "demo-no-users").diagnose()

    (users,) = diagnosis.missing
    assert users.scope == "users:read" and users.optional
    assert "agents cannot be checked before sending" in users.message


def test_diagnose_checks_the_scope_names_the_portal_was_configured_with(simulator):
    client = talkdesk(simulator.base_url, scopes=Scopes(users="users:list"))

    assert [problem.scope for problem in client.diagnose().missing] == ["users:list"]


# Secrets


def test_no_secret_or_token_shows_in_errors_reprs_or_log_lines(simulator, caplog):
    caplog.set_level(logging.DEBUG, logger="imports.wfm.talkdesk.client")
    session = RecordingSession()
    client = talkdesk(simulator.base_url, session=session)
    errors = []
    for provoke in (
        lambda: upload(client, file_name="week.txt"),
        lambda: client.status(str(uuid.uuid4())),
        lambda: upload(talkdesk(simulator.base_url, "demo-readonly")),
        lambda: TalkdeskClient(
            account="acme", client_id="demo-portal", client_secret="not-the-secret", base_url=simulator.base_url
        ).diagnose(),
    ):
        with pytest.raises(TalkdeskError) as raised:
            provoke()
        errors.append(raised.value)

    for error in errors:
        assert_no_secret_in(error, *session.tokens)
    assert secret_of("acme", "demo-portal") not in repr(client)
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name == "imports.wfm.talkdesk.client")
    assert re.search(r"POST /wfm/aion/v1/schedules/event-imports -> 415", logged)
    for secret in (*every_secret(), *session.tokens):
        assert secret not in logged


# Tokens that stop working: a simulator whose tokens live a quarter of a second


@pytest.fixture(scope="module")
def short_lived_tokens(tmp_path_factory):
    config = json.loads(CONFIG_PATH.read_text())
    config["token_ttl_seconds"] = 0.25
    config["accounts"]["acme"]["clients"].append(
        {"client_id": "demo-write-only", "client_secret": "demo-write-only-secret", "scopes": ["wfm-public:write"]}
    )
    path = tmp_path_factory.mktemp("simulator") / "short-lived-tokens.json"
    path.write_text(json.dumps(config))
    running = start_simulator(config=path)
    yield running
    stop_simulator(running)


@pytest.fixture
def short_lived(short_lived_tokens):
    short_lived_tokens.control.reset()
    return short_lived_tokens


def expire_tokens_issued_so_far() -> None:
    # The simulator rounds expiry up to the next whole second.
    time.sleep(1.3)


def test_a_token_talkdesk_no_longer_accepts_is_replaced_once_and_the_request_goes_through(short_lived):
    session = RecordingSession()
    client = talkdesk(short_lived.base_url, session=session, clock=FrozenClock())
    client.granted_scopes()
    expire_tokens_issued_so_far()

    import_id = upload(client)

    assert session.token_requests() == 2
    assert [entry["import_id"] for entry in short_lived.control.ledger()["uploads"]] == [import_id]


def test_a_fresh_token_refused_again_is_an_authentication_failure(short_lived):
    client = talkdesk(short_lived.base_url)
    client.granted_scopes()
    # Every request now waits past the life of the token it carries.
    short_lived.control.set_faults(latency_ms=1300)

    with pytest.raises(AuthenticationFailed) as raised:
        client.status(str(uuid.uuid4()))

    error = raised.value
    assert (error.http_status, error.code) == (401, "1580005")
    assert "even after signing in again" in error.message and not error.retryable


def test_when_renewing_a_refused_token_fails_the_upload_is_known_not_to_have_been_sent(short_lived):
    session = RecordingSession()

    def sign_in_service_goes_away(response, **kwargs):
        if response.status_code == 401:
            short_lived.control.set_faults(drop_connections=1)

    session.hooks["response"].append(sign_in_service_goes_away)
    client = talkdesk(short_lived.base_url, session=session, clock=FrozenClock())
    client.granted_scopes()
    expire_tokens_issued_so_far()

    with pytest.raises(TalkdeskConnectionLost) as raised:
        upload(client)

    assert not isinstance(raised.value, UploadOutcomeUnknown) and raised.value.retryable
    assert "sign-in service" in raised.value.message
    assert short_lived.control.ledger()["uploads"] == []


def test_a_client_without_read_scope_cannot_follow_its_imports_and_is_told_why(short_lived):
    client = TalkdeskClient(
        account="acme",
        client_id="demo-write-only",
        client_secret="demo-write-only-secret",
        base_url=short_lived.base_url,
    )
    import_id = upload(client)

    with pytest.raises(MissingScope) as raised:
        client.status(import_id)

    assert raised.value.scope == "wfm-public:read" and raised.value.http_status == 403
    assert "wfm-public:read" in raised.value.message and "Talkdesk Builder" in raised.value.message
    assert [problem.scope for problem in client.diagnose().missing] == ["wfm-public:read", "users:read"]
