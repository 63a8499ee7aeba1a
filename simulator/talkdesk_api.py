"""The endpoints Talkdesk serves: the OAuth token service, the Schedule Event
Import API, the Users API and the pre-signed error report download, with
the statuses, codes and messages of the vendor's specification."""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import re
import threading
import time
import urllib.parse
import zoneinfo
from xml.sax.saxutils import escape

from simulator import multipart, schedule_csv
from simulator.http_messages import DROP, Request, Response, json_response, message, vendor_error
from simulator.java_time import DEFAULT_DATE_FORMAT, SUPPORTED_DATE_FORMATS
from simulator.state import Import, SimulatorState, iso_utc
from simulator.tokens import InvalidToken, LinkSigner, TokenSigner, expiry

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 50
REPORT_FILE_NAME = "schedule_event_import_errors.csv"
# The path form of the Location header is the spec's, without /wfm/aion.
LOCATION = "/v1/schedules/event-imports/{id}"

INSUFFICIENT_PERMISSIONS = "Insufficient permissions to perform this operation."
RATE_LIMITED = "Rate limit exceeded. Please retry later."

# "localtime" is this machine's copy of its own zone, not an IANA name.
_IANA_ZONES = frozenset(zoneinfo.available_timezones() - {"localtime"})
_BEARER = re.compile(r"^Bearer ([A-Za-z0-9._~+/=-]+)$", re.IGNORECASE)
_BASIC = re.compile(r"^Basic ([A-Za-z0-9+/=]+)$", re.IGNORECASE)
# Java's UUID.fromString, which Talkdesk's backend uses, wants the hyphenated form.
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def invalid_authentication() -> Response:
    response = vendor_error(401, "1580005", "Invalid authentication.")
    response.headers.append(("WWW-Authenticate", "Bearer"))
    return response


def not_found() -> Response:
    return vendor_error(404, "1580001", "Not found.")


def _oauth_error(status: int, error: str, description: str) -> Response:
    response = json_response(status, {"error": error, "error_description": description})
    if status == 401:
        response.headers.append(("WWW-Authenticate", 'Basic realm="talkdesk"'))
    return response


def _s3_error(status: int, code: str, text: str) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(text)}</Message></Error>\n'
    )
    return Response(status, body.encode(), [("Content-Type", "application/xml")])


