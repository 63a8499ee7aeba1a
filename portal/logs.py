"""Logs as one JSON object a line (`LOG_FORMAT=json`), and the import a line
is about in every line written while the portal works on it.

The import id travels in a context variable, set where work on one import
starts (a page of the import, a part being sent or polled, an e-mail about
it), so that lines written deep inside (the Talkdesk client, Celery) carry it
without every call passing it on."""

from __future__ import annotations

import contextvars
import json
import logging
from contextlib import contextmanager
from datetime import UTC, datetime

from celery.signals import task_postrun, task_prerun
from django.core.signals import request_started

_import_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("import_id", default=None)


@contextmanager
def about_import(import_id):
    token = _import_id.set(str(import_id) if import_id else None)
    try:
        yield
    finally:
        _import_id.reset(token)


def working_on_import(import_id) -> None:
    """From here to the end of the current task, lines are about this import.
    For a task that finds its import halfway through; Celery's task signals
    below clear it between tasks."""
    _import_id.set(str(import_id) if import_id else None)


def _forget_import(**kwargs) -> None:
    _import_id.set(None)


task_prerun.connect(_forget_import, dispatch_uid="logs_forget_import_before")
# A thread of gunicorn serves the next request in the same context; cleared
# when a request starts rather than when the view returns, so that Django's
# own line about the response ("Not Found: …"), written after every
# middleware has returned, still carries the id.
request_started.connect(_forget_import, dispatch_uid="logs_forget_import_request")
task_postrun.connect(_forget_import, dispatch_uid="logs_forget_import_after")


class ImportIdFilter(logging.Filter):
    """Puts the current import's id on the record, for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "import_id", None):
            record.import_id = _import_id.get()
        return True


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "import_id"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "import_id", None):
            entry["import_id"] = record.import_id
        # What a caller passed with `extra=` beyond the standard fields.
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        import_id = getattr(record, "import_id", None)
        return f"{line} [import {import_id}]" if import_id else line


class ImportIdMiddleware:
    """A request for one import's page logs under that import's id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        if match and match.namespace == "imports" and "pk" in view_kwargs and not isinstance(view_kwargs["pk"], int):
            _import_id.set(str(view_kwargs["pk"]))
        return None


def configuration(*, log_format: str, level: str) -> dict:
    """Django's LOGGING for the format asked for."""
    formatter = "json" if log_format == "json" else "plain"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"import_id": {"()": "portal.logs.ImportIdFilter"}},
        "formatters": {
            "plain": {"()": "portal.logs.PlainFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "portal.logs.JsonFormatter"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": formatter, "filters": ["import_id"]}},
        "root": {"handlers": ["console"], "level": level},
        # urllib3 logs every request's whole URL at DEBUG, query and all: the
        # signature of a pre-signed link (Genesys's upload URL, Talkdesk's error
        # report) would reach the log with LOG_LEVEL=DEBUG.
        "loggers": {"urllib3.connectionpool": {"level": "INFO"}},
    }
