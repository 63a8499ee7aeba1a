"""Talkdesk down for a while, in the middle of a long import with others
queued behind it: once it answers again, the queue moves within seconds,
however many times the import had been checked before the outage.

A stack of its own, on the embedded default (no Redis database to share),
with the long waits of production: only the ceiling of the wait between
failed status checks is shortened, as the outage is."""

import time

import pytest

from tests.fixtures.stack import start_stack, stop_stack
from tests.reliability.running_portal import IMPORTS_PATH, TOKEN_PATH, RunningPortal, schedule

pytestmark = pytest.mark.reliability

OUTAGE_SECONDS = 20
RECHECK_MAX_SECONDS = 2


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    stack = start_stack(
        tmp_path_factory.mktemp("outage"),
        backend="embedded",
        env_overrides={
            "IMPORT_RECHECK_MAX_SECONDS": str(RECHECK_MAX_SECONDS),
            "IMPORT_RETRY_MAX_SECONDS": "300",
            "IMPORT_POLL_MAX_SECONDS": "2",
        },
    )
    yield RunningPortal(stack)
    stop_stack(stack)


def status_reads(portal) -> int:
    return len(portal.talkdesk_log(f"GET {IMPORTS_PATH}/"))


def sign_ins(portal) -> int:
    # Each status check signs in first; while Talkdesk is down, that fails.
    return len(portal.talkdesk_log(f"POST {TOKEN_PATH}"))


def test_the_queue_moves_within_seconds_of_talkdesk_coming_back(portal):
    planner = portal.sign_in()
    portal.talkdesk.set_faults(processing_seconds=12)
    names = ["long.csv", "queued-1.csv", "queued-2.csv", "queued-3.csv"]
    first = planner.upload(names[0], schedule(60))
    planner.confirm(first)
    assert planner.wait_for(first, {"processing"}, seconds=30).state == "processing"
    # The rest are quick in Talkdesk, and wait their turn behind the first.
    portal.talkdesk.set_faults(processing_seconds=0.5)
    queued = [planner.upload(name, schedule(61 + day)) for day, name in enumerate(names[1:])]
    for job in queued:
        planner.confirm(job)
    # Checked several times while Talkdesk processes it: each good answer
    # once made the wait after a failure twice as long.
    deadline = time.monotonic() + 30
    while status_reads(portal) < 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status_reads(portal) >= 5

    before = sign_ins(portal)
    portal.talkdesk.set_faults(error_rate=1)
    time.sleep(OUTAGE_SECONDS)
    portal.talkdesk.set_faults(error_rate=0)
    back = time.monotonic()
    # Checked again at least every RECHECK_MAX_SECONDS (+20% jitter) while down.
    assert sign_ins(portal) - before >= OUTAGE_SECONDS / (RECHECK_MAX_SECONDS * 1.2) - 2
    assert planner.wait_for(first, {"imported"}, seconds=RECHECK_MAX_SECONDS * 1.2 + 3).state == "imported"
    first_seen = time.monotonic() - back
    for job in queued:
        assert planner.wait_for(job, {"imported"}, seconds=15).state == "imported"
    cleared = time.monotonic() - back
    assert first_seen < RECHECK_MAX_SECONDS * 1.2 + 3 and cleared < 15, (first_seen, cleared)
    assert [upload["file_name"] for upload in portal.talkdesk.ledger(account="acme")["uploads"]] == names
