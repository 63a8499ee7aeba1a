"""Everything the simulator remembers between requests, behind one lock:
the imports, the ledger of accepted files, the current faults and the
rate-limit windows. Accounts come from the configuration and never change."""

from __future__ import annotations

import hashlib
import math
import threading
import time
import uuid
from collections import defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from simulator import faults
from simulator.config import SimulatorConfig
from simulator.genesys_state import GenesysState
from simulator.schedule_csv import Evaluation


def iso_utc(epoch: float, timespec: str = "seconds") -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


@dataclass
class Import:
    id: str
    account: str
    file_name: str
    time_zone: str
    date_format: str
    received_at: float
    # None while the processing_forever fault holds the import.
    ready_at: float | None
    forced_status: str | None
    evaluation: Evaluation | None = None
    report_downloads: int = 0

    def status(self, now: float) -> str:
        if self.evaluation is None or self.ready_at is None or now < self.ready_at:
            return "PROCESSING"
        return self.forced_status or self.evaluation.status


class SimulatorState:
    def __init__(self, config: SimulatorConfig):
        self.config = config
        self._lock = threading.Lock()
        # Live requests, which a reset does not end.
        self._in_progress: list[dict] = []
        self.genesys = GenesysState(config.genesys.rate_limit)
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._imports: dict[str, Import] = {}
            self._ledger: list[dict] = []
            self._faults = {**faults.DEFAULTS, **self.config.faults}
            self._windows: dict[str, deque[float]] = defaultdict(deque)
        self.genesys.reset()

    def processing_seconds(self) -> float:
        """How long an import takes now: the processing_seconds fault, else the config's."""
        with self._lock:
            override = self._faults["processing_seconds"]
        return self.config.processing_seconds if override is None else override

    # Faults

    def faults(self) -> dict[str, object]:
        with self._lock:
            return dict(self._faults)

    def update_faults(self, update: object) -> dict[str, object]:
        checked = faults.validated(update)
        with self._lock:
            self._faults.update(checked)
            return dict(self._faults)

    def spend(self, counter: str) -> bool:
        """True when the fault `counter` still had a unit left, which is now used."""
        with self._lock:
            if self._faults[counter] > 0:
                self._faults[counter] -= 1
                return True
            return False

    def rate_limit_wait(self, account: str, now: float) -> int | None:
        """Seconds to wait when the account has used up its window, else None (and the request counts)."""
        limit = self.config.rate_limit
        with self._lock:
            window = self._windows[account]
            while window and window[0] <= now - limit.per_seconds:
                window.popleft()
            if len(window) >= limit.requests:
                return max(1, math.ceil(window[0] + limit.per_seconds - now))
            window.append(now)
            return None

    # Requests being handled

    @contextmanager
    def handling(self, method: str, path: str):
        entry = {"method": method, "path": path, "started_at": iso_utc(time.time(), "milliseconds")}
        with self._lock:
            self._in_progress.append(entry)
        try:
            yield
        finally:
            with self._lock:
                self._in_progress.remove(entry)

    def in_progress(self) -> list[dict]:
        with self._lock:
            return [dict(entry) for entry in self._in_progress]

    # Imports and the ledger

    def accept(
        self, *, account: str, file_name: str, time_zone: str, date_format: str, content: bytes, now: float
    ) -> Import | None:
        """Records an accepted upload, or returns None while another import of the account is processing."""
        with self._lock:
            if any(i.account == account and i.status(now) == "PROCESSING" for i in self._imports.values()):
                return None
            processing_seconds = self._faults["processing_seconds"]
            if processing_seconds is None:
                processing_seconds = self.config.processing_seconds
            accepted = Import(
                id=str(uuid.uuid4()),
                account=account,
                file_name=file_name,
                time_zone=time_zone,
                date_format=date_format,
                received_at=now,
                ready_at=None if self._faults["processing_forever"] else now + processing_seconds,
                forced_status=self._faults["final_status"],
            )
            self._imports[accepted.id] = accepted
            self._ledger.append(
                {
                    "account": account,
                    "import_id": accepted.id,
                    "file_name": file_name,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "size": len(content),
                    "received_at": iso_utc(now, "milliseconds"),
                }
            )
            return accepted

    def record_evaluation(self, accepted: Import, evaluation: Evaluation) -> None:
        with self._lock:
            accepted.evaluation = evaluation

    def report_download_started(self, found: Import) -> int:
        """Counts a download of the import's error report; returns the
        milliseconds it is to take (the report_latency_ms fault)."""
        with self._lock:
            found.report_downloads += 1
            return self._faults["report_latency_ms"]

    def find_import(self, import_id: str) -> Import | None:
        with self._lock:
            return self._imports.get(import_id)

    def ledger(self, account: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(entry) for entry in self._ledger if account is None or entry["account"] == account]

    def report_link_ttl_seconds(self) -> float:
        with self._lock:
            override = self._faults["report_link_ttl_seconds"]
        return self.config.report_link_ttl_seconds if override is None else override
