"""A service's refusal reaches an API client as the browser's page message
does: the same words, answered as a problem (409, not_allowed_now)."""

import pytest
from django.test import Client

from imports import services
from imports.api import keys
from tests.conftest import data_file

pytestmark = pytest.mark.django_db


def _client_of(personas) -> Client:
    _, key = keys.api_key_create(team=personas.alpha, name="nightly", scopes=["imports:read", "imports:write"])
    return Client(headers={"Authorization": f"Bearer {key}"})


def _preview(personas):
    return services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="week.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )


def test_cancelling_an_import_already_cancelled_is_a_conflict_that_says_why(personas):
    job = _preview(personas)
    services.import_cancel(job=job, actor=personas.sam)

    answer = _client_of(personas).post(f"/api/v1/imports/{job.pk}/cancel")

    assert answer.status_code == 409
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "not_allowed_now"
    assert answer.json()["detail"] == "Only an import that has not been sent yet can be cancelled."


def test_confirming_an_import_already_cancelled_is_a_conflict_that_says_why(personas):
    job = _preview(personas)
    services.import_cancel(job=job, actor=personas.sam)

    answer = _client_of(personas).post(f"/api/v1/imports/{job.pk}/confirm")

    assert answer.status_code == 409
    assert answer.json() | {"type": None} == {
        "type": None,
        "title": "Conflict",
        "status": 409,
        "detail": "This import was already confirmed or cancelled.",
        "code": "not_allowed_now",
    }
