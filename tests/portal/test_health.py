"""/healthz and /readyz, against the real PostgreSQL and Redis."""

import json
from datetime import timedelta

from django.utils import timezone

from portal import health
from portal.models import Heartbeat


def readiness(client):
    response = client.get("/readyz")
    return response.status_code, json.loads(response.content)


def test_healthz_answers_while_the_process_runs(client, db):
    assert client.get("/healthz").content == b"ok"


def test_not_ready_before_beat_has_ever_been_heard(client, db):
    status, body = readiness(client)
    assert status == 503
    assert body == {"ready": False, "problems": {"heartbeat": "no heartbeat yet: are beat and a worker running?"}}


def test_ready_with_the_database_the_broker_and_a_recent_heartbeat(client, db):
    health.heartbeat_record()
    assert readiness(client) == (200, {"ready": True, "problems": {}})


def test_an_old_heartbeat_means_beat_or_the_workers_stopped(client, db, settings):
    Heartbeat.objects.create(
        name=health.BEAT, at=timezone.now() - timedelta(seconds=settings.READYZ_HEARTBEAT_MAX_AGE_SECONDS + 5)
    )
    status, body = readiness(client)
    assert status == 503
    assert "beat, the broker or every worker has stopped" in body["problems"]["heartbeat"]


def test_a_broker_that_does_not_answer_is_named_without_its_address(client, db, settings):
    from portal.celery import app

    health.heartbeat_record()
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    try:
        status, body = readiness(client)
    finally:
        app.conf.broker_url = previous
    assert status == 503
    assert body["problems"] == {"broker": "not answering"}
