"""What the worker does: send each account's parts one at a time, follow
them until Talkdesk's final answer, keep the error report, and pick up what a
restart or a lost message left behind.

The database says what is due; broker messages are only wake-ups. Every
function here may run twice for the same thing and still act once.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from imports import lifecycle
from imports.models import ImportPart
from imports.secret_box import SecretUnreadable
from imports.services import client_for
from imports.states import ImportState, PartState
from imports.talkdesk_client import ImportStatus, TalkdeskError, UploadOutcomeUnknown

log = logging.getLogger(__name__)

IN_FLIGHT = (PartState.SENDING, PartState.PROCESSING)
MAX_SEND_ATTEMPTS = 8


def _later(task_name: str, *args, countdown: float = 0) -> None:
    from imports import tasks

    # Never past the broker's visibility timeout: Redis would deliver the
    # message a second time while it is still waiting to run.
    countdown = min(max(countdown, 0), settings.CELERY_BROKER_VISIBILITY_TIMEOUT / 2)
    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task.apply_async(args, countdown=countdown))


def _backoff(attempt: int, retry_after: float | None, *, base: float = 2.0, ceiling: float = 300.0) -> float:
    if retry_after is not None:
        return retry_after + random.uniform(0, 1)
    return min(ceiling, base * 2 ** max(attempt - 1, 0)) * random.uniform(0.8, 1.2)


def _talkdesk_file_name(part: ImportPart) -> str:
    stem = PurePath(part.import_job.file_name).stem or "schedule"
    stem = "".join(ch if ch.isalnum() or ch in "-_ ." else "_" for ch in stem).strip() or "schedule"
    total = part.import_job.parts.count()
    suffix = f"-part{part.number}of{total}" if total > 1 else ""
    return f"{stem[:180]}{suffix}.csv"


def next_waiting_part(account_key: str) -> ImportPart | None:
    """The account's queue, oldest confirmation first, parts in order."""
    return (
        ImportPart.objects.select_related("import_job", "import_job__connection")
        .filter(
            account_key=account_key,
            state=PartState.WAITING,
            import_job__state__in=[ImportState.QUEUED, ImportState.PROCESSING],
        )
        .order_by("import_job__confirmed_at", "import_job_id", "number")
        .first()
    )


def account_advance(*, account_key: str) -> None:
    """Sends the account's next part, unless one is already in flight."""
    if ImportPart.objects.filter(account_key=account_key, state__in=IN_FLIGHT).exists():
        return
    part = next_waiting_part(account_key)
    if part is None:
        return
    now = timezone.now()
    if part.not_before and part.not_before > now:
        _later("advance_account", account_key, countdown=(part.not_before - now).total_seconds())
        return
    if not lifecycle.part_claim(part=part):
        return
    _send(part)


def _send(part: ImportPart) -> None:
    job = part.import_job
    try:
        client = client_for(job.connection)
        with part.content.open("rb") as stored:
            content = stored.read()
        talkdesk_id = client.upload(
            content=content,
            file_name=_talkdesk_file_name(part),
            time_zone=job.time_zone,
            date_format=job.date_format,
        )
    except UploadOutcomeUnknown as error:
        lifecycle.part_needs_attention(part=part, message=error.message)
        _later("advance_account", part.account_key)
        return
    except SecretUnreadable as error:
        lifecycle.part_fail(part=part, message=str(error))
        _later("advance_account", part.account_key)
        return
    except TalkdeskError as error:
        if error.retryable and part.attempts < MAX_SEND_ATTEMPTS:
            delay = _backoff(part.attempts, error.retry_after)
            lifecycle.part_release(
                part=part, not_before=timezone.now() + timedelta(seconds=delay), message=error.message
            )
            _later("advance_account", part.account_key, countdown=delay)
        else:
            lifecycle.part_fail(part=part, message=error.message)
            _later("advance_account", part.account_key)
        return
    lifecycle.part_accepted(part=part, talkdesk_import_id=talkdesk_id)
    _later("poll_part", part.pk, countdown=settings.IMPORT_POLL_FIRST_SECONDS)


def _poll_delay(polls: int) -> float:
    return min(settings.IMPORT_POLL_MAX_SECONDS, settings.IMPORT_POLL_FIRST_SECONDS * 1.5**polls)


