"""Talkdesk misbehaving, through the simulator's fault knobs: each import
completes, or ends with a message a supervisor can act on, and no file is
sent twice without an admin choosing it."""

import threading

import pytest

from tests.reliability.running_portal import IMPORTS_PATH, TOKEN_PATH, schedule, wait_until

pytestmark = pytest.mark.reliability


def test_bursts_of_429_are_waited_out_as_talkdesk_asks(portal):
    planner = portal.sign_in()
    portal.talkdesk.set_faults(rate_limit_burst=6, retry_after_seconds=1, processing_seconds=0.5)
    names = ["rate-limited-1.csv", "rate-limited-2.csv"]
    jobs = [planner.upload(name, schedule(30 + day)) for day, name in enumerate(names)]
    for job in jobs:
        planner.confirm(job)
    pages = [planner.wait_for(job) for job in jobs]
    assert [page.state for page in pages] == ["imported", "imported"]
    assert "too many requests" in pages[0].text
    assert [upload["file_name"] for upload in portal.talkdesk.ledger(account="acme")["uploads"]] == names
    assert portal.talkdesk.faults()["rate_limit_burst"] == 0


def test_a_share_of_server_errors_is_tried_again_until_every_import_is_in(portal):
    planner = portal.sign_in()
    portal.talkdesk.set_faults(error_rate=0.2, processing_seconds=0.5)
    names = [f"server-errors-{n}.csv" for n in range(1, 5)]
    jobs = [planner.upload(name, schedule(40 + day)) for day, name in enumerate(names)]
    for job in jobs:
        planner.confirm(job)
    assert [planner.wait_for(job, seconds=90).state for job in jobs] == ["imported"] * 4
    assert [upload["file_name"] for upload in portal.talkdesk.ledger(account="acme")["uploads"]] == names


def test_timed_out_sign_ins_and_status_reads_are_asked_again(portal):
    planner = portal.sign_in()
    # Six seconds of latency against the portal's five-second read timeout,
    # first for the sign-in before the upload.
    portal.talkdesk.set_faults(latency_ms=6000, processing_seconds=6)
    job = planner.upload("timeouts.csv", schedule(50))
    planner.confirm(job)
    portal.wait_for_talkdesk_request("POST", TOKEN_PATH)
    portal.talkdesk.set_faults(latency_ms=0)
    portal.wait_for_part(job, "processing", polls=1)
    # Then for one status read: a quick sign-in is under way when the
    # latency goes up, so the read after it is the one that times out.
    portal.talkdesk.set_faults(latency_ms=2000)
    portal.wait_for_talkdesk_request("POST", TOKEN_PATH)
    portal.talkdesk.set_faults(latency_ms=6000)
    portal.wait_for_talkdesk_request("GET", IMPORTS_PATH + "/")
    portal.talkdesk.set_faults(latency_ms=0)
    page = planner.wait_for(job)
    assert page.state == "imported"
    assert "sign-in service" in page.text and "broke before it answered" in page.text
    wait_until(
        lambda: any(
            int(line.split()[3].removesuffix("ms")) >= 6000 for line in portal.talkdesk_log(f"GET {IMPORTS_PATH}/")
        ),
        seconds=10,
        what="Talkdesk answered the status read the portal had given up on",
    )
    assert len(portal.received("timeouts.csv")) == 1


def test_an_upload_whose_answer_times_out_waits_for_an_admin_and_is_not_sent_again(portal):
    planner, admin = portal.sign_in(), portal.sign_in("admin")
    portal.talkdesk.set_faults(latency_after_accept_ms=6000)
    job = planner.upload("upload-timed-out.csv", schedule(51))
    planner.confirm(job)
    page = planner.wait_for(job)
    assert page.state == "needs_attention"
    assert "cannot tell whether Talkdesk received it" in page.message
    assert len(portal.received("upload-timed-out.csv")) == 1
    admin.press(job, "mark-imported")
    assert planner.wait_for(job, {"imported"}).state == "imported"
    assert len(portal.received("upload-timed-out.csv")) == 1


