"""The Genesys Cloud endpoints the portal uses, at their real paths: the
client-credentials token service (served by login.<region> in Genesys Cloud,
here on the same host), the Workforce Management business unit, management
unit, activity code and schedule import routes, the users search and the
pre-signed upload URL. Bodies, codes and permission names follow the
platform SDK documentation; docs/genesys.md says where it is silent."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import secrets
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, date, datetime

from simulator import genesys_schedule
from simulator.genesys_config import BusinessUnit, Client
from simulator.genesys_state import Operation
from simulator.http_messages import DROP, Request, Response, json_response
from simulator.state import SimulatorState, iso_utc
from simulator.tokens import InvalidToken, TokenSigner

API = "/api/v2"
WFM = f"{API}/workforcemanagement"
SCHEDULE_ADD = "wfm:schedule:add"
# "Requires ANY permissions" lists of the SDK's WorkforceManagementApi and
# UsersApi pages, cut to the entries a WFM integration role would carry.
BUSINESS_UNIT_VIEW = frozenset(
    {
        "wfm:businessUnit:view",
        "wfm:businessUnit:edit",
        "wfm:activityCode:view",
        "wfm:agent:view",
        "wfm:managementUnit:view",
        "wfm:schedule:add",
        "wfm:schedule:edit",
        "wfm:schedule:view",
        "wfm:publishedSchedule:view",
    }
)
ACTIVITY_CODE_VIEW = BUSINESS_UNIT_VIEW
MANAGEMENT_UNIT_VIEW = frozenset({"wfm:managementUnit:view", "wfm:managementUnit:edit", "wfm:agent:view"})
MANAGEMENT_UNIT_USERS_VIEW = frozenset(
    {"wfm:agent:view", "wfm:schedule:view", "wfm:publishedSchedule:view", "wfm:workPlan:view"}
)
SCHEDULE_VIEW = frozenset({"wfm:schedule:view", "wfm:publishedSchedule:view"})
USER_VIEW = frozenset({"directory:user:view"})
# What a real upload URL allows; the SDK names none, the simulator's choice.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_URL_TTL_SECONDS = 600
MAX_SEARCH_PAGE_SIZE = 100

_BEARER = re.compile(r"^Bearer ([A-Za-z0-9._~+/=-]+)$", re.IGNORECASE)
_BASIC = re.compile(r"^Basic ([A-Za-z0-9+/=]+)$", re.IGNORECASE)


def error(status: int, code: str, message: str, **extra) -> Response:
    """The platform's ErrorBody: message, code, status and a contextId to quote to support."""
    body = {"message": message, "code": code, "status": status, "contextId": str(uuid.uuid4()), **extra}
    return json_response(status, body)


def not_found(what: str) -> Response:
    return error(404, "not.found", f"The requested {what} was not found.")


