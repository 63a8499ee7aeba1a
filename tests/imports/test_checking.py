"""A file too large to check in a web request is checked by the worker: the
import says "checking" until then, a worker that dies leaves it to be
checked again, and what is kept of the check is bounded however many
problems the file has."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from imports import checking, enqueue, lifecycle, services
from imports.models import AuditEvent, Import
from imports.schedule import findings
from imports.schedule.check import HEADER
from imports.states import ImportState
from tests.conftest import data_file

ROW = "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels"


def repeated_rows(count: int) -> bytes:
    return (",".join(HEADER) + "\r\n" + (ROW + "\r\n") * count).encode()


def upload(personas, data: bytes, **options):
    return services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="week.csv",
        data=data,
        time_zone="UTC",
        date_format=None,
        **options,
    )


@pytest.fixture
def worker_checks_above_1_kb(settings):
    settings.CHECK_IN_WEB_MAX_BYTES = 1024


def test_a_small_file_is_checked_in_the_request_that_uploads_it(personas, worker_checks_above_1_kb):
    job = upload(personas, data_file("portal/schedule-example.csv"))
    assert job.state == ImportState.PREVIEW
    assert job.rows == 3


def test_a_large_file_is_handed_to_the_worker_and_nothing_about_its_rows_is_claimed(
    personas, worker_checks_above_1_kb, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(enqueue.app, "send_task", lambda name, args, **options: sent.append((name, args)))
    with django_capture_on_commit_callbacks(execute=True):
        job = upload(personas, repeated_rows(50))
    assert job.state == ImportState.CHECKING
    assert (job.rows, job.error_count, job.findings) == (0, 0, {})
    assert not job.parts.exists()
    assert sent == [(enqueue.CHECK_IMPORT, (str(job.pk),))]
    assert job.transitions.get().to_state == ImportState.CHECKING


def test_the_workers_check_shows_the_preview_with_its_parts(personas, worker_checks_above_1_kb):
    job = upload(personas, repeated_rows(50))
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    assert job.state == ImportState.PREVIEW
    assert (job.rows, job.warning_count, job.error_count) == (50, 49, 0)
    assert job.parts.count() == 1
    assert default_storage.exists(findings.stored_name(job.pk))
    assert [step.to_state for step in job.transitions.all()] == [ImportState.CHECKING, ImportState.PREVIEW]


def test_a_check_done_twice_is_kept_once(personas, worker_checks_above_1_kb):
    job = upload(personas, repeated_rows(50))
    checking.import_check(import_id=str(job.pk))
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    assert job.parts.count() == 1
    assert job.transitions.count() == 2


def test_a_file_with_200000_warnings_stores_a_bounded_number(personas, worker_checks_above_1_kb):
    job = upload(personas, repeated_rows(200_000))
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    assert job.warning_count == 199_999
    assert len(job.findings["warnings"]) == findings.FIRST_OF_EACH_KIND
    assert job.findings["counts"]["warning"] == {"duplicate_row": 199_999}
    with default_storage.open(findings.stored_name(job.pk), "rb") as every:
        assert sum(1 for line in every if line.startswith(b"warning,")) == 199_999


def test_an_import_cancelled_while_it_is_checked_keeps_nothing_of_the_check(personas, worker_checks_above_1_kb):
    job = upload(personas, repeated_rows(50))
    services.import_cancel(job=job, actor=personas.sam)
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    assert job.state == ImportState.CANCELLED
    assert (job.rows, job.parts.count()) == (0, 0)


def test_a_live_workers_check_is_not_taken_by_another(personas, worker_checks_above_1_kb):
    job = upload(personas, repeated_rows(50))
    silent_since = timezone.now() - timedelta(seconds=40)
    assert lifecycle.import_check_claim(job=job, silent_since=silent_since) == 1
    assert lifecycle.import_check_claim(job=job, silent_since=silent_since) is None


def test_the_check_of_a_worker_that_died_is_given_again_and_finished(personas, worker_checks_above_1_kb, monkeypatch):
    job = upload(personas, repeated_rows(50))
    assert lifecycle.import_check_claim(job=job, silent_since=timezone.now()) == 1
    # The worker died: its heartbeat stopped a minute ago.
    Import.objects.filter(pk=job.pk).update(check_heartbeat_at=timezone.now() - timedelta(minutes=1))
    given = []
    monkeypatch.setattr(enqueue, "on_commit", lambda name, *args, **options: given.append((name, args)))
    assert checking.reconcile_checks() == 1
    assert given == [(enqueue.CHECK_IMPORT, (str(job.pk),))]
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    assert (job.state, job.rows, job.check_attempts) == (ImportState.PREVIEW, 50, 2)


def test_a_check_whose_message_was_lost_is_given_again(personas, worker_checks_above_1_kb, monkeypatch):
    job = upload(personas, repeated_rows(50))
    given = []
    monkeypatch.setattr(enqueue, "on_commit", lambda name, *args, **options: given.append(args))
    assert checking.reconcile_checks() == 0
    Import.objects.filter(pk=job.pk).update(state_changed_at=timezone.now() - timedelta(minutes=1))
    assert checking.reconcile_checks() == 1


def test_a_file_that_stops_the_worker_every_time_says_so_and_cannot_be_sent(personas, worker_checks_above_1_kb):
    job = upload(personas, repeated_rows(50))
    for _ in range(checking.MAX_CHECK_ATTEMPTS):
        assert lifecycle.import_check_claim(job=job, silent_since=timezone.now())
        Import.objects.filter(pk=job.pk).update(check_heartbeat_at=timezone.now() - timedelta(minutes=1))
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    assert job.state == ImportState.PREVIEW
    assert [error["code"] for error in job.errors] == ["check_not_finished"]
    assert "stopped 3 times" in job.errors[0]["message"]
    assert not job.can_confirm


def test_reading_a_large_file_again_is_the_workers_too(personas, worker_checks_above_1_kb):
    job = upload(personas, repeated_rows(50))
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    services.import_recheck(job=job, time_zone="Europe/Lisbon", date_format=None)
    job.refresh_from_db()
    assert (job.state, job.time_zone) == (ImportState.CHECKING, "Europe/Lisbon")
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    assert job.state == ImportState.PREVIEW
    assert job.first_start.utcoffset() is not None


def test_an_upload_asked_to_be_confirmed_joins_its_queue_once_the_worker_has_checked_it(personas):
    job = upload(
        personas,
        data_file("portal/schedule-example.csv"),
        check_here_up_to=100,
        confirm_when_checked=services.ConfirmWhenChecked(warnings_acknowledged=False, client_address="192.0.2.7"),
    )
    assert job.state == ImportState.CHECKING
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED
    assert [step.to_state for step in job.transitions.all()] == [
        ImportState.CHECKING,
        ImportState.PREVIEW,
        ImportState.QUEUED,
    ]
    assert job.transitions.get(to_state=ImportState.QUEUED).actor == personas.sam
    assert (job.confirmation_refused, job.confirm_when_checked) == ("", None)
    confirmed = job.audit_events.get(action=AuditEvent.Action.CONFIRMED)
    assert (confirmed.user, confirmed.client_address) == (personas.sam, "192.0.2.7")


def test_an_upload_asked_to_be_confirmed_with_warnings_not_acknowledged_stays_a_preview_saying_why(
    personas, worker_checks_above_1_kb
):
    job = upload(
        personas,
        repeated_rows(50),
        confirm_when_checked=services.ConfirmWhenChecked(warnings_acknowledged=False),
    )
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    assert job.state == ImportState.PREVIEW
    assert job.confirmation_refused.startswith("The file has 49 warnings: read them and acknowledge them")
    assert job.confirm_when_checked is None
    # Read again by a person later, it waits for that person's confirmation.
    services.import_recheck(job=job, time_zone="UTC", date_format=None)
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    assert job.state == ImportState.PREVIEW


def test_an_upload_asked_to_be_confirmed_with_warnings_acknowledged_is_sent_as_it_is(
    personas, worker_checks_above_1_kb
):
    job = upload(
        personas,
        repeated_rows(50),
        confirm_when_checked=services.ConfirmWhenChecked(warnings_acknowledged=True),
    )
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED and job.warnings_acknowledged


def test_a_file_checked_in_the_request_keeps_no_confirmation_for_the_worker(personas, worker_checks_above_1_kb):
    job = upload(
        personas,
        data_file("portal/schedule-example.csv"),
        confirm_when_checked=services.ConfirmWhenChecked(warnings_acknowledged=False),
    )
    assert job.state == ImportState.PREVIEW and job.confirm_when_checked is None


def test_the_workers_check_keeps_what_tells_the_same_file_coming_again(personas, settings):
    settings.CHECK_IN_WEB_MAX_BYTES = 1024
    job = upload(personas, repeated_rows(50))
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    settings.CHECK_IN_WEB_MAX_BYTES = 1024 * 1024
    checked_here = upload(personas, repeated_rows(50))
    assert job.normalised_sha256 and job.normalised_sha256 == checked_here.normalised_sha256
