"""The migration that fills the record for imports finished before it was
kept."""

import importlib

from django.apps import apps

from imports.models import AcceptedEvent, Import
from tests.imports.test_accepted_record import imported, uploaded

fill = importlib.import_module("imports.migrations.0013_fill_accepted_events").fill


def as_before_the_record(*jobs):
    AcceptedEvent.objects.all().delete()
    Import.objects.filter(pk__in=[job.pk for job in jobs]).update(normalised_sha256="")


def test_imports_finished_before_the_record_are_put_on_it(personas):
    done = imported(personas)
    with_errors = imported(
        personas,
        remote_status="imported_with_errors",
        report=b"Row,Agent Email,Error\n2,john.smith@example.com,Unknown agent\n",
    )
    failed = imported(personas, remote_status="failed")
    fingerprint = done.normalised_sha256
    as_before_the_record(done, with_errors, failed)
    fill(apps, None)
    assert AcceptedEvent.objects.filter(import_job=done).count() == 3
    assert sorted(AcceptedEvent.objects.filter(import_job=with_errors).values_list("agent_email", flat=True)) == [
        "bob.wilson@example.com",
        "jane.doe@example.com",
    ]
    assert not AcceptedEvent.objects.filter(import_job=failed).exists()
    done.refresh_from_db()
    assert done.normalised_sha256 == fingerprint


def test_the_filled_record_is_what_the_checks_consult(personas):
    done = imported(personas)
    as_before_the_record(done)
    fill(apps, None)
    again = uploaded(personas)
    assert [w["code"] for w in again.warnings] == ["file_already_imported"] + ["row_already_imported"] * 3


def test_filling_twice_adds_nothing(personas):
    imported(personas)
    fill(apps, None)
    fill(apps, None)
    assert AcceptedEvent.objects.count() == 3
