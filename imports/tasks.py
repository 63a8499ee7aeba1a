"""Celery tasks: thin adapters that take ids and call `imports.delivery` (or
`imports.checking`, for the check of a large file).

Tasks are acknowledged late, so a worker killed mid-task leaves the message to
be delivered again; `delivery` finds the work already claimed and does nothing.
"""

from celery import shared_task

from imports import checking, delivery, services
from imports.api import idempotency
from imports.notifications import sending
from imports.webhooks import delivery as webhooks
from portal import health


@shared_task(acks_late=True)
def advance_account(account_key: str) -> None:
    delivery.account_advance(account_key=account_key)


@shared_task(acks_late=True)
def poll_part(part_id: int) -> None:
    delivery.part_poll(part_id=part_id)


@shared_task
def reconcile_imports() -> dict:
    return delivery.reconcile()


@shared_task
def sync_connection_agents(connection_id: int) -> None:
    delivery.connection_agents_refresh(connection_id=connection_id)


@shared_task
def sync_all_connection_agents() -> None:
    for connection_id in delivery.connections_due_for_agent_sync():
        sync_connection_agents.delay(connection_id)


@shared_task(acks_late=True)
def check_import(import_id: str) -> None:
    checking.import_check(import_id=import_id)


@shared_task
def reconcile_checks() -> int:
    return checking.reconcile_checks()


@shared_task
def expire_previews() -> int:
    return services.previews_expire()


@shared_task(acks_late=True)
def send_notification(notification_id: int) -> None:
    sending.notification_send(notification_id=notification_id)


@shared_task
def heartbeat() -> int:
    """Beat sent it and a worker ran it: /readyz reads when. It also wakes the
    e-mails a lost message or a dead worker left behind."""
    health.heartbeat_record()
    return sending.notifications_sweep()


@shared_task(acks_late=True)
def send_webhook(message_id: str) -> None:
    webhooks.message_send(message_id=message_id)


@shared_task
def send_due_webhooks() -> int:
    return webhooks.messages_wake_due()


@shared_task
def forget_idempotency_keys() -> int:
    return idempotency.forget_expired()