def _s3_error(status: int, code: str, text: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{text}</Message></Error>\n'
    return Response(status, body.encode(), [("Content-Type", "application/xml")])


class GenesysApi:
    def __init__(self, state: SimulatorState):
        self.state = state
        self.config = state.config.genesys
        self.tokens = TokenSigner()
        self._upload_key = secrets.token_bytes(32)

    # OAuth client credentials

    def token(self, request: Request) -> Response:
        credentials = _basic_credentials(request.headers.get("Authorization"))
        client = self.config.clients.get(credentials[0]) if credentials else None
        if client is None or not hmac.compare_digest(client.client_secret.encode(), credentials[1].encode()):
            return json_response(
                401,
                {"error": "invalid_client", "description": "client not found", "error_description": "client not found"},
            )
        request.account = f"genesys:{client.client_id}"
        form = urllib.parse.parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        if form.get("grant_type", [None])[0] != "client_credentials":
            return json_response(
                400,
                {"error": "unsupported_grant_type", "description": "grant type is not supported"},
            )
        now, ttl = time.time(), self.state.config.token_ttl_seconds
        token = self.tokens.issue(
            account="genesys", client_id=client.client_id, scopes=frozenset(), now=now, ttl_seconds=ttl
        )
        return json_response(
            200,
            {"access_token": token, "token_type": "bearer", "expires_in": math.ceil(ttl)},
            [("Cache-Control", "no-store")],
        )

    def _authorize(self, request: Request, permissions: frozenset[str] | None) -> Client | Response:
        """401, then 403 naming the permissions, then 429, as Genesys checks them."""
        match = _BEARER.match(request.headers.get("Authorization") or "")
        try:
            access = self.tokens.verify(match.group(1), now=time.time()) if match else None
        except InvalidToken:
            access = None
        client = self.config.clients.get(access.client_id) if access and access.account == "genesys" else None
        if client is None:
            return error(401, "bad.credentials", "Invalid login credentials.")
        request.account = f"genesys:{client.client_id}"
        if permissions is not None and not permissions & client.permissions:
            names = ", ".join(sorted(permissions))
            return error(
                403,
                "missing.any.permissions",
                f"Unable to perform the requested action. You must have at least one of the following permissions assigned: [{names}]",
                messageWithParams="Unable to perform the requested action. You must have at least one of the following permissions assigned: {permissions}",
                messageParams={"permissions": f"[{names}]"},
            )
        if self.state.spend("rate_limit_burst"):
            return self._rate_limited(int(self.state.faults()["retry_after_seconds"]))
        wait = self.state.genesys.rate_limit_wait(match.group(1).rsplit(".", 1)[-1], time.time())
        if wait is not None:
            return self._rate_limited(wait)
        return client

    @staticmethod
    def _rate_limited(seconds: int) -> Response:
        response = error(
            429,
            "too.many.requests",
            f"Rate limit exceeded the maximum. Retry the request in [{seconds}] seconds",
            messageWithParams="Rate limit exceeded the maximum. Retry the request in [{seconds}] seconds",
            messageParams={"seconds": str(seconds)},
        )
        response.headers.append(("Retry-After", str(seconds)))
        return response

    def _unit(self, request: Request) -> BusinessUnit | None:
        return self.config.business_units.get(request.params["bu"])

    # Business units, management units, activity codes

    def business_units(self, request: Request) -> Response:
        refusal = self._authorize(request, None)
        if isinstance(refusal, Response):
            return refusal
        return json_response(
            200,
            {
                "entities": [
                    {"id": unit.id, "name": unit.name, "authorized": True, "selfUri": f"{WFM}/businessunits/{unit.id}"}
                    for unit in self.config.business_units.values()
                ]
            },
        )

    def business_unit(self, request: Request) -> Response:
        refusal = self._authorize(request, BUSINESS_UNIT_VIEW)
        if isinstance(refusal, Response):
            return refusal
        unit = self._unit(request)
        if unit is None:
            return not_found("business unit")
        body = {"id": unit.id, "name": unit.name, "selfUri": f"{WFM}/businessunits/{unit.id}"}
        # As in Genesys, settings come only when asked for with expand=settings.
        if "settings" in request.query.get("expand", "").split(","):
            body["settings"] = {
                "startDayOfWeek": unit.start_day_of_week,
                "timeZone": unit.time_zone,
                "metadata": {"version": 1},
            }
        return json_response(200, body)

    def management_units(self, request: Request) -> Response:
        refusal = self._authorize(request, MANAGEMENT_UNIT_VIEW)
        if isinstance(refusal, Response):
            return refusal
        unit = self._unit(request)
        if unit is None:
            return not_found("business unit")
        return json_response(
            200,
            {
                "entities": [
                    {
                        "id": mu.id,
                        "name": mu.name,
                        "businessUnit": {"id": unit.id},
                        "selfUri": f"{WFM}/managementunits/{mu.id}",
                    }
                    for mu in unit.management_units
                ]
            },
        )

    def management_unit_users(self, request: Request) -> Response:
        refusal = self._authorize(request, MANAGEMENT_UNIT_USERS_VIEW)
        if isinstance(refusal, Response):
            return refusal
        found = next(
            (
                mu
                for unit in self.config.business_units.values()
                for mu in unit.management_units
                if mu.id == request.params["mu"]
            ),
            None,
        )
        if found is None:
            return not_found("management unit")
        return json_response(
            200, {"entities": [{"id": user_id, "selfUri": f"{API}/users/{user_id}"} for user_id in found.user_ids]}
        )

    def activity_codes(self, request: Request) -> Response:
        refusal = self._authorize(request, ACTIVITY_CODE_VIEW)
        if isinstance(refusal, Response):
            return refusal
        unit = self._unit(request)
        if unit is None:
            return not_found("business unit")
        return json_response(
            200,
            {
                "entities": [
                    {
                        "id": code.id,
                        "name": code.name,
                        "active": True,
                        "defaultCode": False,
                        "category": code.category,
                        "lengthInMinutes": code.length_in_minutes,
                        "countsAsPaidTime": code.category not in ("Meal", "TimeOff", "Unavailability"),
                        "selfUri": f"{WFM}/businessunits/{unit.id}/activitycodes/{code.id}",
                    }
                    for code in unit.activity_codes
                ]
            },
        )

    # Users

    def users_search(self, request: Request) -> Response:
        refusal = self._authorize(request, USER_VIEW)
        if isinstance(refusal, Response):
            return refusal
        search = _json_body(request)
        if not isinstance(search, dict):
            return error(400, "bad.request", "The request body must be a UserSearchRequest JSON object.")
        page_size, page_number = search.get("pageSize", 25), search.get("pageNumber", 1)
        if not isinstance(page_size, int) or not 1 <= page_size <= MAX_SEARCH_PAGE_SIZE:
            return error(400, "invalid.value", f"pageSize must be from 1 to {MAX_SEARCH_PAGE_SIZE}.")
        if not isinstance(page_number, int) or page_number < 1:
            return error(400, "invalid.value", "pageNumber must be 1 or more.")
        users = [user for user in self.config.users.values() if user.state != "deleted"]
        for criterion in search.get("query") or []:
            if not isinstance(criterion, dict) or criterion.get("type") != "EXACT":
                return error(400, "invalid.value", "The simulator supports only EXACT criteria.")
            fields = criterion.get("fields") or []
            values = criterion.get("values") or ([criterion["value"]] if "value" in criterion else [])
            if not set(fields) <= {"id", "email"} or not fields:
                return error(400, "invalid.value", "The simulator searches only the fields id and email.")
            wanted = {str(value).lower() for value in values}
            users = [user for user in users if any(getattr(user, name).lower() in wanted for name in fields)]
        total = len(users)
        shown = users[(page_number - 1) * page_size : page_number * page_size]
        return json_response(
            200,
            {
                "total": total,
                "pageCount": max(1, math.ceil(total / page_size)),
                "pageSize": page_size,
                "pageNumber": page_number,
                "types": ["users"],
                "results": [
                    {"id": u.id, "name": u.name, "email": u.email, "state": u.state, "selfUri": f"{API}/users/{u.id}"}
                    for u in shown
                ],
            },
        )

    # Schedules of a week

    def _week(self, request: Request, unit: BusinessUnit) -> date | Response:
        week = genesys_schedule.parse_week(request.params["week"])
        if week is None:
            return error(400, "invalid.date", "weekId must be a date in yyyy-MM-dd format.")
        if not genesys_schedule.week_start_ok(unit, week):
            return error(
                400,
                "invalid.week.date",
                f"The week date {week.isoformat()} must fall on the business unit's start day of week "
                f"({unit.start_day_of_week}).",
            )
        return week

    def week_schedules(self, request: Request) -> Response:
        refusal = self._authorize(request, SCHEDULE_VIEW)
        if isinstance(refusal, Response):
            return refusal
        unit = self._unit(request)
        if unit is None:
            return not_found("business unit")
        week = self._week(request, unit)
        if isinstance(week, Response):
            return week
        return json_response(
            200,
            {"entities": [self._schedule(op) for op in self.state.genesys.schedules_of(unit.id, week, time.time())]},
        )

    @staticmethod
    def _schedule(op: Operation) -> dict:
        return {
            "id": op.schedule_id,
            "weekDate": op.week.isoformat(),
            "weekCount": op.reading.week_count,
            "description": op.reading.description,
            "published": op.reading.published,
            "metadata": {"version": 1, "dateModified": iso_utc(op.ready_at or op.received_at)},
            "selfUri": f"{WFM}/businessunits/{op.business_unit_id}/weeks/{op.week.isoformat()}/schedules/{op.schedule_id}",
        }

    # The schedule import: upload URL, PUT, import

    def upload_url(self, request: Request) -> Response:
        refusal = self._authorize(request, frozenset({SCHEDULE_ADD}))
        if isinstance(refusal, Response):
            return refusal
        unit = self._unit(request)
        if unit is None:
            return not_found("business unit")
        week = self._week(request, unit)
        if isinstance(week, Response):
            return week
        body = _json_body(request)
        length = body.get("contentLengthBytes") if isinstance(body, dict) else None
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            return error(400, "invalid.value", "contentLengthBytes is required and must be a whole number above 0.")
        if length > MAX_UPLOAD_BYTES:
            return error(
                413,
                "request.entity.too.large",
                f"The upload of {length} bytes exceeds the maximum of {MAX_UPLOAD_BYTES} bytes.",
            )
        expires = math.ceil(time.time() + UPLOAD_URL_TTL_SECONDS)
        upload = self.state.genesys.new_upload(
            business_unit_id=unit.id, week=week, content_length=length, expires_at=expires
        )
        query = urllib.parse.urlencode({"expires": expires, "signature": self._sign(upload.key, expires)})
        return json_response(
            200,
            {
                "uploadKey": upload.key,
                "url": f"{request.base_url}/_uploads/{urllib.parse.quote(upload.key, safe='')}?{query}",
                "headers": {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            },
        )

    def put_upload(self, request: Request) -> Response:
        """The pre-signed URL: no token, only the link's own signature, like S3."""
        key = urllib.parse.unquote(request.params["key"])
        expires, signature = request.query.get("expires", ""), request.query.get("signature", "")
        if not (expires.isdigit() and signature.isascii()) or not hmac.compare_digest(
            signature, self._sign(key, int(expires))
        ):
            return _s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
        if time.time() >= int(expires):
            return _s3_error(403, "AccessDenied", "Request has expired")
        upload = self.state.genesys.find_upload(key)
        if upload is None:
            return _s3_error(404, "NoSuchUpload", "The specified upload does not exist.")
        if request.body_too_large or len(request.body) != upload.content_length:
            return _s3_error(
                400, "IncompleteBody", "The body does not have the length given when the upload URL was made."
            )
        if (request.headers.get("Content-Encoding") or "").lower() != "gzip":
            return _s3_error(403, "SignatureDoesNotMatch", "The signed header Content-Encoding: gzip is missing.")
        self.state.genesys.store_body(key, request.body)
        etag = hashlib.md5(request.body, usedforsecurity=False).hexdigest()
        return Response(200, headers=[("ETag", f'"{etag}"')])

    def start_import(self, request: Request) -> Response:
        refusal = self._authorize(request, frozenset({SCHEDULE_ADD}))
        if isinstance(refusal, Response):
            return refusal
        unit = self._unit(request)
        if unit is None:
            return not_found("business unit")
        week = self._week(request, unit)
        if isinstance(week, Response):
            return week
        body = _json_body(request)
        key = body.get("uploadKey") if isinstance(body, dict) else None
        if not isinstance(key, str) or not key:
            return error(400, "invalid.value", "uploadKey is required.")
        upload = self.state.genesys.find_upload(key)
        if upload is None or upload.business_unit_id != unit.id or upload.week != week:
            return error(
                400, "invalid.upload.key", "No upload with this uploadKey exists for this business unit and week."
            )
        if upload.body is None:
            return error(400, "upload.not.found", "Nothing was uploaded to the URL of this uploadKey.")
        reading = genesys_schedule.read(upload.body, unit=unit, week=week, known_users=frozenset(self.config.users))
        if not reading.readable:
            return error(
                400,
                "invalid.schedule.upload",
                f"The uploaded schedule has {len(reading.problems)} problem(s); see details.",
                details=reading.problems,
            )
        knobs = self.state.faults()
        forced = "Error" if knobs["final_status"] == "ERROR" else None
        started = self.state.genesys.start_operation(
            upload=upload,
            reading=reading,
            now=time.time(),
            processing_seconds=self.state.processing_seconds(),
            forever=knobs["processing_forever"],
            forced=forced,
        )
        if started == "used":
            return error(409, "conflict", "This uploadKey has already been imported.", entityId=upload.operation_id)
        if started == "busy":
            return error(409, "conflict", "Another schedule import is in progress for this business unit.")
        if self.state.spend("drop_after_accept"):
            return DROP
        delay = knobs["latency_after_accept_ms"]
        if delay:
            threading.Event().wait(delay / 1000)
        return json_response(200, {"status": "Processing", "operationId": started.id})

    def unknown_route(self, request: Request) -> Response:
        """Every other /api/v2 path, such as /api/v2/wfm/schedules/import that
        forum answers give: Genesys knows no such resource."""
        refusal = self._authorize(request, None)
        if isinstance(refusal, Response):
            return refusal
        return error(404, "not.found", f"No resource exists at {request.method} {request.path}.")

    def _sign(self, key: str, expires: int) -> str:
        return hmac.new(self._upload_key, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()


def operation_view(op: Operation, now: float) -> dict:
    """The notification Genesys would push on v2.workforcemanagement.businessunits.{id}.schedules
    (WfmBuScheduleTopicBuScheduleNotification), for the control plane."""
    status = op.status(now)
    return {
        "operationId": op.id,
        "eventType": "Import",
        "status": status,
        "businessUnitId": op.business_unit_id,
        "weekId": op.week.isoformat(),
        "result": GenesysApi._schedule(op) if status == "Complete" else None,
        "receivedAt": datetime.fromtimestamp(op.received_at, UTC).isoformat(timespec="milliseconds"),
        "agents": op.reading.agents,
        "shifts": op.reading.shifts,
        "activities": op.reading.activities,
        "fullDayTimeOffMarkers": op.reading.time_off_markers,
    }


def _json_body(request: Request) -> object:
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    match = _BASIC.match(header or "")
    if match is None:
        return None
    try:
        decoded = base64.b64decode(match.group(1), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    return (client_id, secret) if colon else None
