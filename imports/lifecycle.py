"""The only code that writes an import's or a part's state.

Every move is a conditional update (`WHERE state IN (allowed sources)`), so a
task that runs twice, or two workers racing, can only make the move once: the
loser sees `False` and does nothing. Each move that happens is recorded as a
Transition with its time, and the import's own state follows its parts'.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from imports.accepted_events import accepted_events_record
from imports.models import Connection, Import, ImportPart, Transition
from imports.signals import import_moved
from imports.states import (
    IMPORT_CHECK_MOVES,
    IMPORT_MOVES_BY_PERSON,
    IMPORT_STATES_SET_BY_PEOPLE,
    PART_MOVES,
    ImportState,
    PartState,
    import_state_from_parts,
)
from imports.wfm.base import RemoteStatus


def _sources_for(target: PartState, sources: set[PartState] | None) -> list[str]:
    allowed = [state for state, targets in PART_MOVES.items() if target in targets]
    if sources is not None:
        allowed = [state for state in allowed if state in sources]
    return [state.value for state in allowed]


def _move_part(
    part: ImportPart,
    to: PartState,
    *,
    sources: set[PartState] | None = None,
    only_if: Q | None = None,
    note: str = "",
    actor=None,
    **fields,
) -> bool:
    now = timezone.now()
    if to.is_final:
        fields.setdefault("finished_at", now)
    allowed = _sources_for(to, sources)
    with transaction.atomic():
        current = ImportPart.objects.select_for_update().filter(pk=part.pk, state__in=allowed)
        if only_if is not None:
            current = current.filter(only_if)
        previous = current.values_list("state", flat=True).first()
        if previous is None or not ImportPart.objects.filter(pk=part.pk, state=previous).update(
            state=to, state_changed_at=now, **fields
        ):
            return False
        Transition.objects.create(
            import_job_id=part.import_job_id, part=part, from_state=previous, to_state=to, note=note, actor=actor
        )
        if to in (PartState.FAILED, PartState.ERROR, PartState.STALLED):
            _skip_later_parts(part, note=f"Not sent because part {part.number} did not import.")
        if to in (PartState.IMPORTED, PartState.IMPORTED_WITH_ERRORS):
            # In the move's transaction: a part is never Imported without
            # its events on record, nor on record without being Imported.
            accepted_events_record(part_id=part.pk)
        _follow_parts(part.import_job_id, actor=actor)
    part.refresh_from_db()
    return True


def _skip_later_parts(part: ImportPart, *, note: str) -> None:
    _skip_waiting_parts(ImportPart.objects.filter(import_job_id=part.import_job_id, number__gt=part.number), note=note)


def _skip_waiting_parts(parts, *, note: str, actor=None) -> None:
    now = timezone.now()
    for waiting in parts.filter(state=PartState.WAITING):
        if ImportPart.objects.filter(pk=waiting.pk, state=PartState.WAITING).update(
            state=PartState.SKIPPED, state_changed_at=now, finished_at=now, message=note
        ):
            Transition.objects.create(
                import_job_id=waiting.import_job_id,
                part=waiting,
                from_state=PartState.WAITING,
                to_state=PartState.SKIPPED,
                note=note,
                actor=actor,
            )


def _follow_parts(import_id, *, actor=None) -> None:
    job = Import.objects.select_for_update().get(pk=import_id)
    if job.state in IMPORT_STATES_SET_BY_PEOPLE:
        return
    states = [PartState(s) for s in job.parts.values_list("state", flat=True)]
    target = import_state_from_parts(states)
    if target == job.state:
        return
    now = timezone.now()
    last_message = _telling_message(job)
    Import.objects.filter(pk=job.pk, state=job.state).update(
        state=target,
        state_changed_at=now,
        finished_at=now if target.is_final else None,
        message=last_message or "",
    )
    _record_import_move(job, previous=job.state, to=target, actor=actor)


def _record_import_move(job: Import, *, previous: str, to: ImportState, actor, note: str = "") -> None:
    transition = Transition.objects.create(import_job=job, from_state=previous, to_state=to, note=note, actor=actor)
    import_moved.send(sender=Import, transition=transition)


_TELLING_ORDER = [
    PartState.NEEDS_ATTENTION,
    PartState.STALLED,
    PartState.FAILED,
    PartState.ERROR,
    PartState.WAITING,
    PartState.IMPORTED,
]


def _telling_message(job: Import) -> str:
    """The part message that explains where the import stands: the part that
    stopped it, before any part that merely followed."""
    messages = {}
    for state, message in job.parts.exclude(message="").order_by("number").values_list("state", "message"):
        messages.setdefault(state, message)
    return next((messages[state] for state in _TELLING_ORDER if state in messages), "")


def import_queue(*, job: Import, actor) -> bool:
    """The planner confirmed: the import joins its account's queue."""
    with transaction.atomic():
        _lock_account_queue(job)
        return _move_import(
            job, ImportState.QUEUED, sources={ImportState.PREVIEW}, actor=actor, confirmed_at=timezone.now()
        )


