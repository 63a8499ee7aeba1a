"""Talkdesk's Schedule Event Import API, its OAuth token service and the
Users API, spoken over HTTP with requests.

Every failure is raised as a TalkdeskError whose `.message` a supervisor can
act on and whose `.retryable` tells the caller (the Celery task, which owns the
retry policy) whether sending the same request again is safe and useful. The
client itself retries only one thing: a request answered 401, once, with a
fresh token.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import HTTPBasicAuth

from imports.wfm.http import Bearer, NoAuthorization, never_sent, parse_retry_after
from imports.wfm.talkdesk.fields import account_name_problem

log = logging.getLogger(__name__)

# The only place that knows Talkdesk's hosts.
REGIONS: dict[str, tuple[str, str]] = {
    "us": ("https://{account}.talkdeskid.com/oauth/token", "https://api.talkdeskapp.com"),
    "eu": ("https://{account}.talkdeskid.eu/oauth/token", "https://api.talkdeskapp.eu"),
    "ca": ("https://{account}.talkdeskidca.com/oauth/token", "https://api.talkdeskappca.com"),
}
# A custom base URL (the simulator) serves the token service under the account's name.
CUSTOM_TOKEN_URL = "{base_url}/{account}/oauth/token"  # noqa: S105 (a URL, not a password)

EVENT_IMPORTS_PATH = "/wfm/aion/v1/schedules/event-imports"
USERS_PATH = "/users"
TEMPLATE_HEADER = "Agent Name,Agent Email,Start Time,End Time,Event Type Name"
FINAL_STATUSES = frozenset({"IMPORTED", "IMPORTED_WITH_ERRORS", "ERROR"})
KNOWN_STATUSES = FINAL_STATUSES | {"PROCESSING"}

# Talkdesk's words for where an administrator changes an OAuth client's scopes.
WHERE_SCOPES_ARE_GRANTED = (
    "A Talkdesk administrator adds it in Talkdesk Builder, under API Clients: open the OAuth client "
    "{client_id} and add the scope {scope}. Scopes just added can take a few minutes to apply."
)

# A token is renewed this long before Talkdesk says it expires, so a request
# never leaves with a token that dies on the way.
TOKEN_RENEWAL_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class Scopes:
    write: str = "wfm-public:write"
    read: str = "wfm-public:read"
    users: str = "users:read"


@dataclass(frozen=True)
class Endpoints:
    token_url: str
    api_base: str


@dataclass(frozen=True)
class ImportStatus:
    id: str
    status: str
    error_report_url: str | None = None
    error_report_expires_at: datetime | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class Agent:
    id: str
    email: str
    name: str
    active: bool


@dataclass(frozen=True)
class ScopeProblem:
    scope: str
    needed_for: str
    optional: bool
    message: str


@dataclass(frozen=True)
class Diagnosis:
    granted: frozenset[str]
    missing: tuple[ScopeProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.missing


class TalkdeskError(Exception):
    """A failure to talk to Talkdesk; `.message` says what to do about it."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: str | None = None,
        vendor_message: str | None = None,
        retry_after: float | None = None,
        answer: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code
        self.vendor_message = vendor_message
        self.retry_after = retry_after
        # What Talkdesk answered, in words an admin can compare with what
        # Talkdesk WFM shows (None when no answer came).
        self.answer = answer


class InvalidClientCredentials(TalkdeskError):
    """The token service refused the client ID and secret."""


class AuthenticationFailed(TalkdeskError):
    """The API refused the token even after a fresh one was fetched (401 1580005)."""


