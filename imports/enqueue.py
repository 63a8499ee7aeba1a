"""The one place that asks the worker for work: after the transaction that
made the work due has committed, by the task's name.

By name, so that nothing here or in its callers imports `imports.tasks`:
tasks call the worker's logic, and the worker's logic (and the services the
pages use) only ever reach tasks through here, so the modules import one way.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from portal.celery import app

ADVANCE_ACCOUNT = "imports.tasks.advance_account"
POLL_PART = "imports.tasks.poll_part"
SEND_NOTIFICATION = "imports.tasks.send_notification"
CHECK_IMPORT = "imports.tasks.check_import"
SEND_WEBHOOK = "imports.tasks.send_webhook"


def capped_countdown(seconds: float) -> float:
    """A wait, capped where the broker could deliver the message twice."""
    # Never past the broker's visibility timeout: Redis would deliver the
    # message a second time while it is still waiting to run.
    return min(max(seconds, 0.0), settings.CELERY_BROKER_VISIBILITY_TIMEOUT / 2)


def on_commit(task_name: str, *args, countdown: float = 0) -> None:
    wait = capped_countdown(countdown)
    # Robust: a broker that cannot take the message loses only a wake-up,
    # which the reconciler gives again; the work itself is in the database.
    transaction.on_commit(lambda: app.send_task(task_name, args, countdown=wait), robust=True)


def account_advance_on_commit(account_key: str, *, countdown: float = 0) -> None:
    on_commit(ADVANCE_ACCOUNT, account_key, countdown=countdown)


def notification_send_on_commit(notification_id: int, *, countdown: float = 0) -> None:
    on_commit(SEND_NOTIFICATION, notification_id, countdown=countdown)


def webhook_send_on_commit(message_id: str, *, countdown: float = 0) -> None:
    on_commit(SEND_WEBHOOK, message_id, countdown=countdown)
