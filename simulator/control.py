"""A small stdlib client for the simulator's control plane (`/_simulator/`),
for tests and demos that need to see or steer what the fake Talkdesk does."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request


class SimulatorControlError(RuntimeError):
    """The control plane refused a request (a bad fault knob, an unknown import)."""

    def __init__(self, status: int, body: str):
        super().__init__(f"simulator control plane answered {status}: {body}")
        self.status = status
        self.body = body


class SimulatorControl:
    def __init__(self, base_url: str, *, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def health(self) -> dict:
        return self._call("GET", "/_simulator/health")

    def ledger(self, account: str | None = None) -> dict:
        query = f"?{urllib.parse.urlencode({'account': account})}" if account else ""
        return self._call("GET", f"/_simulator/ledger{query}")

    def requests_in_progress(self) -> list[dict]:
        """The API and token requests the simulator is handling right now."""
        return self._call("GET", "/_simulator/requests")["in_progress"]

    def faults(self) -> dict:
        return self._call("GET", "/_simulator/faults")

    def set_faults(self, **knobs) -> dict:
        return self._call("POST", "/_simulator/faults", knobs)

    def reset(self) -> dict:
        return self._call("POST", "/_simulator/reset", {})

    def remote_import(self, import_id: str) -> dict:
        return self._call("GET", f"/_simulator/imports/{urllib.parse.quote(import_id, safe='')}")

    def genesys_ledger(self, business_unit_id: str | None = None) -> dict:
        """The Genesys schedule imports started, one entry per import call accepted."""
        query = f"?{urllib.parse.urlencode({'business_unit_id': business_unit_id})}" if business_unit_id else ""
        return self._call("GET", f"/_simulator/genesys/ledger{query}")

    def genesys_operation(self, operation_id: str) -> dict:
        """What Genesys would push on the schedules notification topic for the operation."""
        return self._call("GET", f"/_simulator/genesys/operations/{urllib.parse.quote(operation_id, safe='')}")

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise SimulatorControlError(error.code, error.read().decode(errors="replace")) from None
