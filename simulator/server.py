"""The HTTP side: reading requests, routing them, applying the faults that
belong before any handling, writing answers and the one-line request log."""

from __future__ import annotations

import random
import re
import socket
import sys
import time
import traceback
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from simulator.config import SimulatorConfig
from simulator.control_plane import ControlPlane
from simulator.genesys_api import GenesysApi
from simulator.http_messages import DROP, Request, Response, message
from simulator.state import SimulatorState
from simulator.talkdesk_api import MAX_CSV_BYTES, TalkdeskApi

# Room for the form fields and part headers around a file at the size limit;
# anything bigger is read (so the connection stays usable) but not kept.
MAX_KEPT_BODY_BYTES = MAX_CSV_BYTES + 1024 * 1024
_HOST_HEADER = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")

# Which faults reach a route: every knob for the Talkdesk API, the transport
# ones for the token service, none for the report download and the control plane.
API, TOKEN, QUIET = "api", "token", "quiet"


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, config: SimulatorConfig, host: str, port: int):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), RequestHandler)
        self.state = SimulatorState(config)
        api, control = TalkdeskApi(self.state), ControlPlane(self.state)
        genesys = GenesysApi(self.state)
        wfm_unit = r"^/api/v2/workforcemanagement/businessunits/(?P<bu>[^/]+)"
        every_method = dict.fromkeys(("GET", "POST", "PUT", "PATCH", "DELETE"), genesys.unknown_route)
        self.routes: list[tuple[re.Pattern, dict[str, Callable[[Request], Response]], str]] = [
            (re.compile(r"^/(?P<account>[^/]+)/oauth/token$"), {"POST": api.token}, TOKEN),
            (re.compile(r"^/wfm/aion/v1/schedules/event-imports$"), {"POST": api.upload}, API),
            (
                re.compile(r"^/wfm/aion/v1/schedules/event-imports/(?P<import_id>[^/]*)$"),
                {"GET": api.import_status},
                API,
            ),
            (re.compile(r"^/users$"), {"GET": api.users}, API),
            (
                re.compile(r"^/reports/(?P<import_id>[^/]+)/schedule_event_import_errors\.csv$"),
                {"GET": api.report},
                QUIET,
            ),
            # Genesys Cloud: its token service (login.<region> in the real
            # world), its API under /api/v2 and the upload URL it hands out.
            (re.compile(r"^/oauth/token$"), {"POST": genesys.token}, TOKEN),
            (re.compile(r"^/api/v2/workforcemanagement/businessunits$"), {"GET": genesys.business_units}, API),
            (re.compile(wfm_unit + "$"), {"GET": genesys.business_unit}, API),
            (re.compile(wfm_unit + "/managementunits$"), {"GET": genesys.management_units}, API),
            (re.compile(wfm_unit + "/activitycodes$"), {"GET": genesys.activity_codes}, API),
            (re.compile(wfm_unit + r"/weeks/(?P<week>[^/]+)/schedules$"), {"GET": genesys.week_schedules}, API),
            (
                re.compile(wfm_unit + r"/weeks/(?P<week>[^/]+)/schedules/import/uploadurl$"),
                {"POST": genesys.upload_url},
                API,
            ),
            (re.compile(wfm_unit + r"/weeks/(?P<week>[^/]+)/schedules/import$"), {"POST": genesys.start_import}, API),
            (
                re.compile(r"^/api/v2/workforcemanagement/managementunits/(?P<mu>[^/]+)/users$"),
                {"GET": genesys.management_unit_users},
                API,
            ),
            (re.compile(r"^/api/v2/users/search$"), {"POST": genesys.users_search}, API),
            (re.compile(r"^/api/v2/"), every_method, API),
            (re.compile(r"^/_uploads/(?P<key>[^/]+)$"), {"PUT": genesys.put_upload}, TOKEN),
            (re.compile(r"^/_simulator/health$"), {"GET": control.health}, QUIET),
            (re.compile(r"^/_simulator/genesys/ledger$"), {"GET": control.genesys_ledger}, QUIET),
            (
                re.compile(r"^/_simulator/genesys/operations/(?P<operation_id>[^/]+)$"),
                {"GET": control.genesys_operation},
                QUIET,
            ),
            (re.compile(r"^/_simulator/ledger$"), {"GET": control.ledger}, QUIET),
            (re.compile(r"^/_simulator/requests$"), {"GET": control.requests}, QUIET),
            (re.compile(r"^/_simulator/imports/(?P<import_id>[^/]+)$"), {"GET": control.remote_import}, QUIET),
            (re.compile(r"^/_simulator/faults$"), {"GET": control.faults, "POST": control.set_faults}, QUIET),
            (re.compile(r"^/_simulator/reset$"), {"POST": control.reset}, QUIET),
        ]

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class RequestHandler(BaseHTTPRequestHandler):
    server: SimulatorServer
    protocol_version = "HTTP/1.1"
    server_version = "TalkdeskSimulator"
    # A client that stops sending mid-request must not hold a thread forever.
    timeout = 60

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        started = time.monotonic()
        url = urllib.parse.urlsplit(self.path)
        request = None
        try:
            body, too_large = self._read_body()
            request = Request(
                method=self.command,
                path=url.path,
                query=dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True)),
                headers=self.headers,
                body=body,
                body_too_large=too_large,
                base_url=self._base_url(),
            )
            response = self._answer(request)
        except _BadFraming as error:
            self.close_connection = True
            response = message(400, str(error))
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = message(500, "The simulator failed to handle this request.")
        gone = ""
        if response.drop:
            self.close_connection = True
        else:
            try:
                self._write(response)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up first (a timeout, a killed process); the
                # request was handled all the same, and is logged as such.
                self.close_connection = True
                gone = " client-gone"
        status = "dropped" if response.drop else response.status
        account = request.account if request else "-"
        self._log(
            f"{self.command} {url.path} {status} {(time.monotonic() - started) * 1000:.0f}ms account={account}{gone}"
        )

    def _answer(self, request: Request) -> Response:
        for pattern, methods, kind in self.server.routes:
            match = pattern.match(request.path)
            if match is None:
                continue
            handler = methods.get(request.method)
            if handler is None:
                return message(405, "Method not allowed.", [("Allow", ", ".join(methods))])
            request.params = match.groupdict()
            if kind == QUIET:
                return handler(request)
            # Seen from the control plane from the moment it arrives, through
            # its latency, until it is answered or dropped.
            with self.server.state.handling(request.method, request.path):
                return self._fault_before_handling() or handler(request)
        return message(404, "Not found.")

    def _fault_before_handling(self) -> Response | None:
        state = self.server.state
        if state.spend("drop_connections"):
            return DROP
        knobs = state.faults()
        if knobs["latency_ms"]:
            time.sleep(knobs["latency_ms"] / 1000)
        if knobs["error_rate"] and random.random() < knobs["error_rate"]:
            return random.choice((message(500, "Internal Server Error"), message(503, "Service Unavailable")))
        return None

    def _read_body(self) -> tuple[bytes, bool]:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length") or "0"
        if not (length.isascii() and length.isdigit()):
            raise _BadFraming("Content-Length must be a whole number.")
        return self._read_exactly(int(length), kept=0)

    def _read_chunked(self) -> tuple[bytes, bool]:
        chunks, kept, too_large = [], 0, False
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise _BadFraming("A chunk size is not hexadecimal.") from None
            if size == 0:
                break
            chunk, chunk_too_large = self._read_exactly(size, kept=kept)
            chunks.append(chunk)
            kept += len(chunk)
            too_large = too_large or chunk_too_large
            self.rfile.readline(1024)
        # Trailer fields, if any, end with an empty line.
        while self.rfile.readline(1024).strip():
            pass
        return b"".join(chunks), too_large

    def _read_exactly(self, length: int, *, kept: int) -> tuple[bytes, bool]:
        room = max(0, MAX_KEPT_BODY_BYTES - kept)
        data = self.rfile.read(min(length, room))
        remaining = length - len(data)
        too_large = remaining > 0
        while remaining > 0:
            drained = self.rfile.read(min(remaining, 1024 * 1024))
            if not drained:
                break
            remaining -= len(drained)
        if remaining > 0 or len(data) < min(length, room):
            raise _BadFraming("The body ended before its announced length.")
        return data, too_large

    def _base_url(self) -> str:
        host = self.headers.get("Host")
        return f"http://{host}" if host and _HOST_HEADER.match(host) else self.server.url

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def version_string(self) -> str:
        # Without Python's version: nothing a client should come to rely on.
        return self.server_version

    def send_error(self, code, message=None, explain=None):
        # http.server's own refusals (a garbled request line, headers too long).
        self._log(f"{self.command or '-'} - {code} - account=-")
        super().send_error(code, message, explain)

    def log_message(self, format, *args):
        # The default log holds the request line with its query string, which
        # carries report link signatures; _dispatch writes a safe line instead.
        pass

    def _log(self, line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


class _BadFraming(ValueError):
    pass
