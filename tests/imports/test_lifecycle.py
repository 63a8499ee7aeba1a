from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from imports import lifecycle, services
from imports.models import ImportPart, Transition
from imports.states import ImportState, PartState
from imports.wfm.base import RemoteStatus
from tests.conftest import data_file


def confirmed_import(personas, team=None, user=None):
    job = services.import_create(
        team=team or personas.alpha,
        uploaded_by=user or personas.sam,
        file_name="week.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )
    assert lifecycle.import_queue(job=job, actor=personas.sam)
    return job


def claim(*, part):
    return lifecycle.part_claim(part=part, held_by="worker-1 pid 7 claim test")


def send(part, remote_id="abc"):
    """The moves of a worker that sends the part and gets Talkdesk's id back."""
    assert claim(part=part)
    assert lifecycle.part_upload_started(part=part)
    return lifecycle.part_accepted(part=part, remote_id=remote_id, first_poll_at=timezone.now())


def test_confirming_queues_the_import_and_records_when(personas):
    job = confirmed_import(personas)
    assert job.state == ImportState.QUEUED
    assert job.confirmed_at is not None
    assert list(job.transitions.values_list("from_state", "to_state")) == [("preview", "queued")]


def test_a_repeated_move_happens_once(personas):
    job = confirmed_import(personas)
    part = job.parts.get()
    assert send(part)
    assert not lifecycle.part_accepted(part=part, remote_id="abc", first_poll_at=timezone.now())
    assert Transition.objects.filter(part=part, to_state=PartState.PROCESSING).count() == 1


def test_a_part_cannot_skip_a_step(personas):
    part = confirmed_import(personas).parts.get()
    assert not lifecycle.part_finish(part=part, remote_status=RemoteStatus.IMPORTED)
    part.refresh_from_db()
    assert part.state == PartState.WAITING


def test_only_one_part_of_an_account_is_ever_in_flight(personas):
    first = confirmed_import(personas).parts.get()
    second = confirmed_import(personas).parts.get()
    assert claim(part=first)
    assert not claim(part=second)
    second.refresh_from_db()
    assert second.state == PartState.WAITING


def test_the_database_itself_refuses_a_second_part_in_flight(personas):
    first = confirmed_import(personas).parts.get()
    second = confirmed_import(personas).parts.get()
    ImportPart.objects.filter(pk=first.pk).update(state=PartState.PROCESSING)
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportPart.objects.filter(pk=second.pk).update(state=PartState.SENDING)


def test_parts_of_different_accounts_go_at_the_same_time(personas):
    alpha = confirmed_import(personas).parts.get()
    bravo = confirmed_import(personas, team=personas.bravo, user=personas.bea).parts.get()
    assert claim(part=alpha)
    assert claim(part=bravo)


def test_the_import_follows_its_part_to_the_end(personas):
    job = confirmed_import(personas)
    part = job.parts.get()
    claim(part=part)
    job.refresh_from_db()
    assert job.state == ImportState.SENDING
    assert lifecycle.part_upload_started(part=part)
    lifecycle.part_accepted(part=part, remote_id="abc", first_poll_at=timezone.now())
    lifecycle.part_finish(part=part, remote_status=RemoteStatus.IMPORTED_WITH_ERRORS)
    job.refresh_from_db()
    assert job.state == ImportState.IMPORTED_WITH_ERRORS
    assert job.finished_at is not None
    assert [t.to_state for t in job.transitions.filter(part__isnull=True)] == [
        "queued",
        "sending",
        "processing",
        "imported_with_errors",
    ]


def test_a_failed_part_keeps_the_rest_of_the_file_from_being_sent(personas):
    job = confirmed_import(personas)
    first = job.parts.get()
    second = ImportPart.objects.create(
        import_job=job, number=2, account_key=job.account_key, size=1, sha256="0" * 64, rows=1, content="x"
    )
    claim(part=first)
    lifecycle.part_fail(part=first, message="The OAuth client lacks wfm-public:write.")
    second.refresh_from_db()
    job.refresh_from_db()
    assert second.state == PartState.SKIPPED
    assert job.state == ImportState.FAILED
    assert "wfm-public:write" in job.message


def test_an_admin_decides_what_happens_to_a_part_that_needs_attention(personas):
    job = confirmed_import(personas)
    part = job.parts.get()
    claim(part=part)
    lifecycle.part_upload_started(part=part)
    lifecycle.part_needs_attention(part=part, message="The connection dropped after the file was sent.")
    job.refresh_from_db()
    assert job.state == ImportState.NEEDS_ATTENTION
    assert lifecycle.part_resend(part=part, actor=personas.ada)
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED
    assert part.transitions.last().actor == personas.ada


def test_an_import_can_be_cancelled_until_it_is_sent(personas):
    job = confirmed_import(personas)
    assert lifecycle.import_cancel(job=job, actor=personas.sam)
    assert job.state == ImportState.CANCELLED
    assert job.parts.get().state == PartState.SKIPPED
    assert not lifecycle.import_cancel(job=job, actor=personas.sam)


def test_the_database_refuses_a_second_part_preparing_while_one_is_processing(personas):
    first = confirmed_import(personas).parts.get()
    second = confirmed_import(personas).parts.get()
    ImportPart.objects.filter(pk=first.pk).update(state=PartState.PROCESSING)
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportPart.objects.filter(pk=second.pk).update(state=PartState.PREPARING)


def test_a_silent_worker_that_had_not_started_the_upload_gives_the_part_back_to_the_queue(personas):
    job = confirmed_import(personas)
    part = job.parts.get()
    claim(part=part)
    assert lifecycle.part_holder_lost(part=part, silent_since=timezone.now() + timedelta(seconds=1))
    job.refresh_from_db()
    assert part.state == PartState.WAITING
    assert job.state == ImportState.QUEUED
    assert "stopped before sending anything" in part.transitions.last().note


def test_a_silent_worker_that_had_started_the_upload_leaves_the_part_needing_attention(personas):
    job = confirmed_import(personas)
    part = job.parts.get()
    claim(part=part)
    lifecycle.part_upload_started(part=part)
    assert lifecycle.part_holder_lost(part=part, silent_since=timezone.now() + timedelta(seconds=1))
    job.refresh_from_db()
    assert job.state == ImportState.NEEDS_ATTENTION
    assert "cannot tell whether Talkdesk received it" in job.message


def test_a_worker_that_beat_since_it_was_looked_at_is_not_taken_for_dead(personas):
    part = confirmed_import(personas).parts.get()
    claim(part=part)
    assert not lifecycle.part_holder_lost(part=part, silent_since=timezone.now() - timedelta(seconds=60))
    part.refresh_from_db()
    assert part.state == PartState.PREPARING


def test_a_worker_taken_for_dead_cannot_move_the_part_another_worker_now_holds(personas):
    part = confirmed_import(personas).parts.get()
    claim(part=part)
    presumed_dead = ImportPart.objects.get(pk=part.pk)
    lifecycle.part_holder_lost(part=part, silent_since=timezone.now() + timedelta(seconds=1))
    assert lifecycle.part_claim(part=part, held_by="worker-2 pid 9 claim other")
    assert not lifecycle.part_upload_started(part=presumed_dead)
    assert not lifecycle.part_release(part=presumed_dead, not_before=None, message="")
    part.refresh_from_db()
    assert (part.state, part.held_by) == (PartState.PREPARING, "worker-2 pid 9 claim other")


def test_a_stalled_part_stalls_the_import_and_the_rest_of_the_file_is_not_sent(personas):
    job = confirmed_import(personas)
    first = job.parts.get()
    second = ImportPart.objects.create(
        import_job=job, number=2, account_key=job.account_key, size=1, sha256="0" * 64, rows=1, content="x"
    )
    send(first)
    assert lifecycle.part_stalled(part=first, message="Talkdesk was still processing this file after 6 hours.")
    job.refresh_from_db()
    second.refresh_from_db()
    assert job.state == ImportState.STALLED and job.is_final
    assert "6 hours" in job.message
    assert second.state == PartState.SKIPPED


def test_cancelling_records_why_each_part_was_not_sent(personas):
    job = confirmed_import(personas)
    lifecycle.import_cancel(job=job, actor=personas.sam)
    step = job.parts.get().transitions.get()
    assert (step.from_state, step.to_state, step.actor) == ("waiting", "skipped", personas.sam)


def test_a_preview_left_unconfirmed_past_the_setting_expires_and_says_so(personas, settings):
    settings.PORTAL_PREVIEW_EXPIRY_DAYS = 7
    old = services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="old.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )
    fresh = confirmed_import(personas)
    recent = services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="new.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=7, minutes=1))
    type(old).objects.filter(pk=fresh.pk).update(created_at=timezone.now() - timedelta(days=30))

    assert services.previews_expire() == 1
    assert services.previews_expire() == 0

    old.refresh_from_db()
    assert old.state == ImportState.EXPIRED and old.is_final
    assert old.message == (
        "Expired: not confirmed within 7 days of its upload; nothing was sent. Upload the file again to send it."
    )
    assert set(old.parts.values_list("state", flat=True)) == {PartState.SKIPPED}
    assert Transition.objects.filter(import_job=old, to_state=ImportState.EXPIRED, actor=None).count() == 1
    fresh.refresh_from_db()
    recent.refresh_from_db()
    assert (fresh.state, recent.state) == (ImportState.QUEUED, ImportState.PREVIEW)


def test_a_cancelled_import_names_who_cancelled_it(personas):
    job = confirmed_import(personas)
    assert lifecycle.import_cancel(job=job, actor=personas.sam)
    assert job.message == "Cancelled by sam before it was sent."
