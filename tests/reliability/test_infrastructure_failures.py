"""The broker, the database and the process that confirms an import failing
under the portal: nothing is lost, nothing is sent twice, because the
database says what is due and broker messages are only wake-ups."""

import re
import signal
import subprocess
import sys
from collections import Counter

import pytest

from tests.fixtures.stack import ROOT
from tests.reliability.running_portal import ensure_postgresql_running, restart_postgresql, schedule

pytestmark = pytest.mark.reliability


def test_a_flushed_broker_loses_no_import_queued_or_in_flight(portal):
    planner = portal.sign_in()
    portal.talkdesk.set_faults(processing_seconds=3)
    names = ["flushed-in-flight.csv", "flushed-queued-1.csv", "flushed-queued-2.csv"]
    jobs = [planner.upload(name, schedule(10 + day)) for day, name in enumerate(names)]
    planner.confirm(jobs[0])
    portal.wait_for_part(jobs[0], "processing", polls=1)
    # A stopping worker hands its waiting messages back to Redis, where the
    # flush finds them along with the confirmations that come while it is down.
    portal.stop_worker()
    planner.confirm(jobs[1])
    planner.confirm(jobs[2])
    assert portal.broker_messages() > 0
    portal.flush_broker()
    assert portal.broker_messages() == 0
    portal.start_worker()
    for job in jobs:
        assert planner.wait_for(job).state == "imported"
    received = [upload["file_name"] for upload in portal.talkdesk.ledger(account="acme")["uploads"]]
    assert received == names


def test_postgresql_restarted_mid_poll_and_the_import_still_completes(portal):
    planner = portal.sign_in()
    portal.talkdesk.set_faults(processing_seconds=5)
    job = planner.upload("database-restarted.csv", schedule(20))
    planner.confirm(job)
    portal.wait_for_part(job, "processing", polls=1)
    # Status reads now take a second and a half: the restart cuts the
    # worker's connection while it waits for one.
    portal.talkdesk.set_faults(latency_ms=1500)
    portal.wait_for_part(job, "processing", polls=2)
    log_before = len(portal.stack.log("worker"))
    try:
        restart_postgresql()
    finally:
        ensure_postgresql_running()
    portal.talkdesk.set_faults(latency_ms=0)
    assert planner.wait_for(job).state == "imported"
    assert re.search(
        r"poll_part\[[0-9a-f-]+\] raised unexpected: (OperationalError|InterfaceError)",
        portal.stack.log("worker")[log_before:],
    )
    assert len(portal.received("database-restarted.csv")) == 1


def test_a_worker_held_up_past_the_visibility_timeout_gets_its_task_twice_and_sends_once(portal):
    planner = portal.sign_in()
    # Signing in and uploading take three seconds each: six in all, past the
    # broker's visibility timeout of four, so Redis hands the task out again.
    portal.talkdesk.set_faults(latency_ms=3000)
    job = planner.upload("held-past-visibility.csv", schedule(21))
    log_before = len(portal.stack.log("worker"))
    planner.confirm(job)
    assert planner.wait_for(job).state == "imported"
    received = re.findall(
        r"Task imports\.tasks\.advance_account\[([0-9a-f-]+)\] received", portal.stack.log("worker")[log_before:]
    )
    assert max(Counter(received).values()) >= 2, "Redis never delivered the held-up task a second time"
    assert len(portal.received("held-past-visibility.csv")) == 1


def test_a_process_dying_after_the_confirmation_commits_but_before_its_task_is_sent_is_caught_up_by_the_reconciler(
    portal,
):
    planner = portal.sign_in()
    job = planner.upload("never-enqueued.csv", schedule(22))
    confirm_then_die = f"""
import os, signal
from django.contrib.auth import get_user_model
from django.db import transaction
from imports import services
from imports.models import Import

planner = get_user_model().objects.get(username="planner")
with transaction.atomic():
    # Registered first, so it runs first once the row commits: the process
    # dies before the confirmation's own hook can send the task.
    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
    services.import_confirm(job=Import.objects.get(pk="{job}"), actor=planner, warnings_acknowledged=True)
"""
    died = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", confirm_then_die],
        cwd=ROOT,
        env=portal.stack.env,
        capture_output=True,
    )
    assert died.returncode == -signal.SIGKILL
    assert portal.query("SELECT state FROM imports_import WHERE id = %s", job) == [("queued",)]
    # Bounded by the reconciler's period (two seconds here) and one send.
    assert planner.wait_for(job, seconds=30).state == "imported"
    assert len(portal.received("never-enqueued.csv")) == 1
