"""Every path a part takes from sending or processing to where it stops, and
the label it ends with: a part whose file Talkdesk received never reads "Not
sent", and "Not sent" is only ever shown for a file Talkdesk does not have.
Talkdesk is the simulator over real HTTP, its odd answers set by its faults."""

import time

import pytest

from imports import connection_services, delivery, services
from imports.models import ImportPart
from imports.states import ImportState, PartState
from tests.imports.test_delivery import _secret_of, confirm, follow

ODD_ANSWERS = {
    "html": 'HTTP 200 with a web page titled "502 Bad Gateway" instead of JSON',
    "not_json": 'HTTP 200 with a body that is not JSON ("OK")',
    "unknown_status": 'HTTP 200 with the status "QUEUED"',
    "not_found": "HTTP 404 with code 1580001",
}


@pytest.fixture
def quick_asking(settings):
    """Talkdesk's unreadable answers are asked about for a second, not fifteen minutes."""
    settings.IMPORT_UNREADABLE_STATUS_SECONDS = 1
    settings.IMPORT_RECHECK_MAX_SECONDS = 0.3
    return settings


def received(simulator, part) -> bool:
    return part.sha256 in {u["sha256"] for u in simulator.control.ledger(account="acme")["uploads"]}


def ends_with_a_true_label(simulator, job) -> str:
    """The import's label, after checking that each of its parts' labels
    tells the truth about whether Talkdesk has the file."""
    job.refresh_from_db()
    for part in job.parts.all():
        if received(simulator, part):
            assert PartState(part.state).label != "Not sent", f"part {part.number} reads Not sent, and Talkdesk has it"
    if ImportState(job.state).label == "Not sent":
        assert not any(received(simulator, part) for part in job.parts.all())
    return ImportState(job.state).label


def sent(connected):
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get()
    assert part.state == PartState.PROCESSING and part.remote_id
    return job, part


# From sending


def test_an_upload_talkdesk_refuses_reads_not_sent(connected, simulator):
    connected.acme.client_id = "demo-readonly"
    connected.acme.set_client_secret(_secret_of("acme", "demo-readonly"))
    connected.acme.save()
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    assert ends_with_a_true_label(simulator, job) == "Not sent"


def test_an_upload_refused_until_the_portal_gives_up_reads_not_sent(connected, simulator):
    simulator.control.set_faults(rate_limit_burst=1)
    job = confirm(connected)
    ImportPart.objects.filter(import_job=job).update(attempts=delivery.MAX_SEND_ATTEMPTS - 1)
    delivery.account_advance(account_key=job.account_key)
    assert ends_with_a_true_label(simulator, job) == "Not sent"
    assert job.parts.get().transitions.filter(from_state=PartState.SENDING, to_state=PartState.FAILED).exists()


def test_an_upload_accepted_without_an_answer_needs_attention(connected, simulator):
    simulator.control.set_faults(drop_after_accept=1)
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    assert ends_with_a_true_label(simulator, job) == "Needs attention"


def test_an_upload_whose_answer_timed_out_needs_attention(connected, simulator, settings):
    settings.TALKDESK_READ_TIMEOUT_SECONDS = 0.5
    simulator.control.set_faults(latency_after_accept_ms=1500)
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    assert ends_with_a_true_label(simulator, job) == "Needs attention"


# From processing: Talkdesk's final answers


def test_a_file_talkdesk_imported_reads_imported(connected, simulator):
    job, _ = sent(connected)
    follow(job)
    assert ends_with_a_true_label(simulator, job) == "Imported"


def test_a_file_talkdesk_imported_in_part_reads_imported_with_errors(connected, simulator):
    job = confirm(connected, "portal/schedule-unknown-agents.csv")
    delivery.account_advance(account_key=job.account_key)
    follow(job)
    assert ends_with_a_true_label(simulator, job) == "Imported with errors"


def test_a_file_talkdesk_failed_reads_failed_in_talkdesk(connected, simulator):
    simulator.control.set_faults(final_status="ERROR")
    job, _ = sent(connected)
    follow(job)
    assert ends_with_a_true_label(simulator, job) == "Failed in Talkdesk"


def test_a_file_talkdesk_never_finishes_reads_stalled_in_talkdesk(connected, simulator, settings):
    simulator.control.set_faults(processing_forever=True)
    job, part = sent(connected)
    settings.IMPORT_STALLED_AFTER_SECONDS = 0
    delivery.part_poll(part_id=part.pk)
    assert ends_with_a_true_label(simulator, job) == "Stalled in Talkdesk"


# From processing: answers the portal cannot read


@pytest.mark.parametrize("kind", list(ODD_ANSWERS))
def test_a_status_answer_the_portal_cannot_read_is_asked_again_then_left_to_an_admin(
    connected, simulator, quick_asking, kind
):
    job, part = sent(connected)
    simulator.control.set_faults(odd_status_answers=1000, odd_status_kind=kind)
    delivery.part_poll(part_id=part.pk)
    part.refresh_from_db()
    assert part.state == PartState.PROCESSING
    assert part.poll_failures == 1 and part.unreadable_since is not None
    assert ODD_ANSWERS[kind] in part.message and "asks again" in part.message
    follow(job)
    assert ends_with_a_true_label(simulator, job) == "Needs attention"
    part.refresh_from_db()
    assert part.polls >= 2
    message = job.message
    assert ODD_ANSWERS[kind] in message
    assert f"Talkdesk received this file under import id {part.remote_id}" in message
    assert "Talkdesk has it" in message and "Send again" in message and "only after checking" in message
    assert "None" not in message


