"""Checking an uploaded file and keeping what the check found.

A file up to CHECK_IN_WEB_MAX_BYTES is checked in the web request that
uploads it, for an answer at once; a larger one by the worker, because the
check of a 50 MB file holds a gigabyte for a while, and a web process that
grew that far would never give it back. While the worker checks, the import
is "checking" and the preview says so; the worker holding the check says it
is alive, and the reconciler gives the check of a worker that died to
another, a bounded number of times.

What is kept is bounded however many problems the file has: counts per kind
and the first of each kind in the row, the complete list as a CSV file
beside the upload.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TextIO

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from imports import enqueue, lifecycle
from imports.models import Import, ImportPart, TalkdeskConnection
from imports.schedule import check as schedule_file
from imports.schedule import checked_rows, findings
from imports.states import ImportState

log = logging.getLogger(__name__)

# A worker that died checking the file once may die again (the file is too
# large for its memory): after this many tries the preview says so.
MAX_CHECK_ATTEMPTS = 3
HEARTBEATS_MISSED = 4
# What the import keeps of a check, saved by the worker without touching
# the state, which only the lifecycle writes.
CHECK_FIELDS = (
    "date_format",
    "rows",
    "agents",
    "first_start",
    "last_end",
    "events_by_type",
    "findings",
    "error_count",
    "warning_count",
    "warnings_acknowledged",
)


def account_facts(connection_: TalkdeskConnection) -> schedule_file.AccountFacts:
    agents = None
    # Read from the database: the agents may have been synced since this
    # connection object was loaded.
    if TalkdeskConnection.objects.filter(pk=connection_.pk, agents_synced_at__isnull=False).exists():
        agents = {
            email.lower(): name for email, name in connection_.agents.filter(active=True).values_list("email", "name")
        }
    event_types = frozenset(connection_.event_types) if connection_.event_types else None
    return schedule_file.AccountFacts(active_agents=agents, event_types=event_types)


def checked_in_web(size: int) -> bool:
    return size <= settings.CHECK_IN_WEB_MAX_BYTES


def sha256_of(content: File) -> str:
    digest = hashlib.sha256()
    for chunk in content.chunks():
        digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def every_finding_spool() -> Iterator[TextIO]:
    """Where a check writes every finding, on disk rather than in memory."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        yield spool


def run_check(job: Import, data: bytes, every_finding: TextIO) -> schedule_file.ScheduleCheck:
    """Checks the file as the import says to read it, and notes on the import
    what was found (not saved)."""
    check = schedule_file.check_schedule(
        data,
        time_zone=job.time_zone,
        date_format=job.date_format or None,
        account=account_facts(job.connection),
        every_finding=every_finding,
    )
    summary = check.summary
    job.date_format = check.date_format or job.date_format
    job.rows = summary.rows
    job.agents = summary.agents
    job.first_start = summary.first_start
    job.last_end = summary.last_end
    job.events_by_type = dict(summary.events_by_type)
    as_dict = check.to_dict()
    job.findings = {
        "errors": as_dict["errors"],
        "warnings": as_dict["warnings"],
        "fixes": as_dict["fixes"],
        "counts": check.counts,
        "skipped_checks": list(check.skipped_checks),
        "date_format_candidates": list(check.date_format_candidates),
    }
    job.error_count = check.error_count
    job.warning_count = check.warning_count
    job.warnings_acknowledged = False
    return check


def store_check(job: Import, check: schedule_file.ScheduleCheck, every_finding: TextIO) -> None:
    """The parts to send, the rows for the pages and every finding, beside
    the upload; inside the transaction that saves the import."""
    job.parts.all().delete()
    if check.ok:
        for number, content in enumerate(check.parts, start=1):
            part = ImportPart(
                import_job=job,
                number=number,
                account_key=job.account_key,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                rows=max(content.count(b"\n") - 1, 0),
            )
            part.content.save(f"part-{number}.csv", ContentFile(content), save=False)
            part.save()
    rows_name = checked_rows.stored_name(job.id)
    default_storage.delete(rows_name)
    if check.normalised:
        default_storage.save(rows_name, ContentFile(checked_rows.write_rows(check.rows)))
    findings_name = findings.stored_name(job.id)
    default_storage.delete(findings_name)
    every_finding.flush()
    every_finding.seek(0)
    default_storage.save(findings_name, File(every_finding))


def check_later(job: Import, *, note: str) -> bool:
    """Hands the check to the worker, once the transaction commits."""
    if not lifecycle.import_check_later(job=job, note=note):
        return False
    enqueue.on_commit(enqueue.CHECK_IMPORT, str(job.pk))
    return True


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
        _give_up(job, attempt)
        return
    with _heartbeat(job.pk, attempt), every_finding_spool() as every_finding:
        with job.original.open("rb") as stored:
            data = stored.read()
        check = run_check(job, data, every_finding)
        del data
        with transaction.atomic():
            holds = Import.objects.select_for_update().filter(
                pk=job.pk, state=ImportState.CHECKING, check_attempts=attempt
            )
            if not holds.exists():
                # Cancelled meanwhile, or given to another worker that took too long to hear of.
                return
            job.save(update_fields=CHECK_FIELDS)
            store_check(job, check, every_finding)
            lifecycle.import_checked(job=job, attempt=attempt, note=f"{job.rows:,} rows checked.")


def _give_up(job: Import, attempt: int) -> None:
    message = (
        f"The portal could not finish checking this file: the worker checking it stopped {attempt - 1} times, "
        "most likely for want of memory. Split the file and upload each part, or tell your administrator."
    )
    problem = {"row": None, "column": None, "code": "check_not_finished", "message": message}
    job.findings = {
        "errors": [problem],
        "warnings": [],
        "fixes": [],
        "counts": {"error": {"check_not_finished": 1}, "warning": {}, "fix": {}},
        "skipped_checks": [],
        "date_format_candidates": [],
    }
    job.rows = job.agents = job.warning_count = 0
    job.error_count = 1
    with transaction.atomic():
        if not Import.objects.select_for_update().filter(pk=job.pk, state=ImportState.CHECKING).exists():
            return
        job.save(update_fields=CHECK_FIELDS)
        # Nothing of an earlier check (before the file was read again) stays
        # to contradict the error.
        job.parts.all().delete()
        default_storage.delete(checked_rows.stored_name(job.id))
        default_storage.delete(findings.stored_name(job.id))
        lifecycle.import_checked(job=job, attempt=attempt, note=message)
    log.error("Gave up checking import %s after %s attempts", job.pk, attempt - 1)


def _silent_since():
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
