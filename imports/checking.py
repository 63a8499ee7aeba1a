"""What the worker does to check a file too large to check in a web request.

A file over CHECK_IN_WEB_MAX_BYTES is "checking" from its upload until a
worker has checked it (the check of a 50 MB file holds about 700 MB for a
while, and a web process that grew that far would never give it back). The
worker takes the check by counting an attempt, says it is alive while it
checks, and keeps the result only while its attempt still holds the check.
The reconciler gives the check of a worker that died, or whose message was
lost, to a worker again; a file whose check stopped its worker three times
gets an error saying so instead of a fourth try.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Q
from django.utils import timezone

from imports import enqueue, lifecycle, services
from imports.models import Import
from imports.states import ImportState

log = logging.getLogger(__name__)

# A worker that died checking the file once may die again (the file is too
# large for its memory): after this many tries the preview says so.
MAX_CHECK_ATTEMPTS = 3
HEARTBEATS_MISSED = 4


def import_check(*, import_id: str) -> None:
    """The worker's check of a large file (the task's body)."""
    job = Import.objects.select_related("connection").filter(pk=import_id).first()
    if job is None or job.state != ImportState.CHECKING:
        return
    attempt = lifecycle.import_check_claim(job=job, silent_since=_silent_since())
    if attempt is None:
        return
    job.refresh_from_db()
    if attempt > MAX_CHECK_ATTEMPTS:
        if services.import_check_give_up(job=job, attempt=attempt):
            log.error("Gave up checking import %s after %s attempts", job.pk, attempt - 1)
        return
    with _heartbeat(job.pk, attempt):
        services.import_check_finish(job=job, attempt=attempt)


def reconcile_checks() -> int:
    """Gives again the checks whose worker died or whose message was lost:
    how many."""
    silent_since = _silent_since()
    due = Import.objects.filter(state=ImportState.CHECKING).filter(
        Q(check_heartbeat_at__lt=silent_since) | Q(check_heartbeat_at__isnull=True, state_changed_at__lt=silent_since)
    )
    woken = 0
    for import_id in due.values_list("pk", flat=True):
        enqueue.on_commit(enqueue.CHECK_IMPORT, str(import_id))
        woken += 1
    return woken


def _silent_since() -> datetime:
    return timezone.now() - timedelta(seconds=settings.IMPORT_HEARTBEAT_SECONDS * HEARTBEATS_MISSED)


@contextmanager
def _heartbeat(import_id, attempt: int):
    """Says, while the file is checked, that the worker holding the check is
    alive; when it stops, the reconciler knows the worker died."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.IMPORT_HEARTBEAT_SECONDS):
                try:
                    Import.objects.filter(pk=import_id, state=ImportState.CHECKING, check_attempts=attempt).update(
                        check_heartbeat_at=timezone.now()
                    )
                except DatabaseError as error:
                    log.warning("Heartbeat of the check of import %s missed: %s", import_id, error)
                    # This thread's broken connection; the next beat opens a new one.
                    connection.close()
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-check-{import_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
