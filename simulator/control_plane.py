"""The simulator's own endpoints under /_simulator/, for tests and demos:
what arrived, what an import looks like inside, and the fault knobs."""

from __future__ import annotations

import json
import time

from simulator.faults import FaultError
from simulator.genesys_api import operation_view
from simulator.http_messages import Request, Response, json_response, message
from simulator.state import SimulatorState, iso_utc


class ControlPlane:
    def __init__(self, state: SimulatorState):
        self.state = state

    def health(self, request: Request) -> Response:
        return json_response(200, {"ok": True})

    def ledger(self, request: Request) -> Response:
        return json_response(200, {"uploads": self.state.ledger(request.query.get("account"))})

    def requests(self, request: Request) -> Response:
        return json_response(200, {"in_progress": self.state.in_progress()})

    def remote_import(self, request: Request) -> Response:
        found = self.state.find_import(request.params["import_id"])
        if found is None:
            return message(404, f"No import {request.params['import_id']} in this simulator run.")
        evaluation = found.evaluation
        return json_response(
            200,
            {
                "id": found.id,
                "account": found.account,
                "file_name": found.file_name,
                "time_zone": found.time_zone,
                "date_format": found.date_format,
                "received_at": iso_utc(found.received_at, "milliseconds"),
                "status": found.status(time.time()),
                "processing_forever": found.ready_at is None,
                "forced_status": found.forced_status,
                # Unknown (null) until the rows have been read.
                "rows": evaluation.rows if evaluation else None,
                "failed_rows": len(evaluation.failures) if evaluation else None,
                "errors": [{"row": f.row, "error": f.error} for f in evaluation.failures] if evaluation else None,
                "unreadable": evaluation.unreadable if evaluation else None,
                "report_downloads": found.report_downloads,
            },
        )

    def genesys_ledger(self, request: Request) -> Response:
        entries = self.state.genesys.ledger(request.query.get("business_unit_id"))
        for entry in entries:
            entry["received_at"] = iso_utc(entry["received_at"], "milliseconds")
        return json_response(200, {"imports": entries})

    def genesys_operation(self, request: Request) -> Response:
        found = self.state.genesys.find_operation(request.params["operation_id"])
        if found is None:
            return message(404, f"No Genesys import operation {request.params['operation_id']} in this simulator run.")
        return json_response(200, operation_view(found, time.time()))

    def faults(self, request: Request) -> Response:
        return json_response(200, self.state.faults())

    def set_faults(self, request: Request) -> Response:
        try:
            update = json.loads(request.body or b"{}")
        except ValueError:
            return message(400, "The body must be a JSON object of fault knobs.")
        try:
            return json_response(200, self.state.update_faults(update))
        except FaultError as error:
            return message(400, str(error))

    def reset(self, request: Request) -> Response:
        self.state.reset()
        return json_response(200, {"ok": True})
