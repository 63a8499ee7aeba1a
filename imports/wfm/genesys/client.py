"""Genesys Cloud's Workforce Management schedule import, its OAuth token
service and the look-ups the portal checks a file against, spoken over HTTP
with requests. Failures are raised as the neutral errors of imports.wfm.base
with a message in Genesys's own terms (roles, permissions, business units).

A schedule import is three calls (docs/genesys.md): ask for an upload URL
for a business unit's week, PUT the gzip-compressed JSON schedule to it, and
start the import with the upload key. The first two change nothing in
Genesys and are safe to repeat; only the third imports, and only its lost
answer leaves the outcome unknown.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.auth import HTTPBasicAuth

from imports.wfm.base import (
    Agent,
    Diagnosis,
    MaybeSent,
    NothingSent,
    Problem,
    Refused,
    RemoteStatus,
    Retryable,
    WfmError,
)
from imports.wfm.http import Bearer, NoAuthorization, never_sent, parse_retry_after

log = logging.getLogger(__name__)

# The API host of each Genesys Cloud region (the platform SDK's
# PureCloudRegionHosts); the token service is the same host with login. for api.
REGIONS: dict[str, str] = {
    "us-east-1": "https://api.mypurecloud.com",
    "us-east-2": "https://api.use2.us-gov-pure.cloud",
    "us-west-2": "https://api.usw2.pure.cloud",
    "ca-central-1": "https://api.cac1.pure.cloud",
    "sa-east-1": "https://api.sae1.pure.cloud",
    "mx-central-1": "https://api.mxc1.pure.cloud",
    "eu-west-1": "https://api.mypurecloud.ie",
    "eu-west-2": "https://api.euw2.pure.cloud",
    "eu-central-1": "https://api.mypurecloud.de",
    "eu-central-2": "https://api.euc2.pure.cloud",
    "me-central-1": "https://api.mec1.pure.cloud",
    "ap-south-1": "https://api.aps1.pure.cloud",
    "ap-southeast-1": "https://api.apse1.pure.cloud",
    "ap-southeast-2": "https://api.mypurecloud.com.au",
    "ap-northeast-1": "https://api.mypurecloud.jp",
    "ap-northeast-2": "https://api.apne2.pure.cloud",
    "ap-northeast-3": "https://api.apne3.pure.cloud",
}
WFM = "/api/v2/workforcemanagement"
SCHEDULE_ADD = "wfm:schedule:add"
# The endpoint forum answers give for a schedule import; Genesys has none there.
NONEXISTENT_IMPORT_ENDPOINT = "/api/v2/wfm/schedules/import"
WHERE_PERMISSIONS_ARE_GRANTED = (
    "A Genesys Cloud administrator adds it under Admin > Roles / Permissions to a role of the OAuth client "
    "{client_id} (Admin > Integrations > OAuth, tab Roles). A role just changed can take a few minutes to apply."
)
TOKEN_RENEWAL_MARGIN_SECONDS = 60.0
SEARCH_PAGE_SIZE = 100
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class BusinessUnit:
    id: str
    name: str
    start_day_of_week: str
    time_zone: str


@dataclass(frozen=True)
class ActivityCode:
    id: str
    name: str
    category: str
    length_in_minutes: int | None


@dataclass(frozen=True)
class WeekSchedule:
    id: str
    week_date: str
    week_count: int
    description: str
    published: bool


@dataclass(frozen=True)
class ImportStarted:
    status: str
    operation_id: str


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float

    def __repr__(self) -> str:
        return f"_Token(renew_at={self.renew_at})"


def hosts_for(*, region: str, base_url: str | None = None) -> tuple[str, str]:
    """(token URL, API base) of a region, or of a custom base URL such as the simulator's."""
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{base_url!r} is not a base URL: it must start with http:// or https:// and name a host.")
        base = base_url.rstrip("/")
        return f"{base}/oauth/token", base
    if region not in REGIONS:
        raise ValueError(f"{region!r} is not a Genesys Cloud region: choose one of {', '.join(REGIONS)}.")
    api = REGIONS[region]
    return api.replace("://api.", "://login.", 1) + "/oauth/token", api


def _body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"text": response.text[:500]} if response.text else {}
    return body if isinstance(body, dict) else {"body": body}


