"""Writes for webhooks: the events an import's move owes its team's
endpoints (written in the same transaction as the move), and what an admin
does to endpoints and messages."""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from imports import audit, enqueue
from imports.api.schemas import import_document
from imports.models import AuditEvent, Import, Team
from imports.states import ImportState
from imports.webhooks import signing
from imports.webhooks.address_guard import AddressRefused, resolve
from imports.webhooks.models import (
    ALL_IMPORT_EVENTS,
    EVENT_TYPES,
    IMPORT_CHECKED,
    IMPORT_FAILED,
    IMPORT_FINISHED,
    IMPORT_NEEDS_ATTENTION,
    TEST_EVENT,
    WebhookEndpoint,
    WebhookMessage,
)

Action = AuditEvent.Action
FAILED_STATES = {ImportState.FAILED, ImportState.ERROR, ImportState.STALLED}


class EndpointRefused(Exception):
    """The endpoint cannot be saved as asked; the message says why."""


def events_for_move(previous: str, to: ImportState, job: Import) -> list[str]:
    """What an import's move tells: every final state is `import.finished`
    (with the state in the body), and a failed one also `import.failed`, so
    that an alerting endpoint can ask for failures alone. A worker's check
    that leaves the import a preview is `import.checked`: nothing more will
    happen to it without a person, and a job that uploaded it with
    confirm=true would otherwise wait for an `import.finished` that never
    comes (`confirmation_refused` in the body says why it was not sent). A
    check whose import confirms itself tells nothing yet: its
    `import.finished` follows."""
    events = []
    if to.is_final:
        events.append(IMPORT_FINISHED)
    if to in FAILED_STATES:
        events.append(IMPORT_FAILED)
    if to == ImportState.NEEDS_ATTENTION:
        events.append(IMPORT_NEEDS_ATTENTION)
    confirms_itself = job.confirm_when_checked is not None and not job.confirmation_refused
    if previous == ImportState.CHECKING and to == ImportState.PREVIEW and not confirms_itself:
        events.append(IMPORT_CHECKED)
    return events


