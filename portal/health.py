"""/healthz says the web process answers; /readyz says the portal can do its
work: the database answers, the broker takes a connection, and a heartbeat
that beat sends and a worker records is recent."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from portal.celery import app
from portal.models import Heartbeat

log = logging.getLogger(__name__)

BEAT = "beat"


def heartbeat_record() -> None:
    Heartbeat.objects.update_or_create(name=BEAT, defaults={"at": timezone.now()})


@never_cache
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def _database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        log.error("Not ready: the database does not answer: %s", error)
        return "not answering"
    return None


def _broker() -> str | None:
    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=3)
    except Exception as error:  # noqa: BLE001 (Kombu raises a different type per transport)
        log.error("Not ready: the broker does not answer: %s: %s", type(error).__name__, error)
        return "not answering"
    return None


def _heartbeat() -> str | None:
    try:
        beat = Heartbeat.objects.filter(name=BEAT).values_list("at", flat=True).first()
    except DatabaseError:
        return None  # already said by the database check
    if beat is None:
        return "no heartbeat yet: are beat and a worker running?"
    age = (timezone.now() - beat).total_seconds()
    if age > settings.READYZ_HEARTBEAT_MAX_AGE_SECONDS:
        return (
            f"the last heartbeat is {age:.0f} s old (limit {settings.READYZ_HEARTBEAT_MAX_AGE_SECONDS:.0f} s): "
            "beat, the broker or every worker has stopped"
        )
    return None


@never_cache
def readyz(request):
    # Public, for the orchestrator: which check failed, in words that name no
    # host or error; the log has the details.
    checks = (("database", _database), ("broker", _broker), ("heartbeat", _heartbeat))
    problems = {name: problem for name, check in checks if (problem := check())}
    body = {"ready": not problems, "problems": problems}
    return HttpResponse(json.dumps(body), status=503 if problems else 200, content_type="application/json")