class TalkdeskApi:
    def __init__(self, state: SimulatorState):
        self.state = state
        self.tokens = TokenSigner()
        self.links = LinkSigner()

    # OAuth2 client credentials

    def token(self, request: Request) -> Response:
        account = self.state.config.accounts.get(request.params["account"])
        if account is not None:
            request.account = account.name
        credentials = _basic_credentials(request.headers.get("Authorization"))
        client = account.clients.get(credentials[0]) if account and credentials else None
        if client is None or not hmac.compare_digest(client.client_secret.encode(), credentials[1].encode()):
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        try:
            form = urllib.parse.parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return _oauth_error(400, "invalid_request", "The request body is not UTF-8 form data.")
        grant_type = form.get("grant_type", [None])[0]
        if grant_type is None:
            return _oauth_error(400, "invalid_request", "grant_type is required.")
        if grant_type != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type"})
        granted = client.scopes
        if "scope" in form:
            requested = frozenset(form["scope"][0].split())
            if not requested <= client.scopes:
                extra = " ".join(sorted(requested - client.scopes))
                return _oauth_error(400, "invalid_scope", f"The client may not request: {extra}")
            granted = requested
        now, ttl = time.time(), self.state.config.token_ttl_seconds
        access_token = self.tokens.issue(
            account=account.name, client_id=client.client_id, scopes=granted, now=now, ttl_seconds=ttl
        )
        return json_response(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": math.ceil(ttl),
                "scope": " ".join(sorted(granted)),
            },
            [("Cache-Control", "no-store")],
        )

    def _authorize(self, request: Request, scope: str) -> Response | None:
        """401, then 403, then 429, in the order Talkdesk checks them."""
        match = _BEARER.match(request.headers.get("Authorization") or "")
        if match is None:
            return invalid_authentication()
        try:
            access = self.tokens.verify(match.group(1), now=time.time())
        except InvalidToken:
            return invalid_authentication()
        request.account = access.account
        if scope not in access.scopes:
            return message(403, INSUFFICIENT_PERMISSIONS)
        if self.state.spend("rate_limit_burst"):
            return message(429, RATE_LIMITED, [("Retry-After", str(self.state.faults()["retry_after_seconds"]))])
        wait = self.state.rate_limit_wait(access.account, time.time())
        if wait is not None:
            return message(429, RATE_LIMITED, [("Retry-After", str(wait))])
        return None

    # Schedule Event Import API

    def upload(self, request: Request) -> Response:
        refusal = self._authorize(request, "wfm-public:write")
        if refusal:
            return refusal
        if request.body_too_large:
            return _file_too_large()
        boundary = multipart.boundary_of(request.headers.get("Content-Type"))
        if boundary is None:
            return message(400, "Content-Type must be multipart/form-data.")
        try:
            parts = multipart.parse(request.body, boundary)
            fields = {
                name: parts[name].content.decode("utf-8")
                for name in ("file_name", "time_zone", "date_format")
                if name in parts
            }
        except multipart.MalformedMultipart as error:
            return message(400, f"The multipart/form-data body could not be read: {error}.")
        except UnicodeDecodeError:
            return message(400, "Form fields must be UTF-8 text.")
        csv_file = parts.get("csv_file")
        if csv_file is not None and len(csv_file.content) > MAX_CSV_BYTES:
            return _file_too_large()
        file_name = fields.get("file_name")
        text = schedule_csv.as_text(csv_file.content) if csv_file is not None else None
        if (file_name is not None and not file_name.endswith(".csv")) or (csv_file is not None and text is None):
            return vendor_error(415, "1580027", "Unsupported Media Type.")
        date_format = fields.get("date_format", DEFAULT_DATE_FORMAT)
        if date_format not in SUPPORTED_DATE_FORMATS or (
            text is not None and not schedule_csv.has_template_header(text)
        ):
            return vendor_error(400, "1580028", "The CSV template is incorrect.")
        for name in ("csv_file", "file_name", "time_zone"):
            if name not in parts:
                return message(400, f"Required parameter '{name}' is missing.")
        time_zone = fields["time_zone"]
        if time_zone not in _IANA_ZONES:
            return message(400, f"Invalid time_zone: {time_zone}. Use an IANA time zone such as America/New_York.")
        accepted = self.state.accept(
            account=request.account,
            file_name=file_name,
            time_zone=time_zone,
            date_format=date_format,
            content=csv_file.content,
            now=time.time(),
        )
        if accepted is None:
            return vendor_error(409, "1580026", "Another event import is already in progress. Please try again later.")
        # Talkdesk answers before reading the rows; so does the simulator.
        threading.Thread(target=self._evaluate, args=(accepted, text), daemon=True).start()
        if self.state.spend("drop_after_accept"):
            return DROP
        # The file is in the ledger; a client killed or timed out now never learns its id.
        delay = self.state.faults()["latency_after_accept_ms"]
        if delay:
            time.sleep(delay / 1000)
        return Response(202, headers=[("Location", LOCATION.format(id=accepted.id))])

    def _evaluate(self, accepted: Import, text: str) -> None:
        evaluation = schedule_csv.evaluate(
            text,
            account=self.state.config.accounts[accepted.account],
            date_format=accepted.date_format,
            time_zone=accepted.time_zone,
        )
        self.state.record_evaluation(accepted, evaluation)

    def import_status(self, request: Request) -> Response:
        refusal = self._authorize(request, "wfm-public:read")
        if refusal:
            return refusal
        found = self._import_of(request.params["import_id"], request.account)
        if found is None:
            return not_found()
        if self.state.spend("odd_status_answers"):
            return _odd_status(self.state.faults()["odd_status_kind"], found.id)
        now = time.time()
        status = found.status(now)
        body = {"id": found.id, "status": status}
        if status == "IMPORTED_WITH_ERRORS":
            # A fresh link on every answer, as S3 pre-signs on every request.
            expires = expiry(now, self.state.report_link_ttl_seconds())
            query = urllib.parse.urlencode({"expires": expires, "signature": self.links.sign(found.id, expires)})
            body["error_report_url"] = f"{request.base_url}/reports/{found.id}/{REPORT_FILE_NAME}?{query}"
            body["error_report_expires_at"] = iso_utc(expires)
        return json_response(200, body)

    def _import_of(self, import_id: str, account: str) -> Import | None:
        if not _UUID.match(import_id):
            return None
        found = self.state.find_import(import_id.lower())
        # Another account's import is as unknown as one that never existed.
        return found if found is not None and found.account == account else None

    def report(self, request: Request) -> Response:
        """The pre-signed error report: no token, only the link's own signature."""
        import_id = request.params["import_id"]
        expires, signature = request.query.get("expires"), request.query.get("signature")
        if expires is None or signature is None:
            return _s3_error(
                403, "AccessDenied", "Query-string authentication requires the expires and signature parameters"
            )
        if not self.links.is_valid(import_id, expires, signature):
            return _s3_error(403, "AccessDenied", "The request signature does not match")
        if time.time() >= int(expires):
            return _s3_error(403, "AccessDenied", "Request has expired")
        found = self.state.find_import(import_id)
        if found is None or found.evaluation is None or not found.evaluation.failures:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        delay = self.state.report_download_started(found)
        if delay:
            time.sleep(delay / 1000)
        return Response(
            200,
            schedule_csv.error_report(found.evaluation.failures),
            [
                ("Content-Type", "text/csv; charset=utf-8"),
                ("Content-Disposition", f'attachment; filename="{REPORT_FILE_NAME}"'),
            ],
        )

    # Users API

    def users(self, request: Request) -> Response:
        refusal = self._authorize(request, "users:read")
        if refusal:
            return refusal
        page, per_page = request.query.get("page", "1"), request.query.get("per_page", str(DEFAULT_PER_PAGE))
        if not (page.isascii() and page.isdigit() and int(page) >= 1):
            return message(400, f"page must be a whole number of 1 or more, not {page!r}.")
        if not (per_page.isascii() and per_page.isdigit() and 1 <= int(per_page) <= MAX_PER_PAGE):
            return message(400, f"per_page must be a whole number from 1 to {MAX_PER_PAGE}, not {per_page!r}.")
        page, per_page = int(page), int(per_page)
        agents = self.state.config.accounts[request.account].agents
        total_pages = max(1, math.ceil(len(agents) / per_page))
        shown = agents[(page - 1) * per_page : page * per_page]

        def link(number: int) -> dict:
            return {
                "href": f"{request.base_url}/users?{urllib.parse.urlencode({'page': number, 'per_page': per_page})}"
            }

        links = {"self": link(page), "first": link(1), "last": link(total_pages)}
        if page < total_pages:
            links["next"] = link(page + 1)
        if page > 1:
            links["prev"] = link(page - 1)
        return json_response(
            200,
            {
                "_embedded": {
                    "users": [{"id": a.id, "email": a.email, "name": a.name, "active": a.active} for a in shown]
                },
                "count": len(shown),
                "total": len(agents),
                "page": page,
                "per_page": per_page,
                "total_pages": total_pages,
                "_links": links,
            },
        )


# A proxy in front of Talkdesk answering for it, as an outside tester saw.
PROXY_ERROR_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response from an upstream server.</p>"
    "</body></html>\n"
)


def _odd_status(kind: str, import_id: str) -> Response:
    """A status answer outside Talkdesk's contract (the odd_status_answers fault)."""
    if kind == "html":
        return Response(200, PROXY_ERROR_PAGE.encode(), [("Content-Type", "text/html; charset=utf-8")])
    if kind == "not_json":
        return Response(200, b"OK\n", [("Content-Type", "text/plain; charset=utf-8")])
    if kind == "unknown_status":
        return json_response(200, {"id": import_id, "status": "QUEUED"})
    return not_found()


def _file_too_large() -> Response:
    return vendor_error(413, "1580047", "The uploaded file exceeds the maximum allowed size of 5 MB.")


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
