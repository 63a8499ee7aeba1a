"""An Idempotency-Key's record: a retry replays the first answer, and a key
past its time is forgotten, so the same key sends a new request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from imports.api import keys
from imports.api.models import IdempotentRequest
from imports.models import Import
from tests.conftest import data_file


def _upload(client, key: str, idempotency_key: str):
    schedule = SimpleUploadedFile("schedule.csv", data_file("schedules/spec-example.csv"), content_type="text/csv")
    return client.post(
        "/api/v1/imports",
        {"file": schedule},
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_IDEMPOTENCY_KEY=idempotency_key,
    )


@pytest.fixture
def key(personas) -> str:
    return keys.api_key_create(team=personas.alpha, name="nightly", scopes=["imports:read", "imports:write"])[1]


@pytest.mark.django_db
def test_a_retry_with_the_same_key_replays_the_first_answer_and_makes_nothing_new(client, key):
    first = _upload(client, key, "monday")
    again = _upload(client, key, "monday")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert Import.objects.count() == 1


@pytest.mark.django_db
def test_a_key_past_its_time_is_forgotten_and_the_same_key_sends_a_new_request(client, key):
    first = _upload(client, key, "monday")
    IdempotentRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    later = _upload(client, key, "monday")
    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert later.json()["id"] != first.json()["id"]
    assert Import.objects.count() == 2
    assert IdempotentRequest.objects.get().import_job_id == Import.objects.latest("created_at").pk