def part_poll(*, part_id: int) -> None:
    """Asks Talkdesk where the part stands and acts on the answer."""
    part = ImportPart.objects.select_related("import_job", "import_job__connection").filter(pk=part_id).first()
    if part is None or part.state != PartState.PROCESSING:
        return
    ImportPart.objects.filter(pk=part.pk).update(polls=part.polls + 1, last_polled_at=timezone.now())
    try:
        client = client_for(part.import_job.connection)
        status = client.status(part.talkdesk_import_id)
        if status.status == "PROCESSING":
            if _stalled(part):
                lifecycle.part_fail(part=part, message=_stalled_message())
                _later("advance_account", part.account_key)
            else:
                _later("poll_part", part.pk, countdown=_poll_delay(part.polls))
            return
        report_name = _keep_report(part, client, status)
    except SecretUnreadable as error:
        lifecycle.part_fail(part=part, message=str(error))
        _later("advance_account", part.account_key)
        return
    except TalkdeskError as error:
        if error.retryable:
            _later("poll_part", part.pk, countdown=_backoff(part.polls, error.retry_after, base=1.0, ceiling=60.0))
        else:
            lifecycle.part_fail(part=part, message=error.message)
            _later("advance_account", part.account_key)
        return
    fields = {}
    if report_name:
        fields = {"error_report": report_name, "error_report_fetched_at": timezone.now()}
    message = ""
    if status.status == "ERROR":
        message = "Talkdesk could not import this file. Check the file and try again, or contact Talkdesk support with the import id."
    if lifecycle.part_finish(part=part, remote_status=status.status, message=message, **fields):
        _learn_from_clean_import(part.import_job_id)
    elif report_name:
        default_storage.delete(report_name)
    _later("advance_account", part.account_key)


def _learn_from_clean_import(import_id) -> None:
    """Talkdesk has no API that lists WFM event types; every name in a file
    it took without a single rejected row is one the account has."""
    from imports.models import Import
    from imports.services import connection_learn_event_types

    job = Import.objects.select_related("connection").get(pk=import_id)
    if job.state == ImportState.IMPORTED:
        connection_learn_event_types(connection=job.connection, names=list(job.events_by_type))


def _keep_report(part: ImportPart, client, status: ImportStatus) -> str | None:
    if status.status != "IMPORTED_WITH_ERRORS" or not status.error_report_url:
        return None
    # Talkdesk's link dies ten minutes after it was made; a copy is kept for
    # as long as the import is.
    report = client.download_report(status.error_report_url)
    return default_storage.save(f"imports/{part.import_job_id}/part-{part.number}-errors.csv", ContentFile(report))


def _stalled(part: ImportPart) -> bool:
    sent = part.sent_at or part.state_changed_at
    return timezone.now() - sent > timedelta(seconds=settings.IMPORT_STALLED_AFTER_SECONDS)


def _stalled_message() -> str:
    hours = settings.IMPORT_STALLED_AFTER_SECONDS / 3600
    return (
        f"Talkdesk was still processing this file after {hours:g} hours, so the portal stopped waiting. "
        "Check the schedule in Talkdesk WFM before sending it again."
    )


def reconcile() -> dict[str, int]:
    """Finds work whose wake-up was lost (a restart, a flushed broker) and
    wakes it again."""
    now = timezone.now()
    woken = {"accounts": 0, "polls": 0, "stuck_sending": 0}
    waiting_accounts = set(
        ImportPart.objects.filter(
            state=PartState.WAITING, import_job__state__in=[ImportState.QUEUED, ImportState.PROCESSING]
        )
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .values_list("account_key", flat=True)
        .distinct()
    )
    busy_accounts = set(ImportPart.objects.filter(state__in=IN_FLIGHT).values_list("account_key", flat=True))
    for account_key in sorted(waiting_accounts - busy_accounts):
        _later("advance_account", account_key)
        woken["accounts"] += 1
    quiet_since = now - timedelta(seconds=max(3 * settings.IMPORT_POLL_MAX_SECONDS, 60))
    for part_id in ImportPart.objects.filter(state=PartState.PROCESSING).filter(
        Q(last_polled_at__lt=quiet_since) | Q(last_polled_at__isnull=True, state_changed_at__lt=quiet_since)
    ).values_list("pk", flat=True):
        _later("poll_part", part_id)
        woken["polls"] += 1
    stuck_since = now - timedelta(seconds=settings.IMPORT_SENDING_STUCK_SECONDS)
    for part in ImportPart.objects.filter(state=PartState.SENDING, state_changed_at__lt=stuck_since):
        if lifecycle.part_needs_attention(
            part=part,
            message=(
                "The portal stopped while sending this file and cannot tell whether Talkdesk received it. "
                "Check the schedule in Talkdesk WFM, then send it again or mark it as imported."
            ),
        ):
            woken["stuck_sending"] += 1
            _later("advance_account", part.account_key)
    return woken


def connections_due_for_agent_sync() -> list[int]:
    """Connections whose client may list users; the others are skipped rather
    than failing every hour."""
    from imports.models import TalkdeskConnection

    return [
        connection.pk
        for connection in TalkdeskConnection.objects.all()
        if not connection.granted_scopes or settings.TALKDESK_SCOPE_USERS in connection.granted_scopes
    ]


def connection_agents_refresh(*, connection_id: int) -> None:
    from imports.models import TalkdeskConnection
    from imports.services import ActionRefused, connection_sync_agents

    connection = TalkdeskConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return
    try:
        connection_sync_agents(connection=connection)
    except (ActionRefused, SecretUnreadable) as error:
        log.info("Agents of connection %s not synced: %s", connection_id, error)