def _body(event_type: str, data: dict) -> str:
    return json.dumps(
        {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def _owe(endpoint: WebhookEndpoint, event_type: str, body: str, job: Import | None) -> WebhookMessage:
    now = timezone.now()
    message = WebhookMessage.objects.create(
        endpoint=endpoint,
        event_type=event_type,
        import_job=job,
        payload=body,
        next_attempt_at=now,
        give_up_at=now + timedelta(seconds=settings.WEBHOOK_RETRY_FOR_SECONDS),
    )
    enqueue.webhook_send_on_commit(message.pk)
    return message


def webhook_messages_for_move(*, import_id, from_state: str, to_state: ImportState) -> list[WebhookMessage]:
    """Called inside the transaction of the import's move: the messages are
    written with the state, or not at all, and sent once it commits."""
    if not (to_state.is_final or to_state in (ImportState.NEEDS_ATTENTION, ImportState.PREVIEW)):
        return []
    job = Import.objects.select_related("team", "uploaded_by", "connection").get(pk=import_id)
    events = events_for_move(from_state, to_state, job)
    if not events:
        return []
    endpoints = [endpoint for endpoint in WebhookEndpoint.objects.filter(team_id=job.team_id, active=True)]
    wanted = [(endpoint, event) for event in events for endpoint in endpoints if endpoint.wants(event)]
    if not wanted:
        return []
    document = import_document(job)
    return [_owe(endpoint, event, _body(event, document), job) for endpoint, event in wanted]


def _clean_events(events: list[str]) -> list[str]:
    allowed = {ALL_IMPORT_EVENTS, *EVENT_TYPES}
    unknown = sorted(set(events) - allowed)
    if unknown or not events:
        raise EndpointRefused(f"Events must be some of {', '.join(sorted(allowed))}.")
    return [ALL_IMPORT_EVENTS] if ALL_IMPORT_EVENTS in events else sorted(set(events))


def _check_url(url: str) -> None:
    try:
        resolve(url, allowed_hosts=settings.WEBHOOK_ALLOWED_HOSTS)
    except AddressRefused as refused:
        raise EndpointRefused(str(refused)) from None


def webhook_endpoint_create(
    *,
    team: Team,
    url: str,
    events: list[str],
    description: str = "",
    actor=None,
    client_address: str | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Adds an endpoint; returns it with its signing secret, shown once."""
    _check_url(url)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(team=team, url=url, events=_clean_events(events), description=description.strip())
    endpoint.created_by = actor if actor is not None and actor.pk else None
    endpoint.set_secret(secret)
    with transaction.atomic():
        endpoint.save()
        audit.record(
            Action.WEBHOOK_ADDED,
            user=actor,
            client_address=client_address,
            detail=f"{url} for team {team.name}: {', '.join(endpoint.events)}",
        )
    return endpoint, secret


def webhook_endpoint_set_active(
    *, endpoint: WebhookEndpoint, active: bool, actor=None, client_address: str | None = None
) -> WebhookEndpoint:
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=active)
        if not active:
            # Stopped at once, not at their next attempt: the page shows
            # plainly that they will not be sent.
            WebhookMessage.objects.filter(endpoint=endpoint, state=WebhookMessage.State.PENDING).update(
                state=WebhookMessage.State.STOPPED, next_attempt_at=None
            )
        audit.record(
            Action.WEBHOOK_CHANGED,
            user=actor,
            client_address=client_address,
            detail=f"{endpoint.url} of team {endpoint.team.name}: {'turned on' if active else 'turned off'}",
        )
    endpoint.refresh_from_db()
    return endpoint


def _refuse_when_off(endpoint: WebhookEndpoint, doing: str) -> None:
    if not WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).exists():
        raise EndpointRefused(f"{endpoint.url} is turned off: turn it on to {doing}.")


def webhook_test_send(*, endpoint: WebhookEndpoint, actor=None, client_address: str | None = None) -> WebhookMessage:
    """A `webhook.test` event, signed and sent like any other."""
    _refuse_when_off(endpoint, "send it a test event")
    body = _body(
        TEST_EVENT,
        {"endpoint": endpoint.url, "team": endpoint.team.name, "sent_by": actor.get_username() if actor else ""},
    )
    with transaction.atomic():
        message = _owe(endpoint, TEST_EVENT, body, None)
        audit.record(
            Action.WEBHOOK_RESENT,
            user=actor,
            client_address=client_address,
            detail=f"test event {message.pk} to {endpoint.url}",
        )
    return message


def webhook_message_resend(*, message: WebhookMessage, actor=None, client_address: str | None = None) -> WebhookMessage:
    """Sends the message again, with the same webhook-id and body: a receiver
    that already has it can tell."""
    _refuse_when_off(message.endpoint, "send it this message again")
    now = timezone.now()
    with transaction.atomic():
        WebhookMessage.objects.filter(pk=message.pk).update(
            state=WebhookMessage.State.PENDING,
            next_attempt_at=now,
            give_up_at=now + timedelta(seconds=settings.WEBHOOK_RETRY_FOR_SECONDS),
            sending_until=None,
        )
        audit.record(
            Action.WEBHOOK_RESENT,
            user=actor,
            client_address=client_address,
            import_job=message.import_job,
            detail=f"{message.event_type} {message.pk} to {message.endpoint.url}",
        )
        enqueue.webhook_send_on_commit(message.pk)
    message.refresh_from_db()
    return message


def webhook_secrets_reseal() -> tuple[int, list[str]]:
    """Seals every endpoint's signing secret again under the first key.
    Returns how many were resealed and the URLs of those no key opens."""
    from imports import secret_box

    resealed, unreadable = 0, []
    for endpoint in WebhookEndpoint.objects.order_by("pk"):
        try:
            sealed = secret_box.reseal(endpoint.secret_sealed, settings.PORTAL_ENCRYPTION_KEYS)
        except secret_box.SecretUnreadable:
            unreadable.append(endpoint.url)
            continue
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret_sealed=sealed)
        resealed += 1
    return resealed, unreadable
