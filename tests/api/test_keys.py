"""API keys: shown once, kept as a hash, told apart by their prefix,
refused once revoked or expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from imports.api import keys
from imports.api.models import ApiKey
from imports.models import AuditEvent


@pytest.mark.django_db
def test_a_key_is_kept_only_as_a_hash_and_found_by_its_prefix(personas):
    api_key, key = keys.api_key_create(team=personas.alpha, name="nightly", scopes=["imports:read"], actor=personas.ada)
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert key.startswith(stored.prefix + "_") and key not in stored.hashed
    assert keys.api_key_for(key=key) == stored
    assert keys.api_key_for(key=key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert keys.api_key_for(key="sip_nothing") is None
    event = AuditEvent.objects.get(action=AuditEvent.Action.API_KEY_CREATED)
    assert event.username == "ada" and key not in event.detail and stored.prefix in event.detail


@pytest.mark.django_db
def test_a_revoked_or_expired_key_is_refused(personas):
    revoked, revoked_key = keys.api_key_create(team=personas.alpha, name="old", scopes=["imports:read"])
    keys.api_key_revoke(api_key=revoked, actor=personas.ada)
    assert keys.api_key_for(key=revoked_key) is None
    assert not revoked.user.is_active
    expiring, expiring_key = keys.api_key_create(
        team=personas.alpha, name="soon", scopes=["imports:read"], expires_at=timezone.now() + timedelta(hours=1)
    )
    ApiKey.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert keys.api_key_for(key=expiring_key) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "scopes", "message"),
    [
        ("", ["imports:read"], "Give the key a name"),
        ("x", ["imports:admin"], "not imports:admin"),
        ("x", [], "Scopes must be"),
    ],
)
def test_a_key_made_wrong_is_refused_with_the_reason(personas, name, scopes, message):
    with pytest.raises(keys.KeyRefused, match=message):
        keys.api_key_create(team=personas.alpha, name=name, scopes=scopes)


@pytest.mark.django_db
def test_the_rate_counts_per_key_per_minute(personas, settings):
    settings.API_RATE_PER_MINUTE = 2
    api_key, _ = keys.api_key_create(team=personas.alpha, name="busy", scopes=["imports:read"])
    assert keys.api_key_use(api_key=api_key) is None
    assert keys.api_key_use(api_key=api_key) is None
    wait = keys.api_key_use(api_key=api_key)
    assert wait is not None and 1 <= wait <= 60
    assert keys.api_key_use(api_key=api_key) is not None
    # Refused requests are not counted: the window's count stays at the rate.
    assert ApiKey.objects.get(pk=api_key.pk).window_requests == 2
    ApiKey.objects.filter(pk=api_key.pk).update(window_started_at=timezone.now() - timedelta(minutes=2))
    assert keys.api_key_use(api_key=api_key) is None
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at is not None


@pytest.mark.django_db
def test_the_command_prints_a_key_that_works(personas, capsys):
    from django.core.management import call_command

    call_command(
        "create_api_key", "--team", "Alpha", "--name", "nightly", "--scope", "imports:read", "--scope", "imports:write"
    )
    key = capsys.readouterr().out.strip()
    found = keys.api_key_for(key=key)
    assert found.team == personas.alpha and found.scopes == ["imports:read", "imports:write"]
