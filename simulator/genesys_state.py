"""What the Genesys Cloud side remembers between requests, behind one lock:
upload URLs handed out and what was PUT to them, import operations, the
schedules they made, the ledger of imports started and each token's
rate-limit window."""

from __future__ import annotations

import hashlib
import math
import threading
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date

from simulator.genesys_config import RateLimit
from simulator.genesys_schedule import Reading


@dataclass
class Upload:
    key: str
    business_unit_id: str
    week: date
    content_length: int
    expires_at: int
    body: bytes | None = None
    operation_id: str | None = None


@dataclass
class Operation:
    id: str
    business_unit_id: str
    week: date
    upload_key: str
    received_at: float
    # None while the processing_forever fault holds the operation.
    ready_at: float | None
    # "Error" when the final_status fault forces a failure.
    forced_status: str | None
    reading: Reading
    schedule_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def status(self, now: float) -> str:
        if self.ready_at is None or now < self.ready_at:
            return "Processing"
        return self.forced_status or "Complete"


class GenesysState:
    def __init__(self, rate_limit: RateLimit):
        self.rate_limit = rate_limit
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._uploads: dict[str, Upload] = {}
            self._operations: dict[str, Operation] = {}
            self._ledger: list[dict] = []
            self._windows: dict[str, deque[float]] = defaultdict(deque)

    def rate_limit_wait(self, token_key: str, now: float) -> int | None:
        """Seconds to wait when the token has used up its window, else None (and the request counts)."""
        limit = self.rate_limit
        with self._lock:
            window = self._windows[token_key]
            while window and window[0] <= now - limit.per_seconds:
                window.popleft()
            if len(window) >= limit.requests:
                return max(1, math.ceil(window[0] + limit.per_seconds - now))
            window.append(now)
            return None

    # Upload URLs

    def new_upload(self, *, business_unit_id: str, week: date, content_length: int, expires_at: int) -> Upload:
        upload = Upload(
            key=f"wfm/schedules/import/{business_unit_id}/{week.isoformat()}/{uuid.uuid4()}.json.gz",
            business_unit_id=business_unit_id,
            week=week,
            content_length=content_length,
            expires_at=expires_at,
        )
        with self._lock:
            self._uploads[upload.key] = upload
        return upload

    def find_upload(self, key: str) -> Upload | None:
        with self._lock:
            return self._uploads.get(key)

    def store_body(self, key: str, body: bytes) -> None:
        with self._lock:
            self._uploads[key].body = body

    # Operations

    def start_operation(
        self,
        *,
        upload: Upload,
        reading: Reading,
        now: float,
        processing_seconds: float,
        forever: bool,
        forced: str | None,
    ) -> Operation | str:
        """The new operation, or why none was started: "used" for an upload
        already imported, "busy" while the business unit has one processing."""
        with self._lock:
            if upload.operation_id is not None:
                return "used"
            if any(
                op.business_unit_id == upload.business_unit_id and op.status(now) == "Processing"
                for op in self._operations.values()
            ):
                return "busy"
            operation = Operation(
                id=str(uuid.uuid4()),
                business_unit_id=upload.business_unit_id,
                week=upload.week,
                upload_key=upload.key,
                received_at=now,
                ready_at=None if forever else now + processing_seconds,
                forced_status=forced,
                reading=reading,
            )
            upload.operation_id = operation.id
            self._operations[operation.id] = operation
            body = upload.body or b""
            self._ledger.append(
                {
                    "business_unit_id": upload.business_unit_id,
                    "week_id": upload.week.isoformat(),
                    "operation_id": operation.id,
                    "upload_key": upload.key,
                    "description": reading.description,
                    "published": reading.published,
                    "agents": reading.agents,
                    "sha256": hashlib.sha256(body).hexdigest(),
                    "size": len(body),
                    "received_at": now,
                }
            )
            return operation

    def find_operation(self, operation_id: str) -> Operation | None:
        with self._lock:
            return self._operations.get(operation_id)

    def schedules_of(self, business_unit_id: str, week: date, now: float) -> list[Operation]:
        """The finished imports whose schedule spans the week."""
        with self._lock:
            return [
                op
                for op in self._operations.values()
                if op.business_unit_id == business_unit_id
                and op.status(now) == "Complete"
                and 0 <= (week - op.week).days < 7 * op.reading.week_count
            ]

    def ledger(self, business_unit_id: str | None = None) -> list[dict]:
        with self._lock:
            return [
                dict(entry)
                for entry in self._ledger
                if business_unit_id is None or entry["business_unit_id"] == business_unit_id
            ]
