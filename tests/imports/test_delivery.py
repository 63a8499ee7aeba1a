"""The worker's logic against the simulator over real HTTP. Tasks are not
enqueued here (the test database never commits); the tests call what the
tasks call, in the order the broker would."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from imports import delivery, lifecycle, selectors, services
from imports.models import ImportPart
from imports.states import ImportState, PartState
from imports.wfm.talkdesk.client import TalkdeskClient
from tests.conftest import data_file


def confirm(personas, name="portal/schedule-example.csv", team=None, user=None):
    job = services.import_create(
        team=team or personas.alpha,
        uploaded_by=user or personas.sam,
        file_name="week.csv",
        data=data_file(name),
        time_zone="America/New_York",
        date_format=None,
    )
    services.import_confirm(job=job, actor=user or personas.sam, warnings_acknowledged=True)
    return job


def follow(job, seconds=15):
    """Polls as the worker would until the import stops moving."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for part in job.parts.filter(state=PartState.PROCESSING):
            delivery.part_poll(part_id=part.pk)
        job.refresh_from_db()
        if not job.is_moving:
            return job
        time.sleep(0.2)
    raise AssertionError(f"still {job.state} after {seconds} s")


def test_it_sends_a_confirmed_import_and_follows_it_to_imported(connected, simulator):
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get()
    assert part.state == PartState.PROCESSING
    assert part.remote_id
    assert follow(job).state == ImportState.IMPORTED
    uploads = simulator.control.ledger(account="acme")["uploads"]
    assert [u["sha256"] for u in uploads] == [part.sha256]


def test_the_first_status_check_waits_until_the_accounts_imports_usually_end(connected, simulator, settings):
    settings.IMPORT_POLL_MAX_SECONDS = 30
    earlier = confirm(connected)
    delivery.account_advance(account_key=earlier.account_key)
    follow(earlier)
    # As if Talkdesk had taken 25 s over it.
    done = earlier.parts.get()
    ImportPart.objects.filter(pk=done.pk).update(sent_at=done.finished_at - timedelta(seconds=25))
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get()
    # Seen at 25 s, perhaps 2 s + 2.5 s after Talkdesk finished: checked first at 20.5 s.
    assert (part.next_poll_at - part.sent_at).total_seconds() == pytest.approx(20.5, abs=0.5)


def test_it_keeps_the_error_report_and_maps_failed_rows_to_the_uploaded_file(connected, simulator):
    job = confirm(connected, "portal/schedule-unknown-agents.csv")
    simulator.control.set_faults(report_link_ttl_seconds=1)
    delivery.account_advance(account_key=job.account_key)
    follow(job)
    assert job.state == ImportState.IMPORTED_WITH_ERRORS
    part = job.parts.get()
    assert part.error_report_fetched_at is not None
    time.sleep(1.2)  # Talkdesk's link has expired; the kept copy has not.
    failed = selectors.failed_rows(job)
    assert [(f.row, f.cells[1]) for f in failed] == [(4, "carla.mendes@example.com"), (6, "dan.okafor@example.com")]
    assert all(f.reason for f in failed)


def test_a_second_import_for_the_account_waits_for_the_first(connected, simulator):
    first = confirm(connected)
    second = confirm(connected)
    assert selectors.imports_ahead(second) == 1
    delivery.account_advance(account_key=first.account_key)
    delivery.account_advance(account_key=first.account_key)
    assert second.parts.get().state == PartState.WAITING
    follow(first)
    delivery.account_advance(account_key=first.account_key)
    assert follow(second).state == ImportState.IMPORTED
    assert len(simulator.control.ledger(account="acme")["uploads"]) == 2


def test_a_missing_scope_ends_the_import_with_a_message_naming_it(connected, simulator):
    connected.acme.client_id = "demo-readonly"
    secret = _secret_of("acme", "demo-readonly")
    connected.acme.set_client_secret(secret)
    connected.acme.save()
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    job.refresh_from_db()
    assert job.state == ImportState.FAILED
    assert "wfm-public:write" in job.message
    assert simulator.control.ledger(account="acme")["uploads"] == []


