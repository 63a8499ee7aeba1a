"""Who may do what: the rules both the pages (through selectors) and the
writes (services) ask, kept apart so that neither imports the other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from imports.states import ImportState

if TYPE_CHECKING:
    from imports.models import Import


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def approval_refusal(*, job: Import, user) -> str | None:
    """Why this person may not approve or reject the import, or None."""
    if job.state != ImportState.AWAITING_APPROVAL:
        return "This import is not waiting for approval."
    if job.uploaded_by_id == user.pk:
        return "Another supervisor of the team or an admin must approve it: you uploaded it."
    if not (is_admin(user) or job.team.supervisors.filter(pk=user.pk).exists()):
        return "Only a supervisor of the team or an admin can approve it."
    return None
