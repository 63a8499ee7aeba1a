"""What the worker does: send each account's parts one at a time, follow
them until the WFM's final answer, keep the error report, and pick up what a
restart or a lost message left behind.

The database says what is due; broker messages are only wake-ups. Every
function here may run twice for the same thing, or at the same time in two
workers, and still act once.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.db.models import F, Q
from django.utils import timezone

from imports import enqueue, lifecycle, recovery
from imports.connection_services import wfm_for
from imports.models import ImportPart
from imports.secret_box import SecretUnreadable
from imports.states import PART_IN_FLIGHT, ImportState, PartState
from imports.wfm import attention
from imports.wfm.base import Answer, MaybeSent, NothingSent, Outgoing, RemoteStatus, Retryable, Wfm, WfmError
from portal.logs import working_on_import

log = logging.getLogger(__name__)

HELD = (PartState.PREPARING, PartState.SENDING)
MAX_SEND_ATTEMPTS = 8
# A holder that misses this many heartbeats in a row is taken for dead. More
# than one, so that a database restart or a slow beat is not mistaken for it.
HEARTBEATS_MISSED = 4
# A poll's own message may run a moment before the time it was set for.
POLL_EARLY_TOLERANCE = timedelta(seconds=1)
# What the portal writes down after Talkdesk accepted a file is the only
# record of its import id; a database that is restarting gets this long.
RECORD_ID_FOR_SECONDS = 30


def _backoff(attempt: int, retry_after: float | None, *, base: float, ceiling: float) -> float:
    if retry_after is not None:
        return retry_after + random.uniform(0, 1)
    return min(ceiling, base * 2 ** max(attempt - 1, 0)) * random.uniform(0.8, 1.2)


def _file_name(part: ImportPart) -> str:
    stem = PurePath(part.import_job.file_name).stem or "schedule"
    stem = "".join(ch if ch.isalnum() or ch in "-_ ." else "_" for ch in stem).strip() or "schedule"
    total = part.import_job.parts.count()
    suffix = f"-part{part.number}of{total}" if total > 1 else ""
    return f"{stem[:180]}{suffix}.csv"


def _outgoing(part: ImportPart, content: bytes = b"") -> Outgoing:
    job = part.import_job
    return Outgoing(
        content=content,
        file_name=_file_name(part),
        time_zone=job.time_zone,
        date_format=job.date_format or None,
        week_start=part.week_start,
        label=part.label,
    )


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


def _holder_name() -> str:
    # Unique per claim, so that a worker presumed dead cannot act on a part
    # another worker has taken since; readable, so a log can be found.
    return f"{socket.gethostname()} pid {os.getpid()} claim {uuid.uuid4().hex[:12]}"


def account_advance(*, account_key: str) -> None:
    """Sends the account's next part, unless one is already in flight."""
    if ImportPart.objects.filter(account_key=account_key, state__in=PART_IN_FLIGHT).exists():
        return
    part = next_waiting_part(account_key)
    if part is None:
        return
    now = timezone.now()
    if part.not_before and part.not_before > now:
        enqueue.account_advance_on_commit(account_key, countdown=(part.not_before - now).total_seconds())
        return
    if not lifecycle.part_claim(part=part, held_by=_holder_name()):
        return
    working_on_import(part.import_job_id)
    with _heartbeat(part):
        _send(part)


