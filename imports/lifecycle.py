"""The only code that writes an import's or a part's state.

Every move is a conditional update (`WHERE state IN (allowed sources)`), so a
task that runs twice, or two workers racing, can only make the move once: the
loser sees `False` and does nothing. Each move that happens is recorded as a
Transition with its time, and the import's own state follows its parts'.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from imports.models import Import, ImportPart, Transition
from imports.states import IMPORT_MOVES_BY_PERSON, PART_MOVES, ImportState, PartState, import_state_from_parts


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
    note: str = "",
    actor=None,
    **fields,
) -> bool:
    now = timezone.now()
    if to.is_final:
        fields.setdefault("finished_at", now)
    allowed = _sources_for(to, sources)
    with transaction.atomic():
        previous = (
            ImportPart.objects.select_for_update().filter(pk=part.pk, state__in=allowed).values_list("state", flat=True).first()
        )
        if previous is None or not ImportPart.objects.filter(pk=part.pk, state=previous).update(
            state=to, state_changed_at=now, **fields
        ):
            return False
        Transition.objects.create(
            import_job_id=part.import_job_id, part=part, from_state=previous, to_state=to, note=note, actor=actor
        )
        if to in (PartState.FAILED, PartState.ERROR):
            _skip_later_parts(part, note=f"Not sent because part {part.number} did not import.")
        _follow_parts(part.import_job_id, actor=actor)
    part.refresh_from_db()
    return True


def _skip_later_parts(part: ImportPart, *, note: str) -> None:
    now = timezone.now()
    for later in ImportPart.objects.filter(import_job_id=part.import_job_id, number__gt=part.number, state=PartState.WAITING):
        if ImportPart.objects.filter(pk=later.pk, state=PartState.WAITING).update(
            state=PartState.SKIPPED, state_changed_at=now, finished_at=now, message=note
        ):
            Transition.objects.create(
                import_job_id=part.import_job_id, part=later, from_state=PartState.WAITING, to_state=PartState.SKIPPED, note=note
            )


def _follow_parts(import_id, *, actor=None) -> None:
    job = Import.objects.select_for_update().get(pk=import_id)
    if job.state in (ImportState.PREVIEW, ImportState.CANCELLED):
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
    Transition.objects.create(import_job=job, from_state=job.state, to_state=target, actor=actor)


_TELLING_ORDER = [PartState.NEEDS_ATTENTION, PartState.FAILED, PartState.ERROR, PartState.WAITING, PartState.IMPORTED]


def _telling_message(job: Import) -> str:
    """The part message that explains where the import stands: the part that
    stopped it, before any part that merely followed."""
    messages = {}
    for state, message in job.parts.exclude(message="").order_by("number").values_list("state", "message"):
        messages.setdefault(state, message)
    return next((messages[state] for state in _TELLING_ORDER if state in messages), "")


def import_queue(*, job: Import, actor) -> bool:
    """The planner confirmed: the import joins its account's queue."""
    return _move_import(job, ImportState.QUEUED, actor=actor, confirmed_at=timezone.now())


def import_cancel(*, job: Import, actor) -> bool:
    with transaction.atomic():
        if not _move_import(job, ImportState.CANCELLED, actor=actor, finished_at=timezone.now(), message="Cancelled by a person before it was sent."):
            return False
        ImportPart.objects.filter(import_job=job, state=PartState.WAITING).update(
            state=PartState.SKIPPED, state_changed_at=timezone.now()
        )
    return True


def _move_import(job: Import, to: ImportState, *, actor, note: str = "", **fields) -> bool:
    sources = [state.value for state, targets in IMPORT_MOVES_BY_PERSON.items() if to in targets]
    with transaction.atomic():
        moved = Import.objects.filter(pk=job.pk, state__in=sources).update(
            state=to, state_changed_at=timezone.now(), **fields
        )
        if not moved:
            return False
        Transition.objects.create(import_job=job, from_state=job.state, to_state=to, note=note, actor=actor)
    job.refresh_from_db()
    return True


def part_claim(*, part: ImportPart) -> bool:
    """Takes the account's single sending slot for this part, or returns False
    when the part is no longer waiting or another part holds the slot."""
    try:
        return _move_part(part, PartState.SENDING, attempts=part.attempts + 1, not_before=None)
    except IntegrityError:
        return False


def part_accepted(*, part: ImportPart, talkdesk_import_id: str) -> bool:
    return _move_part(
        part,
        PartState.PROCESSING,
        note=f"Talkdesk import id {talkdesk_import_id}",
        talkdesk_import_id=talkdesk_import_id,
        remote_status="PROCESSING",
        sent_at=timezone.now(),
        message="",
    )


def part_release(*, part: ImportPart, not_before, message: str) -> bool:
    """Nothing reached Talkdesk: the part waits and is tried again later."""
    return _move_part(part, PartState.WAITING, note=message, not_before=not_before, message=message)


def part_fail(*, part: ImportPart, message: str) -> bool:
    return _move_part(part, PartState.FAILED, note=message, message=message)


def part_needs_attention(*, part: ImportPart, message: str) -> bool:
    return _move_part(part, PartState.NEEDS_ATTENTION, note=message, message=message)


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


def part_finish(*, part: ImportPart, remote_status: str, message: str = "", **fields) -> bool:
    """Talkdesk gave its final answer for the part."""
    target = {
        "IMPORTED": PartState.IMPORTED,
        "IMPORTED_WITH_ERRORS": PartState.IMPORTED_WITH_ERRORS,
        "ERROR": PartState.ERROR,
    }[remote_status]
    return _move_part(part, target, note=message, remote_status=remote_status, message=message, **fields)
