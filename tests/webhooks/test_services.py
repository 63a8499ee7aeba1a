"""Which events an import's move owes, written in the move's own transaction;
and the check at send time that no address inside the network is reached."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from imports import lifecycle
from imports.models import Import, WebhookEndpoint, WebhookMessage
from imports.states import ImportState
from imports.webhooks import delivery, services
from tests.conftest import data_file


@pytest.mark.parametrize(
    ("state", "events"),
    [
        (ImportState.IMPORTED, ["import.finished"]),
        (ImportState.IMPORTED_WITH_ERRORS, ["import.finished"]),
        (ImportState.CANCELLED, ["import.finished"]),
        (ImportState.FAILED, ["import.finished", "import.failed"]),
        (ImportState.ERROR, ["import.finished", "import.failed"]),
        (ImportState.STALLED, ["import.finished", "import.failed"]),
        (ImportState.NEEDS_ATTENTION, ["import.needs_attention"]),
        (ImportState.QUEUED, []),
        (ImportState.PROCESSING, []),
    ],
)
def test_each_state_tells_its_events(state, events):
    assert services.events_for_move(ImportState.PROCESSING, state, Import()) == events


@pytest.mark.parametrize(
    ("asked", "refused", "events"),
    [
        (None, "", ["import.checked"]),
        ({"warnings_acknowledged": False}, "The file has 2 warnings: read them", ["import.checked"]),
        ({"warnings_acknowledged": True}, "", []),
    ],
)
def test_a_workers_check_tells_import_checked_unless_the_import_confirms_itself(asked, refused, events):
    job = Import(confirm_when_checked=asked, confirmation_refused=refused)
    assert services.events_for_move(ImportState.CHECKING, ImportState.PREVIEW, job) == events


def _endpoint(team, url="https://93.184.215.14/hook", events=("import.*",)) -> WebhookEndpoint:
    endpoint, _ = services.webhook_endpoint_create(team=team, url=url, events=list(events))
    return endpoint


def _preview(personas) -> Import:
    from imports import services as imports_services

    return imports_services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="s.csv",
        data=data_file("schedules/spec-example.csv"),
        time_zone="UTC",
        date_format=None,
    )


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_import_owes_its_teams_endpoints_the_import_document(personas, monkeypatch):
    sent = []
    monkeypatch.setattr("imports.enqueue.on_commit", lambda name, *args, **kw: sent.append((name, args)))
    wanted = _endpoint(personas.alpha)
    _endpoint(personas.alpha, events=["import.failed"])
    _endpoint(personas.bravo)
    job = _preview(personas)
    assert lifecycle.import_cancel(job=job, actor=personas.sam)
    (message,) = WebhookMessage.objects.all()
    assert message.endpoint == wanted and message.event_type == "import.finished"
    body = json.loads(message.payload)
    assert body["type"] == "import.finished"
    assert body["data"]["id"] == str(job.pk) and body["data"]["state"] == "cancelled"
    assert sent == [("imports.tasks.send_webhook", (message.pk,))]


@pytest.mark.django_db(transaction=True)
def test_no_message_is_left_when_the_move_is_rolled_back(personas):
    _endpoint(personas.alpha)
    job = _preview(personas)
    with pytest.raises(RuntimeError), transaction.atomic():
        lifecycle.import_cancel(job=job, actor=personas.sam)
        raise RuntimeError("the move's transaction fails")
    assert not WebhookMessage.objects.exists()
    assert Import.objects.get(pk=job.pk).state == ImportState.PREVIEW


@pytest.mark.django_db
def test_an_endpoint_inside_the_network_is_refused_when_added(personas):
    with pytest.raises(services.EndpointRefused, match="private network"):
        services.webhook_endpoint_create(team=personas.alpha, url="http://10.0.0.7/hook", events=["import.*"])


@pytest.mark.django_db
def test_a_name_that_resolves_inside_the_network_at_send_time_is_not_sent_to(personas, monkeypatch):
    monkeypatch.setattr("imports.enqueue.on_commit", lambda *args, **kw: None)
    endpoint = _endpoint(personas.alpha)
    # The name was public when it was added; it now resolves to loopback.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://localhost:9/hook")
    message = services.webhook_test_send(endpoint=endpoint)
    delivery.message_send(message_id=message.pk)
    (attempt,) = message.attempt_log.all()
    assert attempt.status_code is None and not attempt.delivered
    assert attempt.excerpt.startswith("Not sent: localhost resolves to") and "private network" in attempt.excerpt
    message.refresh_from_db()
    assert message.state == WebhookMessage.State.PENDING and message.attempts == 1


@pytest.mark.django_db
def test_the_signing_secret_is_stored_sealed(personas):
    endpoint, secret = services.webhook_endpoint_create(
        team=personas.alpha, url="https://93.184.215.14/hook", events=["import.*"]
    )
    stored = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert secret not in stored.secret_sealed and stored.secret() == secret


@pytest.mark.django_db
def test_messages_owed_to_an_endpoint_turned_off_are_stopped_and_never_sent(personas, monkeypatch):
    monkeypatch.setattr("imports.enqueue.on_commit", lambda *args, **kw: None)
    posted = []
    monkeypatch.setattr(delivery, "_post", lambda target, **kw: posted.append(target) or (200, ""))
    endpoint = _endpoint(personas.alpha)
    owed = services.webhook_test_send(endpoint=endpoint)
    services.webhook_endpoint_set_active(endpoint=endpoint, active=False)
    delivery.message_send(message_id=owed.pk)
    owed.refresh_from_db()
    assert owed.state == WebhookMessage.State.STOPPED and owed.next_attempt_at is None
    assert posted == [] and not owed.attempt_log.exists()
    assert delivery.messages_due() == []


@pytest.mark.django_db
def test_a_retry_that_finds_its_endpoint_turned_off_stops_instead_of_sending(personas, monkeypatch):
    monkeypatch.setattr("imports.enqueue.on_commit", lambda *args, **kw: None)
    posted = []
    monkeypatch.setattr(delivery, "_post", lambda target, **kw: posted.append(target) or (200, ""))
    endpoint = _endpoint(personas.alpha)
    owed = services.webhook_test_send(endpoint=endpoint)
    # Turned off by a path that leaves the message pending (another process's
    # retry already on its way).
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    delivery.message_send(message_id=owed.pk)
    owed.refresh_from_db()
    assert owed.state == WebhookMessage.State.STOPPED and posted == []


@pytest.mark.django_db
def test_a_test_event_or_a_send_again_to_an_endpoint_turned_off_is_refused(personas, monkeypatch):
    monkeypatch.setattr("imports.enqueue.on_commit", lambda *args, **kw: None)
    endpoint = _endpoint(personas.alpha)
    owed = services.webhook_test_send(endpoint=endpoint)
    services.webhook_endpoint_set_active(endpoint=endpoint, active=False)
    with pytest.raises(services.EndpointRefused, match="is turned off: turn it on to send it a test event"):
        services.webhook_test_send(endpoint=endpoint)
    with pytest.raises(services.EndpointRefused, match="is turned off: turn it on to send it this message again"):
        services.webhook_message_resend(message=owed)
    assert WebhookMessage.objects.filter(endpoint=endpoint).count() == 1
    owed.refresh_from_db()
    assert owed.state == WebhookMessage.State.STOPPED
