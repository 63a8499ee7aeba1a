"""The worker's side: send one e-mail, try again later when the mail server
does not take it, and pick up what a lost message or a dead worker left."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.utils import timezone

from imports import enqueue
from imports.notifications.messages import compose
from imports.notifications.models import Notification
from portal.logs import about_import

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 30
# A notification still "being sent" this long after it started was held by a
# worker that died: it is sent again, which may in that rare case send the
# e-mail twice (a mail server gives no way to ask whether it took a message).
SENDING_GIVEN_UP_AFTER = timedelta(minutes=10)
State = Notification.State


def notification_send(*, notification_id: int) -> None:
    now = timezone.now()
    due = Q(not_before__isnull=True) | Q(not_before__lte=now + timedelta(seconds=1))
    if (
        not Notification.objects.filter(pk=notification_id, state=State.PENDING)
        .filter(due)
        .update(state=State.SENDING, sending_since=now, attempts=F("attempts") + 1)
    ):
        return
    notification = Notification.objects.select_related(
        "user", "import_job", "import_job__team", "import_job__connection", "import_job__uploaded_by"
    ).get(pk=notification_id)
    with about_import(notification.import_job_id):
        message = compose(notification)
        try:
            EmailMessage(
                subject=message.subject,
                body=message.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[notification.user.email],
            ).send()
        except (smtplib.SMTPException, OSError) as error:
            _failed(notification, error)
            return
        Notification.objects.filter(pk=notification.pk, state=State.SENDING).update(
            state=State.SENT, sent_at=timezone.now(), error=""
        )
        log.info("E-mail %r sent to user %s", message.subject, notification.user_id)


def _failed(notification: Notification, error: Exception) -> None:
    # The server's own words, which name no password: Django's SMTP backend
    # never puts the credentials in an exception.
    reason = f"{type(error).__name__}: {error}"[:500]
    if notification.attempts >= MAX_ATTEMPTS:
        Notification.objects.filter(pk=notification.pk, state=State.SENDING).update(state=State.FAILED, error=reason)
        log.error("E-mail to user %s given up after %s attempts: %s", notification.user_id, MAX_ATTEMPTS, reason)
        return
    wait = FIRST_RETRY_SECONDS * 2 ** (notification.attempts - 1)
    if Notification.objects.filter(pk=notification.pk, state=State.SENDING).update(
        state=State.PENDING, not_before=timezone.now() + timedelta(seconds=wait), error=reason
    ):
        enqueue.notification_send_on_commit(notification.pk, countdown=wait)
    log.warning(
        "E-mail to user %s not sent (attempt %s), again in %s s: %s",
        notification.user_id,
        notification.attempts,
        wait,
        reason,
    )


def notifications_sweep() -> int:
    """Wakes the e-mails whose message was lost, and those a dead worker held."""
    now = timezone.now()
    Notification.objects.filter(state=State.SENDING, sending_since__lt=now - SENDING_GIVEN_UP_AFTER).update(
        state=State.PENDING, not_before=None
    )
    due = list(
        Notification.objects.filter(state=State.PENDING)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(created_at__lt=now - timedelta(seconds=30))
        .values_list("pk", flat=True)[:500]
    )
    for notification_id in due:
        enqueue.notification_send_on_commit(notification_id)
    return len(due)