class MissingScope(TalkdeskError):
    """The OAuth client lacks the scope the request needs (403)."""

    def __init__(self, message: str, *, scope: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.scope = scope


class InvalidTemplate(TalkdeskError):
    """Wrong CSV header or a date format Talkdesk cannot read (400 1580028)."""


class BadRequest(TalkdeskError):
    """Any other 400, such as an unknown time zone."""


class ImportAlreadyInProgress(TalkdeskError):
    """Talkdesk runs one import per account at a time (409 1580026)."""

    retryable = True


class FileTooLarge(TalkdeskError):
    """Over Talkdesk's 5 MB limit (413 1580047)."""


class UnsupportedMediaType(TalkdeskError):
    """Not sent as a .csv file (415 1580027)."""


class RateLimited(TalkdeskError):
    """Too many requests (429); `.retry_after` says when to try again."""

    retryable = True


class ImportNotFound(TalkdeskError):
    """No such import for this account (404 1580001)."""


class ReportLinkExpired(TalkdeskError):
    """The pre-signed error report link is past its ten minutes; asking for
    the import's status again yields a fresh one."""

    retryable = True


class TalkdeskServerError(TalkdeskError):
    """Talkdesk failed on its side (5xx)."""

    retryable = True


class TalkdeskUnreachable(TalkdeskError):
    """No connection could be made, so nothing was sent."""

    retryable = True


class TalkdeskConnectionLost(TalkdeskError):
    """A read-only request was sent but no answer came; asking again is safe."""

    retryable = True


class UploadOutcomeUnknown(TalkdeskError):
    """The upload was sent but no answer came: Talkdesk may have the file.
    Sending it again blindly could import the schedule twice."""


class UnexpectedResponse(TalkdeskError):
    """Talkdesk answered outside its documented contract."""


def endpoint_for(*, account: str, region: str = "us", base_url: str | None = None) -> Endpoints:
    """Where the token service and the API of an account live."""
    problem = account_name_problem(account)
    if problem:
        raise ValueError(problem)
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{base_url!r} is not a base URL: it must start with http:// or https:// and name a host.")
        base = base_url.rstrip("/")
        return Endpoints(token_url=CUSTOM_TOKEN_URL.format(base_url=base, account=account), api_base=base)
    if region not in REGIONS:
        raise ValueError(f"{region!r} is not a Talkdesk region: choose one of {', '.join(sorted(REGIONS))}.")
    token_url, api_base = REGIONS[region]
    return Endpoints(token_url=token_url.format(account=account), api_base=api_base)


def import_id_from_location(location: str | None) -> str | None:
    """The import's UUID from a 202's Location header, absolute or relative;
    None when there is none to be found."""
    if not location:
        return None
    segments = [segment for segment in urlsplit(location.strip()).path.split("/") if segment]
    if len(segments) < 2 or segments[-2] != "event-imports":
        return None
    try:
        uuid.UUID(segments[-1])
    except ValueError:
        return None
    return segments[-1]


@dataclass(frozen=True)
class _Token:
    value: str
    scopes: frozenset[str]
    renew_at: float

    def __repr__(self) -> str:
        return f"_Token(scopes={sorted(self.scopes)}, renew_at={self.renew_at})"


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _vendor_details(response: requests.Response) -> dict[str, Any]:
    body = _json_object(response) or {}
    code = body.get("code")
    vendor_message = body.get("message") or body.get("error_description") or body.get("error")
    if vendor_message is None and response.text:
        vendor_message = response.text[:300]
    return {
        "http_status": response.status_code,
        "code": str(code) if code is not None else None,
        "vendor_message": vendor_message,
        "retry_after": parse_retry_after(response.headers.get("Retry-After")),
    }


def _path_of(url: str) -> str:
    # Only the path is logged: a pre-signed link's query is its credential.
    return urlsplit(url).path or "/"


class TalkdeskClient:
    def __init__(
        self,
        *,
        account: str,
        client_id: str,
        client_secret: str,
        region: str = "us",
        base_url: str | None = None,
        scopes: Scopes = Scopes(),
        timeout: tuple[float, float] = (10.0, 60.0),
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not client_id:
            raise ValueError("Enter the OAuth client ID of the Talkdesk connection.")
        if not client_secret:
            raise ValueError("Enter the OAuth client secret of the Talkdesk connection.")
        self.account = account
        self.client_id = client_id
        self.endpoints = endpoint_for(account=account, region=region, base_url=base_url)
        self.scopes = scopes
        self.timeout = timeout
        self._credentials = HTTPBasicAuth(client_id, client_secret)
        self._session = session or requests.Session()
        self._clock = clock
        self._token: _Token | None = None
        self._token_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"TalkdeskClient(account={self.account!r}, client_id={self.client_id!r}, api={self.endpoints.api_base!r})"
        )

    # Tokens and scopes

    def granted_scopes(self) -> frozenset[str]:
        return self._current_token().scopes

    def sign_in(self) -> None:
        """Gets a token now, unless a fresh one is at hand, so that the next
        request leaves without first waiting on the token service."""
        self._current_token()

    def diagnose(self) -> Diagnosis:
        """Signs in afresh and lists what the OAuth client may and may not do."""
        granted = self._current_token(renew=True).scopes
        needs = (
            (self.scopes.write, "send schedules to Talkdesk", False),
            (self.scopes.read, "follow an import until Talkdesk has finished it", False),
            (self.scopes.users, "check the agents in a file against Talkdesk's users before sending it", True),
        )
        missing = tuple(
            ScopeProblem(
                scope=scope,
                needed_for=needed_for,
                optional=optional,
                message=self._missing_scope_message(scope, needed_for, optional),
            )
            for scope, needed_for, optional in needs
            if scope not in granted
        )
        return Diagnosis(granted=granted, missing=missing)

    def _missing_scope_message(self, scope: str, needed_for: str, optional: bool) -> str:
        consequence = (
            "Without it, agents cannot be checked before sending: unknown emails show up only "
            "in Talkdesk's error report. "
            if optional
            else ""
        )
        return (
            f"The Talkdesk OAuth client {self.client_id} lacks the scope {scope}, "
            f"which the portal needs to {needed_for}. "
            + consequence
            + WHERE_SCOPES_ARE_GRANTED.format(client_id=self.client_id, scope=scope)
        )

    def _current_token(self, *, renew: bool = False) -> _Token:
        with self._token_lock:
            if renew or self._token is None or self._clock() >= self._token.renew_at:
                self._token = self._fetch_token()
            return self._token

    def _fetch_token(self) -> _Token:
        url = self.endpoints.token_url
        try:
            response = self._session.post(
                url,
                data={"grant_type": "client_credentials"},
                auth=self._credentials,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise self._connection_failure(error, sign_in=True) from None
        log.debug("POST %s -> %s", _path_of(url), response.status_code)
        if response.status_code == 200:
            return self._token_from(response)
        details = _vendor_details(response)
        oauth_error = (_json_object(response) or {}).get("error")
        if response.status_code == 401 or oauth_error in ("invalid_client", "unauthorized_client"):
            raise InvalidClientCredentials(
                f"Talkdesk did not accept the client ID and secret of the connection to account {self.account}. "
                "Check them in the connection settings. An OAuth client just created or changed in Talkdesk Builder "
                "can take a few minutes to work.",
                **details,
            )
        if oauth_error == "unsupported_grant_type":
            raise InvalidClientCredentials(
                f"The Talkdesk OAuth client {self.client_id} may not use the Client Credentials grant. "
                "A Talkdesk administrator can change its grant type in Talkdesk Builder, under API Clients.",
                **details,
            )
        raise self._common_failure(response, details, what="sign in to Talkdesk")

    def _token_from(self, response: requests.Response) -> _Token:
        body = _json_object(response) or {}
        value, lifetime = body.get("access_token"), body.get("expires_in")
        if not isinstance(value, str) or not value or not isinstance(lifetime, (int, float)):
            raise UnexpectedResponse(
                f"Talkdesk's sign-in service for account {self.account} answered without a usable access token.",
                http_status=response.status_code,
            )
        # A short-lived token would otherwise be stale the moment it arrives.
        margin = min(TOKEN_RENEWAL_MARGIN_SECONDS, lifetime / 2)
        return _Token(
            value=value,
            scopes=frozenset(str(body.get("scope") or "").split()),
            renew_at=self._clock() + lifetime - margin,
        )

    # The Schedule Event Import API

    def upload(self, *, content: bytes, file_name: str, time_zone: str, date_format: str | None = None) -> str:
        """Sends one CSV file; returns the import id Talkdesk assigned to it."""
        form = {"file_name": file_name, "time_zone": time_zone}
        if date_format:
            form["date_format"] = date_format
        # A 401 means Talkdesk accepted nothing, so the one resend after a
        # fresh token (in _call_api) cannot import the file twice.
        response = self._call_api(
            "POST",
            EVENT_IMPORTS_PATH,
            upload_of=file_name,
            data=form,
            files={"csv_file": (file_name, content, "text/csv")},
        )
        if response.status_code == 202:
            import_id = import_id_from_location(response.headers.get("Location"))
            if import_id is None:
                raise UnexpectedResponse(
                    f"Talkdesk accepted the file {file_name} but did not say under which import id "
                    f"(Location: {response.headers.get('Location')!r}), so the portal cannot follow it. "
                    "Check the schedule in Talkdesk WFM before sending the file again.",
                    http_status=202,
                )
            return import_id
        details = _vendor_details(response)
        status, code = response.status_code, details["code"]
        if status == 400 and code == "1580028":
            format_in_use = date_format or "HH:mm yyyy-MM-dd"
            raise InvalidTemplate(
                f"Talkdesk could not read {file_name}: its first line must be exactly {TEMPLATE_HEADER} "
                f"and every time must be written as {format_in_use}. Correct the file and upload it again.",
                **details,
            )
        if status == 400:
            raise BadRequest(
                f"Talkdesk refused {file_name}: {details['vendor_message'] or 'the request was not valid'}. "
                f"Check the time zone ({time_zone}) and the date format, then upload it again.",
                **details,
            )
        if status == 409:
            raise ImportAlreadyInProgress(
                f"Talkdesk is already processing another import for account {self.account}. "
                "It will be sent again when that one finishes.",
                **details,
            )
        if status == 413:
            raise FileTooLarge(
                f"{file_name} is larger than the 5 MB Talkdesk accepts in one import. "
                "Split it into smaller files and upload them one at a time.",
                **details,
            )
        if status == 415:
            raise UnsupportedMediaType(
                f"Talkdesk accepts only CSV files, and {file_name} was not taken as one: "
                "its name must end in .csv and it must be a comma-separated text file.",
                **details,
            )
        raise self._common_failure(response, details, what=f"send {file_name}", scope=self.scopes.write)

    def status(self, import_id: str) -> ImportStatus:
        response = self._call_api("GET", f"{EVENT_IMPORTS_PATH}/{import_id}")
        if response.status_code == 200:
            return self._status_from(response, import_id)
        details = _vendor_details(response)
        if response.status_code == 404 and details["code"] == "1580001":
            raise ImportNotFound(
                f"Talkdesk answers that it has no import {import_id} for account {self.account}, although it gave "
                "the portal that id when it received the file. Talkdesk may have lost track of it, or the "
                "connection's account was changed since the file was sent.",
                answer=f"HTTP 404 with code 1580001 ({details['vendor_message'] or 'Not found.'}): no import "
                f"{import_id} for account {self.account}",
                **details,
            )
        raise self._common_failure(
            response, details, what=f"ask Talkdesk about import {import_id}", scope=self.scopes.read
        )

    def _status_from(self, response: requests.Response, import_id: str) -> ImportStatus:
        body = _json_object(response)
        status = body.get("status") if body is not None else None
        if body is None or status not in KNOWN_STATUSES:
            answer = _describe_odd_status(response, body)
            raise UnexpectedResponse(
                f"Talkdesk answered the status check of import {import_id} with {answer}, "
                "which is not one of its documented answers.",
                http_status=response.status_code,
                answer=answer,
            )
        expires_at = body.get("error_report_expires_at")
        try:
            expires_at = _aware_datetime(expires_at) if expires_at else None
        except (TypeError, ValueError):
            raise UnexpectedResponse(
                f"Talkdesk gave the error report of import {import_id} an unreadable expiry ({expires_at!r}).",
                http_status=response.status_code,
                answer=f"HTTP {response.status_code} with an unreadable error report expiry ({expires_at!r})",
            ) from None
        return ImportStatus(
            id=str(body.get("id") or import_id),
            status=status,
            error_report_url=body.get("error_report_url") or None,
            error_report_expires_at=expires_at,
        )

    def download_report(self, url: str) -> bytes:
        """The error report CSV behind a pre-signed link from `status()`."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise UnexpectedResponse(f"Talkdesk's link to the error report is not a web address: {_path_of(url)!r}.")
        try:
            response = self._session.get(url, auth=NoAuthorization(), timeout=self.timeout)
        except requests.RequestException as error:
            raise self._connection_failure(error) from None
        log.debug("GET %s -> %s", _path_of(url), response.status_code)
        if response.status_code == 200:
            return response.content
        details = _vendor_details(response)
        if response.status_code == 403:
            raise ReportLinkExpired(
                "The link to Talkdesk's error report has expired (it lasts ten minutes). "
                "The portal will ask Talkdesk for a fresh one.",
                **details,
            )
        raise self._common_failure(response, details, what="download Talkdesk's error report")

    # The Users API

    def active_agents(self, *, per_page: int = 100) -> list[Agent]:
        """Every active user of the account, across all pages."""
        agents: list[Agent] = []
        page = 1
        while True:
            response = self._call_api("GET", USERS_PATH, params={"page": page, "per_page": per_page})
            if response.status_code != 200:
                raise self._common_failure(
                    response, _vendor_details(response), what="list the account's agents", scope=self.scopes.users
                )
            users, more = self._users_page(response, page)
            # A user without an email cannot be named in a schedule file.
            agents.extend(
                Agent(id=str(user["id"]), email=user["email"], name=user.get("name") or "", active=True)
                for user in users
                if user.get("active") and isinstance(user.get("email"), str) and user["email"]
            )
            if not more:
                return agents
            page += 1

    def _users_page(self, response: requests.Response, page: int) -> tuple[list[dict[str, Any]], bool]:
        body = _json_object(response) or {}
        users = (body.get("_embedded") or {}).get("users")
        if not isinstance(users, list) or not all(isinstance(user, dict) and "id" in user for user in users):
            raise UnexpectedResponse(
                f"Talkdesk's list of users for account {self.account} (page {page}) could not be read.",
                http_status=response.status_code,
            )
        total_pages = body.get("total_pages")
        # An empty page or the last counted page ends the walk even if a
        # `next` link lingers, so a faulty answer cannot loop forever.
        last_page = isinstance(total_pages, int) and page >= total_pages
        more = "next" in (body.get("_links") or {}) and bool(users) and not last_page
        return users, more

    # Transport

    def _call_api(self, method: str, path: str, *, upload_of: str | None = None, **request: Any) -> requests.Response:
        response = self._send(method, path, self._current_token(), upload_of=upload_of, **request)
        if response.status_code != 401:
            return response
        # A token can be revoked or expire early on Talkdesk's side; one fresh
        # token tells that apart from credentials that no longer work.
        response = self._send(method, path, self._current_token(renew=True), upload_of=upload_of, **request)
        if response.status_code != 401:
            return response
        raise AuthenticationFailed(
            f"Talkdesk refused the portal's access for account {self.account} even after signing in again. "
            "Check that the OAuth client is still active in Talkdesk Builder; if its scopes were just changed, "
            "wait a few minutes and try again.",
            **_vendor_details(response),
        )

    def _send(
        self, method: str, path: str, token: _Token, *, upload_of: str | None, **request: Any
    ) -> requests.Response:
        url = self.endpoints.api_base + path
        try:
            response = self._session.request(
                method, url, auth=Bearer(token.value), timeout=self.timeout, allow_redirects=False, **request
            )
        except requests.RequestException as error:
            raise self._connection_failure(error, upload_of=upload_of) from None
        log.debug("%s %s -> %s", method, path, response.status_code)
        return response

    def _connection_failure(
        self, error: requests.RequestException, *, upload_of: str | None = None, sign_in: bool = False
    ) -> TalkdeskError:
        url = error.request.url if error.request is not None else None
        host = urlsplit(url).netloc if isinstance(url, str) and url else "Talkdesk"
        if never_sent(error):
            return TalkdeskUnreachable(
                f"The portal could not connect to Talkdesk ({host}), so nothing was sent. It will try again; "
                "if this persists, check the network and the region or base URL of the connection."
            )
        if upload_of is not None:
            return UploadOutcomeUnknown(
                f"The connection to Talkdesk broke after {upload_of} was sent, so the portal cannot tell whether "
                "Talkdesk received it. Check the schedule in Talkdesk WFM before sending the file again, "
                "so it is not imported twice."
            )
        what = "Talkdesk's sign-in service" if sign_in else "Talkdesk"
        return TalkdeskConnectionLost(
            f"The connection to {what} ({host}) broke before it answered. The portal will ask again."
        )

    def _common_failure(
        self, response: requests.Response, details: dict[str, Any], *, what: str, scope: str | None = None
    ) -> TalkdeskError:
        status = response.status_code
        if status == 403 and scope is not None:
            return MissingScope(
                f"Talkdesk did not let the portal {what}: the OAuth client {self.client_id} lacks the scope {scope}. "
                + WHERE_SCOPES_ARE_GRANTED.format(client_id=self.client_id, scope=scope),
                scope=scope,
                **details,
            )
        if status == 429:
            when = (
                f"in {details['retry_after']:g} seconds" if details["retry_after"] is not None else "in a little while"
            )
            return RateLimited(
                f"Talkdesk is receiving too many requests from account {self.account}. "
                f"The portal will try again {when}.",
                **details,
            )
        if status >= 500:
            return TalkdeskServerError(
                f"Talkdesk had a problem on its side (HTTP {status}) when the portal tried to {what}. "
                "The portal will try again.",
                **details,
            )
        return UnexpectedResponse(
            f"Talkdesk gave an unexpected answer (HTTP {status}) when the portal tried to {what}. "
            "If this persists, check the region or base URL of the connection.",
            **details,
        )


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _describe_odd_status(response: requests.Response, body: dict[str, Any] | None) -> str:
    """A status answer the portal cannot use, described as an admin would see
    it: a proxy's HTML page, text that is not JSON, or a status Talkdesk does
    not document."""
    http = f"HTTP {response.status_code}"
    if body is not None:
        status = body.get("status")
        if status is None:
            return f"{http} with JSON but no status"
        return f'{http} with the status "{str(status)[:60]}"'
    text = response.text.strip()
    if not text:
        return f"{http} with an empty body"
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind == "text/html" or text[:15].lower().startswith(("<!doctype html", "<html")):
        title = _TITLE.search(text)
        named = f' titled "{" ".join(title.group(1).split())[:80]}"' if title and title.group(1).strip() else ""
        return f"{http} with a web page{named} instead of JSON"
    return f'{http} with a body that is not JSON ("{" ".join(text.split())[:60]}")'


def _aware_datetime(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
