"""A Talkdesk account that answers again: the work of it that waits out a
backoff earned while it failed is due at once, rather than at the end of
waits that grew while nobody could reach it."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from imports import enqueue
from imports.models import ImportPart
from imports.states import ImportState, PartState


def account_reached(*, account_key: str) -> None:
    """A call to the account just succeeded (a status check, a connection
    test, an agent sync)."""
    now = timezone.now()
    waiting = ImportPart.objects.filter(
        account_key=account_key,
        state=PartState.WAITING,
        not_before__gt=now,
        import_job__state__in=[ImportState.QUEUED, ImportState.PROCESSING],
    )
    if waiting.update(not_before=None):
        enqueue.account_advance_on_commit(account_key)
    # A part whose status checks failed before this answer came through
    # another call: its next check is brought forward to now.
    failing = ImportPart.objects.filter(
        Q(poll_failures__gt=0) | Q(unreadable_since__isnull=False),
        account_key=account_key,
        state=PartState.PROCESSING,
        next_poll_at__gt=now,
    ).values_list("pk", "polls")
    for part_id, polls in list(failing):
        if ImportPart.objects.filter(pk=part_id, state=PartState.PROCESSING, polls=polls).update(next_poll_at=now):
            enqueue.on_commit(enqueue.POLL_PART, part_id)
