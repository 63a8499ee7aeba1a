"""Webhook endpoints, the events owed to them and every attempt to deliver one.

Registered with the `imports` app through `imports.models`; the foreign keys
name the app's models as strings so that this module imports none of them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from imports import secret_box

IMPORT_FINISHED = "import.finished"
IMPORT_NEEDS_ATTENTION = "import.needs_attention"
IMPORT_FAILED = "import.failed"
IMPORT_CHECKED = "import.checked"
ALL_IMPORT_EVENTS = "import.*"
EVENT_TYPES = (IMPORT_FINISHED, IMPORT_NEEDS_ATTENTION, IMPORT_FAILED, IMPORT_CHECKED)
TEST_EVENT = "webhook.test"
EVENT_CHOICES = [
    (ALL_IMPORT_EVENTS, "Every import event"),
    (IMPORT_FINISHED, "import.finished: an import reached its final state"),
    (IMPORT_NEEDS_ATTENTION, "import.needs_attention: an admin must decide"),
    (IMPORT_FAILED, "import.failed: not imported (failed, error, stalled)"),
    (IMPORT_CHECKED, "import.checked: a worker checked an upload, and it waits as a preview (not confirmed)"),
]


def _message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookEndpoint(models.Model):
    team = models.ForeignKey("imports.Team", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True)
    secret_sealed = models.TextField(editable=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "url"]

    def __str__(self) -> str:
        return f"{self.url} ({self.team})"

    def wants(self, event_type: str) -> bool:
        return self.active and (ALL_IMPORT_EVENTS in self.events or event_type in self.events)

    def set_secret(self, secret: str) -> None:
        self.secret_sealed = secret_box.seal(secret, settings.PORTAL_ENCRYPTION_KEYS)

    def secret(self) -> str:
        return secret_box.open_sealed(self.secret_sealed, settings.PORTAL_ENCRYPTION_KEYS)


class WebhookMessage(models.Model):
    """One event owed to one endpoint. Its id is the `webhook-id` of every
    attempt, a send-again included, so that a receiver can drop repeats."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be delivered"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"
        STOPPED = "stopped", "Not sent: the endpoint is turned off"

    id = models.CharField(primary_key=True, max_length=40, default=_message_id, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    event_type = models.CharField(max_length=40)
    import_job = models.ForeignKey(
        "imports.Import", on_delete=models.CASCADE, null=True, blank=True, related_name="webhook_messages"
    )
    # The exact bytes signed and sent, made when the event happened.
    payload = models.TextField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Retries stop after this: a day after the event, or after Send again.
    give_up_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # One sender at a time: a redelivered or reconciler wake-up for a message
    # already being sent does nothing.
    sending_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_due")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.id} → {self.endpoint.url}"


class WebhookAttempt(models.Model):
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    # The receiver's answer, cut short; or why there was none.
    excerpt = models.CharField(max_length=300, blank=True)
    delivered = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.excerpt}"
