"""Writes for API keys: made (the key is shown once and kept as a hash),
revoked, and used (last use and the per-key rate)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from imports import audit
from imports.api.models import SCOPES, ApiKey
from imports.models import AuditEvent, Team

Action = AuditEvent.Action
KEY_PREFIX = "sip_"
# "sip_" and 8 hex digits, then "_" and the secret (which may hold "_" too).
PREFIX_CHARS = len(KEY_PREFIX) + 8
RATE_WINDOW = timedelta(minutes=1)


class KeyRefused(Exception):
    """The key cannot be made as asked; the message says why."""


def _hash(key: str) -> str:
    # A key is 256 random bits: a fast hash is as strong as a slow one here,
    # and every request checks one.
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_create(
    *,
    team: Team,
    name: str,
    scopes: list[str],
    expires_at=None,
    actor=None,
    client_address: str | None = None,
) -> tuple[ApiKey, str]:
    """Makes a key for the team; returns it with the key itself, which is
    never stored and cannot be shown again."""
    name = " ".join(name.split())
    if not name:
        raise KeyRefused("Give the key a name, such as nightly-hris-sync.")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise KeyRefused(
            f"Scopes must be some of {', '.join(SCOPES)}" + (f", not {', '.join(unknown)}." if unknown else ".")
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise KeyRefused("The expiry must be in the future.")
    if ApiKey.objects.filter(team=team, name=name).exists():
        raise KeyRefused(f"Team {team.name} already has a key named {name!r}; revoke it or choose another name.")
    prefix = KEY_PREFIX + secrets.token_hex(4)
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        user = get_user_model()(username=f"{name} (API key {prefix})"[:150], first_name=name[:150])
        # The key's own user: it cannot sign in to the pages, and sees what
        # a supervisor of the key's team sees.
        user.set_unusable_password()
        user.save()
        team.supervisors.add(user)
        api_key = ApiKey.objects.create(
            team=team,
            name=name,
            prefix=prefix,
            hashed=_hash(key),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
            user=user,
            created_by=actor if actor is not None and actor.pk else None,
        )
        audit.record(
            Action.API_KEY_CREATED,
            user=actor,
            client_address=client_address,
            detail=f"{name} ({prefix}…) for team {team.name}: {', '.join(api_key.scopes)}"
            + (f", expires {expires_at:%Y-%m-%d %H:%M}" if expires_at else ""),
        )
    return api_key, key


def api_key_revoke(*, api_key: ApiKey, actor=None, client_address: str | None = None) -> ApiKey:
    with transaction.atomic():
        if not ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            return api_key
        user = api_key.user
        user.is_active = False
        user.save(update_fields=["is_active"])
        api_key.team.supervisors.remove(user)
        audit.record(
            Action.API_KEY_REVOKED,
            user=actor,
            client_address=client_address,
            detail=f"{api_key.name} ({api_key.prefix}…) of team {api_key.team.name}",
        )
    api_key.refresh_from_db()
    return api_key


def api_key_for(*, key: str) -> ApiKey | None:
    """The usable key this is, or None."""
    prefix, separator, rest = key[:PREFIX_CHARS], key[PREFIX_CHARS : PREFIX_CHARS + 1], key[PREFIX_CHARS + 1 :]
    if not prefix.startswith(KEY_PREFIX) or separator != "_" or not rest:
        return None
    # With the team's connection: an upload needs it, and every request the key.
    found = ApiKey.objects.select_related("team__connection", "user").filter(prefix=prefix).first()
    if found is None or not hmac.compare_digest(found.hashed, _hash(key)) or not found.is_usable:
        return None
    return found


def api_key_use(*, api_key: ApiKey) -> float | None:
    """Counts a request against the key's rate; returns None when it may go
    on, or the seconds until it may."""
    now = timezone.now()
    new_window = Q(window_started_at__isnull=True) | Q(window_started_at__lte=now - RATE_WINDOW)
    # One statement for every request: counted only while the key is under
    # its rate (or its window is over, which starts a new one), so whether
    # it was counted is the answer. Both columns are set from the row as it was.
    counted = (
        ApiKey.objects.filter(pk=api_key.pk)
        .filter(new_window | Q(window_requests__lt=settings.API_RATE_PER_MINUTE))
        .update(
            last_used_at=now,
            window_requests=Case(When(new_window, then=Value(1)), default=F("window_requests") + 1),
            window_started_at=Case(When(new_window, then=Value(now)), default=F("window_started_at")),
        )
    )
    if counted:
        return None
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    started = ApiKey.objects.filter(pk=api_key.pk).values_list("window_started_at", flat=True).get()
    return max((started + RATE_WINDOW - now).total_seconds(), 1.0)