def test_a_dropped_status_read_is_asked_again(portal):
    planner = portal.sign_in()
    portal.talkdesk.set_faults(processing_seconds=4)
    job = planner.upload("dropped-status-read.csv", schedule(52))
    planner.confirm(job)
    portal.wait_for_part(job, "processing", polls=1)
    # A poll signs in, then reads: the read after this sign-in is dropped.
    portal.talkdesk.set_faults(latency_ms=2000)
    portal.wait_for_talkdesk_request("POST", TOKEN_PATH)
    portal.talkdesk.set_faults(drop_connections=1, latency_ms=0)
    assert planner.wait_for(job).state == "imported"
    assert [line.split()[2] for line in portal.talkdesk_log(f"GET {IMPORTS_PATH}/")].count("dropped") == 1
    assert len(portal.received("dropped-status-read.csv")) == 1


def test_a_dropped_upload_is_sent_again_only_when_an_admin_chooses_to(portal):
    planner, admin = portal.sign_in(), portal.sign_in("admin")
    # A slow sign-in; the request after it, the upload, is dropped.
    portal.talkdesk.set_faults(latency_ms=1500)
    job = planner.upload("dropped-upload.csv", schedule(53))
    planner.confirm(job)
    portal.wait_for_talkdesk_request("POST", TOKEN_PATH)
    portal.talkdesk.set_faults(drop_connections=1, latency_ms=0)
    page = planner.wait_for(job)
    assert page.state == "needs_attention"
    assert "cannot tell whether Talkdesk received it" in page.message
    assert portal.received("dropped-upload.csv") == []
    admin.press(job, "resend")
    page = planner.wait_for(job, {"imported"})
    assert "Waiting its turn by admin — An admin chose to send it again." in page.text
    assert len(portal.received("dropped-upload.csv")) == 1


def test_an_import_talkdesk_never_finishes_ends_stalled_and_the_next_one_waits_for_it(portal):
    planner = portal.sign_in()
    portal.talkdesk.set_faults(processing_forever=True)
    stuck = planner.upload("never-ending.csv", schedule(54))
    planner.confirm(stuck)
    page = planner.wait_for(stuck, seconds=60)
    assert page.state == "stalled"
    assert "still processing this file after 30 seconds" in page.message
    # Talkdesk still holds the account for the stalled import: the next one
    # is answered 409 and waits, without failing, until Talkdesk lets go.
    portal.talkdesk.set_faults(processing_forever=False)
    following = planner.upload("after-never-ending.csv", schedule(55))
    planner.confirm(following)
    wait_until(
        lambda: "already processing another import" in planner.page(following).message,
        seconds=20,
        what="the next import says it waits for the one Talkdesk is still processing",
    )
    assert planner.page(following).state == "queued"
    portal.talkdesk.reset()
    assert planner.wait_for(following).state == "imported"
    assert len(portal.received("after-never-ending.csv")) == 1


def test_twenty_supervisors_confirming_at_the_same_moment_are_imported_in_order_without_a_409(portal):
    portal.stack.manage(
        "shell",
        "-c",
        f"""
from django.contrib.auth import get_user_model
from imports.models import Team
team = Team.objects.get(name="Demo team")
for n in range(1, 21):
    user, _ = get_user_model().objects.get_or_create(username=f"supervisor{{n:02}}")
    user.set_password("{portal.stack.password}")
    user.save()
    team.supervisors.add(user)
""",
    )
    portal.talkdesk.set_faults(processing_seconds=0.5)
    answered_409_before = len(portal.talkdesk_answers(409))
    supervisors = [portal.sign_in(f"supervisor{n:02}") for n in range(1, 21)]
    jobs = [person.upload(f"supervisor-{n:02}.csv", schedule(60 + n)) for n, person in enumerate(supervisors, 1)]
    tokens = [person.page_token(job) for person, job in zip(supervisors, jobs, strict=False)]
    together = threading.Barrier(len(supervisors))

    def confirm(person, job, token):
        together.wait()
        person.confirm_with(job, token)

    threads = [threading.Thread(target=confirm, args=args) for args in zip(supervisors, jobs, tokens, strict=False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [
        supervisor.wait_for(job, seconds=120).state for supervisor, job in zip(supervisors, jobs, strict=False)
    ] == ["imported"] * 20
    confirmed_order = [
        name
        for (name,) in portal.query(
            "SELECT file_name FROM imports_import WHERE id = ANY(%s::uuid[]) ORDER BY confirmed_at, id", jobs
        )
    ]
    received = [upload["file_name"] for upload in portal.talkdesk.ledger(account="acme")["uploads"]]
    assert received == confirmed_order
    assert sorted(received) == [f"supervisor-{n:02}.csv" for n in range(1, 21)]
    assert len(portal.talkdesk_answers(409)) == answered_409_before