def test_an_import_started_elsewhere_makes_the_portal_wait_not_fail(connected, simulator):
    simulator.control.set_faults(processing_forever=True)
    outside = TalkdeskClient(
        account="acme",
        client_id="demo-portal",
        client_secret=_secret_of("acme", "demo-portal"),
        base_url=simulator.base_url,
    )
    outside.upload(
        content=data_file("portal/schedule-example.csv"),
        file_name="other-tool.csv",
        time_zone="UTC",
        date_format="HH:mm yyyy-MM-dd",
    )
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get()
    assert part.state == PartState.WAITING
    assert part.not_before > timezone.now()
    assert "already" in part.message.lower()
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED


def test_an_upload_whose_answer_was_lost_needs_attention_and_is_not_sent_again(connected, simulator):
    simulator.control.set_faults(drop_after_accept=1)
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    delivery.account_advance(account_key=job.account_key)
    job.refresh_from_db()
    assert job.state == ImportState.NEEDS_ATTENTION
    assert "may" in job.message.lower() or "cannot tell" in job.message.lower()
    assert len(simulator.control.ledger(account="acme")["uploads"]) == 1


def test_a_rate_limited_upload_waits_at_least_as_long_as_talkdesk_asks(connected, simulator):
    simulator.control.set_faults(rate_limit_burst=1, retry_after_seconds=7)
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get()
    assert part.state == PartState.WAITING
    assert part.not_before >= timezone.now() + timedelta(seconds=6)
    assert simulator.control.ledger(account="acme")["uploads"] == []


def silence(part, settings):
    """As if the worker holding the part had died: its heartbeats stopped."""
    silent_for = settings.IMPORT_HEARTBEAT_SECONDS * delivery.HEARTBEATS_MISSED + 1
    ImportPart.objects.filter(pk=part.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=silent_for))


def test_the_reconciler_gives_back_a_part_whose_worker_died_before_sending_anything(connected, settings):
    job = confirm(connected)
    part = job.parts.get()
    lifecycle.part_claim(part=part, held_by="a worker that died")
    silence(part, settings)
    assert delivery.reconcile() == {"holders_lost": 1, "accounts": 1, "polls": 0}
    part.refresh_from_db()
    assert part.state == PartState.WAITING


def test_the_reconciler_flags_a_part_whose_worker_died_while_sending(connected, settings):
    job = confirm(connected)
    part = job.parts.get()
    lifecycle.part_claim(part=part, held_by="a worker that died")
    lifecycle.part_upload_started(part=part)
    silence(part, settings)
    assert delivery.reconcile()["holders_lost"] == 1
    job.refresh_from_db()
    assert job.state == ImportState.NEEDS_ATTENTION


def test_the_reconciler_leaves_a_part_whose_worker_is_alive(connected):
    part = confirm(connected).parts.get()
    lifecycle.part_claim(part=part, held_by="a live worker")
    assert delivery.reconcile() == {"holders_lost": 0, "accounts": 0, "polls": 0}


def test_the_reconciler_wakes_an_account_whose_message_was_lost(connected):
    job = confirm(connected)
    assert delivery.reconcile()["accounts"] == 1
    lifecycle.part_claim(part=job.parts.get(), held_by="a live worker")
    assert delivery.reconcile()["accounts"] == 0


def test_the_reconciler_wakes_only_a_poll_that_is_overdue(connected, simulator, settings):
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get()
    assert delivery.reconcile()["polls"] == 0
    ImportPart.objects.filter(pk=part.pk).update(
        next_poll_at=timezone.now() - timedelta(seconds=settings.IMPORT_POLL_MAX_SECONDS + 1)
    )
    assert delivery.reconcile()["polls"] == 1


