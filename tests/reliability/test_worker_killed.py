"""kill -9 of the Celery worker (the main process and its pool at once) at
each moment of an import's life. Talkdesk never receives a file twice, and
every import ends where its page can say so: in a final state, or needing an
admin's decision when only Talkdesk knows whether the file arrived."""

import time

import pytest

from tests.reliability.running_portal import IMPORTS_PATH, TOKEN_PATH, schedule, wait_until

pytestmark = pytest.mark.reliability


def test_a_worker_killed_before_the_upload_sends_the_file_once_after_a_restart(portal):
    planner = portal.sign_in()
    # A slow token service holds the worker after it took the part and before
    # the upload could start.
    portal.talkdesk.set_faults(latency_ms=3000)
    job = planner.upload("killed-before-upload.csv", schedule(1))
    planner.confirm(job)
    portal.wait_for_part(job, "preparing")
    portal.wait_for_talkdesk_request("POST", TOKEN_PATH)
    portal.kill_worker()
    portal.talkdesk.set_faults(latency_ms=0)
    portal.start_worker()
    page = planner.wait_for(job)
    assert page.state == "imported"
    assert "stopped before sending anything" in page.text
    assert len(portal.received("killed-before-upload.csv")) == 1


def test_a_worker_killed_mid_upload_never_sends_twice_and_leaves_the_choice_to_an_admin(portal):
    planner, admin = portal.sign_in(), portal.sign_in("admin")
    # Talkdesk takes three seconds over the upload; the worker dies meanwhile.
    portal.talkdesk.set_faults(latency_ms=3000)
    job = planner.upload("killed-mid-upload.csv", schedule(2))
    planner.confirm(job)
    portal.wait_for_part(job, "sending")
    portal.wait_for_talkdesk_request("POST", IMPORTS_PATH)
    portal.kill_worker()
    portal.start_worker()
    page = planner.wait_for(job)
    assert page.state == "needs_attention"
    assert "cannot tell whether Talkdesk received it" in page.message
    (upload,) = wait_until(lambda: portal.received("killed-mid-upload.csv"), seconds=10, what="Talkdesk has the file")
    admin.press(job, "mark-imported")
    page = planner.wait_for(job, {"imported"})
    assert "Imported by admin — An admin recorded that Talkdesk received it." in page.text
    assert portal.received("killed-mid-upload.csv") == [upload]


def test_a_worker_killed_after_talkdesk_accepted_the_file_but_before_its_id_was_stored_never_sends_it_again(portal):
    planner, admin = portal.sign_in(), portal.sign_in("admin")
    # Talkdesk records the file, then holds its 202 back; the worker dies
    # while the answer with the import id is on its way.
    portal.talkdesk.set_faults(latency_after_accept_ms=4000)
    job = planner.upload("killed-before-id-stored.csv", schedule(3))
    planner.confirm(job)
    wait_until(lambda: portal.received("killed-before-id-stored.csv"), seconds=30, what="Talkdesk recorded the file")
    portal.kill_worker()
    portal.start_worker()
    page = planner.wait_for(job)
    assert page.state == "needs_attention"
    assert "cannot tell whether Talkdesk received it" in page.message
    assert portal.part(job)["remote_id"] == ""
    admin.press(job, "mark-imported")
    assert planner.wait_for(job, {"imported"}).state == "imported"
    assert len(portal.received("killed-before-id-stored.csv")) == 1


def test_a_worker_killed_while_polling_goes_on_following_the_import_after_a_restart(portal):
    planner = portal.sign_in()
    portal.talkdesk.set_faults(processing_seconds=4)
    job = planner.upload("killed-while-polling.csv", schedule(4))
    planner.confirm(job)
    portal.wait_for_part(job, "processing", polls=1)
    # Status reads now take a second: the kill lands in one of them.
    portal.talkdesk.set_faults(latency_ms=1000)
    portal.wait_for_part(job, "processing", polls=2)
    portal.kill_worker()
    portal.talkdesk.set_faults(latency_ms=0)
    portal.start_worker()
    assert planner.wait_for(job).state == "imported"
    assert len(portal.received("killed-while-polling.csv")) == 1


def test_a_worker_killed_while_downloading_the_error_report_keeps_it_from_a_fresh_link_after_the_old_one_expired(
    portal,
):
    planner = portal.sign_in()
    # Report links that live one second, and a download that takes three.
    portal.talkdesk.set_faults(report_link_ttl_seconds=1, report_latency_ms=3000)
    job = planner.upload("killed-while-downloading.csv", schedule(5, unknown_agents=True))
    planner.confirm(job)
    (upload,) = wait_until(
        lambda: portal.received("killed-while-downloading.csv"), seconds=30, what="Talkdesk has the file"
    )
    wait_until(
        lambda: portal.talkdesk.remote_import(upload["import_id"])["report_downloads"] >= 1,
        seconds=30,
        what="the worker started downloading the error report",
    )
    portal.kill_worker()
    portal.talkdesk.set_faults(report_latency_ms=0)
    # Down long enough for the link the dead worker was following to expire.
    time.sleep(1.5)
    assert portal.part(job)["state"] == "processing"
    portal.start_worker()
    page = planner.wait_for(job)
    assert page.state == "imported_with_errors"
    assert "carla.mendes@example.com" in page.text and "dan.okafor@example.com" in page.text
    assert portal.talkdesk.remote_import(upload["import_id"])["report_downloads"] >= 2
    assert len(portal.received("killed-while-downloading.csv")) == 1
