"""Who hears of an import's move: listens to the lifecycle's `import_moved`
and writes one Notification per person, in the move's own transaction; the
worker sends them once it has committed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.dispatch import receiver

from imports import enqueue
from imports.models import Import, Transition
from imports.notifications.models import DEFAULT_CHOICES, Kind, Notification
from imports.signals import import_moved
from imports.states import ImportState

_ENDED = {
    ImportState.IMPORTED: Kind.IMPORTED,
    ImportState.IMPORTED_WITH_ERRORS: Kind.IMPORTED_WITH_ERRORS,
    ImportState.ERROR: Kind.NOT_IMPORTED,
    ImportState.FAILED: Kind.NOT_IMPORTED,
    ImportState.STALLED: Kind.NOT_IMPORTED,
    ImportState.REJECTED: Kind.NOT_IMPORTED,
}


@receiver(import_moved, dispatch_uid="notifications_import_moved")
def _import_moved(sender, transition: Transition, **kwargs) -> None:
    if not settings.EMAIL_NOTIFICATIONS:
        return
    job = Import.objects.select_related("team").get(pk=transition.import_job_id)
    kind, people = _who_hears(job, ImportState(transition.to_state))
    if kind is None:
        return
    for user in _wanting(people, kind):
        notification, created = Notification.objects.get_or_create(
            transition=transition, user=user, defaults={"import_job": job, "kind": kind}
        )
        if created:
            enqueue.notification_send_on_commit(notification.pk)


def _who_hears(job: Import, state: ImportState):
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if state in _ENDED:
        return _ENDED[state], users.filter(pk=job.uploaded_by_id)
    if state == ImportState.AWAITING_APPROVAL:
        # The team's other supervisors approve; an admin only when the team
        # has no one else, so that every admin is not mailed for every team.
        others = users.filter(teams=job.team).exclude(pk=job.uploaded_by_id)
        return Kind.AWAITING_APPROVAL, others if others.exists() else users.filter(is_staff=True)
    if state == ImportState.NEEDS_ATTENTION:
        return Kind.NEEDS_ATTENTION, users.filter(is_staff=True)
    return None, users.none()


def _wanting(people, kind: Kind):
    field = kind.value
    chose = Q(**{f"notification_preference__{field}": True})
    if DEFAULT_CHOICES[kind]:
        chose |= Q(notification_preference__isnull=True)
    return people.filter(chose).distinct().order_by("pk")