def test_a_poll_woken_before_its_time_does_nothing(connected, simulator):
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get()
    ImportPart.objects.filter(pk=part.pk).update(next_poll_at=timezone.now() + timedelta(minutes=1))
    delivery.part_poll(part_id=part.pk)
    part.refresh_from_db()
    assert (part.polls, part.last_polled_at) == (0, None)


def test_an_import_talkdesk_never_finishes_ends_stalled_with_a_message(connected, simulator, settings):
    simulator.control.set_faults(processing_forever=True)
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    settings.IMPORT_STALLED_AFTER_SECONDS = 0
    delivery.part_poll(part_id=job.parts.get().pk)
    job.refresh_from_db()
    assert job.state == ImportState.STALLED
    assert "still processing this file" in job.message


def test_a_server_error_at_sign_in_sends_nothing_and_tries_again_later(connected, simulator):
    simulator.control.set_faults(error_rate=1)
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get()
    assert part.state == PartState.WAITING
    assert part.not_before > timezone.now()
    assert "problem on its side" in part.message
    assert simulator.control.ledger(account="acme")["uploads"] == []


def test_a_send_that_keeps_failing_gives_up_with_a_plain_message(connected, simulator):
    simulator.control.set_faults(error_rate=1)
    job = confirm(connected)
    ImportPart.objects.filter(import_job=job).update(attempts=delivery.MAX_SEND_ATTEMPTS - 1)
    delivery.account_advance(account_key=job.account_key)
    job.refresh_from_db()
    assert job.state == ImportState.FAILED
    assert f"in {delivery.MAX_SEND_ATTEMPTS} tries" in job.message and "Nothing was imported" in job.message


def test_an_upload_whose_answer_timed_out_needs_attention_and_is_not_sent_again(connected, simulator, settings):
    settings.TALKDESK_READ_TIMEOUT_SECONDS = 0.5
    simulator.control.set_faults(latency_after_accept_ms=1500)
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    delivery.account_advance(account_key=job.account_key)
    job.refresh_from_db()
    assert job.state == ImportState.NEEDS_ATTENTION
    assert "cannot tell whether Talkdesk received it" in job.message
    assert len(simulator.control.ledger(account="acme")["uploads"]) == 1


def test_an_import_started_elsewhere_is_waited_for_past_the_attempt_limit(connected, simulator):
    simulator.control.set_faults(processing_forever=True)
    outside = TalkdeskClient(
        account="acme",
        client_id="demo-portal",
        client_secret=_secret_of("acme", "demo-portal"),
        base_url=simulator.base_url,
    )
    outside.upload(content=data_file("portal/schedule-example.csv"), file_name="other-tool.csv", time_zone="UTC")
    job = confirm(connected)
    ImportPart.objects.filter(import_job=job).update(attempts=delivery.MAX_SEND_ATTEMPTS)
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get()
    assert part.state == PartState.WAITING
    assert "already processing another import" in part.message


def _secret_of(account, client_id):
    import json
    from pathlib import Path

    config = json.loads((Path(__file__).parents[1] / "data" / "simulator.json").read_text())
    return next(c["client_secret"] for c in config["accounts"][account]["clients"] if c["client_id"] == client_id)


def test_a_clean_import_teaches_the_connection_its_event_types(connected, simulator):
    connected.acme.event_types = []
    connected.acme.save()
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    follow(job)
    connected.acme.refresh_from_db()
    assert sorted(connected.acme.event_types) == ["Available for all channels", "Break"]


def test_an_import_with_rejected_rows_teaches_nothing(connected, simulator):
    connected.acme.event_types = []
    connected.acme.save()
    job = confirm(connected, "portal/schedule-unknown-agents.csv")
    delivery.account_advance(account_key=job.account_key)
    follow(job)
    connected.acme.refresh_from_db()
    assert connected.acme.event_types == []
