"""Writes: a person's e-mail choices."""

from __future__ import annotations

from django.db import transaction

from imports import audit
from imports.models import AuditEvent
from imports.notifications.models import Kind, Preference


def preference_for(*, user) -> Preference:
    """The person's choices, or the defaults, unsaved, for one who never chose."""
    return Preference.objects.filter(user=user).first() or Preference(user=user)


def preference_save(*, user, choices: dict[str, bool], client_address: str | None = None) -> Preference:
    with transaction.atomic():
        preference, _ = Preference.objects.select_for_update().get_or_create(user=user)
        changed = [kind for kind in Kind if getattr(preference, kind.value) != bool(choices.get(kind.value))]
        for kind in changed:
            setattr(preference, kind.value, bool(choices.get(kind.value)))
        preference.save()
        if changed:
            audit.record(
                AuditEvent.Action.NOTIFICATIONS_CHANGED,
                user=user,
                client_address=client_address,
                detail="; ".join(
                    f"{kind.label}: {'on' if getattr(preference, kind.value) else 'off'}" for kind in changed
                ),
            )
    return preference
