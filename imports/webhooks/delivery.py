"""What the worker does with a webhook message: send it, signed, to the
address its endpoint resolves to (never a private one), record the attempt,
and try again with a doubling wait until a day has passed.

At least once: a message is marked delivered only after a 2xx answer, and a
send that dies half-way is sent again, with the same webhook-id.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta

import certifi
import urllib3
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from imports import enqueue
from imports.secret_box import SecretUnreadable
from imports.webhooks import signing
from imports.webhooks.address_guard import AddressRefused, Target, resolve
from imports.webhooks.models import WebhookAttempt, WebhookMessage

log = logging.getLogger(__name__)

EXCERPT_CHARS = 300
# A wake-up may come this much before the attempt's time and still send.
EARLY_TOLERANCE = timedelta(seconds=1)
USER_AGENT = "schedule-import-portal-webhooks/1"


def _lease() -> timedelta:
    return timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT_SECONDS + 30)


def _post(target: Target, *, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POSTs to the checked address itself, with the URL's host name in the
    Host header and, for https, in the TLS handshake and the certificate
    check; redirects are not followed (they could lead anywhere)."""
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_TIMEOUT_SECONDS, read=settings.WEBHOOK_TIMEOUT_SECONDS)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False)
    try:
        answer = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={
                **headers,
                "Host": host_header,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            excerpt = answer.read(EXCERPT_CHARS * 4, decode_content=True).decode("utf-8", errors="replace")
        finally:
            answer.release_conn()
        return answer.status, excerpt
    finally:
        pool.close()


def _one_line(text: str) -> str:
    return " ".join(text.split())[:EXCERPT_CHARS]


def _next_wait(attempts: int) -> float:
    wait = settings.WEBHOOK_RETRY_FIRST_SECONDS * 2 ** max(attempts - 1, 0)
    return min(wait, settings.WEBHOOK_RETRY_MAX_SECONDS) * random.uniform(0.9, 1.1)


def message_send(*, message_id: str) -> None:
    now = timezone.now()
    message = WebhookMessage.objects.select_related("endpoint").filter(pk=message_id).first()
    if message is None or message.state != WebhookMessage.State.PENDING:
        return
    if not message.endpoint.active:
        # An admin turned the endpoint off: what it was owed is not sent, nor
        # tried again, and its page says so (Send again, once it is on).
        WebhookMessage.objects.filter(pk=message.pk, state=WebhookMessage.State.PENDING).update(
            state=WebhookMessage.State.STOPPED, next_attempt_at=None, sending_until=None
        )
        return
    if message.next_attempt_at and message.next_attempt_at > now + EARLY_TOLERANCE:
        # The broker caps a wait below the retry's; sleep again.
        enqueue.webhook_send_on_commit(message.pk, countdown=(message.next_attempt_at - now).total_seconds())
        return
    free = Q(sending_until__isnull=True) | Q(sending_until__lt=now)
    if not WebhookMessage.objects.filter(free, pk=message.pk, state=WebhookMessage.State.PENDING).update(
        sending_until=now + _lease()
    ):
        return
    started = time.monotonic()
    status, excerpt = None, ""
    try:
        target = resolve(message.endpoint.url, allowed_hosts=settings.WEBHOOK_ALLOWED_HOSTS)
        body = message.payload.encode()
        headers = signing.headers(message.endpoint.secret(), message_id=message.pk, body=body)
        status, excerpt = _post(target, body=body, headers=headers)
    except AddressRefused as refused:
        excerpt = f"Not sent: {refused}"
    except SecretUnreadable as unreadable:
        excerpt = f"Not sent: {unreadable}"
    except urllib3.exceptions.HTTPError as error:
        excerpt = f"No answer: {error.__class__.__name__}: {error}"
    except OSError as error:
        excerpt = f"No answer: {error}"
    _record(message, status=status, excerpt=excerpt, took=time.monotonic() - started)


def _record(message: WebhookMessage, *, status: int | None, excerpt: str, took: float) -> None:
    now = timezone.now()
    delivered = status is not None and 200 <= status < 300
    attempts = message.attempts + 1
    WebhookAttempt.objects.create(
        message=message,
        status_code=status,
        duration_ms=int(took * 1000),
        excerpt=_one_line(excerpt),
        delivered=delivered,
    )
    if delivered:
        WebhookMessage.objects.filter(pk=message.pk).update(
            state=WebhookMessage.State.DELIVERED, attempts=attempts, delivered_at=now, sending_until=None
        )
        return
    wait = _next_wait(attempts)
    if now + timedelta(seconds=wait) > message.give_up_at:
        log.warning("Webhook %s to %s given up after %s attempts", message.pk, message.endpoint.url, attempts)
        WebhookMessage.objects.filter(pk=message.pk).update(
            state=WebhookMessage.State.FAILED, attempts=attempts, sending_until=None, next_attempt_at=None
        )
        return
    WebhookMessage.objects.filter(pk=message.pk).update(
        attempts=attempts, sending_until=None, next_attempt_at=now + timedelta(seconds=wait)
    )
    enqueue.webhook_send_on_commit(message.pk, countdown=wait)


def messages_due() -> list[str]:
    """Pending messages whose wake-up was lost (a restart, a flushed broker)."""
    now = timezone.now()
    overdue = now - timedelta(seconds=settings.RECONCILE_EVERY_SECONDS)
    return list(
        WebhookMessage.objects.filter(state=WebhookMessage.State.PENDING, next_attempt_at__lt=overdue)
        .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=now))
        .values_list("pk", flat=True)
    )


def messages_wake_due() -> int:
    due = messages_due()
    for message_id in due:
        enqueue.webhook_send_on_commit(message_id)
    return len(due)