@contextmanager
def _heartbeat(part: ImportPart):
    """Says, while the part is prepared and sent, that the worker holding it
    is alive; when it stops, the reconciler knows the worker died."""
    part_id, holder = part.pk, part.held_by
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.IMPORT_HEARTBEAT_SECONDS):
                try:
                    ImportPart.objects.filter(pk=part_id, held_by=holder, state__in=HELD).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as error:
                    log.warning("Heartbeat of part %s missed: %s", part_id, error)
                    # This thread's broken connection; the next beat opens a new one.
                    connection.close()
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-part-{part_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _send(part: ImportPart) -> None:
    job = part.import_job
    try:
        wfm = wfm_for(job.connection)
        with part.content.open("rb") as stored:
            content = stored.read()
        # Signed in before the upload starts, so that a slow or failing token
        # service keeps the part in the state where nothing was sent.
        wfm.sign_in()
    # ValueError: a connection the client refuses (no account name, a base URL
    # that is not one), which no retry mends.
    except (SecretUnreadable, ValueError) as error:
        _give_up(part, str(error))
        return
    except WfmError as error:
        _try_again_or_give_up(part, error)
        return
    except OSError as error:
        # The stored part could not be read (a disk failing, a volume gone):
        # nothing was sent, and the file is still there once the disk is back.
        log.error("Part %s of import %s could not be read: %s", part.number, part.import_job_id, error)
        delay = _backoff(
            part.attempts, None, base=settings.IMPORT_RETRY_FIRST_SECONDS, ceiling=settings.IMPORT_RETRY_MAX_SECONDS
        )
        message = (
            f"The portal could not read the stored file ({error.strerror or error}); nothing was sent, "
            "and it tries again. Tell your administrator."
        )
        if lifecycle.part_release(part=part, not_before=timezone.now() + timedelta(seconds=delay), message=message):
            enqueue.account_advance_on_commit(part.account_key, countdown=delay)
        return
    if not lifecycle.part_upload_started(part=part):
        return
    try:
        remote_id = wfm.upload(_outgoing(part, content))
    except MaybeSent as error:
        lifecycle.part_needs_attention(part=part, message=error.message)
        enqueue.account_advance_on_commit(part.account_key)
        return
    except WfmError as error:
        _try_again_or_give_up(part, error)
        return
    _record_accepted(part, remote_id, wfm)


def _record_accepted(part: ImportPart, remote_id: str, wfm: Wfm) -> None:
    # A check before the account's imports usually finish would hear
    # PROCESSING: the first comes at the expected end, or soon after sending.
    expected_end = _earliest_end(part.account_key) or 0
    first_poll = enqueue.capped_countdown(
        min(settings.IMPORT_POLL_MAX_SECONDS, max(settings.IMPORT_POLL_FIRST_SECONDS, expected_end))
    )
    deadline = time.monotonic() + RECORD_ID_FOR_SECONDS
    while True:
        try:
            accepted = lifecycle.part_accepted(
                part=part,
                remote_id=remote_id,
                first_poll_at=timezone.now() + timedelta(seconds=first_poll),
                wfm_name=wfm.name,
            )
            break
        except DatabaseError:
            if time.monotonic() > deadline:
                log.error(
                    "%s accepted part %s of import %s as import %s, and the database could not record it.",
                    wfm.name,
                    part.number,
                    part.import_job_id,
                    remote_id,
                )
                raise
            connection.close()
            time.sleep(1)
    if accepted:
        enqueue.on_commit(enqueue.POLL_PART, part.pk, countdown=first_poll)
    else:
        log.error(
            "%s accepted part %s of import %s as import %s after the part was taken from this worker.",
            wfm.name,
            part.number,
            part.import_job_id,
            remote_id,
        )


def _try_again_or_give_up(part: ImportPart, error: WfmError) -> None:
    """The WFM provably took nothing: the part waits and is tried again,
    unless trying again cannot help."""
    if not isinstance(error, (NothingSent, Retryable)):
        _give_up(part, error.message)
        return
    # Another tool's import holds the account; it ends, so the part waits for
    # it however long it takes.
    outside_import = isinstance(error, Retryable) and error.busy
    if part.attempts >= MAX_SEND_ATTEMPTS and not outside_import:
        answer = f"HTTP {error.http_status}" if error.http_status else "no answer"
        _give_up(
            part,
            f"{part.import_job.connection.get_kind_display()} did not take the file in {part.attempts} tries "
            f"(the last: {answer}), so the portal stopped trying. Nothing was imported; upload the file again later.",
        )
        return
    delay = _backoff(
        part.attempts,
        error.after if isinstance(error, Retryable) else None,
        base=settings.IMPORT_RETRY_FIRST_SECONDS,
        ceiling=settings.IMPORT_RETRY_MAX_SECONDS,
    )
    if lifecycle.part_release(part=part, not_before=timezone.now() + timedelta(seconds=delay), message=error.message):
        enqueue.account_advance_on_commit(part.account_key, countdown=delay)


def _give_up(part: ImportPart, message: str) -> None:
    if lifecycle.part_fail(part=part, message=message):
        enqueue.account_advance_on_commit(part.account_key)


# The final state is to be seen within 2 s + 10% of Talkdesk finishing. Once
# an import may have finished, polls are never further apart than that less
# what a check itself takes to be picked up and answered (broker, database,
# Talkdesk): spaced at the allowance itself, 12 of 200 were seen 0.01-0.06 s
# late on PostgreSQL.
POLL_LAG_SECONDS = 2.0
POLL_LAG_SHARE = 0.1
POLL_CHECK_SECONDS = 0.5
# How many of the account's latest imports tell how long the next one takes.
EXPECTATION_SAMPLE = 5


def _poll_delay(part: ImportPart) -> float:
    """Seconds to the next status check: fewer checks while Talkdesk is
    processing, the more so the longer it takes, and none before the
    quickest of the account's latest imports could have finished."""
    elapsed = (timezone.now() - part.sent_at).total_seconds() if part.sent_at else 0.0
    delay = POLL_LAG_SECONDS - POLL_CHECK_SECONDS + POLL_LAG_SHARE * elapsed
    earliest_end = _earliest_end(part.account_key)
    if earliest_end is not None:
        delay = max(delay, earliest_end - elapsed)
    return min(settings.IMPORT_POLL_MAX_SECONDS, delay)


def _earliest_end(account_key: str) -> float | None:
    """Seconds from sending to when the next import may have finished."""
    taken = _expected_processing_seconds(account_key)
    if taken is None:
        return None
    # Those imports' final states were seen up to the lag allowed after
    # Talkdesk finished them: expecting the end that much earlier keeps one
    # late sighting from making every later one as late.
    return taken - (POLL_LAG_SECONDS + POLL_LAG_SHARE * taken)


def _expected_processing_seconds(account_key: str) -> float | None:
    """The quickest of the account's latest imports, from sending to the
    final state: before that, a status check most likely hears PROCESSING."""
    finished = (
        ImportPart.objects.filter(
            account_key=account_key,
            state__in=[PartState.IMPORTED, PartState.IMPORTED_WITH_ERRORS, PartState.ERROR],
            sent_at__isnull=False,
            finished_at__isnull=False,
        )
        .order_by("-finished_at")
        .values_list("sent_at", "finished_at")[:EXPECTATION_SAMPLE]
    )
    return min(((done - sent).total_seconds() for sent, done in finished), default=None)


def _poll_lease() -> timedelta:
    # Long enough for a status read and a report download to time out.
    return timedelta(seconds=settings.TALKDESK_CONNECT_TIMEOUT_SECONDS + 2 * settings.TALKDESK_READ_TIMEOUT_SECONDS)


def part_poll(*, part_id: int) -> None:
    """Asks Talkdesk where the part stands and acts on the answer."""
    part = ImportPart.objects.select_related("import_job", "import_job__connection").filter(pk=part_id).first()
    if part is None or part.state != PartState.PROCESSING:
        return
    working_on_import(part.import_job_id)
    now = timezone.now()
    if part.next_poll_at and part.next_poll_at > now + POLL_EARLY_TOLERANCE:
        return
    # Of two wake-ups at the same time, one takes the poll; the other stops,
    # so duplicate messages never grow into two chains of polls.
    if not ImportPart.objects.filter(pk=part.pk, state=PartState.PROCESSING, polls=part.polls).update(
        polls=F("polls") + 1, last_polled_at=now, next_poll_at=now + _poll_lease()
    ):
        return
    part.polls += 1
    # The WFM has this file (it gave the id polled here): whatever goes wrong
    # from now on, the part is never called "Not sent".
    wfm_name = part.import_job.connection.get_kind_display()
    try:
        wfm = wfm_for(part.import_job.connection)
        answer = wfm.status(part.remote_id, _outgoing(part))
    except (SecretUnreadable, ValueError) as error:
        _status_unreadable(part, wfm_name, attention.could_not_ask(wfm_name, str(error)))
        return
    except WfmError as error:
        if isinstance(error, (NothingSent, Retryable)):
            _poll_failed(part, error)
        else:
            told = error.details.get("answer") or error.message
            _status_unreadable(part, wfm_name, attention.answered_with(wfm_name, told))
        return
    if part.poll_failures or part.unreadable_since:
        _status_readable_again(part)
    if answer.status is RemoteStatus.PROCESSING:
        if _stalled(part):
            if lifecycle.part_stalled(part=part, message=_stalled_message(wfm.name)):
                enqueue.account_advance_on_commit(part.account_key)
        else:
            _poll_again(part, _poll_delay(part))
        return
    fields, message = {}, answer.message
    if answer.status is RemoteStatus.IMPORTED_WITH_ERRORS:
        try:
            fields = _keep_report(part, wfm, answer)
        except WfmError as error:
            # Every status read comes with a fresh link, so a dead link or a
            # dropped download is tried again, for as long as an import may take.
            if isinstance(error, (NothingSent, Retryable)) and not _stalled(part):
                _poll_failed(part, error)
                return
            log.warning("Error report of part %s not kept: %s", part.pk, error.message)
            message = (
                f"{wfm.name} imported the file but rejected some rows, and the portal could not download its "
                f"error report. Open the import in {wfm.name} to see which rows."
            )
        except OSError as error:
            # A full or read-only disk: the report is downloaded again from a
            # fresh link once the disk takes it; nothing is decided meanwhile.
            log.error("Error report of part %s could not be stored (%s); asking again.", part.pk, error)
            _poll_again(
                part,
                settings.IMPORT_RECHECK_MAX_SECONDS,
                message=f"The portal could not store {wfm.name}'s error report on its disk "
                f"({error.strerror or error}); it tries again. Tell your administrator.",
            )
            return
    if lifecycle.part_finish(part=part, remote_status=answer.status, message=message, **fields):
        _learn_from_clean_import(part.import_job_id)
    elif fields:
        default_storage.delete(fields["error_report"])
    enqueue.account_advance_on_commit(part.account_key)


def _poll_failed(part: ImportPart, error: WfmError) -> None:
    """A status check that may well work the next time (5xx, no connection,
    429): asked again after a wait that grows with the failures in a row."""
    failures = part.poll_failures + 1
    after = error.after if isinstance(error, Retryable) else None
    delay = _backoff(failures, after, base=1.0, ceiling=settings.IMPORT_RECHECK_MAX_SECONDS)
    _poll_again(part, delay, poll_failures=failures, message=error.message)


def _status_unreadable(part: ImportPart, wfm_name: str, what_happened: str) -> None:
    """The WFM has the file, and its answer about it cannot be used: asked
    again like a 5xx for a bounded time, then left to an admin."""
    now = timezone.now()
    since = part.unreadable_since or now
    asked_for = (now - since).total_seconds()
    log.warning("Status of part %s (remote import %s) unreadable: %s", part.pk, part.remote_id, what_happened)
    if asked_for >= settings.IMPORT_UNREADABLE_STATUS_SECONDS:
        message = attention.status_unreadable(
            wfm_name=wfm_name, import_id=part.remote_id, what_happened=what_happened, asked_for_seconds=asked_for
        )
        if lifecycle.part_status_unreadable(part=part, message=message):
            enqueue.account_advance_on_commit(part.account_key)
        return
    failures = part.poll_failures + 1
    _poll_again(
        part,
        _backoff(failures, None, base=1.0, ceiling=settings.IMPORT_RECHECK_MAX_SECONDS),
        poll_failures=failures,
        unreadable_since=since,
        message=attention.status_unreadable_for_now(
            wfm_name=wfm_name, import_id=part.remote_id, what_happened=what_happened
        ),
    )


def _status_readable_again(part: ImportPart) -> None:
    """The first good answer after failed ones: the wait starts afresh, and
    whatever of the account waits out a backoff of its own is due now."""
    ImportPart.objects.filter(pk=part.pk, polls=part.polls).update(poll_failures=0, unreadable_since=None, message="")
    part.poll_failures, part.unreadable_since = 0, None
    recovery.account_reached(account_key=part.account_key)


def _poll_again(part: ImportPart, delay: float, **fields) -> None:
    delay = enqueue.capped_countdown(delay)
    if ImportPart.objects.filter(pk=part.pk, state=PartState.PROCESSING, polls=part.polls).update(
        next_poll_at=timezone.now() + timedelta(seconds=delay), **fields
    ):
        enqueue.on_commit(enqueue.POLL_PART, part.pk, countdown=delay)


def _learn_from_clean_import(import_id) -> None:
    """A WFM without an API that lists its event types (Talkdesk): every
    name in a file it took without a single rejected row is one it has."""
    from imports.connection_services import connection_learn_event_types
    from imports.models import Import
    from imports.wfm import registry

    job = Import.objects.select_related("connection").get(pk=import_id)
    if job.state == ImportState.IMPORTED and not registry.vendor(job.connection.kind).lists_event_types:
        connection_learn_event_types(connection=job.connection, names=list(job.events_by_type))


def _keep_report(part: ImportPart, wfm: Wfm, answer: Answer) -> dict:
    if not answer.report_url:
        return {}
    # Talkdesk's link dies ten minutes after it was made; a copy is kept for
    # as long as the import is.
    report = wfm.download_report(answer.report_url)
    name = default_storage.save(f"imports/{part.import_job_id}/part-{part.number}-errors.csv", ContentFile(report))
    return {"error_report": name, "error_report_fetched_at": timezone.now()}


def _stalled(part: ImportPart) -> bool:
    sent = part.sent_at or part.state_changed_at
    return timezone.now() - sent > timedelta(seconds=settings.IMPORT_STALLED_AFTER_SECONDS)


def _stalled_message(wfm_name: str) -> str:
    return (
        f"{wfm_name} was still processing this file after {_in_words(settings.IMPORT_STALLED_AFTER_SECONDS)}, "
        f"so the portal stopped waiting. Check the schedule in {wfm_name} before sending it again."
    )


def _in_words(seconds: float) -> str:
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size or unit == "second":
            count = round(seconds / size, 1)
            return f"{count:g} {unit}{'' if count == 1 else 's'}"


def reconcile() -> dict[str, int]:
    """Finds work whose worker died or whose wake-up was lost (a restart, a
    flushed broker) and sets it going again."""
    now = timezone.now()
    woken = {"holders_lost": 0, "accounts": 0, "polls": 0}
    silent_since = now - timedelta(seconds=settings.IMPORT_HEARTBEAT_SECONDS * HEARTBEATS_MISSED)
    for part in ImportPart.objects.filter(state__in=HELD).filter(
        Q(heartbeat_at__lt=silent_since) | Q(heartbeat_at__isnull=True)
    ):
        if lifecycle.part_holder_lost(part=part, silent_since=silent_since):
            woken["holders_lost"] += 1
    waiting_accounts = set(
        ImportPart.objects.filter(
            state=PartState.WAITING, import_job__state__in=[ImportState.QUEUED, ImportState.PROCESSING]
        )
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .values_list("account_key", flat=True)
        .distinct()
    )
    busy_accounts = set(ImportPart.objects.filter(state__in=PART_IN_FLIGHT).values_list("account_key", flat=True))
    for account_key in sorted(waiting_accounts - busy_accounts):
        enqueue.account_advance_on_commit(account_key)
        woken["accounts"] += 1
    overdue = now - timedelta(seconds=settings.IMPORT_POLL_MAX_SECONDS)
    for part_id in (
        ImportPart.objects.filter(state=PartState.PROCESSING)
        .filter(Q(next_poll_at__lt=overdue) | Q(next_poll_at__isnull=True))
        .values_list("pk", flat=True)
    ):
        enqueue.on_commit(enqueue.POLL_PART, part_id)
        woken["polls"] += 1
    return woken


def connections_due_for_agent_sync() -> list[int]:
    """Connections whose client may list users; the others are skipped rather
    than failing every hour."""
    from imports.models import Connection

    return [
        connection.pk
        for connection in Connection.objects.all()
        if not connection.granted_scopes or settings.TALKDESK_SCOPE_USERS in connection.granted_scopes
    ]


def connection_agents_refresh(*, connection_id: int) -> None:
    from imports.models import Connection
    from imports.services import ActionRefused, connection_sync_agents

    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return
    try:
        connection_sync_agents(connection=connection)
    except (ActionRefused, SecretUnreadable) as error:
        log.info("Agents of connection %s not synced: %s", connection_id, error)
