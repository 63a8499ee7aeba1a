"""The fault knobs: what each one accepts, its resting value, and how a
partial update is checked before it changes anything."""

from __future__ import annotations

from numbers import Real

FINAL_STATUS_OVERRIDES = ("ERROR",)
# What odd_status_answers answers a status read with: a proxy's HTML error
# page, text that is not JSON, a status Talkdesk does not document, or 404
# 1580001 for an import it has.
ODD_STATUS_KINDS = ("html", "not_json", "unknown_status", "not_found")

DEFAULTS: dict[str, object] = {
    "latency_ms": 0,
    "error_rate": 0.0,
    "rate_limit_burst": 0,
    "retry_after_seconds": 1,
    "drop_connections": 0,
    "drop_after_accept": 0,
    "latency_after_accept_ms": 0,
    "report_latency_ms": 0,
    "processing_forever": False,
    "processing_seconds": None,
    "report_link_ttl_seconds": None,
    "final_status": None,
    "odd_status_answers": 0,
    "odd_status_kind": "html",
}


class FaultError(ValueError):
    pass


def _count(name, value):
    # bool is an int in Python, but `true` is no count.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FaultError(f"{name} must be a whole number of 0 or more, not {value!r}")
    return value


def _seconds(name, value, *, nullable=False, positive=False):
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or value < 0 or (positive and value == 0):
        floor = "more than 0" if positive else "0 or more"
        raise FaultError(f"{name} must be a number of {floor}{' or null' if nullable else ''}, not {value!r}")
    return value


def _check(name: str, value):
    if name in (
        "latency_ms",
        "rate_limit_burst",
        "retry_after_seconds",
        "drop_connections",
        "drop_after_accept",
        "latency_after_accept_ms",
        "report_latency_ms",
        "odd_status_answers",
    ):
        return _count(name, value)
    if name == "odd_status_kind":
        if value not in ODD_STATUS_KINDS:
            raise FaultError(f"odd_status_kind must be one of {', '.join(ODD_STATUS_KINDS)}, not {value!r}")
        return value
    if name == "error_rate":
        if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value <= 1:
            raise FaultError(f"error_rate must be a number from 0 to 1, not {value!r}")
        return float(value)
    if name == "processing_forever":
        if not isinstance(value, bool):
            raise FaultError(f"processing_forever must be true or false, not {value!r}")
        return value
    if name == "processing_seconds":
        return _seconds(name, value, nullable=True)
    if name == "report_link_ttl_seconds":
        return _seconds(name, value, nullable=True, positive=True)
    if value is not None and value not in FINAL_STATUS_OVERRIDES:
        raise FaultError(f"final_status must be null or one of {', '.join(FINAL_STATUS_OVERRIDES)}, not {value!r}")
    return value


def validated(update: object) -> dict[str, object]:
    """The update, checked whole: one bad knob rejects it all."""
    if not isinstance(update, dict):
        raise FaultError("faults must be a JSON object of knob names to values")
    unknown = sorted(set(update) - set(DEFAULTS))
    if unknown:
        raise FaultError(f"Unknown fault knob(s): {', '.join(unknown)}. Known knobs: {', '.join(DEFAULTS)}")
    return {name: _check(name, value) for name, value in update.items()}