def test_an_admin_told_talkdesk_has_it_ends_it_imported(connected, simulator, quick_asking):
    job, part = sent(connected)
    simulator.control.set_faults(odd_status_answers=1000, odd_status_kind="html")
    follow(job)
    services.part_mark_imported(part=part, actor=connected.ada)
    assert ends_with_a_true_label(simulator, job) == "Imported"
    assert len(simulator.control.ledger(account="acme")["uploads"]) == 1


def test_an_admin_who_chose_send_again_gets_it_sent_once_more(connected, simulator, quick_asking):
    job, part = sent(connected)
    simulator.control.set_faults(odd_status_answers=1000, odd_status_kind="unknown_status")
    follow(job)
    simulator.control.set_faults(odd_status_answers=0)
    services.part_resend(part=part, actor=connected.ada)
    delivery.account_advance(account_key=job.account_key)
    follow(job)
    assert ends_with_a_true_label(simulator, job) == "Imported"
    assert len(simulator.control.ledger(account="acme")["uploads"]) == 2


def test_a_few_odd_answers_then_a_good_one_carry_on_as_if_nothing_happened(connected, simulator, quick_asking):
    quick_asking.IMPORT_UNREADABLE_STATUS_SECONDS = 60
    job, part = sent(connected)
    simulator.control.set_faults(odd_status_answers=2, odd_status_kind="not_found")
    follow(job)
    assert ends_with_a_true_label(simulator, job) == "Imported"
    part.refresh_from_db()
    assert (part.poll_failures, part.unreadable_since, part.message) == (0, None, "")


def test_talkdesk_forgetting_the_import_is_named_plainly_and_never_not_sent(connected, simulator, quick_asking):
    job, part = sent(connected)
    simulator.control.reset()  # Talkdesk restarted and lost track of it.
    follow(job)
    assert ends_with_a_true_label(simulator, job) == "Needs attention"
    assert f"no import {part.remote_id} for account acme" in job.message


def test_a_connection_changed_after_sending_leaves_the_part_to_an_admin(connected, simulator, quick_asking):
    job, part = sent(connected)
    connected.acme.client_id = "demo-readonly"
    connected.acme.set_client_secret("not the secret")
    connected.acme.save()
    follow(job)
    assert ends_with_a_true_label(simulator, job) == "Needs attention"
    assert "client ID and secret" in job.message


def test_an_unreadable_client_secret_after_sending_leaves_the_part_to_an_admin(connected, simulator, quick_asking):
    job, part = sent(connected)
    type(connected.acme).objects.filter(pk=connected.acme.pk).update(client_secret_encrypted="gAAAAAnot-a-token")
    follow(job)
    assert ends_with_a_true_label(simulator, job) == "Needs attention"
    assert "could not ask Talkdesk about it" in job.message


# Waiting after failed status checks


def test_the_wait_after_failed_status_checks_grows_with_the_failures_in_a_row_only(connected, simulator, settings):
    settings.IMPORT_RECHECK_MAX_SECONDS = 60
    simulator.control.set_faults(processing_seconds=30)
    job, part = sent(connected)
    # A long import: many good answers before Talkdesk fails.
    ImportPart.objects.filter(pk=part.pk).update(polls=40)
    simulator.control.set_faults(error_rate=1)
    waits = []
    for _ in range(3):
        ImportPart.objects.filter(pk=part.pk).update(next_poll_at=None)
        delivery.part_poll(part_id=part.pk)
        part.refresh_from_db()
        waits.append((part.next_poll_at - part.last_polled_at).total_seconds())
    assert part.poll_failures == 3
    assert [round(wait) for wait in waits] == pytest.approx([1, 2, 4], abs=1)
    simulator.control.set_faults(error_rate=0)
    ImportPart.objects.filter(pk=part.pk).update(next_poll_at=None)
    delivery.part_poll(part_id=part.pk)
    part.refresh_from_db()
    assert (part.poll_failures, part.message) == (0, "")
    simulator.control.set_faults(error_rate=1)
    ImportPart.objects.filter(pk=part.pk).update(next_poll_at=None)
    delivery.part_poll(part_id=part.pk)
    part.refresh_from_db()
    assert (part.next_poll_at - part.last_polled_at).total_seconds() < 1.5


def test_a_call_that_reaches_the_account_brings_its_waiting_work_forward(connected, simulator):
    simulator.control.set_faults(error_rate=1)
    job = confirm(connected)
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get()
    assert part.state == PartState.WAITING and part.not_before is not None
    simulator.control.set_faults(error_rate=0)
    connection_services.connection_test(connection=connected.acme)
    part.refresh_from_db()
    assert part.not_before is None
    delivery.account_advance(account_key=job.account_key)
    time.sleep(0.1)
    assert follow(job).state == ImportState.IMPORTED