def missing_permissions(body: dict[str, Any]) -> str:
    """The permissions a 403 names, as Genesys writes them: "[a, b]"."""
    params = body.get("messageParams") or {}
    named = params.get("permissions") if isinstance(params, dict) else None
    if isinstance(named, str) and named:
        return named.strip("[]")
    message = str(body.get("message") or "")
    return message[message.find("[") + 1 : message.rfind("]")] if "[" in message else ""


def gzip_json(document: dict[str, Any]) -> bytes:
    # mtime=0: the same schedule always gives the same bytes, so its sha256
    # in the ledger and in the portal agree.
    return gzip.compress(json.dumps(document, separators=(",", ":")).encode("utf-8"), mtime=0)


class GenesysClient:
    def __init__(
        self,
        *,
        region: str,
        client_id: str,
        client_secret: str,
        business_unit_id: str,
        base_url: str | None = None,
        timeout: tuple[float, float] = (10.0, 60.0),
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not client_id:
            raise ValueError("Enter the OAuth client ID of the Genesys Cloud connection.")
        if not client_secret:
            raise ValueError("Enter the OAuth client secret of the Genesys Cloud connection.")
        if not business_unit_id:
            raise ValueError("Enter the id of the Genesys Cloud business unit the schedules are for.")
        self.client_id = client_id
        self.business_unit_id = business_unit_id
        self.token_url, self.api_base = hosts_for(region=region, base_url=base_url)
        self.timeout = timeout
        self._credentials = HTTPBasicAuth(client_id, client_secret)
        self._session = session or requests.Session()
        self._clock = clock
        self._token: _Token | None = None
        self._token_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GenesysClient(client_id={self.client_id!r}, api={self.api_base!r}, business_unit={self.business_unit_id!r})"

    @property
    def _unit_path(self) -> str:
        return f"{WFM}/businessunits/{quote(self.business_unit_id, safe='')}"

    # Tokens

    def sign_in(self) -> None:
        self._current_token()

    def _current_token(self, *, renew: bool = False) -> _Token:
        with self._token_lock:
            if renew or self._token is None or self._clock() >= self._token.renew_at:
                self._token = self._fetch_token()
            return self._token

    def _fetch_token(self) -> _Token:
        try:
            response = self._session.post(
                self.token_url,
                data={"grant_type": "client_credentials"},
                auth=self._credentials,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise self._connection_failure(error, what="Genesys Cloud's sign-in service") from None
        log.debug("POST %s -> %s", urlsplit(self.token_url).path, response.status_code)
        body = _body(response)
        if response.status_code == 200:
            value, lifetime = body.get("access_token"), body.get("expires_in")
            if not isinstance(value, str) or not value or not isinstance(lifetime, (int, float)):
                raise Refused("Genesys Cloud's sign-in service answered without a usable access token.", details=body)
            return _Token(
                value=value, renew_at=self._clock() + lifetime - min(TOKEN_RENEWAL_MARGIN_SECONDS, lifetime / 2)
            )
        if response.status_code in (400, 401) and body.get("error") in ("invalid_client", "unauthorized_client"):
            raise Refused(
                f"Genesys Cloud did not accept the client ID {self.client_id} and its secret. Check them in the "
                "connection settings, and that the OAuth client uses the Client Credentials grant and belongs to "
                "the organization of this region.",
                http_status=response.status_code,
                code=body.get("error"),
                details=body,
            )
        raise self._failure(response, body, what="sign in to Genesys Cloud")

    # Look-ups

    def business_unit(self) -> BusinessUnit:
        body = self._get_json(self._unit_path, params={"expand": "settings"}, what="read the business unit")
        settings = body.get("settings") or {}
        day, zone = settings.get("startDayOfWeek"), settings.get("timeZone")
        if day not in DAYS or not isinstance(zone, str) or not zone:
            raise Refused(
                f"Genesys Cloud's business unit {self.business_unit_id} came without a readable start day of week "
                "and time zone, which the portal needs to cut a file into its weeks.",
                details=body,
            )
        return BusinessUnit(
            id=str(body.get("id") or self.business_unit_id),
            name=str(body.get("name") or ""),
            start_day_of_week=day,
            time_zone=zone,
        )

    def activity_codes(self) -> list[ActivityCode]:
        body = self._get_json(f"{self._unit_path}/activitycodes", what="list the business unit's activity codes")
        return [
            ActivityCode(
                id=str(code["id"]),
                name=str(code.get("name") or ""),
                category=str(code.get("category") or ""),
                length_in_minutes=code.get("lengthInMinutes"),
            )
            for code in body.get("entities") or []
            if isinstance(code, dict) and code.get("id") and code.get("active", True)
        ]

    def active_agents(self) -> list[Agent]:
        """The business unit's users (through its management units), with
        their e-mail addresses from the users search."""
        units = self._get_json(f"{self._unit_path}/managementunits", what="list the business unit's management units")
        user_ids: list[str] = []
        for unit in units.get("entities") or []:
            members = self._get_json(
                f"{WFM}/managementunits/{quote(str(unit.get('id')), safe='')}/users",
                what=f"list the users of management unit {unit.get('name') or unit.get('id')}",
            )
            user_ids.extend(str(user["id"]) for user in members.get("entities") or [] if user.get("id"))
        agents: list[Agent] = []
        unique = list(dict.fromkeys(user_ids))
        for start in range(0, len(unique), SEARCH_PAGE_SIZE):
            chunk = unique[start : start + SEARCH_PAGE_SIZE]
            found = self._post_json(
                "/api/v2/users/search",
                {
                    "pageSize": SEARCH_PAGE_SIZE,
                    "pageNumber": 1,
                    "query": [{"type": "EXACT", "fields": ["id"], "values": chunk}],
                },
                what="look the business unit's users up by id",
            )
            agents.extend(
                Agent(id=str(user["id"]), email=user["email"], name=str(user.get("name") or ""), active=True)
                for user in found.get("results") or []
                if isinstance(user, dict) and user.get("state") == "active" and user.get("email")
            )
        return agents

    def week_schedules(self, week: date) -> list[WeekSchedule]:
        body = self._get_json(
            f"{self._unit_path}/weeks/{week.isoformat()}/schedules", what=f"list the schedules of the week of {week}"
        )
        return [
            WeekSchedule(
                id=str(item.get("id")),
                week_date=str(item.get("weekDate") or ""),
                week_count=int(item.get("weekCount") or 1),
                description=str(item.get("description") or ""),
                published=bool(item.get("published")),
            )
            for item in body.get("entities") or []
            if isinstance(item, dict)
        ]

    # The import

    def upload(self, *, week: date, body: bytes, file_name: str) -> str:
        """Uploads one week's gzip-compressed schedule and starts its import;
        returns the operation id. Only the last call can import anything."""
        weeks = f"{self._unit_path}/weeks/{week.isoformat()}/schedules/import"
        ticket = self._post_json(f"{weeks}/uploadurl", {"contentLengthBytes": len(body)}, what=f"prepare {file_name}")
        url, key = ticket.get("url"), ticket.get("uploadKey")
        if not isinstance(url, str) or not isinstance(key, str) or urlsplit(url).scheme not in ("http", "https"):
            raise Refused(
                f"Genesys Cloud gave no usable upload URL for {file_name}; nothing was imported.", details=ticket
            )
        headers = {str(k): str(v) for k, v in (ticket.get("headers") or {}).items()}
        try:
            response = self._session.put(url, data=body, headers=headers, auth=NoAuthorization(), timeout=self.timeout)
        except requests.RequestException as error:
            # Nothing is imported until the import call: a lost PUT is simply made again.
            raise Retryable(
                f"The upload of {file_name} to Genesys Cloud broke off; nothing was imported. The portal will try again."
            ) from error
        log.debug("PUT %s -> %s", urlsplit(url).path, response.status_code)
        if response.status_code not in (200, 201, 204):
            raise Retryable(
                f"Genesys Cloud's storage refused the upload of {file_name} (HTTP {response.status_code}); "
                "nothing was imported. The portal will try again with a fresh upload URL.",
                http_status=response.status_code,
                details=_body(response),
            )
        response = self._call("POST", weeks, json={"uploadKey": key}, commits=file_name)
        started = _body(response)
        operation_id = started.get("operationId")
        if response.status_code in (200, 202) and isinstance(operation_id, str):
            if started.get("status") == "Error":
                raise Refused(
                    f"Genesys Cloud refused to import {file_name} (operation {operation_id}).", details=started
                )
            return operation_id
        if response.status_code in (200, 202):
            raise MaybeSent(
                f"Genesys Cloud answered the import of {file_name} without an operation id. Check the week's "
                "schedules in Genesys Cloud before sending the file again.",
                http_status=response.status_code,
                details=started,
            )
        if response.status_code == 400:
            problems = started.get("details") or []
            listed = "; ".join(
                f"{p.get('errorCode')} at {p.get('fieldName')}{' (' + p['entityId'] + ')' if p.get('entityId') else ''}"
                for p in problems[:10]
                if isinstance(p, dict)
            )
            raise Refused(
                f"Genesys Cloud refused {file_name}: {started.get('message') or 'the schedule is not valid'}"
                + (f" {listed}." if listed else ""),
                http_status=400,
                code=started.get("code"),
                details=started,
            )
        if response.status_code == 409:
            raise Retryable(
                f"Genesys Cloud is busy with another schedule import for business unit {self.business_unit_id} "
                f"({started.get('message') or 'conflict'}). The portal will send {file_name} when it is done.",
                after=parse_retry_after(response.headers.get("Retry-After")),
                busy=True,
                http_status=409,
                code=started.get("code"),
                details=started,
            )
        raise self._failure(response, started, what=f"import {file_name}", permission=SCHEDULE_ADD)

    def status(self, *, week: date, description: str) -> RemoteStatus:
        """Where an import stands, read from the week's schedules: Genesys
        reports an operation's end only on its notification topic (a
        websocket), so a schedule bearing the import's own description is
        the REST-visible sign that it is done (docs/genesys.md)."""
        found = any(schedule.description == description for schedule in self.week_schedules(week))
        return RemoteStatus.IMPORTED if found else RemoteStatus.PROCESSING

    # Diagnosis

    def diagnose(self, *, week: date | None = None) -> Diagnosis:
        """Signs in afresh and tries each call the portal makes, naming every
        permission the client's roles lack. Asking for an upload URL imports
        nothing, so it proves wfm:schedule:add without touching a schedule."""
        self._current_token(renew=True)
        missing: list[Problem] = []
        unit: BusinessUnit | None = None
        checks = (
            (
                "wfm:businessUnit:view",
                "read the business unit's start day of week and time zone",
                False,
                self.business_unit,
            ),
            (
                "wfm:activityCode:view",
                "check the file's event types against the activity codes",
                False,
                self.activity_codes,
            ),
            ("wfm:agent:view", "check the file's agents against the business unit's users", True, self.active_agents),
        )
        for permission, needed_for, optional, call in checks:
            try:
                result = call()
            except Refused as error:
                if error.http_status != 403:
                    raise
                named = missing_permissions(error.details) or permission
                missing.append(self._problem(named, needed_for, optional))
                continue
            if isinstance(result, BusinessUnit):
                unit = result
        first_week = week or _next_week_start(unit)
        try:
            self._post_json(
                f"{self._unit_path}/weeks/{first_week.isoformat()}/schedules/import/uploadurl",
                {"contentLengthBytes": 1},
                what="prepare a schedule import",
            )
        except Refused as error:
            if error.http_status != 403:
                raise
            missing.insert(0, self._problem(SCHEDULE_ADD, "import schedules", False))
        notes = (
            f"Genesys Cloud has no {NONEXISTENT_IMPORT_ENDPOINT} endpoint, whatever some forum answers say: "
            "a schedule is imported per business unit and week through …/weeks/{weekId}/schedules/import/uploadurl, "
            "an upload, then …/schedules/import, which is what the portal does.",
        )
        return Diagnosis(granted=frozenset(), missing=tuple(missing), notes=notes)

    def _problem(self, permission: str, needed_for: str, optional: bool) -> Problem:
        consequence = (
            "Without it, the portal cannot check this before sending; Genesys Cloud will then refuse what it does not know. "
            if optional
            else ""
        )
        return Problem(
            permission=permission,
            needed_for=needed_for,
            optional=optional,
            message=(
                f"The Genesys Cloud OAuth client {self.client_id} lacks {_permissions_in_words(permission)}, "
                f"which the portal needs to {needed_for}. "
                + consequence
                + WHERE_PERMISSIONS_ARE_GRANTED.format(client_id=self.client_id)
            ),
        )

    # Transport

    def _get_json(self, path: str, *, what: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        response = self._call("GET", path, params=params)
        if response.status_code == 200:
            return _body(response)
        raise self._failure(response, _body(response), what=what)

    def _post_json(self, path: str, payload: dict[str, Any], *, what: str) -> dict[str, Any]:
        response = self._call("POST", path, json=payload)
        if response.status_code == 200:
            return _body(response)
        raise self._failure(response, _body(response), what=what)

    def _call(self, method: str, path: str, *, commits: str | None = None, **request: Any) -> requests.Response:
        response = self._send(method, path, self._current_token(), commits=commits, **request)
        if response.status_code != 401:
            return response
        # A token revoked or expired early: one fresh token tells that apart
        # from credentials that no longer work. A 401 imported nothing.
        response = self._send(method, path, self._current_token(renew=True), commits=commits, **request)
        if response.status_code != 401:
            return response
        raise Refused(
            f"Genesys Cloud refused the portal's access token for OAuth client {self.client_id} even after signing "
            "in again. Check that the client still exists and is active.",
            http_status=401,
            details=_body(response),
        )

    def _send(self, method: str, path: str, token: _Token, *, commits: str | None, **request: Any) -> requests.Response:
        try:
            response = self._session.request(
                method,
                self.api_base + path,
                auth=Bearer(token.value),
                timeout=self.timeout,
                allow_redirects=False,
                **request,
            )
        except requests.RequestException as error:
            if commits is not None and not never_sent(error):
                raise MaybeSent(
                    f"The connection to Genesys Cloud broke after the import of {commits} was started, so the portal "
                    "cannot tell whether Genesys Cloud has it. Check the week's schedules in Genesys Cloud before "
                    "sending the file again, so it is not imported twice."
                ) from None
            raise self._connection_failure(error, what="Genesys Cloud") from None
        log.debug("%s %s -> %s", method, path, response.status_code)
        return response

    def _connection_failure(self, error: requests.RequestException, *, what: str) -> WfmError:
        host = urlsplit(self.api_base).netloc
        if never_sent(error):
            return NothingSent(
                f"The portal could not connect to {what} ({host}), so nothing was sent. It will try again; if this "
                "persists, check the network and the region of the connection."
            )
        return Retryable(f"The connection to {what} ({host}) broke before it answered. The portal will ask again.")

    def _failure(
        self, response: requests.Response, body: dict[str, Any], *, what: str, permission: str | None = None
    ) -> WfmError:
        status, code = response.status_code, body.get("code")
        common: dict[str, Any] = {"http_status": status, "code": code, "details": body}
        if status == 403:
            named = missing_permissions(body) or permission or "(not named)"
            return Refused(
                f"Genesys Cloud did not let the portal {what}: the OAuth client {self.client_id} lacks "
                f"{_permissions_in_words(named)}. " + WHERE_PERMISSIONS_ARE_GRANTED.format(client_id=self.client_id),
                **common,
            )
        if status == 404:
            return Refused(
                f"Genesys Cloud found nothing to {what} (HTTP 404, {body.get('message') or 'not found'}). Check the "
                f"business unit id {self.business_unit_id} and the region of the connection.",
                **common,
            )
        if status == 413:
            return Refused(
                f"Genesys Cloud refused to {what}: too large ({body.get('message') or 'HTTP 413'}).", **common
            )
        if status == 429:
            after = parse_retry_after(response.headers.get("Retry-After"))
            when = f"in {after:g} seconds" if after is not None else "in a little while"
            return Retryable(
                f"Genesys Cloud is receiving too many requests from OAuth client {self.client_id} "
                f"(its limit is 300 a minute per token). The portal will try again {when}.",
                after=after,
                **common,
            )
        if status >= 500:
            return Retryable(
                f"Genesys Cloud had a problem on its side (HTTP {status}) when the portal tried to {what}. "
                "The portal will try again.",
                after=parse_retry_after(response.headers.get("Retry-After")),
                **common,
            )
        return Refused(
            f"Genesys Cloud refused to {what} (HTTP {status}: {body.get('message') or body.get('error') or 'no message'}).",
            **common,
        )


def _permissions_in_words(named: str) -> str:
    """Genesys names one permission, or every one of which a single one would do."""
    names = [name.strip() for name in named.split(",") if name.strip()]
    if len(names) <= 1:
        return f"the permission {named}"
    return f"any of the permissions {', '.join(names)} (one of them is enough)"


def _next_week_start(unit: BusinessUnit | None) -> date:
    today = date.today()
    start = DAYS.index(unit.start_day_of_week) if unit else 0
    return date.fromordinal(today.toordinal() + ((start - today.weekday()) % 7 or 7))