def _lock_account_queue(job: Import) -> None:
    # Confirmations of one account take their turn here, so that their
    # order by time is also the order in which they commit: a worker never
    # sends a later import while an earlier one is still being confirmed.
    list(
        Connection.objects.select_for_update()
        .filter(account__iexact=job.connection.account)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def import_await_approval(*, job: Import, actor) -> bool:
    """The uploader confirmed, in a team whose imports need approval."""
    return _move_import(
        job, ImportState.AWAITING_APPROVAL, actor=actor, note="Waiting for another supervisor or an admin to approve."
    )


def import_approve(*, job: Import, actor) -> bool:
    """Approved: the import joins its account's queue now, behind every import
    confirmed or approved before it (the queue is ordered by `confirmed_at`)."""
    with transaction.atomic():
        _lock_account_queue(job)
        return _move_import(
            job,
            ImportState.QUEUED,
            sources={ImportState.AWAITING_APPROVAL},
            actor=actor,
            note="Approved.",
            confirmed_at=timezone.now(),
        )


def import_reject(*, job: Import, actor, reason: str) -> bool:
    with transaction.atomic():
        list(ImportPart.objects.select_for_update().filter(import_job=job).values_list("pk", flat=True))
        if not _move_import(
            job,
            ImportState.REJECTED,
            actor=actor,
            note=reason,
            finished_at=timezone.now(),
            message=f"Rejected by {actor.get_username()}: {reason}",
        ):
            return False
        _skip_waiting_parts(job.parts.all(), note="Rejected before it was sent.", actor=actor)
    return True


def import_cancel(*, job: Import, actor) -> bool:
    with transaction.atomic():
        # Parts before the import, in the order a worker's move takes them,
        # so a cancel racing a claim waits for it instead of deadlocking.
        list(ImportPart.objects.select_for_update().filter(import_job=job).values_list("pk", flat=True))
        if not _move_import(
            job,
            ImportState.CANCELLED,
            actor=actor,
            finished_at=timezone.now(),
            message=f"Cancelled by {actor.get_username() if actor else 'the portal'} before it was sent.",
        ):
            return False
        _skip_waiting_parts(job.parts.all(), note="Cancelled before it was sent.", actor=actor)
    return True


def import_expire(*, job: Import, days: int) -> bool:
    """A preview nobody confirmed in time: nothing was sent, and the page
    says why it can no longer be."""
    with transaction.atomic():
        list(ImportPart.objects.select_for_update().filter(import_job=job).values_list("pk", flat=True))
        message = (
            f"Expired: not confirmed within {days} day{'s' if days != 1 else ''} of its upload; nothing was sent. "
            "Upload the file again to send it."
        )
        if not _move_import(
            job,
            ImportState.EXPIRED,
            actor=None,
            sources={ImportState.PREVIEW},
            finished_at=timezone.now(),
            message=message,
        ):
            return False
        _skip_waiting_parts(job.parts.all(), note="Expired before it was confirmed.")
    return True


def _move_import(
    job: Import, to: ImportState, *, actor, sources: set[ImportState] | None = None, note: str = "", **fields
) -> bool:
    allowed = [state for state, targets in IMPORT_MOVES_BY_PERSON.items() if to in targets]
    allowed = [state.value for state in allowed if sources is None or state in sources]
    with transaction.atomic():
        # The state it leaves is read under the row's lock, not taken from the
        # caller's copy, which another person's move may have made stale.
        previous = (
            Import.objects.select_for_update().filter(pk=job.pk, state__in=allowed).values_list("state", flat=True)
        ).first()
        if previous is None:
            return False
        Import.objects.filter(pk=job.pk).update(state=to, state_changed_at=timezone.now(), **fields)
        _record_import_move(job, previous=previous, to=to, note=note, actor=actor)
    job.refresh_from_db()
    return True


def part_claim(*, part: ImportPart, held_by: str) -> bool:
    """Takes the account's single slot for this part, or returns False when
    the part is no longer waiting or another part holds the slot."""
    try:
        return _move_part(
            part,
            PartState.PREPARING,
            attempts=part.attempts + 1,
            not_before=None,
            held_by=held_by,
            heartbeat_at=timezone.now(),
        )
    except IntegrityError:
        return False


def _held_by(part: ImportPart) -> Q:
    # A worker presumed dead may still be running; it must not move a part
    # that has since been given to another worker.
    return Q(held_by=part.held_by)


def part_upload_started(*, part: ImportPart) -> bool:
    """Recorded before the first byte of the upload leaves: from here on, a
    worker that dies leaves a part Talkdesk may have."""
    return _move_part(part, PartState.SENDING, only_if=_held_by(part), heartbeat_at=timezone.now())


def part_accepted(*, part: ImportPart, remote_id: str, first_poll_at, wfm_name: str = "Talkdesk") -> bool:
    return _move_part(
        part,
        PartState.PROCESSING,
        only_if=_held_by(part),
        note=f"{wfm_name} import id {remote_id}",
        remote_id=remote_id,
        remote_status=RemoteStatus.PROCESSING,
        sent_at=timezone.now(),
        next_poll_at=first_poll_at,
        poll_failures=0,
        unreadable_since=None,
        message="",
    )


def part_release(*, part: ImportPart, not_before, message: str) -> bool:
    """Nothing reached Talkdesk: the part waits and is tried again later."""
    return _move_part(
        part, PartState.WAITING, only_if=_held_by(part), note=message, not_before=not_before, message=message
    )


def part_fail(*, part: ImportPart, message: str) -> bool:
    return _move_part(part, PartState.FAILED, only_if=_held_by(part), note=message, message=message)


def part_needs_attention(*, part: ImportPart, message: str) -> bool:
    return _move_part(part, PartState.NEEDS_ATTENTION, only_if=_held_by(part), note=message, message=message)


def part_status_unreadable(*, part: ImportPart, message: str) -> bool:
    """The WFM acknowledged the part, and its status answers could not be
    read for too long: a person must look in the WFM. Conditional on the
    poll that decided it, so a late duplicate poll cannot move it."""
    return _move_part(
        part,
        PartState.NEEDS_ATTENTION,
        sources={PartState.PROCESSING},
        only_if=Q(polls=part.polls),
        note=message,
        message=message,
    )


def part_stalled(*, part: ImportPart, message: str) -> bool:
    return _move_part(part, PartState.STALLED, note=message, message=message)


def part_holder_lost(*, part: ImportPart, silent_since) -> bool:
    """The worker holding the part stopped saying it is alive. Before the
    upload started nothing can have reached Talkdesk, so the part waits its
    turn again; after, only a person can tell whether Talkdesk has it."""
    still_silent = _held_by(part) & (Q(heartbeat_at__lt=silent_since) | Q(heartbeat_at__isnull=True))
    if part.state == PartState.PREPARING:
        message = f"The worker {part.held_by} stopped before sending anything; the file will be sent again."
        return _move_part(
            part, PartState.WAITING, sources={PartState.PREPARING}, only_if=still_silent, note=message, message=""
        )
    message = (
        "The portal stopped while sending this file and cannot tell whether Talkdesk received it. "
        "Check the schedule in Talkdesk WFM, then send it again or mark it as imported."
    )
    return _move_part(
        part,
        PartState.NEEDS_ATTENTION,
        sources={PartState.SENDING},
        only_if=still_silent,
        note=f"The worker {part.held_by} stopped answering while it was sending.",
        message=message,
    )


def part_resend(*, part: ImportPart, actor) -> bool:
    return _move_part(
        part,
        PartState.WAITING,
        sources={PartState.NEEDS_ATTENTION},
        note="An admin chose to send it again.",
        actor=actor,
        message="",
    )


def part_mark_imported(*, part: ImportPart, actor) -> bool:
    return _move_part(
        part,
        PartState.IMPORTED,
        sources={PartState.NEEDS_ATTENTION},
        note="An admin recorded that Talkdesk received it.",
        actor=actor,
        message="Marked as imported by an admin.",
    )


def part_finish(*, part: ImportPart, remote_status: RemoteStatus, message: str = "", **fields) -> bool:
    """The WFM gave its final answer for the part."""
    target = {
        RemoteStatus.IMPORTED: PartState.IMPORTED,
        RemoteStatus.IMPORTED_WITH_ERRORS: PartState.IMPORTED_WITH_ERRORS,
        RemoteStatus.FAILED: PartState.ERROR,
    }[RemoteStatus(remote_status)]
    return _move_part(part, target, note=message, remote_status=remote_status, message=message, **fields)


def import_check_later(*, job: Import, note: str) -> bool:
    """The file is too large to check in a web request: the worker checks
    it, and until then nothing about its rows is shown as known."""
    return _move_import_for_check(job, ImportState.CHECKING, note=note, check_attempts=0, check_heartbeat_at=None)


def import_check_claim(*, job: Import, silent_since) -> int | None:
    """A worker takes the check: the attempt's number, or None when the
    import is no longer being checked or a live worker already holds it."""
    now = timezone.now()
    with transaction.atomic():
        claimable = Import.objects.select_for_update().filter(pk=job.pk, state=ImportState.CHECKING)
        claimable = claimable.filter(Q(check_heartbeat_at__isnull=True) | Q(check_heartbeat_at__lt=silent_since))
        attempts = claimable.values_list("check_attempts", flat=True).first()
        if attempts is None:
            return None
        Import.objects.filter(pk=job.pk).update(check_attempts=attempts + 1, check_heartbeat_at=now)
    return attempts + 1


def import_checked(*, job: Import, attempt: int, note: str = "") -> bool:
    """The worker's check is done and stored: the preview shows it. Only the
    attempt that holds the check moves it, once."""
    return _move_import_for_check(
        job, ImportState.PREVIEW, note=note, only_if=Q(check_attempts=attempt), check_heartbeat_at=None
    )


def _move_import_for_check(job: Import, to: ImportState, *, note: str, only_if: Q | None = None, **fields) -> bool:
    """`fields`: plain values, written with the move and taken on by `job`."""
    sources = [state.value for state, targets in IMPORT_CHECK_MOVES.items() if to in targets]
    written = {"state": to.value, "state_changed_at": timezone.now(), **fields}
    with transaction.atomic():
        current = Import.objects.filter(pk=job.pk, state__in=sources)
        if only_if is not None:
            current = current.filter(only_if)
        previous = current.values_list("state", flat=True).first()
        if previous is None or not current.filter(state=previous).update(**written):
            return False
        _record_import_move(job, previous=previous, to=to, actor=None, note=note)
    # What the move wrote, without reading the row again: the caller's other
    # fields and the relations it holds (its team, its uploader) stay as they are.
    for name, value in written.items():
        setattr(job, name, value)
    return True
